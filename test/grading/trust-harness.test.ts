import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.js';
import type { GradeResult } from '../../src/grading/types.js';
import { silentLogger } from '../../src/log.js';
import { repoRoot } from '../helpers/cli.js';
import { gradeById } from '../helpers/grade.js';
import { writeZip, type ZipEntrySpec } from '../helpers/zip.js';
import { workRoot } from '../helpers/sandbox-fixture.js';

// The runtime harnesses of pytest and node against a student who read them: each attack starts from the
// sample's wrong solution (honest scores below) and may end at or below that score, or TAMPERED.
// RUNNER_SANDBOX_MODE=uid runs them on the Fargate path.
const harness = suite('trust harness');
const HONEST = { node: 20, pytest: 40 };
const PIT = { node: 'javascript-node-roman-v1', pytest: 'python-pytest-wordstats-v1' };
type Tool = keyof typeof PIT;
let tmp: string;
const config = (pitsDir = path.join(repoRoot, 'pits')) =>
  loadConfig({ PITS_DIR: pitsDir, RUNNER_WORK_DIR: path.join(workRoot, 'harness'), RUNNER_SANDBOX_MODE: process.env.RUNNER_SANDBOX_MODE ?? 'auto' });

harness.before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'trust-harness-'));
  await chmod(tmp, 0o711);
});
harness.after(async () => { await rm(tmp, { recursive: true, force: true }); });

const wrong = (tool: Tool, file: string) => readFile(path.join(repoRoot, 'examples', PIT[tool], 'wrong', file), 'utf8');

async function grade(pitId: string, entries: ZipEntrySpec[], pitsDir?: string) {
  const zip = path.join(tmp, `${pitId}-${Math.random().toString(36).slice(2)}.zip`);
  await writeZip(zip, entries);
  const graded = await gradeById({ zipFile: zip }, pitId, { config: config(pitsDir), log: silentLogger });
  return { ...graded, text: graded.log.toString() };
}
const attack = async (tool: Tool, prefix: string) => {
  const file = tool === 'node' ? 'roman.mjs' : 'wordstats.py';
  return grade(PIT[tool], [{ name: file, data: `${prefix}\n${await wrong(tool, file)}` }]);
};

function noGain(tool: Tool, result: GradeResult, log: string) {
  assert.ok(result.outcome === 'TAMPERED' || result.score <= HONEST[tool], `${tool}: ${result.outcome} ${result.score}\n${log.slice(-3000)}`);
  if (result.outcome === 'TAMPERED') assert.is(result.score, 0);
}
const codes = (result: GradeResult) => (result.integrity ?? []).map((n) => n.code);

// ---- pytest -----------------------------------------------------------------------------------

harness('pytest: no frame through inspect, and a plugin registered through pytest\'s config is TAMPERED', async () => {
  const { result, text } = await attack('pytest', `import inspect, sys
try:
    inspect.currentframe().f_back
    raise SystemExit("frames were reachable")
except PermissionError:
    pass
class Flip:
    def pytest_runtest_logreport(self, report):
        report.outcome = "passed"
for finder in sys.meta_path:
    if getattr(finder, "config", None) is not None:
        finder.config.pluginmanager.register(Flip(), "flip")`);
  noGain('pytest', result, text);
  assert.equal([result.outcome, codes(result)], ['TAMPERED', ['HARNESS_REFUSED']], text);
});

harness('pytest: a payload thread that writes a report and calls os._exit is refused; os._exit alone leaves no verdict', async () => {
  const report = `<testsuites><testsuite name="pytest">${['test_counts_words_separated_by_any_whitespace', 'test_counts_no_words_in_blank_text', 'test_most_common_ignores_case', 'test_most_common_breaks_ties_alphabetically', 'test_longest_word_keeps_the_first_of_equal_length'].map((n) => `<testcase classname="tests.test_wordstats" name="${n}"/>`).join('')}</testsuite></testsuites>`;
  const payload = `import os, threading, _thread
def payload():
    os.makedirs("test-reports", exist_ok=True)
    with open("test-reports/junit.xml", "w") as report:
        report.write(${JSON.stringify(report)})
    os._exit(1)
for start in (lambda: threading.Thread(target=payload).start(), lambda: _thread.start_new_thread(payload, ())):
    try:
        start()
        raise SystemExit("a thread started")
    except PermissionError:
        pass`;
  const threads = await attack('pytest', payload);
  noGain('pytest', threads.result, threads.text);
  assert.equal([threads.result.outcome, threads.result.score], ['FAILED', HONEST.pytest], threads.text);
  const exited = await attack('pytest', `${payload.split('for start')[0]}payload()`);
  assert.equal([exited.result.outcome, exited.result.score], ['COMPILE_ERROR', 0], exited.text);
});

harness('pytest: the harness\'s state cannot be reached or emptied through sys.modules', async () => {
  const { result, text } = await attack('pytest', `import sys
harness = sys.modules["pit_runner_pytest"]
try:
    state = harness.pytest_runtest_logreport.__kwdefaults__["S"]
    state["status_of"] = lambda phases: ("passed", "", 0)
except PermissionError:
    pass
harness.compare = lambda left, right, operator: True
for name in [name for name in vars(harness) if name.startswith("_")]:
    delattr(harness, name)`);
  noGain('pytest', result, text);
});

