import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { pitNew, pitValidate, pitVerify } from '../../src/commands/pit.js';
import { loadConfig } from '../../src/config.js';
import { RunnerError } from '../../src/errors.js';
import { silentLogger as log } from '../../src/log.js';
import { pitHash } from '../../src/grading/pit-hash.js';
import { loadPit } from '../../src/pits/load.js';
import { buildToolDefaults } from '../../src/pits/skeleton.js';
import { parseCommandLine } from '../../src/sandbox/command-line.js';
import { sandboxFor } from '../helpers/sandbox.js';

const pitCommand = suite('pit-command');
let dir: string;
let pitsDir: string;

function sink(): Writable & { text: () => string } {
  let text = '';
  const stream = new Writable({ write(chunk, _encoding, done) { text += String(chunk); done(); } });
  return Object.assign(stream, { text: () => text });
}

function stdin(...lines: string[]): PassThrough {
  const input = new PassThrough();
  input.end(lines.map((line) => `${line}\n`).join(''));
  return input;
}

const io = (input = stdin()) => ({ pitsDir, log, input, output: sink(), prompts: sink() });
const flags = (answers: Record<string, unknown>) => ({ force: false, ...answers });

async function usageFailure(promise: Promise<unknown>): Promise<RunnerError> {
  try {
    await promise;
  } catch (err) {
    assert.instance(err, RunnerError);
    assert.is((err as RunnerError).exitCode, 2);
    return err as RunnerError;
  }
  throw new Error('expected a usage error');
}

pitCommand.before.each(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pit-command-test-'));
  pitsDir = path.join(dir, 'pits');
});
pitCommand.after.each(() => rm(dir, { recursive: true, force: true }));

pitCommand('interactive answers through stdin write the same files as the equivalent flags', async () => {
  const answers = ['java-maven-bank-v1', 'java', 'maven', '', '90000', '', 'src/main/java/Bank.java, README.md'];
  const prompted = io(stdin(...answers));
  assert.is(await pitNew(flags({}), prompted), 0);
  const interactiveJson = await readFile(path.join(pitsDir, 'java-maven-bank-v1.json'), 'utf8');
  const interactivePom = await readFile(path.join(pitsDir, 'java-maven-bank-v1/pom.xml'), 'utf8');
  assert.match(prompted.prompts.text(), 'build tool (junit, maven, javac, pytest, node) [junit]');

  pitsDir = path.join(dir, 'flag-pits');
  await pitNew(flags({ id: 'java-maven-bank-v1', language: 'java', buildTool: 'maven', maxTimeoutMs: 90_000, requiredFiles: ['src/main/java/Bank.java', 'README.md'] }), io());
  assert.is(await readFile(path.join(pitsDir, 'java-maven-bank-v1.json'), 'utf8'), interactiveJson);
  assert.is(await readFile(path.join(pitsDir, 'java-maven-bank-v1/pom.xml'), 'utf8'), interactivePom);
  assert.equal((await loadPit(pitsDir, 'java-maven-bank-v1')).requiredFiles, ['src/main/java/Bank.java', 'README.md']);
});

pitCommand('an invalid id or timeout typed interactively is asked again', async () => {
  const prompted = io(stdin('../etc', 'py-pytest-sum-v1', 'python', '', '', 'soon', '5000', '-', '-'));
  await pitNew(flags({}), prompted);
  assert.match(prompted.prompts.text(), 'lowercase letters');
  assert.match(prompted.prompts.text(), 'a positive whole number');
  assert.is((await loadPit(pitsDir, 'py-pytest-sum-v1')).maxTimeoutMs, 5000);
});

pitCommand('flag mode refuses to overwrite without --force', async () => {
  const answers = { id: 'js-node-sum-v1', buildTool: 'node' };
  await pitNew(flags(answers), io());
  const err = await usageFailure(pitNew(flags({ ...answers, testCommand: 'node --test' }), io()));
  assert.match(err.message, '--force');
  assert.is((await loadPit(pitsDir, 'js-node-sum-v1')).testCommand, buildToolDefaults('node', 'js-node-sum-v1')?.testCommand);
  await pitNew(flags({ ...answers, maxTimeoutMs: 7000, force: true }), io());
  assert.is((await loadPit(pitsDir, 'js-node-sum-v1')).maxTimeoutMs, 7000);
});

pitCommand('interactive mode asks before overwriting: no keeps the file, yes replaces it', async () => {
  await pitNew(flags({ id: 'js-node-sum-v1', buildTool: 'node' }), io());
  await usageFailure(pitNew(flags({}), io(stdin('js-node-sum-v1', 'n'))));
  assert.is((await loadPit(pitsDir, 'js-node-sum-v1')).maxTimeoutMs, 60_000);
  await pitNew(flags({}), io(stdin('js-node-sum-v1', 'y', 'javascript', 'node', '', '3000', '', '')));
  assert.is((await loadPit(pitsDir, 'js-node-sum-v1')).maxTimeoutMs, 3000);
});

