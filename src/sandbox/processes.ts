import { setTimeout as sleep } from 'node:timers/promises';
import { isDead, kibIn, listPids, realUidIn, statusOf } from '../proc.js';

/** Live (not zombie) processes whose real uid is `uid`. */
export function processesOf(uid: number): number[] {
  return processesOfAny((owner) => owner === uid);
}

/** Live processes whose real uid passes `wanted`, in one pass over /proc (not one per uid). */
export function processesOfAny(wanted: (uid: number) => boolean): number[] {
  return statusesOf(wanted).map(({ pid }) => pid);
}

/**
 * Memory the uid's processes hold, summed: what one submission uses, however many processes it
 * splits it across. Private pages (RssAnon) and mapped shared memory (RssShmem: a shared anonymous
 * mapping, or a memfd or /dev/shm file kept mapped after its descriptor is closed, which nothing
 * else sees); pages of files on disk (libraries, the JDK's files) are not counted.
 */
export function memoryOf(uid: number): number {
  let kib = 0;
  for (const { status } of statusesOf((owner) => owner === uid)) kib += kibIn(status, 'RssAnon') + kibIn(status, 'RssShmem');
  return kib * 1024;
}

/** The uids passing `wanted` that have a live process, in one pass over /proc. */
export function uidsWithProcesses(wanted: (uid: number) => boolean): Set<number> {
  return new Set(statusesOf(wanted).map(({ uid }) => uid));
}

/** The /proc status of every live process whose real uid passes `wanted`, each file read once. */
function statusesOf(wanted: (uid: number) => boolean): Array<{ pid: number; uid: number; status: string }> {
  const found: Array<{ pid: number; uid: number; status: string }> = [];
  for (const pid of listPids()) {
    const status = statusOf(pid);
    const uid = realUidIn(status);
    if (uid !== undefined && wanted(uid) && !isDead(/^State:\s+(\S)/m.exec(status)?.[1])) found.push({ pid, uid, status });
  }
  return found;
}

/**
 * SIGKILLs every process of the sandbox uid until none is left (setsid'd and daemonized ones too).
 * A killed process cannot fork any more, so a fork bomb under RLIMIT_NPROC dies in a few rounds.
 * Returns the pids still alive after `deadlineMs` (normally none). Only for a dedicated uid.
 */
export async function killAllOf(uid: number, deadlineMs = 5_000): Promise<number[]> {
  if (uid === 0 || uid === process.getuid?.()) throw new Error(`refusing to sweep the processes of uid ${uid}`);
  const until = Date.now() + deadlineMs;
  for (;;) {
    const pids = processesOf(uid);
    if (pids.length === 0 || Date.now() > until) return pids;
    for (const pid of pids) killQuietly(pid);
    await sleep(20);
  }
}

/** SIGKILL a process group (negative pid) or a process; gone already is fine. */
export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