harness('pytest: an object whose __eq__ always says yes passes no assert', async () => {
  const { result, text } = await grade(PIT.pytest, [{ name: 'wordstats.py', data: `class Always(str):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = str.__hash__
def word_count(text):
    return Always()
def most_common(text):
    return Always()
def longest_word(text):
    return Always()
` }]);
  assert.equal([result.outcome, result.score], ['FAILED', 0], text);
});

harness('pytest: a PIT whose command names its test file, unittest style, grades its reference 100 and its stub below 100', async () => {
  const pits = path.join(tmp, 'pits');
  await mkdir(path.join(pits, 'py-named'), { recursive: true });
  await writeFile(path.join(pits, 'py-named.json'), JSON.stringify({
    language: 'python', buildTool: 'pytest', shell: true, maxTimeoutMs: 30000, requiredFiles: ['two_fer.py'],
    testCommand: '/usr/bin/python3 -I -m pytest -q -p no:cacheprovider --junitxml=test-reports/junit.xml two_fer_test.py -k "name"',
  }));
  await writeFile(path.join(pits, 'py-named', 'two_fer_test.py'), `import unittest
from two_fer import two_fer

class TwoFerTest(unittest.TestCase):
    def test_no_name_given(self):
        self.assertEqual(two_fer(), "One for you, one for me.")

    def test_a_name_given(self):
        self.assertEqual(two_fer("Alice"), "One for Alice, one for me.")
`);
  const reference = await grade('py-named', [{ name: 'two_fer.py', data: 'def two_fer(name="you"):\n    return f"One for {name}, one for me."\n' }], pits);
  assert.equal([reference.result.outcome, reference.result.score, reference.result.summary.total], ['PASSED', 100, 2], reference.text);
  const liar = await grade('py-named', [{ name: 'two_fer.py', data: 'class Yes(str):\n    def __eq__(self, other):\n        return True\n    __hash__ = str.__hash__\ndef two_fer(name="you"):\n    return Yes("")\n' }], pits);
  assert.equal([liar.result.outcome, liar.result.score], ['FAILED', 0], liar.text);
});

harness('pytest without -I: a solution file that shadows a module pytest imports at start cannot take the key first', async () => {
  const pits = path.join(tmp, 'pits-bare');
  await mkdir(path.join(pits, 'py-bare'), { recursive: true });
  await writeFile(path.join(pits, 'py-bare.json'), JSON.stringify({
    language: 'python', buildTool: 'pytest', shell: true, maxTimeoutMs: 30000, requiredFiles: ['two_fer.py'],
    testCommand: '/usr/bin/python3 -m pytest -q -p no:cacheprovider two_fer_test.py',
  }));
  await writeFile(path.join(pits, 'py-bare', 'two_fer_test.py'), 'from two_fer import two_fer\n\ndef test_two_fer():\n    assert two_fer("Alice") == "One for Alice, one for me."\n');
  // argparse is imported by pytest before any plugin: with the working folder first on the path, this would run instead
  const forger = `import hashlib, hmac, json, os
key = os.read(7, 32)
def record(body):
    text = json.dumps(body, separators=(",", ":"))
    os.write(8, (hmac.new(key, text.encode(), hashlib.sha256).hexdigest() + " " + text + "\\n").encode())
record({"source": "f", "seq": 0, "kind": "test", "classname": "two_fer_test", "name": "test_two_fer", "status": "passed", "timeMs": 1})
record({"source": "f", "seq": 1, "kind": "test", "classname": "pit_runner", "name": "sentinel", "status": "failed", "timeMs": 1, "message": "pit-runner sentinel " + hmac.new(key, b"pit-runner sentinel", hashlib.sha256).hexdigest()[:24]})
record({"source": "f", "seq": 2, "kind": "done", "tests": 2})
os._exit(1)
`;
  const { result, text } = await grade('py-bare', [{ name: 'two_fer.py', data: 'def two_fer(name="you"):\n    return "nope"\n' }, { name: 'argparse.py', data: forger }], pits);
  assert.equal([result.outcome, result.score], ['FAILED', 0], text);
});

harness('pytest: an endless test fails alone under the per-test limit; pytest-timeout\'s stack dump is not a refusal', async () => {
  const pits = path.join(tmp, 'pits-loop');
  await mkdir(path.join(pits, 'py-loop'), { recursive: true });
  await writeFile(path.join(pits, 'py-loop.json'), JSON.stringify({
    language: 'python', buildTool: 'pytest', shell: true, maxTimeoutMs: 30000, testTimeoutMs: 1000, requiredFiles: ['loop.py'],
    testCommand: '/usr/bin/python3 -I -B -m pytest -q -p no:cacheprovider loop_test.py',
  }));
  await writeFile(path.join(pits, 'py-loop', 'loop_test.py'), 'from loop import endless, two\n\ndef test_endless():\n    assert endless() == 1\n\ndef test_two():\n    assert two() == 2\n');
  const { result, text } = await grade('py-loop', [{ name: 'loop.py', data: 'def endless():\n    while True:\n        pass\n\ndef two():\n    return 2\n' }], pits);
  assert.equal([result.outcome, result.score, result.integrity ?? []], ['FAILED', 50, []], text);
});

