import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './cli.js';

/** A hidden test file to add to a sample PIT: where it goes, its source, and the ids of its tests. */
export interface HiddenFile { pit: string; file: string; source: string; hiddenTests: string[]; ids: string[] }

/**
 * Copies the sample PIT `hidden.pit` into `pitsDir` as `id`, adds the hidden test file to its template and
 * names it in the config (hiddenFiles, hiddenTests, expectedTests); the node sample's command runs every
 * test file of its folder instead of the one it names. `extra` fields override the config's.
 */
export async function addHiddenPit(pitsDir: string, hidden: HiddenFile, id = hidden.pit, extra: Record<string, unknown> = {}): Promise<void> {
  await cp(path.join(repoRoot, 'pits', hidden.pit), path.join(pitsDir, id), { recursive: true });
  await writeFile(path.join(pitsDir, id, hidden.file), hidden.source);
  const config = JSON.parse(await readFile(path.join(repoRoot, 'pits', `${hidden.pit}.json`), 'utf8')) as { expectedTests: string[]; testCommand: string };
  await writeFile(path.join(pitsDir, `${id}.json`), JSON.stringify({
    ...config,
    testCommand: config.testCommand.replace('tests/roman.test.mjs', 'tests/'),
    expectedTests: [...config.expectedTests, ...hidden.ids],
    hiddenTests: hidden.hiddenTests,
    hiddenFiles: [hidden.file],
    ...extra,
  }));
}
