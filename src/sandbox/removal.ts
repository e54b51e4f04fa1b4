import { chmod, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { sharedEntriesOf } from './shared-tmp.js';

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
 * Removes what the sandbox uid left in the shared temporary folders `dirs` (only reachable without
 * namespaces): the same entries the run's bounds counted (shared-tmp.ts), below folders anyone may
 * write too (/tmp/.X11-unix, another uid's open folder). Returns how many entries it removed.
 */
export async function removeFilesOf(uid: number, dirs: string[]): Promise<number> {
  const entries = sharedEntriesOf(uid, dirs);
  for (const entry of entries) await rm(entry, { recursive: true, force: true });
  return entries.length;
}
