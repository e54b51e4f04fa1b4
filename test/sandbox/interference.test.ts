import { rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isRoot, leftovers, MODES, sandboxFixture, UID, workRoot } from '../helpers/sandbox-fixture.js';

// One submission's end must never reach the next one: every sweep of a run is over before its uid
// is leased again, and a uid with a live process is never leased.
const interference = suite('sandbox interference');

for (const mode of MODES) {
  interference(`[${mode}] 50 times: a run stopped at its time limit, then a correct run on the same uid passes`, async () => {
    if (!isRoot) return;
    const { workspace, runIn, sandbox, run } = sandboxFixture({ mode, poolSize: 1 });
    for (let round = 0; round < 50; round++) {
      const dir = await workspace();
      const stopped = await runIn(dir, "trap '' TERM; (sleep 30 &); setsid sleep 30 & while :; do :; done", { timeoutMs: 30 });
      // A process of the uid started the moment the run returned stands for the next submission's:
      // no sweep of the stopped run may still be going to kill it.
      const next = spawn('setpriv', [`--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', 'sleep', '5'], { stdio: 'ignore' });
      await sleep(60);
      const killedBySweep = next.exitCode !== null || next.signalCode !== null;
      if (!killedBySweep) {
        const exited = once(next, 'exit');
        next.kill('SIGKILL');
        await exited;
      }
      await sandbox.cleanup(dir);
      assert.ok(stopped.result.timedOut, `round ${round}: ${stopped.log}`);
      assert.not.ok(killedBySweep, `round ${round}: a sweep of the stopped run outlived it`);
      const { result, log } = await run('sleep 0.03; echo correct-ran');
      assert.equal([result.exitCode, result.signal, result.memoryLimited], [0, null, false], `round ${round}: ${log}`);
      assert.match(log, 'correct-ran');
    }
    assert.equal(leftovers(), []);
  });

  interference(`[${mode}] a uid that still has a process is not leased`, async () => {
    if (!isRoot) return;
    const { workspace } = sandboxFixture({ mode, poolSize: 1 });
    const squatter = execa('setpriv', [`--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', 'sleep', '30'], { reject: false });
    try {
      while (leftovers().length === 0) await sleep(5);
      await workspace();
      assert.unreachable('leased a busy uid');
    } catch (err) {
      assert.match((err as Error).message, 'still have processes');
    } finally {
      squatter.kill('SIGKILL');
      await squatter;
    }
  });
}

interference.after(() => rm(workRoot, { recursive: true, force: true }));

interference.run();
