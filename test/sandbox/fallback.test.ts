import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isRoot, leftovers, sandboxFixture, workRoot } from '../helpers/sandbox-fixture.js';

// The Fargate path: root without CAP_SYS_ADMIN, so no namespaces; a separate uid and a uid sweep.
const fallback = suite('sandbox without namespaces');
const { run, assertHealthy } = sandboxFixture({ mode: 'uid' });
const SECRET = `fallback-secret-${process.pid}`;

fallback('a setsid daemon that ignores SIGTERM is swept when the test times out', async () => {
  if (!isRoot) return;
  const { result } = await run("setsid sh -c 'trap \"\" TERM HUP; sleep 300' & trap '' TERM; while :; do :; done", {}, { timeoutMs: 1_000 });
  assert.ok(result.timedOut);
  assert.equal(await leftovers(), []);
  await assertHealthy();
});

fallback('the runner\'s environment stays unreadable through /proc', async () => {
  if (!isRoot) return;
  process.env.PIT_RUNNER_FALLBACK_SECRET = SECRET;
  try {
    const { log } = await run(`env; cat /proc/1/environ; cat /proc/${process.pid}/environ; cat /proc/$PPID/environ`);
    assert.not.match(log, SECRET);
  } finally {
    delete process.env.PIT_RUNNER_FALLBACK_SECRET;
  }
});

fallback('files left in /tmp by the sandbox uid are removed by cleanup', async () => {
  if (!isRoot) return;
  const file = `/tmp/left-by-test-${process.pid}`;
  await run(`echo x > ${file}`);
  assert.not.ok(existsSync(file));
});

fallback.after(() => rm(workRoot, { recursive: true, force: true }));

fallback.run();
