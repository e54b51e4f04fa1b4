import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { openFilesOf } from '../proc.js';
import { processesOf } from './processes.js';
import { diskUsage, MIN_ENTRY_BYTES } from './space.js';

/**
 * Without namespaces (uid mode) the sandbox uid writes the host's shared temporary folders. While a
 * run lasts, what it holds on the memory-backed one counts against the submission's memory bound
 * and the rest against its disk bound; after it, removal.ts removes everything it left there.
 */
export const SHARED_MEMORY_DIRS = ['/dev/shm'];
export const SHARED_DISK_DIRS = ['/tmp', '/var/tmp', '/run/lock'];
/** Folders every user may write: private to each run with namespaces, swept of the sandbox uid's files after each run without them (POSIX message queues too, which the filter refuses to create). */
export const SHARED_TMP = [...SHARED_DISK_DIRS, ...SHARED_MEMORY_DIRS, '/dev/mqueue'];

/**
 * The uid's entries in the shared folders `dirs`: those it owns in them, and those it owns at any
 * depth below folders anyone may write (another uid's open folder lets it in there). Whatever lies
 * inside the uid's own folders is its too. Read synchronously: a few hundred lstat calls take a
 * millisecond this way, tens through the thread pool.
 */
export function sharedEntriesOf(uid: number, dirs: string[]): string[] {
  const found: string[] = [];
  const pending = [...dirs];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    for (const name of listQuietly(dir)) {
      const full = path.join(dir, name);
      const info = lstatQuietly(full);
      if (info?.uid === uid) found.push(full);
      else if (info?.isDirectory() && (info.mode & 0o002) !== 0) pending.push(full);
    }
  }
  return found;
}

/** Bytes the uid's entries in `dirs` take (as the workspace is counted); stops counting past `limit`. */
export async function sharedUsageOf(uid: number, dirs: string[], limit = Number.POSITIVE_INFINITY): Promise<number> {
  let total = 0;
  for (const entry of sharedEntriesOf(uid, dirs)) {
    if (total > limit) break;
    const info = lstatQuietly(entry);
    if (!info) continue;
    total += Math.max(info.blocks * 512, MIN_ENTRY_BYTES);
    if (info.isDirectory()) total += await diskUsage(entry, limit - total);
  }
  return total;
}

const TMPFS_MAGIC = 0x01021994;

/**
 * Files the uid's processes hold open that no folder shows: anonymous ones (`memfd_create`, in
 * memory) and, with `deleted`, files unlinked while open. Neither walk above sees them, yet they
 * take memory or disk until the last process holding them exits. Counted once per inode.
 */
export function unnamedFilesOf(uid: number, deleted: boolean): { memory: number; disk: number } {
  const held = { memory: 0, disk: 0 };
  const seen = new Set<string>();
  for (const pid of processesOf(uid)) {
    const wanted = (target: string) => target.startsWith('/memfd:') || (deleted && target.startsWith('/') && target.endsWith(' (deleted)'));
    for (const file of openFilesOf(pid, wanted)) {
      const key = `${file.dev}:${file.ino}`;
      if (!file.isFile || seen.has(key)) continue;
      seen.add(key);
      held[file.target.startsWith('/memfd:') || file.fsType === TMPFS_MAGIC ? 'memory' : 'disk'] += file.blocks * 512;
    }
  }
  return held;
}

/**
 * Measures, every `everyMs` while a run lasts, what the uid holds outside its workspace and its
 * processes' memory: its files in the shared folders (`sharedFolders`: without namespaces, where
 * they are the host's) and the files its processes hold open without a name. The run's memory
 * and disk checks add `held` to what they measure themselves.
 */
export function watchFilesOutsideWorkspace(uid: number, bounds: { memory: number; disk: number }, sharedFolders: boolean, everyMs = 200) {
  const held = { memory: 0, disk: 0 };
  let measuring = false;
  const inFolders = (dirs: string[], limit: number) => (sharedFolders ? sharedUsageOf(uid, dirs, limit) : Promise.resolve(0));
  const timer = setInterval(() => {
    if (measuring) return;
    measuring = true;
    Promise.all([inFolders(SHARED_MEMORY_DIRS, bounds.memory), inFolders(SHARED_DISK_DIRS, bounds.disk)])
      .then(([memory, disk]) => {
        const unnamed = unnamedFilesOf(uid, sharedFolders);
        Object.assign(held, { memory: memory + unnamed.memory, disk: disk + unnamed.disk });
      })
      .catch(() => undefined)
      .finally(() => { measuring = false; });
  }, everyMs);
  return { held, stop: () => clearInterval(timer) };
}

function listQuietly(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function lstatQuietly(file: string) {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}
