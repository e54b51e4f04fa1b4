import { lstatSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { diskUsage, MIN_ENTRY_BYTES } from './disk.js';

/**
 * Without namespaces (uid mode) the sandbox uid writes the host's shared temporary folders. While a
 * run lasts, what it holds on the memory-backed one counts against the submission's memory bound
 * and the rest against its disk bound; after it, everything it left there is removed.
 */
export const SHARED_MEMORY_DIRS = ['/dev/shm'];
export const SHARED_DISK_DIRS = ['/tmp', '/var/tmp', '/run/lock'];

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

/** Removes what the uid left in the shared folders `dirs`; returns how many entries it removed. */
export async function removeFilesOf(uid: number, dirs: string[]): Promise<number> {
  const entries = sharedEntriesOf(uid, dirs);
  for (const entry of entries) await rm(entry, { recursive: true, force: true });
  return entries.length;
}

/**
 * Measures, every `everyMs` while a run lasts, what the uid holds in the shared folders; the run's
 * memory and disk checks add `held` to what they measure themselves.
 */
export function watchSharedFolders(uid: number, bounds: { memory: number; disk: number }, everyMs = 200) {
  const held = { memory: 0, disk: 0 };
  let measuring = false;
  const timer = setInterval(() => {
    if (measuring) return;
    measuring = true;
    Promise.all([sharedUsageOf(uid, SHARED_MEMORY_DIRS, bounds.memory), sharedUsageOf(uid, SHARED_DISK_DIRS, bounds.disk)])
      .then(([memory, disk]) => Object.assign(held, { memory, disk }))
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
