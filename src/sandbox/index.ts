import { realpath } from 'node:fs/promises';
import os from 'node:os';
import { execa } from 'execa';
import { RunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Sandbox, SandboxOptions } from './types.js';
import { assertClosedAbove, boundWorkspace, closeToOthers, handOver, removeFilesOf, removeTree, unboundWorkspace } from './disk.js';
import path from 'node:path';
import { killAllOf, processesOf } from './processes.js';
import { clearKeysOf, removeIpcOf } from './ipc.js';
import { runCommand } from './run.js';
import { isInside } from '../paths.js';
import { loopbackUp, wrapCommand } from './wrapper.js';
import { SHARED_TMP } from './env.js';
import type { SandboxMode } from './types.js';

export type { Sandbox, SandboxLimits, SandboxMode, SandboxOptions, SandboxResult, SandboxRun } from './types.js';

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
  modeReady.catch(() => undefined); // a refusal surfaces at the first prepare, not as an unhandled rejection
  const leases = leaseTableOf(options.uid);
  const bounded = new Set<string>(); // workspaces on a filesystem of their own
  const isSandboxUid = (uid: number) => uid >= options.uid && uid < options.uid + (options.poolSize ?? SANDBOX_POOL_SIZE);
  // A uid with a live process is never leased, whoever started it: that process would share the
  // next submission's limits and files, and the next sweep would kill it mid-run.
  const lease = () => {
    const taken = new Set([...leases.values()].map((owner) => owner.uid));
    const busy: number[] = [];
    for (let slot = 0; slot < (options.poolSize ?? SANDBOX_POOL_SIZE); slot++) {
      const uid = options.uid + slot;
      if (taken.has(uid)) continue;
      if (processesOf(uid).length === 0) return { uid, gid: options.gid + slot };
      busy.push(uid);
    }
    const why = busy.length ? `; uids ${busy.join(', ')} still have processes` : '';
    throw new RunnerError('CONFIG', `sandbox: more submissions at once than free sandbox uids (${options.poolSize ?? SANDBOX_POOL_SIZE})${why}; lower --concurrency`);
  };

  return {
    isolated: isRoot && options.mode !== 'self',

    async prepare(workspace) {
      const mode = await modeReady;
      const real = await realpath(workspace);
      const owner = lease(); // picked and recorded with no await between: concurrent prepares differ
      leases.set(real, owner);
      try {
        if (mode === 'uid') await assertClosedAbove(path.dirname(real), isSandboxUid);
        if (mode === 'namespaces') {
          await boundWorkspace(real, options.workspaceMaxBytes);
          bounded.add(real);
        }
        await handOver(real, mode === 'self' ? undefined : owner);
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
      if (owner && mode !== 'self') await sweepUid(owner, mode, log);
      if (bounded.delete(real)) await unboundWorkspace(real).catch((err: Error) => log.error({ workspace: real, err: err.message }, 'cannot unmount the workspace'));
      await removeTree(real).catch((err: Error) => log.error({ workspace: real, err: err.message }, 'cannot delete the workspace'));
      leases.delete(real); // only now may another submission get this uid
    },
  };
}

/**
 * Leaves nothing of the uid behind: processes, then (without namespaces, where they are shared)
 * its files in the shared temp folders and its System V IPC objects, then its persistent keys.
 */
async function sweepUid(owner: Owner, mode: SandboxMode, log: Logger): Promise<void> {
  const left = await killAllOf(owner.uid);
  if (left.length) log.error({ pids: left, uid: owner.uid }, 'sandbox processes survived SIGKILL');
  if (mode === 'uid') {
    const files = await removeFilesOf(owner.uid, SHARED_TMP);
    const ipc = await removeIpcOf(owner.uid);
    if (files || ipc) log.info({ uid: owner.uid, files, ipc }, 'sandbox: removed what the run left in shared folders and IPC');
  }
  await clearKeysOf(owner.uid, owner.gid);
}

/** Probes once, at start, what this machine allows, and says what is not protected. */
async function detectMode(options: SandboxOptions, isRoot: boolean, log: Logger): Promise<SandboxMode> {
  const wanted = options.mode ?? 'auto';
  if (!isRoot && (wanted === 'namespaces' || wanted === 'uid')) {
    throw new RunnerError('CONFIG', `RUNNER_SANDBOX_MODE=${wanted} needs the runner to run as root (it drops tests to a sandbox uid)`);
  }
  if (!isRoot || wanted === 'self') {
    log.warn('sandbox: the runner is not root, so tests run as its own user: secrets in its environment and files are NOT protected from tests, and there is no network isolation');
    return 'self';
  }
  if (wanted === 'uid') return uidMode();
  const probe = wrapCommand(['true'], {
    mode: 'namespaces', uid: options.uid, gid: options.gid, network: false, workspace: os.tmpdir(), cwd: os.tmpdir(), hide: [],
    limits: { processes: 64, memoryMb: 64, fileSizeMb: 1, openFiles: 64, cpuSeconds: 5 },
  });
  const result = await execa(probe[0]!, probe.slice(1), { reject: false, timeout: 10_000, stdin: 'ignore' });
  if (result.exitCode === 0) return announce('namespaces');
  const why = result.stderr || result.shortMessage;
  if (wanted === 'namespaces') throw new RunnerError('CONFIG', `RUNNER_SANDBOX_MODE=namespaces, but this machine does not let the runner create namespaces: ${why}`);
  log.warn({ probe: why }, 'sandbox: cannot create namespaces (no CAP_SYS_ADMIN, e.g. on Fargate): tests run as a separate uid, but can reach the network; close egress with the security group');
  return uidMode();

  /** Without a mount namespace nothing masks the PIT and data folders: they are closed instead. */
  async function uidMode(): Promise<SandboxMode> {
    const closed = await closeToOthers(options.hide ?? []);
    if (closed.length) log.info({ closed }, 'sandbox: closed to other users (sandbox uids cannot read them)');
    return announce('uid');
  }

  function announce(mode: SandboxMode): SandboxMode {
    log.info({ mode, uid: options.uid, gid: options.gid, loopback: mode === 'namespaces' && loopbackUp }, 'sandbox ready');
    return mode;
  }
}
