import { createHash } from 'node:crypto';
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { PitConfig } from './types.js';

/**
 * sha256 of what defines a PIT: its config file, then each file of its template in sorted path order
 * (path, then content; a link's target for a symbolic link). Any edit of a test, a pom or a weight changes it.
 */
export async function pitHash(pit: Pick<PitConfig, 'configFile' | 'template'>): Promise<string> {
  const hash = createHash('sha256');
  hash.update('config\0').update(await readFile(pit.configFile)).update('\0');
  if (pit.template) {
    const entries = await readdir(pit.template, { recursive: true, withFileTypes: true });
    const files = entries
      .filter((entry) => entry.isFile() || entry.isSymbolicLink())
      .map((entry) => ({ entry, relative: path.relative(pit.template!, path.join(entry.parentPath, entry.name)) }))
      .sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
    for (const { entry, relative } of files) {
      const full = path.join(pit.template, relative);
      const content = entry.isSymbolicLink() ? Buffer.from(`link:${await readlink(full)}`) : await readFile(full);
      hash.update(`file\0${relative}\0${content.length}\0`).update(content);
    }
  }
  return `sha256:${hash.digest('hex')}`;
}
