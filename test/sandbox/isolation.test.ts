import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { clearKeysOf, ipcObjectsOf } from '../../src/sandbox/ipc.js';
import { isRoot, leftovers, limits, MODES, sandboxFixture, UID, workRoot } from '../helpers/sandbox-fixture.js';

// What one submission leaves or reaches must not touch the host or the next submission, in both
// modes (uid: the Fargate path, forced with RUNNER_SANDBOX_MODE=uid).
const isolation = suite('sandbox isolation');
const SECRET = `isolation-secret-${process.pid}`;
const hidden = path.resolve(`.sandbox-test-pit-${process.pid}`);

// Before any sandbox exists: uid mode closes the folders it must hide when it starts.
mkdirSync(hidden, { recursive: true, mode: 0o755 });
writeFileSync(path.join(hidden, 'HiddenTest.java'), `// ${SECRET}`, { mode: 0o644 });
isolation.after(async () => {
  await rm(hidden, { recursive: true, force: true });
  await rm(workRoot, { recursive: true, force: true });
});

/** Nothing of the uid is left: no process and no System V IPC object. */
const assertNothingLeft = () => {
  assert.equal(leftovers(), []);
  assert.equal(ipcObjectsOf(UID), []);
};

for (const mode of MODES) {
  const { run, assertHealthy } = sandboxFixture({ mode, poolSize: 1, hide: [hidden] });

  isolation(`[${mode}] IPC objects and keys of one submission are gone for the next on the same uid`, async () => {
    if (!isRoot) return;
    // The system-call filter refuses these outright where it runs; the sweep is the second line.
    const plant = `ipcmk -M 1048576; ipcmk -Q; ipcmk -S 1; keyctl add user pit-note ${SECRET} @u; keyctl add user pit-note2 ${SECRET} @us; echo planted`;
    const first = await run(plant);
    assert.match(first.log, 'planted');
    assertNothingLeft();
    const { log } = await run('ipcs; keyctl search @u user pit-note; keyctl search @us user pit-note2; keyctl show @u; echo looked');
    assert.match(log, 'looked');
    assert.not.match(log, new RegExp(`0x[0-9a-f]+\\s+\\d+\\s+${UID}`), log);
    assert.not.match(log, 'pit-note');
  });

  isolation(`[${mode}] no user namespace can be created inside the sandbox`, async () => {
    if (!isRoot) return;
    const { log } = await run('unshare --user true && echo NESTED-USERNS; unshare --map-root-user true && echo NESTED-ROOT; echo tried');
    assert.match(log, 'tried');
    assert.not.match(log, 'NESTED');
  });

  isolation(`[${mode}] a PIT folder is unreadable, the checkout is not writable`, async () => {
    if (!isRoot) return;
    const { log } = await run(`cat ${hidden}/HiddenTest.java; ls ${hidden} && echo LISTED; touch ${process.cwd()}/planted-${process.pid} && echo WROTE`);
    assert.not.match(log, SECRET);
    assert.not.match(log, 'LISTED');
    assert.not.match(log, 'WROTE');
  });

  isolation(`[${mode}] a file left in /run/lock or /tmp does not survive, nor reach the next submission`, async () => {
    if (!isRoot) return;
    const names = ['/run/lock', '/tmp', '/var/tmp', '/dev/shm'].map((dir) => `${dir}/left-${process.pid}`);
    await run(names.map((file) => `echo ${SECRET} > ${file}`).join('; '));
    for (const file of names) assert.not.ok(existsSync(file), `${file} survived`);
    const { log } = await run(names.map((file) => `cat ${file}`).join('; '));
    assert.not.match(log, SECRET);
  });

  isolation(`[${mode}] memory split across four processes is stopped as a whole (MEMORY_LIMIT)`, async () => {
    if (!isRoot) return;
    // memoryMb 32: 176 MB each is below the per-process bound, four together pass the submission's (576 MB)
    const hog = 'import time\nb = bytearray(176 * 1024 * 1024)\ntime.sleep(20)\n';
    const { result, log } = await run('for i in 1 2 3 4; do python3 hog.py & done; wait', { 'hog.py': hog }, { limits: { ...limits, memoryMb: 32 }, timeoutMs: 15_000 });
    assert.ok(result.memoryLimited, log);
    assert.not.ok(result.timedOut, log);
    assert.match(log, /processes held \d+ MB together/);
    assertNothingLeft();
  });

  isolation(`[${mode}] preallocating 2 GB against a 40 MB workspace is stopped (disk limited)`, async () => {
    if (!isRoot) return;
    const small = sandboxFixture({ mode, poolSize: 1, workspaceMaxBytes: 40 * 1024 * 1024 });
    // keep-size preallocation is not bound by RLIMIT_FSIZE: only the workspace's bound stops it
    const { result, log } = await small.run(': > big; fallocate -n -l 2G big || exit 1; echo allocated; sleep 5; exit 1', {}, { timeoutMs: 8_000 });
    assert.ok(result.diskLimited, log);
    assert.not.ok(result.timedOut, log);
    if (mode === 'namespaces') assert.not.match(log, 'allocated', 'a filesystem of its own refuses it outright');
  });

  isolation(`[${mode}] a bare SIGKILL is not read as memory exhaustion`, async () => {
    if (!isRoot) return;
    const { result } = await run('kill -KILL $$');
    assert.not.ok(result.memoryLimited);
  });

  isolation(`[${mode}] two submissions at once: a hostile one does not disturb a correct one`, async () => {
    if (!isRoot) return;
    const both = sandboxFixture({ mode, poolSize: 2 });
    const hostile = "kill -KILL -1; ipcmk -M 1000000; (while :; do sleep 1 & done) & head -c 30M /dev/zero > /tmp/fill-$$; trap '' TERM; while :; do :; done";
    const [bad, good] = await Promise.all([
      both.run(hostile, {}, { timeoutMs: 1_500, limits: { ...limits, processes: 64 } }),
      both.run('sleep 1; echo correct-ran'),
    ]);
    assert.ok(bad.result.timedOut || bad.result.exitCode !== 0);
    assert.equal([good.result.exitCode, good.result.signal, good.result.memoryLimited], [0, null, false], good.log);
    assert.match(good.log, 'correct-ran');
    assert.equal(leftovers(), []);
    await assertHealthy();
  });
}

