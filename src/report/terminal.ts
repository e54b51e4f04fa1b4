import { styleText } from 'node:util';
import type { GradeResult, TestStatus } from '../grading/types.js';

type Style = Parameters<typeof styleText>[0];

const MESSAGE_LINES = 3;
const STEPS = ['fetchMs', 'unpackMs', 'prepareMs', 'executeMs', 'scoreMs', 'totalMs'] as const;
const mark: Record<TestStatus, [string, Style]> = {
  passed: ['✓', 'green'],
  failed: ['✗', 'red'],
  error: ['✗', 'red'],
  skipped: ['-', 'yellow'],
};

/** Colour only for a terminal that wants it (https://no-color.org). */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}

/** A result as a person reads it at a terminal: a line per test, failures with their first lines, score, outcome, timings. */
export function terminalReport(result: GradeResult, options: { color: boolean }): string {
  // The caller decided (wantsColor); Node would otherwise second-guess it from process.stdout.
  const paint = (style: Style, text: string) => (options.color ? colourOf(style, text) : text);
  const good = result.outcome === 'PASSED';
  const lines: string[] = [];
  for (const test of result.tests) {
    const [symbol, style] = mark[test.status];
    const hidden = test.hidden ? paint('dim', ' (hidden)') : '';
    lines.push(`  ${paint(style, symbol)} ${test.classname ? `${test.classname} › ` : ''}${test.name}${hidden}${paint('dim', `  ${test.timeMs} ms`)}`);
    if (test.status !== 'passed' && test.message) {
      const message = test.message.split('\n').filter((line) => line.trim());
      for (const line of message.slice(0, MESSAGE_LINES)) lines.push(paint('dim', `      ${line}`));
      if (message.length > MESSAGE_LINES) lines.push(paint('dim', `      … ${message.length - MESSAGE_LINES} more lines`));
    }
  }
  const { summary, timings } = result;
  const headline = `${paint(good ? 'green' : 'red', result.outcome)}  score ${paint('bold', String(result.score))}  ${summary.passed}/${summary.total} tests passed  ${paint('dim', result.pitId)}`;
  lines.push('', headline);
  if (result.error) lines.push(paint('red', result.error.message));
  for (const note of result.notes ?? []) lines.push(paint('yellow', `note: ${note}`));
  const steps = STEPS.filter((step) => timings[step] !== undefined).map((step) => `${step.replace(/Ms$/, '')} ${seconds(timings[step]!)}`);
  lines.push(paint('dim', steps.join(' · ')));
  return `${lines.join('\n')}\n`;
}

const colourOf = (style: Style, text: string) => styleText(style, text, { validateStream: false });
const seconds = (ms: number) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);