// ---- node -------------------------------------------------------------------------------------

const ROMAN = ['writes 1994 as MCMXCIV', 'writes 4 and 9 by subtraction', 'reads MMXXIV as 2024', 'reads back every number it writes', 'refuses numbers outside 1..3999'];

harness('node: v8-framed test:pass events written on fd 1 change nothing', async () => {
  const { result, text } = await attack('node', `import { writeSync } from 'node:fs';
import { serialize } from 'node:v8';
const frame = (type, data) => {
  const body = serialize({ type, data });
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([body.subarray(0, 2), length, body]);
};
for (const [index, name] of ${JSON.stringify(ROMAN)}.entries()) {
  writeSync(1, frame('test:pass', { name, nesting: 1, testNumber: index + 1, details: { duration_ms: 1 } }));
}
writeSync(1, frame('test:pass', { name: 'roman', nesting: 0, testNumber: 1, details: { duration_ms: 1, type: 'suite' } }));`);
  noGain('node', result, text);
  assert.equal([result.outcome, result.score], ['FAILED', HONEST.node], text);
});

harness('node: a replaced stdout._write that turns every test:fail into test:pass changes nothing', async () => {
  const { result, text } = await attack('node', `const write = process.stdout._write;
process.stdout._write = function (chunk, encoding, callback) {
  const bytes = Buffer.from(chunk);
  for (let at = bytes.indexOf('test:fail'); at >= 0; at = bytes.indexOf('test:fail', at)) bytes.write('test:pass', at);
  return write.call(this, bytes, encoding, callback);
};`);
  noGain('node', result, text);
  assert.equal([result.outcome, result.score], ['FAILED', HONEST.node], text);
});

harness('node: the harness file holds no secret, and a report replaced at exit is not read', async () => {
  const report = `<testsuites><testsuite name="roman">${ROMAN.map((n) => `<testcase classname="test" name="${n}"/>`).join('')}</testsuite><testcase classname="test" name="pit sentinel"><failure message="x"/></testcase></testsuites>`;
  const { result, text } = await attack('node', `import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
const options = process.env.NODE_OPTIONS ?? '';
const preload = /--require="([^"]+)"/.exec(options)?.[1];
console.log('PRELOAD-READ', preload ? readFileSync(preload, 'utf8').length > 0 : 'none');
process.on('exit', () => {
  try { unlinkSync('test-reports/junit.xml'); } catch {}
  writeFileSync('test-reports/forged.xml', ${JSON.stringify(report)});
  try { renameSync('test-reports/forged.xml', 'test-reports/junit.xml'); } catch {}
});`);
  noGain('node', result, text);
  assert.equal([result.outcome, result.score], ['FAILED', HONEST.node], text);
});

harness('node: records written on the verdict channel without the key are TAMPERED', async () => {
  const { result, text } = await attack('node', `import { writeSync } from 'node:fs';
for (const fd of [4, 8]) {
  try { writeSync(fd, '${'0'.repeat(64)} {"source":"forged","seq":0,"kind":"done","tests":0}\\n'); } catch {}
}`);
  noGain('node', result, text);
  assert.equal([result.outcome, codes(result)], ['TAMPERED', ['VERDICT_FORGED']], text);
});

harness('node: tests the solution declares under the instructor\'s names are TAMPERED', async () => {
  const { result, text } = await attack('node', `import { describe, test } from 'node:test';
describe('roman', () => { for (const name of ${JSON.stringify(ROMAN)}) test(name, () => {}); });`);
  noGain('node', result, text);
  assert.equal([result.outcome, codes(result)], ['TAMPERED', ['HARNESS_REFUSED']], text);
});

harness('node: no /proc, inspector, worker, child process or native addon for the solution', async () => {
  const { result, text } = await attack('node', `import { readFileSync } from 'node:fs';
const attempts = {
  proc: () => readFileSync('/proc/self/maps'),
  inspector: async () => { const { Session } = await import('node:inspector'); new Session().connect(); },
  worker: async () => { const { Worker } = await import('node:worker_threads'); new Worker('1', { eval: true }); },
  child: async () => { const { execFileSync } = await import('node:child_process'); execFileSync('/bin/true'); },
  addon: () => process.dlopen({ exports: {} }, '/tmp/x.node'),
};
for (const [name, attempt] of Object.entries(attempts)) {
  try { await attempt(); console.log('ALLOWED', name); } catch (err) { console.log('DENIED', name, err.code); }
}`);
  noGain('node', result, text);
  assert.equal([result.outcome, result.score], ['FAILED', HONEST.node], text);
  assert.not.match(text, 'ALLOWED');
  for (const name of ['proc', 'inspector', 'worker', 'child', 'addon']) assert.match(text, `DENIED ${name}`);
});

harness.run();
