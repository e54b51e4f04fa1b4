import { chmod, lchown, lstat, mkdir, readdir, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { RunnerError } from '../errors.js';
import { firstClosedAncestor, isInside } from '../paths.js';
import type { PrepareOptions } from './types.js';
import { sandboxDirs } from './env.js';

/** Each entry counts at least one 4 KiB block, so a flood of empty files hits the bound too. */
const MIN_ENTRY_BYTES = 4096;

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

/**
 * Gives the workspace to the sandbox uid: HOME and TMPDIR inside it, everything owned by the uid,
 * the workspace itself 0700 and its parent not listable by others (names of other workspaces stay
 * hidden), except the `immutable` paths (see seal). Every folder above it must let others through,
 * or the sandbox uid could not reach it.
 */
export async function handOver(workspace: string, owner: { uid: number; gid: number } | undefined, options: PrepareOptions = {}): Promise<string> {
  const real = await realpath(workspace);
  const { home, tmp } = sandboxDirs(real);
  await mkdir(home, { recursive: true });
  await mkdir(tmp, { recursive: true });
  if (!owner) return real;
  await assertTraversable(path.dirname(real));
  const parent = await stat(path.dirname(real));
  if (parent.uid === 0 && (parent.mode & 0o044) !== 0) await chmod(path.dirname(real), parent.mode & 0o7711);
  await chownTree(real, owner.uid, owner.gid);
  await chmod(real, 0o700);
  if (options.immutable?.length) await seal(real, options.immutable.map((p) => path.join(real, path.relative(workspace, p))), owner.gid);
  return real;
}

/**
 * The immutable paths become root's and lose their write bits. Every folder above one of them (up to
 * and including the workspace) becomes root's, group the sandbox gid, mode 1770: the sandbox may add
 * entries there (build outputs, reports), but the sticky bit stops it renaming or deleting root's.
 */
async function seal(workspace: string, paths: string[], gid: number): Promise<void> {
  const sealed = new Set(paths.map((p) => path.resolve(workspace, p)));
  const above = new Set<string>([workspace]);
  for (const file of sealed) {
    if (!isInside(file, workspace) || file === workspace) throw new RunnerError('INTERNAL', `sandbox: ${file} is not inside ${workspace}`);
    const info = await lstat(file);
    await lchown(file, 0, 0);
    if (!info.isSymbolicLink()) await chmod(file, info.mode & 0o555); // no write, no setuid/setgid as root's
    for (let dir = path.dirname(file); dir !== workspace; dir = path.dirname(dir)) above.add(dir);
  }
  for (const dir of above) {
    if (sealed.has(dir)) continue;
    await lchown(dir, 0, gid);
    await chmod(dir, 0o1770);
  }
}

async function assertTraversable(dir: string): Promise<void> {
  const closed = await firstClosedAncestor(dir);
  if (closed) {
    throw new RunnerError('CONFIG', `the sandbox user cannot reach workspaces under ${dir}: ${closed} is not traversable by others (chmod o+x, or set RUNNER_WORK_DIR elsewhere)`);
  }
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await lchown(dir, uid, gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(full, uid, gid);
    else await lchown(full, uid, gid);
  }
}

/** Deletes a tree even when the tests left folders without permissions (matters when not root). */
export async function removeTree(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 2 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
    await grantAll(dir);
    await rm(dir, { recursive: true, force: true, maxRetries: 2 });
  }
}

async function grantAll(dir: string): Promise<void> {
  await chmod(dir, 0o700).catch(() => undefined);
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) await grantAll(path.join(dir, entry.name));
  }
}

/** Removes what the sandbox uid left in shared temporary folders (only reachable without namespaces). */
export async function removeFilesOf(uid: number, dirs: string[]): Promise<number> {
  let removed = 0;
  for (const dir of dirs) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const full = path.join(dir, name);
      const info = await lstat(full).catch(() => undefined);
      if (info?.uid !== uid) continue;
      await rm(full, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
