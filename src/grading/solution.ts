import { copyFile, mkdir, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { glob } from 'tinyglobby';

/** What was taken from a submission, and what was left behind (relative paths, `/`-separated). */
export interface Taken { files: string[]; ignored: string[] }

/**
 * Moves (or, for a folder the runner does not own, copies) the files of `from` that the PIT's
 * `solution` globs name into `to`; everything else stays behind and is listed. Only regular files
 * reached without crossing a symlink are taken, and every folder in `to` is made here, so the project
 * holds no link, device or folder of the student's: no later step as root can be led out of it.
 * A glob starting with `!` excludes.
 */
export async function takeSolution(from: string, to: string, globs: string[], how: 'move' | 'copy'): Promise<Taken> {
  const entries = await walk(from);
  const include = globs.filter((g) => !g.startsWith('!'));
  const ignore = globs.filter((g) => g.startsWith('!')).map((g) => g.slice(1));
  const matched = new Set(await glob(include, { cwd: from, ignore, dot: true, onlyFiles: true, followSymbolicLinks: false, expandDirectories: false }));
  const files: string[] = [];
  const ignored: string[] = [];
  for (const { name, regular } of entries) (regular && matched.has(name) ? files : ignored).push(name);
  for (const name of files) {
    const target = path.join(to, name);
    await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    await (how === 'move' ? rename : copyFile)(path.join(from, name), target);
  }
  return { files, ignored };
}

/** Every non-folder entry below `dir`, links not followed. */
async function walk(dir: string, prefix = ''): Promise<Array<{ name: string; regular: boolean }>> {
  const found: Array<{ name: string; regular: boolean }> = [];
  for (const entry of (await readdir(path.join(dir, prefix), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) found.push(...(await walk(dir, name)));
    else found.push({ name, regular: entry.isFile() });
  }
  return found;
}
