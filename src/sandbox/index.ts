import { realpath } from 'node:fs/promises';
import os from 'node:os';
import { execa } from 'execa';
import { RunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Sandbox, SandboxOptions } from './types.js';
import { handOver, removeFilesOf, removeTree } from './disk.js';
import { killAllOf } from './processes.js';
import { runCommand } from './run.js';
import { isInside } from '../paths.js';
import { hideable, loopbackUp, wrapCommand } from './wrapper.js';
import type { SandboxMode } from './types.js';

export type { PrepareOptions, Sandbox, SandboxLimits, SandboxMode, SandboxOptions, SandboxResult, SandboxRun } from './types.js';

const SHARED_TMP = ['/tmp', '/var/tmp', '/dev/shm'];
/** Sandbox uids per runner: the most submissions one runner may grade at once. */
export const SANDBOX_POOL_SIZE = 16;

type Owner = { uid: number; gid: number };
// Each prepared workspace leases its own uid/gid: a run's cleanup sweeps every process of its uid, so
// submissions graded at once must never share one (nor their process limit or files). The uids are
// the machine's, so the table is the process's: every sandbox of the same uid range shares it.
const leaseTables = new Map<number, Map<string, Owner>>();
function leaseTableOf(firstUid: number): Map<string, Owner> {
  let table = leaseTables.get(firstUid);
  if (!table) leaseTables.set(firstUid, (table = new Map()));
  return table;
}

export function createSandbox(options: SandboxOptions, log: Logger): Sandbox {
  const isRoot = process.getuid?.() === 0;
  const modeReady = detectMode(options, isRoot, log);
  const leases = leaseTableOf(options.uid);
  const lease = () => {
    const taken = new Set([...leases.values()].map((owner) => owner.uid));
    for (let slot = 0; slot < (options.poolSize ?? SANDBOX_POOL_SIZE); slot++) {
      if (!taken.has(options.uid + slot)) return { uid: options.uid + slot, gid: options.gid + slot };
    }
    throw new RunnerError('CONFIG', `sandbox: more submissions at once than sandbox uids (${options.poolSize ?? SANDBOX_POOL_SIZE}); lower --concurrency`);
  };

  return {
    isolated: isRoot && options.mode !== 'self',

    async prepare(workspace, prepareOptions = {}) {
      const mode = await modeReady;
      const real = await realpath(workspace);
      const owner = lease(); // picked and recorded with no await between: concurrent prepares differ
      leases.set(real, owner);
      try {
        await handOver(real, mode === 'self' ? undefined : owner, prepareOptions);
      } catch (err) {
        leases.delete(real);
        throw err;
      }
    },

    async run(run) {
      const mode = await modeReady;
      const cwd = await realpath(run.cwd);
      const workspace = [...leases.keys()].find((dir) => isInside(cwd, dir));
      if (!workspace) throw new RunnerError('INTERNAL', `sandbox: ${run.cwd} is not inside a prepared workspace`);
      return runCommand(run, { ...options, ...leases.get(workspace)!, mode, cwd, workspace, hide: options.hide ?? [] }, log);
    },

    async cleanup(workspace) {
      const mode = await modeReady;
      const real = await realpath(workspace).catch(() => workspace);
      const owner = leases.get(real);
      if (owner && mode !== 'self') {
        const left = await killAllOf(owner.uid);
        if (left.length) log.error({ pids: left, uid: owner.uid }, 'sandbox processes survived SIGKILL');
      }
      if (owner && mode === 'uid') await removeFilesOf(owner.uid, SHARED_TMP);
      await removeTree(real).catch((err: Error) => log.error({ workspace: real, err: err.message }, 'cannot delete the workspace'));
      leases.delete(real); // only now may another submission get this uid
    },
  };
}

/** Probes once, at start, what this machine allows, and says what is not protected. */
async function detectMode(options: SandboxOptions, isRoot: boolean, log: Logger): Promise<SandboxMode> {
  if (!isRoot || options.mode === 'self') {
    log.warn('sandbox: the runner is not root, so tests run as its own user: secrets in its environment and files are NOT protected from tests, and there is no network isolation');
    return 'self';
  }
  if (options.mode === 'uid') return announce('uid');
  const probe = wrapCommand(['true'], {
    mode: 'namespaces', uid: options.uid, gid: options.gid, network: false, workspace: os.tmpdir(), cwd: os.tmpdir(), hide: [],
    limits: { processes: 64, memoryMb: 64, fileSizeMb: 1, openFiles: 64, cpuSeconds: 5 },
  });
  const result = await execa(probe[0]!, probe.slice(1), { reject: false, timeout: 10_000, stdin: 'ignore' });
  if (result.exitCode === 0) return announce('namespaces');
  log.warn({ probe: result.stderr || result.shortMessage }, 'sandbox: cannot create namespaces (no CAP_SYS_ADMIN, e.g. on Fargate): tests run as a separate uid, but can reach the network and shared /tmp; close egress with the security group');
  return announce('uid');

  function announce(mode: SandboxMode): SandboxMode {
    const masked = mode === 'namespaces' ? hideable(options.hide ?? [], '/nonexistent') : [];
    log.info({ mode, uid: options.uid, gid: options.gid, masked, loopback: mode === 'namespaces' && loopbackUp }, 'sandbox ready');
    return mode;
  }
}
