import { realpathSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { exeOf, mountPoints, realUidIn, startedMs, statOf, statusOf } from '../proc.js';
import { removeFilesOf, removeTree } from './removal.js';
import { diskUsage, unboundWorkspace } from './space.js';
import { SHARED_TMP } from './shared-tmp.js';
import { killQuietly, processesOf, processesOfAny } from './processes.js';

export interface LeftoverOptions {
  /** The work folder (RUNNER_WORK_DIR) whose `sub-*` workspaces and `dl-*` downloads are swept. */
  workDir: string;
  /** The first sandbox uid (RUNNER_SANDBOX_UID); the range is `poolSize` uids from it. */
  uid: number;
  poolSize: number;
  /** Nothing modified at or after this is touched. Default: when this process started. */
  startedAt?: Date;
  log: Logger;
}

export interface LeftoverReport { removed: number; bytes: number; killed: number; kept: number }

const ENTRY = /^(?:sub|dl)-(?:(\d+)-)?/;

/**
 * What earlier runs of this work folder left behind after a kill -9 or a stop past its grace: their
 * sandbox processes (a sandbox uid with no runner among its ancestors: nothing will ever collect
 * them), their workspaces and downloads, and, for a crashed run's uid, its files in the shared temp
 * folders. Only what is provably stale goes: modified before `startedAt`, and either owned by a
 * sandbox uid with no live process, or named after a runner pid that is gone (or now belongs to a
 * younger process). Says what it did in one log line.
 */
export async function removeLeftovers(options: LeftoverOptions): Promise<LeftoverReport> {
  const { workDir, uid, poolSize, log } = options;
  const startedAt = (options.startedAt ?? new Date(performance.timeOrigin)).getTime();
  const isSandboxUid = (owner: number) => owner >= uid && owner < uid + poolSize;
  const killed = process.getuid?.() === 0 ? await killOrphans(isSandboxUid) : 0;

  const report: LeftoverReport = { removed: 0, bytes: 0, killed, kept: 0 };
  const crashedUids = new Set<number>();
  for (const name of await readdir(workDir).catch(() => [] as string[])) {
    const match = ENTRY.exec(name);
    if (!match) continue;
    const dir = path.join(workDir, name);
    const info = await lstat(dir).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    const ownerPid = match[1] === undefined ? undefined : Number(match[1]);
    const ownerGone = ownerPid !== undefined && !mayOwn(ownerPid, info.mtimeMs);
    const sandboxOwned = isSandboxUid(info.uid);
    const stale = info.mtimeMs < startedAt && (sandboxOwned
      ? (ownerPid === undefined || ownerGone) && (await processesOf(info.uid)).length === 0
      : info.uid === process.getuid?.() && ownerGone);
    if (!stale) {
      report.kept++;
      continue;
    }
    const bytes = await diskUsage(dir);
    // a run killed mid-grading leaves its workspace's own filesystem mounted (namespaces mode)
    if (mountPoints().has(dir)) await unboundWorkspace(dir).catch(() => undefined);
    await removeTree(dir).then(
      () => { report.removed++; report.bytes += bytes; if (sandboxOwned) crashedUids.add(info.uid); },
      (err: Error) => log.warn({ dir, err: err.message }, 'cannot remove a leftover of an earlier run'),
    );
  }
  for (const owner of crashedUids) {
    if ((await processesOf(owner)).length === 0) await removeFilesOf(owner, SHARED_TMP);
  }
  log.info({ step: 'leftovers', workDir, ...report }, `removed ${report.removed} leftovers of earlier runs (${report.bytes} bytes)`);
  return report;
}

/**
 * SIGKILLs processes of the sandbox uids that no runner looks after any more: no ancestor is a node
 * process of another uid (the runner that would time them out and sweep them). Repeated until none
 * is left, as forks may race the kill.
 */
async function killOrphans(isSandboxUid: (uid: number) => boolean): Promise<number> {
  const runnerExe = realpathSync(process.execPath);
  let killed = 0;
  for (let round = 0; round < 50; round++) {
    const orphans = processesOfAny(isSandboxUid).filter((pid) => !looksAfter(pid, runnerExe, isSandboxUid));
    if (!orphans.length) break;
    orphans.forEach(killQuietly);
    killed += orphans.length;
    await sleep(20);
  }
  return killed;
}

function looksAfter(pid: number, runnerExe: string, isSandboxUid: (uid: number) => boolean): boolean {
  for (let current = parentOf(pid), hops = 0; current > 1 && hops < 64; current = parentOf(current), hops++) {
    const owner = uidOf(current);
    if (owner !== undefined && !isSandboxUid(owner) && exeOf(current) === runnerExe) return true;
  }
  return false;
}

/** True when `pid` is alive and started no later than `modifiedMs`: it may be the entry's runner. */
function mayOwn(pid: number, modifiedMs: number): boolean {
  const started = startedMs(pid);
  return started !== undefined && started <= modifiedMs;
}

const parentOf = (pid: number) => statOf(pid)?.parent ?? 0;
const uidOf = (pid: number) => realUidIn(statusOf(pid));
