import { copyFile, lstat, mkdir, readdir, readlink, rm, symlink, constants } from 'node:fs/promises';
import path from 'node:path';
import { RunnerError } from '../errors.js';
import { exists } from '../paths.js';
import type { PitConfig } from './types.js';

/**
 * Prepares an unpacked submission: removes student build settings the PIT must decide (Maven's `.mvn/`),
 * copies the template over it (instructor files win), then checks `requiredFiles`. Returns the
 * absolute paths the template wrote: its files, links and the folders it created (to be made immutable).
 * The template files in `leaveOut` (relative paths) are not copied, nor is a folder holding only such files,
 * so not even their names reach the project.
 */
export async function applyTemplate(pit: PitConfig, projectRoot: string, leaveOut: string[] = []): Promise<string[]> {
  // `.mvn/maven.config` could hold -DskipTests or another settings file; the PIT's own pom decides.
  if (pit.buildTool === 'maven') await rm(path.join(projectRoot, '.mvn'), { recursive: true, force: true });
  const written: string[] = [];
  if (pit.template) await overlay(pit.template, projectRoot, written, new Set(leaveOut));
  const missing: string[] = [];
  for (const file of pit.requiredFiles) {
    if (!(await exists(path.join(projectRoot, file)))) missing.push(file);
  }
  if (missing.length) throw new RunnerError('INVALID_SUBMISSION', `missing required file(s): ${missing.join(', ')}`, { details: { missing } });
  return written;
}

/**
 * Copies `from` into `to`, top-down. Whatever the student left at a path the template writes (a file,
 * a folder, a symlink) is deleted first, so nothing is ever written through a student's symlink.
 */
async function overlay(from: string, to: string, written: string[], leaveOut: Set<string>, prefix = ''): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    const relative = prefix + entry.name;
    if (leaveOut.has(relative) || (entry.isDirectory() && leaveOut.size && (await holdsOnly(source, relative, leaveOut)))) continue;
    const existing = await lstat(target).catch(() => undefined);
    if (entry.isDirectory()) {
      if (existing && !existing.isDirectory()) await rm(target, { recursive: true, force: true });
      if (!existing || !existing.isDirectory()) {
        await mkdir(target);
        written.push(target);
      }
      await overlay(source, target, written, leaveOut, `${relative}/`);
    } else if (entry.isFile()) {
      if (existing) await rm(target, { recursive: true, force: true });
      await copyFile(source, target, constants.COPYFILE_EXCL);
      written.push(target);
    } else if (entry.isSymbolicLink()) {
      if (existing) await rm(target, { recursive: true, force: true });
      await symlink(await readlink(source), target);
      written.push(target);
    }
  }
}

/** True when everything below the folder (at least one entry) is in `leaveOut`. */
async function holdsOnly(dir: string, relative: string, leaveOut: Set<string>): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const below = `${relative}/${entry.name}`;
    const left = leaveOut.has(below) || (entry.isDirectory() && (await holdsOnly(path.join(dir, entry.name), below, leaveOut)));
    if (!left) return false;
  }
  return entries.length > 0;
}
