import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { scoreRun, type RunFacts } from '../../src/grading/score.js';
import { newHarnessKey, readVerdict, signRecord } from '../../src/grading/verdict.js';
import { sandboxFixture, workRoot } from '../helpers/sandbox-fixture.js';
import { rm } from 'node:fs/promises';

const verdict = suite('verdict');
const key = newHarnessKey();
const test = (seq: number, name: string, status: 'passed' | 'failed' = 'passed', source = 'jvm') =>
  signRecord(key, { source, seq, kind: 'test', classname: 'bank.AccountTest', name, status, timeMs: 3 });
const done = (seq: number, tests: number, source = 'jvm') => signRecord(key, { source, seq, kind: 'done', tests });
const read = (...lines: string[]) => readVerdict(Buffer.from(lines.join('')), key);
const ranOk: RunFacts = { setupFailed: false, exitCode: 1, timedOut: false, memoryLimited: false, outputLimited: false, log: '' };

verdict('signed records in order give their tests and a complete run', () => {
  const got = read(test(0, 'deposits()'), test(1, 'withdraws', 'failed'), done(2, 2));
  assert.equal(got.tests.map((t) => [t.name, t.status]), [['deposits', 'passed'], ['withdraws', 'failed']]);
  assert.ok(got.complete);
  assert.equal(got.integrity, []);
});

verdict('a record signed with another key is forged and not counted', () => {
  const other = signRecord(randomBytes(32), { source: 'jvm', seq: 1, kind: 'test', classname: 'bank.AccountTest', name: 'withdraws', status: 'passed', timeMs: 1 });
  const got = read(test(0, 'deposits'), other, done(1, 1));
  assert.is(got.tests.length, 1);
  assert.is(got.integrity[0]?.code, 'VERDICT_FORGED');
});

verdict('a signed line edited after signing is forged', () => {
  const edited = test(0, 'withdraws', 'failed').replace('"failed"', '"passed"');
  assert.is(read(edited, done(1, 1)).integrity[0]?.code, 'VERDICT_FORGED');
});

verdict('replayed, reordered or late records are forged', () => {
  assert.is(read(test(0, 'a'), test(0, 'a'), done(1, 1)).integrity[0]?.code, 'VERDICT_FORGED');
  assert.is(read(test(1, 'a'), test(0, 'b'), done(2, 2)).integrity[0]?.code, 'VERDICT_FORGED');
  assert.is(read(test(0, 'a'), done(1, 1), test(2, 'b')).integrity[0]?.code, 'VERDICT_FORGED');
  assert.is(read(test(0, 'a'), done(1, 2)).integrity[0]?.code, 'VERDICT_FORGED');
});

verdict('a source that never ends leaves the run incomplete', () => {
  assert.not.ok(read(test(0, 'a')).complete);
  assert.not.ok(read(test(0, 'a', 'passed', 'one'), done(1, 1, 'one'), test(0, 'b', 'passed', 'two')).complete);
  assert.not.ok(read().complete);
  assert.ok(read(test(0, 'a', 'passed', 'one'), test(0, 'b', 'passed', 'two'), done(1, 1, 'one'), done(1, 1, 'two')).complete);
});

verdict('every test passed without the completion record is never PASSED', () => {
  const got = read(test(0, 'deposits'));
  const scored = scoreRun({ expectedTests: ['bank.AccountTest#deposits'] }, got.tests, ranOk, { integrity: got.integrity, verdict: { complete: got.complete } });
  assert.is(scored.outcome, 'FAILED');
  assert.ok(scored.integrity.some((note) => note.code === 'HARNESS_UNFINISHED'));
});

verdict('a forged record makes the run TAMPERED with score 0', () => {
  const forged = signRecord(randomBytes(32), { source: 'jvm', seq: 1, kind: 'test', classname: 'bank.AccountTest', name: 'x', status: 'passed', timeMs: 1 });
  const got = read(test(0, 'deposits'), forged, done(1, 1));
  const scored = scoreRun({ expectedTests: ['bank.AccountTest#deposits'] }, got.tests, ranOk, { integrity: got.integrity, verdict: { complete: got.complete } });
  assert.is(scored.outcome, 'TAMPERED');
  assert.is(scored.score, 0);
});

verdict.run();

// The sandbox's half: the key is readable once on fd 7, fd 8 comes back, in every sandbox mode.
const channel = suite('verdict channel in the sandbox');
const { run } = sandboxFixture();
channel.after(() => rm(workRoot, { recursive: true, force: true }));

const HARNESS = `import hmac, hashlib, json, os
key = os.read(7, 64)
os.close(7)
def record(body):
    text = json.dumps(body, separators=(",", ":"))
    os.write(8, (hmac.new(key, text.encode(), hashlib.sha256).hexdigest() + " " + text + "\\n").encode())
record({"source": "py", "seq": 0, "kind": "test", "classname": "c", "name": "t", "status": "passed", "timeMs": 1})
record({"source": "py", "seq": 1, "kind": "done", "tests": 1})
`;

channel('a harness reads the key on fd 7 and its signed records come back from fd 8', async () => {
  const runKey = newHarnessKey();
  const { result, log } = await run('/usr/bin/python3 harness.py', { 'harness.py': HARNESS }, { harnessKey: runKey });
  assert.is(result.exitCode, 0, log);
  const got = readVerdict(result.harnessRecords!, runKey);
  assert.equal(got.integrity, []);
  assert.ok(got.complete);
  assert.equal(got.tests.map((t) => t.name), ['t']);
});

channel('the key is there once: a second reader after the harness finds nothing', async () => {
  const { result, log } = await run('head -c 32 <&7 | wc -c; head -c 32 <&7 | wc -c', {}, { harnessKey: newHarnessKey() });
  assert.match(log, /^32\n0$/m, log);
  assert.ok(result.harnessRecords!.length === 0);
});

channel('a run without a key has neither descriptor', async () => {
  const { log } = await run('ls /proc/self/fd', {}, {});
  assert.not.match(log, /^[78]$/m);
});

channel.run();
