import { chmod, mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { removeLeftovers } from '../../src/sandbox/leftovers.js';
import { processesOf } from '../../src/sandbox/processes.js';
import { captureLog } from '../helpers/capture-log.js';
import { workRoot } from '../helpers/sandbox-fixture.js';
import { runCli } from '../helpers/cli.js';
import { writeZip } from '../helpers/zip.js';

// A grading run killed with SIGKILL leaves its workspace (files of a sandbox uid) and its test
// processes; the next run's start-up sweep removes them, and nothing a live run still uses.
const leftovers = suite('leftovers');
const UID = 10300; // a range of its own: the sweep kills this range's orphaned processes
let tmp: string;
let work: string;

leftovers.before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'leftovers-'));
  await chmod(tmp, 0o711);
  // below folders only root may write: without namespaces the runner refuses a work folder under /tmp
  work = path.join(workRoot, 'leftovers');
  await mkdir(path.join(tmp, 'pits'));
  await writeFile(path.join(tmp, 'pits', 'shell-slow.json'), JSON.stringify({ language: 'shell', buildTool: 'node', testCommand: 'sh run.sh', maxTimeoutMs: 120000 }));
});
leftovers.after(async () => {
  await rm(tmp, { recursive: true, force: true });
  await rm(workRoot, { recursive: true, force: true });
});

const sleeping = async (marker: string) => (await execa('pgrep', ['-f', `sleep ${marker}`], { reject: false })).stdout;
const aMinuteAgo = () => new Date(Date.now() - 60_000);

async function plant(name: string, mtime = aMinuteAgo()): Promise<string> {
  const dir = path.join(work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'submission.zip'), Buffer.alloc(10_000, 1));
  await utimes(dir, mtime, mtime);
  return name;
}

leftovers('after kill -9 of a grading run, the sweep kills its tests and removes its workspace; a live run\'s folders stay', async () => {
  const marker = `98.${Date.now() % 1_000_000}`;
  const zip = path.join(tmp, 'slow.zip');
  // one test process daemonizes (its own session, its parent gone): the sweep must find it too
  await writeZip(zip, [{ name: 'run.sh', data: `setsid sleep ${marker}1 </dev/null >/dev/null 2>&1 &\nsleep ${marker}\n` }]);
  const child = runCli(['process', '--zip', zip, '--pit', 'shell-slow'], {
    env: { PITS_DIR: path.join(tmp, 'pits'), RUNNER_WORK_DIR: work, RUNNER_SANDBOX_UID: String(UID), RUNNER_SANDBOX_GID: String(UID) },
  });
  for (let i = 0; i < 300 && !(await sleeping(marker)); i++) await sleep(100);
  assert.ok(await sleeping(marker), 'the test is running');
  child.kill('SIGKILL');
  await child;
  // its workspace and the runner-private folder of the solution it took
  const killedFolders = (await readdir(work)).filter((name) => name.startsWith(`sub-${child.pid}-`));
  assert.ok(killedFolders.length, 'the killed run left its workspace');
  assert.ok((await processesOf(UID)).length > 0, 'and its test processes');

  const deadDownload = await plant(`dl-${child.pid}-x`);            // a download of the dead runner
  const liveWorkspace = await plant(`sub-${process.pid}-x`, new Date(Date.now() - 1000)); // a live runner's (this process, younger than it)
  const recent = await plant(`dl-${child.pid}-new`, new Date(Date.now() + 60_000)); // newer than this run
  const foreign = await plant('other');                               // not the runner's
  const { log, entries } = captureLog();
  const report = await removeLeftovers({ workDir: work, uid: UID, poolSize: 16, startedAt: new Date(), log });

  assert.equal((await readdir(work)).sort(), [foreign, liveWorkspace, recent].sort());
  assert.equal(await processesOf(UID), [], 'no test process of the killed run is left');
  assert.is(await sleeping(marker), '', 'nor the daemonized one');
  assert.is(report.removed, killedFolders.length + 1);
  assert.ok(report.bytes >= 10_000);
  assert.ok(report.killed >= 1);
  assert.is(report.kept, 2);
  const said = entries().filter((entry) => entry.step === 'leftovers');
  assert.is(said.length, 1, 'one log line');
  assert.match(String(said[0]!.msg), `removed ${report.removed} leftovers of earlier runs (${report.bytes} bytes)`);
});

leftovers('a missing work folder is nothing to sweep', async () => {
  const { log } = captureLog();
  assert.equal(await removeLeftovers({ workDir: path.join(tmp, 'nowhere'), uid: UID, poolSize: 16, log }), { removed: 0, bytes: 0, killed: 0, kept: 0 });
});

leftovers.run();
