import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { usageError } from '../errors.js';
import { displayPath } from '../paths.js';
import { pitIdProblem } from '../ids.js';
import { answerWarnings, configPath, defaultAnswers, pitExists, type NewPitAnswers } from './new.js';
import { LANGUAGE_BUILD_TOOL } from './skeleton.js';

export interface PromptIo { input: Readable; output: Writable }

/**
 * Asks for each answer with a default (Enter keeps it); flags already given become the defaults.
 * Lines are read through one iterator, so answers piped in ahead of the questions are not lost.
 */
export async function promptNewPit(pitsDir: string, given: Partial<NewPitAnswers>, io: PromptIo): Promise<{ answers: NewPitAnswers; overwrite: boolean }> {
  const rl = createInterface({ input: io.input, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (question: string, fallback = ''): Promise<string> => {
    io.output.write(fallback ? `${question} [${fallback}]: ` : `${question}: `);
    const next = await lines.next();
    if (next.done) {
      io.output.write('\n');
      if (fallback) return fallback;
      throw usageError(`pit new: no answer for "${question}"`);
    }
    return next.value.trim() || fallback;
  };
  const askUntil = async <T>(question: string, fallback: string, accept: (answer: string) => T | string): Promise<T> => {
    for (;;) {
      const verdict = accept(await ask(question, fallback));
      if (typeof verdict !== 'string') return verdict;
      io.output.write(`  ${verdict}\n`);
    }
  };

  try {
    const id = await askUntil('PIT id (<language>-<buildTool>-<topic>-v<N>)', given.id ?? '', (answer) =>
      pitIdProblem(answer) ?? { id: answer });
    let overwrite = false;
    if (await pitExists(pitsDir, id.id)) {
      const answer = await ask(`${displayPath(configPath(pitsDir, id.id))} exists. Overwrite it? (y/N)`, 'n');
      if (!/^y(es)?$/i.test(answer)) throw usageError(`pit new: kept ${displayPath(configPath(pitsDir, id.id))}; nothing written`);
      overwrite = true;
    }
    const language = await ask('language', given.language ?? 'java');
    const buildTool = await ask('build tool (junit, maven, javac, pytest, node)', given.buildTool ?? LANGUAGE_BUILD_TOOL[language] ?? 'maven');
    for (const warning of answerWarnings({ language, buildTool })) io.output.write(`  warning: ${warning}\n`);
    const defaults = defaultAnswers({ ...given, id: id.id, language, buildTool });
    const testCommand = await askUntil('test command', defaults.testCommand, (answer) => answer ? { answer } : 'a test command is required');
    const timeout = await askUntil('timeout in ms', String(defaults.maxTimeoutMs), (answer) =>
      /^[1-9][0-9]*$/.test(answer) ? { ms: Number(answer) } : 'a positive whole number of milliseconds');
    const setup = await ask("setup commands (separate with ';', '-' for none)", defaults.setupCommands.join('; ') || '-');
    const required = await ask("required files (separate with ',', '-' for none)", defaults.requiredFiles.join(', ') || '-');
    return {
      answers: {
        ...defaults,
        testCommand: testCommand.answer,
        maxTimeoutMs: timeout.ms,
        setupCommands: splitList(setup, ';'),
        requiredFiles: splitList(required, ','),
      },
      overwrite,
    };
  } finally {
    rl.close();
  }
}

function splitList(answer: string, separator: string): string[] {
  if (answer === '-') return [];
  return answer.split(separator).map((item) => item.trim()).filter(Boolean);
}
