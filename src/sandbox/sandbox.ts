import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { RunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import { isInside } from '../paths.js';
import { assertClosedAbove, handOver } from './ownership.js';
import { removeFilesOf, removeTree } from './removal.js';
import { boundWorkspace, unboundWorkspace } from './space.js';
import { SHARED_TMP } from './shared-tmp.js';
import { clearKeysOf, removeIpcOf } from './ipc.js';
import { detectPlatform, type Platform } from './mode.js';
import { killAllOf, uidsWithProcesses } from './processes.js';
import { runCommand } from './run.js';
import type { Sandbox, SandboxOptions } from './types.js';

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

/** A sandbox over `options`; the platform probe starts now, a refusal surfaces at the first prepare. */
export function createSandbox(options: SandboxOptions, log: Logger): Sandbox {
  const isRoot = process.getuid?.() === 0;
  let platform: Platform = { mode: 'self', userNamespace: false };
  const modeReady = detectPlatform(options, isRoot, log).then((found) => ((platform = found), found.mode));
  modeReady.catch(() => undefined); // a refusal surfaces at the first prepare, not as an unhandled rejection
  const leases = leaseTableOf(options.uid);
  const bounded = new Set<string>(); // workspaces on a filesystem of their own
  const isSandboxUid = (uid: number) => uid >= options.uid && uid < options.uid + (options.poolSize);
  // A uid with a live process is never leased, whoever started it: that process would share the
  // next submission's limits and files, and the next sweep would kill it mid-run.
  const lease = () => {
    const taken = new Set([...leases.values()].map((owner) => owner.uid));
    const running = uidsWithProcesses(isSandboxUid);
    const busy: number[] = [];
    for (let slot = 0; slot < (options.poolSize); slot++) {
      const uid = options.uid + slot;
      if (taken.has(uid)) continue;
      if (!running.has(uid)) return { uid, gid: options.gid + slot };
      busy.push(uid);
    }
    const why = busy.length ? `; uids ${busy.join(', ')} still have processes` : '';
    throw new RunnerError('CONFIG', `sandbox: more submissions at once than free sandbox uids (${options.poolSize})${why}; lower --concurrency`);
  };

  return {
    isolated: isRoot && options.mode !== 'self',

    mode: () => modeReady,

    async prepare(workspace, prepareOptions = {}) {
      const mode = await modeReady;
      const real = await realpath(workspace);
      const owner = lease(); // picked and recorded with no await between: concurrent prepares differ
      leases.set(real, owner);
      try {
        if (mode === 'uid') await assertClosedAbove(path.dirname(real), isSandboxUid);
        if (mode === 'namespaces') {
          bounded.add(real);
          await boundWorkspace(real, options.workspaceMaxBytes);
        }
        await handOver(real, mode === 'self' ? undefined : owner, prepareOptions);
      } catch (err) {
        if (bounded.delete(real)) await unboundWorkspace(real).catch(() => undefined);
        leases.delete(real);
        throw err;
      }
    },

    async run(run) {
      const mode = await modeReady;
      const cwd = await realpath(run.cwd);
      const workspace = [...leases.keys()].find((dir) => isInside(cwd, dir));
      if (!workspace) throw new RunnerError('INTERNAL', `sandbox: ${run.cwd} is not inside a prepared workspace`);
      return runCommand(run, { ...options, ...leases.get(workspace)!, mode, cwd, workspace, hide: options.hide ?? [], filter: platform.filter }, log);
    },

    async cleanup(workspace) {
      const mode = await modeReady;
      const real = await realpath(workspace).catch(() => workspace);
      const owner = leases.get(real);
      if (owner && mode !== 'self') await sweepUid(owner, platform, log);
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
async function sweepUid(owner: Owner, platform: Platform, log: Logger): Promise<void> {
  const left = await killAllOf(owner.uid);
  if (left.length) log.error({ pids: left, uid: owner.uid }, 'sandbox processes survived SIGKILL');
  if (platform.mode === 'uid') {
    const files = await removeFilesOf(owner.uid, SHARED_TMP);
    const ipc = await removeIpcOf(owner.uid);
    if (files || ipc) log.info({ uid: owner.uid, files, ipc }, 'sandbox: removed what the run left in shared folders and IPC');
  }
  if (!platform.userNamespace) await clearKeysOf(owner.uid, owner.gid);
}