isolation('[uid] keys a uid leaves in its user and persistent keyrings are cleared (Fargate: no user namespace holds them)', async () => {
  if (!isRoot) return;
  const asUid = (script: string) => execa('setpriv', [`--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', '--', 'keyctl', 'session', '-', 'sh', '-c', script], { reject: false });
  const planted = await asUid(`keyctl add user pit-u ${SECRET} @u && keyctl add user pit-us ${SECRET} @us && keyctl add user pit-p ${SECRET} $(keyctl get_persistent @s) && echo planted`);
  assert.match(planted.stdout, 'planted', planted.stderr);
  await clearKeysOf(UID, UID);
  const { stdout } = await asUid('keyctl search @u user pit-u; keyctl search @us user pit-us; keyctl search $(keyctl get_persistent @s) user pit-p; echo searched');
  assert.match(stdout, 'searched');
  assert.not.match(stdout, /^\d+$/m, 'a key was found');
});

isolation('[namespaces] the view of the filesystem is an allow-list: no host socket, home, checkout or data', async () => {
  if (!isRoot) return;
  const socketDir = await mkdtemp(path.join(os.tmpdir(), 'host-socket-'));
  const socket = path.join(socketDir, 'runner.sock');
  const server = net.createServer((peer) => peer.end('HELLO-FROM-HOST\n'));
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  await import('node:fs/promises').then((fs) => Promise.all([fs.chmod(socket, 0o777), fs.chmod(socketDir, 0o755)]));
  const { run } = sandboxFixture({ mode: 'namespaces' });
  try {
    const client = `require('net').connect(${JSON.stringify(socket)}).on('data', (d) => console.log(String(d))).on('error', (e) => console.log('ERR', e.code))`;
    const { log } = await run(`ls /; ls ${os.homedir()} && echo SEEN-HOME; ls -a ${process.cwd()}; node client.js`, { 'client.js': client });
    assert.not.match(log, 'HELLO-FROM-HOST');
    assert.not.match(log, 'SEEN-HOME');
    assert.not.match(log, 'package.json', 'the checkout holding the work folder shows only the way to the workspace');
    assert.match(log, 'ERR');
    const top = log.split('\n').filter((line) => /^[a-z0-9]+$/.test(line));
    for (const name of ['root', 'home', 'srv', 'boot', 'sys']) assert.not.ok(top.includes(name), `/${name} is visible: ${top}`);
  } finally {
    server.close();
    await rm(socketDir, { recursive: true, force: true });
  }
});

isolation('[uid] refuses a work folder below one the sandbox uids may write (/tmp)', async () => {
  if (!isRoot) return;
  const open = await mkdtemp(path.join(os.tmpdir(), 'open-work-'));
  const { sandbox } = sandboxFixture({ mode: 'uid' });
  try {
    await sandbox.prepare(open);
    assert.unreachable('accepted a work folder under /tmp');
  } catch (err) {
    assert.match((err as Error).message, 'RUNNER_WORK_DIR');
  } finally {
    await rm(open, { recursive: true, force: true });
  }
});

isolation.run();