pitCommand('the CLI reads answers from stdin, prints the summary on stdout, and exits 2 on a refused overwrite', async () => {
  const cli = (args: string[], input = '') => execa('node', ['--import', 'tsx', 'src/main.ts', 'pit', ...args, '--pits-dir', pitsDir], { input, reject: false, env: { LOG_LEVEL: 'silent' } });
  const created = await cli(['new'], 'js-node-cli-v1\njavascript\nnode\n\n\n\nsum.mjs,README.md\n');
  assert.is(created.exitCode, 0, created.stderr);
  assert.match(created.stdout, /^created PIT js-node-cli-v1\n/);
  assert.equal((await loadPit(pitsDir, 'js-node-cli-v1')).requiredFiles, ['sum.mjs', 'README.md']);
  const refused = await cli(['new', '--id', 'js-node-cli-v1', '--build-tool', 'node']);
  assert.is(refused.exitCode, 2);
  assert.match(refused.stderr, 'already exists; pass --force');
});

pitCommand('a build tool without defaults needs a test command and is accepted with a warning', async () => {
  await usageFailure(pitNew(flags({ id: 'go-gotest-x-v1', language: 'go', buildTool: 'gotest' }), io()));
  const streams = io();
  await pitNew(flags({ id: 'go-gotest-x-v1', language: 'go', buildTool: 'gotest', testCommand: 'go test ./...' }), streams);
  assert.match(streams.output.text(), "warning:      build tool 'gotest' has no defaults");
});

pitCommand('every generated PIT loads and validates, the Maven pom offline included', async () => {
  for (const buildTool of ['maven', 'javac', 'pytest', 'node']) await pitNew(flags({ id: `gen-${buildTool}-v1`, buildTool }), io());
  const output = sink();
  const code = await pitValidate([], { pitsDir, timeoutMs: 600_000, log, output });
  assert.is(code, 0, output.text());
  for (const buildTool of ['maven', 'javac', 'pytest', 'node']) assert.match(output.text(), `ok   gen-${buildTool}-v1`);
});

pitCommand('validate fails naming the field of a broken PIT and a shell operator without shell', async () => {
  await mkdir(pitsDir, { recursive: true });
  await writeFile(path.join(pitsDir, 'broken.json'), JSON.stringify({ language: 'python', buildTool: 'pytest', testCommand: 'pytest', maxTimeoutMs: '10s' }));
  await writeFile(path.join(pitsDir, 'chained.json'), JSON.stringify({ language: 'python', buildTool: 'pytest', testCommand: 'make && pytest', maxTimeoutMs: 1000 }));
  const output = sink();
  assert.is(await pitValidate([], { pitsDir, timeoutMs: 600_000, log, output }), 2);
  assert.match(output.text(), /FAIL broken\n {2}- .*broken\.json: maxTimeoutMs: expected a positive integer/);
  assert.match(output.text(), /FAIL chained\n {2}- testCommand: '&&' is a shell operator/);
});

pitCommand('validate refuses every command the sandbox would refuse to run, backticks included', async () => {
  await mkdir(pitsDir, { recursive: true });
  const commands = ['pytest `echo -q`', 'pytest $(echo -q)', 'pytest $HOME', 'pytest tests/*.py', 'pytest # all', 'pytest > out'];
  for (const [index, testCommand] of commands.entries()) {
    await writeFile(path.join(pitsDir, `cmd${index}.json`), JSON.stringify({ language: 'python', buildTool: 'pytest', testCommand, maxTimeoutMs: 1000 }));
  }
  const output = sink();
  assert.is(await pitValidate([], { pitsDir, timeoutMs: 600_000, log, output }), 2);
  for (const [index, command] of commands.entries()) {
    assert.match(output.text(), `FAIL cmd${index}\n  - testCommand: `);
    assert.throws(() => parseCommandLine(command), /needs a shell/);
  }
});

pitCommand('a Maven pom pinning a JUnit the offline repository lacks fails validation', async () => {
  await pitNew(flags({ id: 'java-maven-pin-v1', buildTool: 'maven' }), io());
  const pom = path.join(pitsDir, 'java-maven-pin-v1/pom.xml');
  await writeFile(pom, (await readFile(pom, 'utf8')).replace('5.9.2', '5.10.0'));
  const output = sink();
  assert.is(await pitValidate(['java-maven-pin-v1'], { pitsDir, timeoutMs: 600_000, log, output }), 2);
  assert.match(output.text(), 'maven: pom.xml does not resolve offline');
});

