import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { reportFolder } from './report-watch.js';
import type { PitConfig } from './types.js';

/**
 * Where the PIT's build tool writes its reports, read from the PIT alone: Maven Surefire in
 * target/surefire-reports/ (unless the pom moves it), the console launcher and pytest where their
 * command line says. Undefined when the PIT does not say.
 */
export async function reportFolderOf(pit: Pick<PitConfig, 'buildTool' | 'template' | 'testCommand'>): Promise<string | undefined> {
  if (!pit.template || pit.buildTool === 'junit') return undefined;
  if (pit.buildTool === 'maven') {
    const pom = await readFile(path.join(pit.template, 'pom.xml'), 'utf8').catch(() => '');
    return /<reportsDirectory>/.test(pom) ? undefined : 'target/surefire-reports';
  }
  const folder = /--reports-dir[= ]([^\s'"]+)/.exec(pit.testCommand)?.[1] ?? path.dirname(/--junitxml[= ]([^\s'"]+)/.exec(pit.testCommand)?.[1] ?? '.');
  return folder === '.' ? undefined : path.normalize(folder).replace(/\/$/, '');
}

/** The PIT's `reports` globs that look where its tool never writes: a fact of the configuration, which no solution changes. */
export async function misplacedReports(pit: Pick<PitConfig, 'buildTool' | 'template' | 'testCommand' | 'reports'>): Promise<{ folder: string; globs: string[] } | undefined> {
  const folder = await reportFolderOf(pit);
  const globs = folder === undefined ? [] : pit.reports.filter((glob) => reportFolder(glob) !== folder);
  return globs.length ? { folder: folder!, globs } : undefined;
}
