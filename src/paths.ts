import { lstat, stat } from 'node:fs/promises';
import path from 'node:path';

/** True when `child` is `parent` or lies below it (lexically: resolve links first where they matter). */
export function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** True when something exists at `file`, a dangling link included (a link is not followed). */
export function exists(file: string): Promise<boolean> {
  return lstat(file).then(() => true, () => false);
}

/**
 * The first folder from `dir` up to `/` that other users cannot pass through (no o+x), or undefined
 * when every one lets them: what a sandbox uid or the `postgres` user needs to reach `dir`.
 */
export async function firstClosedAncestor(dir: string): Promise<string | undefined> {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const { mode } = await stat(current);
    if ((mode & 0o001) === 0) return current;
    if (current === path.dirname(current)) return undefined;
  }
}

/** Relative to the working directory when inside it (as people type paths), else absolute. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && isInside(file, process.cwd()) ? relative : file;
}