pitCommand.run();

const verify = suite('pit-verify');
const calcTests = `from calc import add, sub

def test_add():
    assert add(2, 3) == 5

def test_sub():
    assert sub(5, 3) == 2
`;
// Student code runs inside pytest, so it can drop a test from the run instead of passing it
// (conftest.py is ignored by the generated PIT; patching the collector is not).
const dropsTestSub = `import _pytest.python as collector

_collect = collector.PyCollector.collect
collector.PyCollector.collect = lambda self: [t for t in _collect(self) if getattr(t, 'name', '') != 'test_sub']

def add(a, b):
    return a + b

def sub(a, b):
    return 0
`;

verify.before.each(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pit-verify-test-'));
  await chmod(dir, 0o711); // the sandbox user must reach the workspaces below it
  pitsDir = path.join(dir, 'pits');
  await pitNew(flags({ id: 'py-pytest-calc-v1', buildTool: 'pytest', maxTimeoutMs: 30_000 }), io());
  await rm(path.join(pitsDir, 'py-pytest-calc-v1/tests/test_example.py'));
  await writeFile(path.join(pitsDir, 'py-pytest-calc-v1/tests/test_calc.py'), calcTests);
});
verify.after.each(() => rm(dir, { recursive: true, force: true }));

async function solution(name: string, files: Record<string, string>): Promise<string> {
  const folder = path.join(dir, name);
  await mkdir(folder, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(folder, file), text);
  return folder;
}

// A sandbox uid of its own: the sandbox sweeps every process of its uid after a run, which would kill
// this suite's runs when another suite grades at the same time on the same machine.
const config = () => loadConfig({
  RUNNER_WORK_DIR: path.join(dir, 'work'), RUNNER_DATA_DIR: path.join(dir, 'data'), RUNNER_SANDBOX_UID: '10071', RUNNER_SANDBOX_GID: '10071',
}, { pitsDir });
const verifyWith = (solutionDir: string, check = false) => {
  const output = sink();
  return pitVerify({ id: 'py-pytest-calc-v1', solution: solutionDir, check }, { config: config(), log, output, sandbox: sandboxFor(config()) }).then((code) => ({ code, text: output.text() }));
};

verify('a solution below 100 fails listing the failing test and records nothing', async () => {
  const wrong = await solution('wrong', { 'calc.py': 'def add(a, b):\n    return a + b\n\ndef sub(a, b):\n    return a + b\n' });
  const { code, text } = await verifyWith(wrong);
  assert.is(code, 1, text);
  assert.match(text, /failed: tests\.test_calc#test_sub/, text);
  assert.is((await loadPit(pitsDir, 'py-pytest-calc-v1')).expectedTests, undefined);
});

verify('records the expected tests, after which a submission that drops a test loses its points', async () => {
  const { gradeById } = await import('../helpers/grade.js');
  // expectedTests on their own: with its sentinel the PIT's pytest harness stops this patch first (trust-hostile)
  const pitFile = path.join(pitsDir, 'py-pytest-calc-v1.json');
  await writeFile(pitFile, JSON.stringify({ ...JSON.parse(await readFile(pitFile, 'utf8')), sentinel: false }, null, 2));
  const cheat = await solution('cheat', { 'calc.py': dropsTestSub });
  const before = await gradeById({ dir: cheat }, 'py-pytest-calc-v1', { config: config(), log });
  assert.is(before.result.score, 100, `without expectedTests the dropped test goes unnoticed\n${before.log}`);

  const correct = await solution('correct', { 'calc.py': 'def add(a, b):\n    return a + b\n\ndef sub(a, b):\n    return a - b\n' });
  const raw = await readFile(path.join(pitsDir, 'py-pytest-calc-v1.json'), 'utf8');
  const { code, text } = await verifyWith(correct);
  assert.is(code, 0, text);
  const json = JSON.parse(await readFile(path.join(pitsDir, 'py-pytest-calc-v1.json'), 'utf8'));
  assert.equal(json.expectedTests, ['tests.test_calc#test_add', 'tests.test_calc#test_sub']);
  assert.ok(Number.isInteger(json.expectedDurationMs) && json.expectedDurationMs > 0);
  assert.equal(Object.keys(json).slice(0, -2), Object.keys(JSON.parse(raw)), 'other fields keep their order');
  assert.match(text, `PIT ${await pitHash(await loadPit(pitsDir, 'py-pytest-calc-v1'))}: the hash`, 'the hash of the config as recorded');
  assert.match(text, /verified with runner \S+ build /);

  const after = await gradeById({ dir: cheat }, 'py-pytest-calc-v1', { config: config(), log });
  assert.is(after.result.score, 50);
  assert.is((await verifyWith(correct, true)).code, 0);
});

verify.run();
