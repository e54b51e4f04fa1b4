import { chmod, readdir, rm } from 'node:fs/promises';
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Removal: workspaces, and what a uid left in the shared temporary folders. */

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

/**
 * Removes what the sandbox uid left in shared temporary folders (only reachable without
 * namespaces), one level down too where a shared folder holds another anyone may write (/tmp/.X11-unix).
 */
export async function removeFilesOf(uid: number, dirs: string[], depth = 1): Promise<number> {
  let removed = 0;
  for (const dir of dirs) {
    for (const name of listQuietly(dir)) {
      // scanned synchronously: a few hundred lstat calls take a millisecond this way, tens through the thread pool
      const full = path.join(dir, name);
      const info = lstatQuietly(full);
      if (info?.uid === uid) {
        await rm(full, { recursive: true, force: true });
        removed++;
      } else if (depth > 0 && info?.isDirectory() && (info.mode & 0o002) !== 0) {
        removed += await removeFilesOf(uid, [full], depth - 1);
      }
    }
  }
  return removed;
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
