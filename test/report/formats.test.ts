import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { quote } from 'shell-quote';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot, runCli } from '../helpers/cli.js';

// What people and platforms see of a result, through the real CLI.
const report = suite('report through the CLI');
const roman = 'javascript-node-roman-v1';
let tmp: string;
let pitsDir: string;

report.before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'report-cli-'));
  await chmod(tmp, 0o755); // the sandbox user must reach the workspaces below
  pitsDir = path.join(tmp, 'pits');
  await cp(path.join(repoRoot, 'pits', roman), path.join(pitsDir, roman), { recursive: true });
  const config = JSON.parse(await readFile(path.join(repoRoot, 'pits', `${roman}.json`), 'utf8')) as Record<string, unknown>;
  // the sample's last three tests move to a hidden file of their own
  const tests = path.join(pitsDir, roman, 'tests');
  const source = await readFile(path.join(tests, 'roman.test.mjs'), 'utf8');
  const cut = source.indexOf("  test('reads MMXXIV");
  await writeFile(path.join(tests, 'roman.test.mjs'), `${source.slice(0, cut)}});\n`);
  await writeFile(path.join(tests, 'roman-hidden.test.mjs'), `${source.slice(0, source.indexOf('  test('))}${source.slice(cut)}`);
  await writeFile(path.join(pitsDir, `${roman}.json`), JSON.stringify({
    ...config,
    testCommand: (config.testCommand as string).replace('tests/roman.test.mjs', 'tests/'),
    hiddenTests: ['roman#reads*', 'roman#refuses*'],
    hiddenFiles: ['tests/roman-hidden.test.mjs'],
  }));
});
report.after(() => rm(tmp, { recursive: true, force: true }));

const wrong = path.join(repoRoot, 'examples', roman, 'wrong');
/** Runs the CLI with stdout on a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
function atTerminal(args: string[], extraEnv: Record<string, string> = {}) {
  const command = quote(['node', path.join(repoRoot, 'bin/pit-runner.js'), ...args]);
  return execa('script', ['-qec', command, '/dev/null'], { cwd: repoRoot, reject: false, env: { ...extraEnv, TERM: 'xterm' }, timeout: 120_000 });
}

report('at a terminal: a line per test, the failures\' first lines, the score and the outcome, in colour', async () => {
  const run = await atTerminal(['process', '--zip', wrong, '--pit', roman, '--pits-dir', pitsDir]);
  assert.is(run.exitCode, 0, run.stdout);
  assert.match(run.stdout, /✗.*roman › writes 1994 as MCMXCIV/);
  assert.match(run.stdout, /✓.*roman › reads back every number it writes.*\(hidden\)/);
  assert.match(run.stdout, /FAILED.*score.*20.*1\/5 tests passed/);
  assert.match(run.stdout, '\u001b[');
  assert.not.match(run.stdout, '"outcome"');
});

report('NO_COLOR keeps the terminal report plain', async () => {
  const run = await atTerminal(['process', '--zip', wrong, '--pit', roman, '--pits-dir', pitsDir], { NO_COLOR: '1' });
  assert.match(run.stdout, 'FAILED  score 20');
  assert.not.match(run.stdout, '\u001b[');
});

report('off a terminal, stdout is the JSON result with exactly today\'s fields', async () => {
  const run = await runCli(['process', '--zip', path.join(repoRoot, 'examples', roman, 'correct'), '--pit', roman]);
  assert.is(run.exitCode, 0, run.stderr);
  const result = JSON.parse(run.stdout) as Record<string, unknown>;
  assert.equal(Object.keys(result).sort(), ['exitCode', 'logBytes', 'logTruncated', 'outcome', 'pitId', 'provenance', 'score', 'status', 'summary', 'tests', 'timedOut', 'timings']);
  assert.equal(Object.keys((result.tests as object[])[0]!).sort(), ['classname', 'name', 'status', 'timeMs']);
});

report('--format student names no hidden test, even when it fails; --format gradescope hides them', async () => {
  const student = await runCli(['process', '--zip', wrong, '--pit', roman, '--pits-dir', pitsDir, '--format', 'student']);
  assert.is(student.exitCode, 0, student.stderr);
  const view = JSON.parse(student.stdout) as { hidden: { total: number; failed: number }; tests: Array<{ name: string }> };
  assert.equal(view.hidden, { total: 3, failed: 2 });
  for (const secret of ['reads MMXXIV as 2024', 'refuses numbers', 'reads back every number', '2026']) assert.not.match(student.stdout, secret);
  const out = path.join(tmp, 'out');
  const gradescope = await runCli(['process', '--zip', wrong, '--pit', roman, '--pits-dir', pitsDir, '--format', 'gradescope', '--out', out]);
  const results = JSON.parse(gradescope.stdout) as { tests: Array<{ name: string; visibility: string }> };
  assert.equal(results.tests.filter((t) => t.visibility === 'hidden').length, 3);
  assert.equal(JSON.parse(await readFile(path.join(out, 'result.gradescope.json'), 'utf8')), results);
});

report('a per-test time limit fails the endless test alone; the others keep their results', async () => {
  const pit = 'py-endless';
  await mkdir(path.join(pitsDir, pit, 'tests'), { recursive: true });
  await writeFile(path.join(pitsDir, pit, 'tests', 'test_calc.py'), [
    'import time', 'from calc import add', '',
    'def test_adds():', '    assert add(1, 2) == 3', '',
    'def test_never_ends():', '    while True:', '        time.sleep(0.1)', '',
  ].join('\n'));
  await writeFile(path.join(pitsDir, `${pit}.json`), JSON.stringify({
    language: 'python', buildTool: 'pytest', maxTimeoutMs: 60_000, testTimeoutMs: 1_500,
    testCommand: '/usr/bin/python3 -B -m pytest -p no:cacheprovider -q --junitxml=test-reports/junit.xml tests',
  }));
  const solution = path.join(tmp, 'calc');
  await mkdir(solution, { recursive: true });
  await writeFile(path.join(solution, 'calc.py'), 'def add(a, b):\n    return a + b\n');
  const run = await runCli(['process', '--zip', solution, '--pit', pit, '--pits-dir', pitsDir]);
  const result = JSON.parse(run.stdout) as { outcome: string; tests: Array<{ name: string; status: string; message?: string }> };
  assert.is(result.outcome, 'FAILED', run.stdout);
  assert.equal(result.tests.map((t) => [t.name, t.status]), [['test_adds', 'passed'], ['test_never_ends', 'failed']]);
  assert.match(result.tests[1]!.message ?? '', /[Tt]imeout/);
});

report('pit validate says a node PIT with a per-test limit must pass --test-timeout', async () => {
  await writeFile(path.join(pitsDir, 'node-limited.json'), JSON.stringify({ language: 'javascript', buildTool: 'node', maxTimeoutMs: 10_000, testTimeoutMs: 1_000, testCommand: 'node --test' }));
  const run = await runCli(['pit', 'validate', 'node-limited', '--pits-dir', pitsDir]);
  assert.match(run.stdout, 'warning: testTimeoutMs: node');
});

report.run();
