import { chmod, lchown, lstat, mkdir, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { RunnerError } from '../errors.js';
import { firstClosedAncestor, isInside } from '../paths.js';
import type { PrepareOptions } from './types.js';
import { sandboxDirs } from './env.js';

/** Who owns and may reach what: the hand-over of a workspace to its uid, and the folders kept from it. */

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

/**
 * Without namespaces the sandbox uid sees the real folders above its workspace: one it may write
 * would let a submission plant files that tools look for in every parent (Maven's .mvn/, a
 * conftest.py, a package.json) for the next or a concurrent submission. Refuses such a work folder.
 */
export async function assertClosedAbove(workRoot: string, sandboxUids: (uid: number) => boolean): Promise<void> {
  for (let dir = path.resolve(workRoot); ; dir = path.dirname(dir)) {
    const info = await stat(dir);
    if ((info.mode & 0o002) !== 0 || sandboxUids(info.uid)) {
      throw new RunnerError('CONFIG', `sandbox (uid mode): sandbox users can write ${dir}, above the work folder ${workRoot}, so one submission could plant files another's build reads; set RUNNER_WORK_DIR to a folder whose every parent only root can write (e.g. /var/lib/pit-runner/work)`);
    }
    if (dir === path.dirname(dir)) return;
  }
}

/**
 * Takes others' (the sandbox uids') rights on folders tests must not read. A folder holding an
 * entry of another non-root user (the embedded database's cluster, owned by `postgres`) keeps
 * search rights so that user still reaches it; then its root-owned entries are closed instead.
 */
export async function closeToOthers(dirs: string[]): Promise<string[]> {
  const closed: string[] = [];
  const close = async (entry: string, keep: number) => {
    const info = await lstat(entry).catch(() => undefined);
    if (!info || info.isSymbolicLink() || (info.mode & 0o007 & ~keep) === 0) return;
    await chmod(entry, info.mode & (0o7770 | keep));
    closed.push(entry);
  };
  for (const dir of dirs) {
    const entries = await readdir(dir).catch(() => [] as string[]);
    const owners = await Promise.all(entries.map((name) => lstat(path.join(dir, name)).then((info) => info.uid, () => 0)));
    if (owners.every((uid) => uid === 0 || uid === process.getuid?.())) {
      await close(dir, 0);
      continue;
    }
    await close(dir, 0o001);
    for (const [index, name] of entries.entries()) if (owners[index] === 0) await close(path.join(dir, name), 0);
  }
  return closed;
}
