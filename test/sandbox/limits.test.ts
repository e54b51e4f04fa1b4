import { rm } from 'node:fs/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CappedLog } from '../../src/grading/capped-log.js';
import { leftovers, limits, sandboxFixture, workRoot } from '../helpers/sandbox-fixture.js';

const limitsSuite = suite('sandbox limits');
const { run, assertHealthy } = sandboxFixture();
const second = 1_000;

limitsSuite('an endless loop that ignores SIGTERM is killed at the timeout, nothing left', async () => {
  const { result, log } = await run("trap '' TERM; while :; do :; done", {}, { timeoutMs: 1_500 });
  assert.ok(result.timedOut);
  assert.ok(result.durationMs < 1_500 + 5 * second, `${result.durationMs} ms`);
  assert.match(log, 'pit-runner: time limit reached');
  await assertHealthy();
});

limitsSuite('a loop that keeps forking children is killed as a whole tree', async () => {
  const { result } = await run('while :; do sleep 30 & sleep 0.1; done', {}, { timeoutMs: 1_500 });
  assert.ok(result.timedOut);
  await assertHealthy();
});

limitsSuite('a setsid daemon does not outlive a test that times out', async () => {
  const { result } = await run("setsid sh -c 'trap \"\" TERM HUP; sleep 300' & sleep 300", {}, { timeoutMs: 1_000 });
  assert.ok(result.timedOut);
  await assertHealthy();
});

limitsSuite('a double-forked daemon does not outlive a test that passes', async () => {
  const { result } = await run("(setsid sh -c 'sleep 300 </dev/null >/dev/null 2>&1 &' &); echo done");
  assert.is(result.exitCode, 0);
  assert.equal(await leftovers(), []);
  await assertHealthy();
});

limitsSuite('a fork bomb is contained by the process limit and killed', async () => {
  const { result } = await run('bomb() { bomb | bomb & }; bomb; sleep 30', {}, { timeoutMs: 2_000, limits: { ...limits, processes: 64 } });
  assert.ok(result.timedOut || result.exitCode !== 0);
  await assertHealthy();
});

limitsSuite('a Python memory hog hits the memory bound (MEMORY_LIMIT)', async () => {
  const hog = 'chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))\n';
  const { result, log } = await run('python3 hog.py', { 'hog.py': hog }, { limits: { ...limits, memoryMb: 128 } });
  assert.ok(result.memoryLimited, log);
  await assertHealthy();
});

limitsSuite('a Java memory hog exits on OutOfMemoryError through -Xmx (MEMORY_LIMIT)', async () => {
  const hog = 'import java.util.*; public class Hog { public static void main(String[] a) { List<long[]> l = new ArrayList<>(); while (true) l.add(new long[1 << 20]); } }';
  const { result, log } = await run('java Hog.java', { 'Hog.java': hog }, { limits: { ...limits, memoryMb: 96 } });
  assert.ok(result.memoryLimited, log);
  assert.match(log, 'OutOfMemoryError');
  await assertHealthy();
});

limitsSuite('writing a 5 GB file stops at the file-size limit (disk limited)', async () => {
  const { result, log } = await run('head -c 5G /dev/zero > big', {}, { limits: { ...limits, fileSizeMb: 10 } });
  assert.ok(result.diskLimited, log);
  assert.not.ok(result.timedOut);
  await assertHealthy();
});

limitsSuite('many files below the file-size limit hit the workspace bound', async () => {
  const fixture = sandboxFixture({ workspaceMaxBytes: 40 * 1024 * 1024 });
  const writer = 'i=0; while :; do i=$((i+1)); head -c 8M /dev/zero > f$i; sleep 0.05; done';
  const { result, log } = await fixture.run(writer, {}, { limits: { ...limits, fileSizeMb: 10 } });
  assert.ok(result.diskLimited, log);
  assert.match(log, 'disk limit reached');
  await fixture.assertHealthy();
});

limitsSuite('20 MB of output: log capped with head and tail, runner memory bounded', async () => {
  const before = process.memoryUsage().rss;
  const output = new CappedLog(64 * 1024);
  const { result, log } = await run('echo FIRST-LINE; yes 0123456789abcdef | head -c 20000000; echo; echo LAST-LINE', {}, { output });
  assert.is(result.exitCode, 0);
  assert.ok(output.truncated);
  assert.ok(output.bytes > 20_000_000);
  assert.ok(log.length < 66 * 1024);
  assert.match(log, 'FIRST-LINE');
  assert.match(log, 'LAST-LINE');
  assert.match(log, /bytes cut/);
  const grownMb = (process.memoryUsage().rss - before) / 1024 / 1024;
  assert.ok(grownMb < 64, `runner RSS grew by ${grownMb.toFixed(1)} MB`);
});

limitsSuite('100 MB of output past the output bound kills the run (OUTPUT_LIMIT)', async () => {
  const before = process.memoryUsage().rss;
  const { result, output } = await run('yes 0123456789abcdef | head -c 100000000; sleep 30', {}, { maxOutputBytes: 10_000_000 });
  assert.ok(result.outputLimited);
  assert.not.ok(result.timedOut);
  assert.ok(output.bytes < 11_000_000, String(output.bytes));
  const grownMb = (process.memoryUsage().rss - before) / 1024 / 1024;
  assert.ok(grownMb < 64, `runner RSS grew by ${grownMb.toFixed(1)} MB`);
  await assertHealthy();
});

limitsSuite.after(() => rm(workRoot, { recursive: true, force: true }));

limitsSuite.run();
