import { cp, lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

/** Disk space: what a workspace uses, and the filesystem of its own that bounds it. */

/** Each entry counts at least one 4 KiB block, so a flood of empty files hits the bound too. */
export const MIN_ENTRY_BYTES = 4096;

/** Disk used under `dir` (allocated blocks, symlinks not followed); stops counting past `limit`. */
export async function diskUsage(dir: string, limit = Number.POSITIVE_INFINITY): Promise<number> {
  let total = 0;
  const pending = [dir];
  while (pending.length > 0 && total <= limit) {
    const current = pending.pop()!;
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      const info = await lstat(full).catch(() => undefined);
      if (!info) continue;
      total += Math.max(info.blocks * 512, MIN_ENTRY_BYTES);
      if (info.isDirectory()) pending.push(full);
    }
  }
  return total;
}

/** Each workspace inode on the bounded filesystem stands for at least this many bytes of the bound. */
const BYTES_PER_INODE = 16 * 1024;

/**
 * Puts the prepared workspace on a filesystem of its own of `bytes` (a tmpfs mounted at the same
 * path): no write, preallocation or flood of empty files can take more, whatever the timing.
 * Needs the right to mount (namespaces mode); the workspace's files are copied onto it.
 */
export async function boundWorkspace(real: string, bytes: number): Promise<void> {
  const staging = `${real}.unbounded`;
  await rename(real, staging);
  await mkdir(real, { mode: 0o700 });
  const size = `size=${bytes},nr_inodes=${Math.max(1024, Math.ceil(bytes / BYTES_PER_INODE))}`;
  await execa('mount', ['-t', 'tmpfs', '-o', `${size},mode=0700,nosuid,nodev`, 'pit-runner-workspace', real]);
  await cp(staging, real, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  await rm(staging, { recursive: true, force: true });
}

/** Detaches the workspace's own filesystem (its files go with it); the empty folder stays. */
export async function unboundWorkspace(real: string): Promise<void> {
  await execa('umount', ['--lazy', real]);
}
