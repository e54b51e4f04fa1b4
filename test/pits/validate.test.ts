import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_SOLUTION, loadPit, WHOLE_SUBMISSION } from '../../src/pits/load.js';
import { trustWarnings } from '../../src/pits/validate.js';
import { rejection } from '../helpers/assert.js';
import { repoRoot } from '../helpers/cli.js';

// What a PIT says about trust: which files are the solution, and the settings that weaken the defences.
const pits = suite('trust pit');
let dir: string;
pits.before(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'trust-pit-')); });
pits.after(async () => { await rm(dir, { recursive: true, force: true }); });

async function pit(id: string, config: object, templateFiles: Record<string, string> = { 'tests/test_x.py': '' }) {
  await writeFile(path.join(dir, `${id}.json`), JSON.stringify({ language: 'python', buildTool: 'pytest', testCommand: 'pytest', maxTimeoutMs: 1000, ...config }));
  for (const [file, text] of Object.entries(templateFiles)) {
    await mkdir(path.dirname(path.join(dir, id, file)), { recursive: true });
    await writeFile(path.join(dir, id, file), text);
  }
  return loadPit(dir, id);
}

pits('without solution globs a PIT with a template takes its build tool\'s defaults plus its required files', async () => {
  const loaded = await pit('py-default', { requiredFiles: ['notes.txt'] });
  assert.equal(loaded.solution, [...DEFAULT_SOLUTION.pytest!, 'notes.txt']);
  assert.ok(loaded.sentinel);
});

pits('a PIT without a template takes the whole submission (its tests come from there anyway)', async () => {
  await writeFile(path.join(dir, 'bare.json'), JSON.stringify({ language: 'shell', buildTool: 'node', testCommand: 'sh run.sh', maxTimeoutMs: 1000 }));
  assert.equal((await loadPit(dir, 'bare')).solution, WHOLE_SUBMISSION);
});

pits('solution globs must stay inside the project', async () => {
  assert.match((await rejection(pit('py-escape', { solution: ['../x/**'] }))).message, /solution\.0: must be a relative glob without \.\./);
  assert.match((await rejection(pit('py-abs', { solution: ['!/etc/**'] }))).message, /must be a relative glob/);
});

pits('the sample PITs raise no trust warning', async () => {
  for (const id of ['java-javac-bankaccount-v1', 'java-maven-dummy-dev', 'javascript-node-roman-v1', 'python-pytest-wordstats-v1']) {
    assert.equal(await trustWarnings(await loadPit(path.join(repoRoot, 'pits'), id)), [], id);
  }
});

pits('settings that weaken the defences are warned about', async () => {
  const warnings = await trustWarnings(await pit('py-weak', {
    solution: ['**'], sentinel: false, network: true, reports: ['**/*.xml'], testCommand: 'pytest || true',
  }, { 'tests/test_x.py': '', 'test-reports/.keep': '' }));
  for (const expected of ['takes every file', 'sentinel: false', 'network: true', 'can match files anywhere', 'ignores test failures']) {
    assert.ok(warnings.some((w) => w.includes(expected)), `${expected} in ${warnings.join(' | ')}`);
  }
  const folder = await trustWarnings(await pit('py-sealed', {}, { 'tests/test_x.py': '', 'test-reports/.keep': '' }));
  assert.ok(folder.some((w) => w.includes('test-reports/, which is read-only')), folder.join(' | '));
});

pits('a maven pom that ignores test failures is warned about', async () => {
  const maven = path.join(dir, 'mvn-ignore');
  await cp(path.join(repoRoot, 'pits', 'java-maven-dummy-dev'), maven, { recursive: true });
  await writeFile(path.join(maven, 'pom.xml'), '<project><properties><maven.test.failure.ignore>true</maven.test.failure.ignore></properties></project>');
  await writeFile(path.join(dir, 'mvn-ignore.json'), JSON.stringify({ language: 'java', buildTool: 'maven', testCommand: 'mvn test', maxTimeoutMs: 1000 }));
  assert.ok((await trustWarnings(await loadPit(dir, 'mvn-ignore'))).some((w) => w.includes('ignores test failures')));
});

pits.run();
