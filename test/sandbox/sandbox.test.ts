import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RunnerError } from '../../src/errors.js';
import { isRoot, leftovers, sandboxFixture, UID, workRoot } from '../helpers/sandbox-fixture.js';

const sandbox = suite('sandbox');
const SECRET = `planted-secret-${process.pid}`;
const pitDir = path.join(os.tmpdir(), `pit-runner-sandbox-pit-${process.pid}`);
const { run, workspace, runIn, assertHealthy, sandbox: box } = sandboxFixture({ hide: [pitDir] });

sandbox.before(async () => {
  Object.assign(process.env, {
    PIT_RUNNER_TEST_SECRET: SECRET,
    DATABASE_URL: `postgres://runner:${SECRET}@db/pit`,
    AWS_SECRET_ACCESS_KEY: SECRET,
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: `/v2/credentials/${SECRET}`,
  });
  await mkdir(pitDir, { recursive: true });
  await writeFile(path.join(pitDir, 'HiddenTest.java'), `// reference ${SECRET}`);
});

sandbox.after(async () => {
  for (const name of ['PIT_RUNNER_TEST_SECRET', 'DATABASE_URL', 'AWS_SECRET_ACCESS_KEY', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) delete process.env[name];
  await rm(pitDir, { recursive: true, force: true });
  await rm(workRoot, { recursive: true, force: true });
});

sandbox('runs an argument vector, not a shell, in the workspace', async () => {
  const { result, log } = await run("printf %s:%s 'a b' '$HOME;'", {}, { shell: false });
  assert.is(result.exitCode, 0, log);
  assert.match(log, 'a b:$HOME;');
});

sandbox('refuses shell syntax without "shell": true', async () => {
  const dir = await workspace();
  try {
    await runIn(dir, 'mvn test && rm -rf /', { shell: false });
    assert.unreachable('should refuse');
  } catch (err) {
    assert.is((err as RunnerError).code, 'INVALID_PIT');
  } finally {
    await box.cleanup(dir);
  }
});

sandbox('tests run as the sandbox uid when the runner is root', async () => {
  const { log } = await run('id -u; id -G');
  assert.ok(box.isolated === isRoot);
  if (isRoot) assert.match(log, new RegExp(`^${UID}\\n${UID}$`, 'm'));
});

sandbox('the environment is the allow-list plus the PIT variables', async () => {
  const { log } = await run('env', {}, { env: { PIT_VAR: 'from-pit' } });
  const names = log.split('\n').filter((line) => /^[A-Z_]+=/.test(line)).map((line) => line.split('=')[0]).sort();
  assert.equal(names.filter((name) => !['PWD', 'OLDPWD', 'SHLVL', '_'].includes(name!)), [
    'CI', 'HOME', 'JAVA_TOOL_OPTIONS', 'LANG', 'LC_ALL', 'NODE_OPTIONS', 'PATH', 'PIT_VAR', 'TMPDIR', 'TZ',
    ...(process.env.JAVA_HOME ? ['JAVA_HOME'] : []),
  ].sort());
});

sandbox('a planted secret is not in the environment, /proc/1/environ or the runner\'s /proc environ', async () => {
  const reader = `env; cat /proc/1/environ; cat /proc/${process.pid}/environ; cat /proc/$PPID/environ; tr '\\0' '\\n' < /proc/self/environ`;
  const { log } = await run(reader);
  assert.not.match(log, SECRET);
  assert.not.match(log, 'AWS_');
  assert.not.match(log, 'DATABASE_URL');
});

sandbox('cannot write outside the workspace: /tmp, the runner\'s folders, a PIT folder', async () => {
  if (!isRoot) return;
  const name = `escape-${process.pid}`;
  const targets = [os.tmpdir(), '/var/tmp', '/dev/shm', process.cwd(), pitDir, workRoot].map((dir) => path.join(dir, name));
  const { log } = await run(targets.map((file) => `echo x > ${file}`).join('; ') + '; echo inside > mine && echo wrote-inside');
  assert.match(log, 'wrote-inside');
  for (const file of targets) assert.not.ok(existsSync(file), `${file} was written`);
});

sandbox('cannot read a PIT folder, nor list other workspaces', async () => {
  if (!isRoot) return;
  const other = await workspace();
  try {
    const { log } = await run(`cat ${pitDir}/HiddenTest.java; ls ${pitDir}; ls ${workRoot}`);
    assert.not.match(log, SECRET);
    assert.not.match(log, path.basename(other));
  } finally {
    await box.cleanup(other);
  }
});

sandbox('with network off, TCP to a local port and to the ECS credentials address fails fast', async () => {
  const server = net.createServer((socket) => socket.end('HELLO-FROM-RUNNER\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const client = `for (const [host, port] of [['127.0.0.1', ${port}], ['169.254.170.2', 80]]) {
    const s = require('net').connect({ host, port, timeout: 20000 });
    s.on('data', (d) => console.log(host, 'GOT', String(d).trim()));
    s.on('error', (e) => console.log(host, 'ERR', e.code));
    s.on('timeout', () => { console.log(host, 'HANG'); s.destroy(); });
  }`;
  try {
    const { result, log } = await run('node client.js', { 'client.js': client }, { timeoutMs: 8_000 });
    if (!isRoot) return;
    assert.not.ok(result.timedOut, log);
    assert.not.match(log, 'HELLO-FROM-RUNNER');
    assert.not.match(log, 'HANG');
    assert.match(log, /127\.0\.0\.1 ERR/);
    assert.match(log, /169\.254\.170\.2 ERR/);
  } finally {
    server.close();
  }
});

sandbox('a PIT with network: true reaches a local server', async () => {
  if (!isRoot) return;
  const server = net.createServer((socket) => socket.end('HELLO-FROM-RUNNER\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const client = `require('net').connect(${port}, '127.0.0.1').on('data', (d) => console.log(String(d)))`;
  try {
    const { log } = await run('node client.js', { 'client.js': client }, { network: true });
    assert.match(log, 'HELLO-FROM-RUNNER');
  } finally {
    server.close();
  }
});

sandbox('aborting the signal kills the whole tree and throws STOPPED', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 500);
  try {
    await run("trap '' TERM; setsid sleep 300 & while :; do :; done", {}, { signal: controller.signal, timeoutMs: 30_000 });
    assert.unreachable('should throw');
  } catch (err) {
    assert.is((err as RunnerError).code, 'STOPPED');
  }
  assert.equal(await leftovers(), []);
  await assertHealthy();
});

sandbox('cleanup deletes the workspace with what the tests left in it', async () => {
  const dir = await workspace();
  await runIn(dir, 'mkdir -p deep/er && touch deep/er/f && chmod 000 deep/er deep');
  await box.cleanup(dir);
  assert.not.ok(existsSync(dir));
});

sandbox.run();
