import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadPit } from '../../src/pits/load.js';
import { applyTemplate } from '../../src/grading/template.js';
import { rejection } from '../helpers/assert.js';

const pit = suite('pit');
let dir: string;
let pitsDir: string;
let project: string;

const minimal = { language: 'java', buildTool: 'maven', testCommand: 'mvn -q test', maxTimeoutMs: 30_000 };

async function writePit(id: string, body: unknown): Promise<void> {
  await writeFile(path.join(pitsDir, `${id}.json`), typeof body === 'string' ? body : JSON.stringify(body));
}

async function write(root: string, file: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, file)), { recursive: true });
  await writeFile(path.join(root, file), text);
}


pit.before.each(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pit-test-'));
  pitsDir = path.join(dir, 'pits');
  project = path.join(dir, 'project');
  await mkdir(pitsDir);
  await mkdir(project);
});
pit.after.each(() => rm(dir, { recursive: true, force: true }));

pit('an unknown id is UNKNOWN_PIT naming the folder', async () => {
  const err = await rejection(loadPit(pitsDir, 'nope'));
  assert.is(err.code, 'UNKNOWN_PIT');
  assert.is(err.message, `no PIT 'nope' in ${pitsDir}`);
});

pit('a path as id is INVALID_PIT and reads nothing', async () => {
  await writeFile(path.join(dir, 'etc.json'), JSON.stringify(minimal));
  for (const id of ['../etc', '/etc/passwd', 'A', '.hidden', '']) {
    assert.is((await rejection(loadPit(pitsDir, id))).code, 'INVALID_PIT', id);
  }
});

pit('invalid JSON names the file', async () => {
  await writePit('broken', '{"language": ');
  const err = await rejection(loadPit(pitsDir, 'broken'));
  assert.is(err.code, 'INVALID_PIT');
  assert.match(err.message, /broken\.json: not valid JSON/);
});

pit('each bad field is named, unknown fields included', async () => {
  await writePit('bad', { ...minimal, maxTimeoutMs: -5, testComand: 'x', limits: { memoryMB: 1 } });
  const err = await rejection(loadPit(pitsDir, 'bad'));
  assert.match(err.message, /bad\.json: maxTimeoutMs: expected a positive integer/);
  assert.match(err.message, /bad\.json: testComand: unknown field/);
  assert.match(err.message, /bad\.json: limits\.memoryMB: unknown field/);
});

pit('defaults fill every optional field', async () => {
  await writePit('java-maven-x-v1', minimal);
  const loaded = await loadPit(pitsDir, 'java-maven-x-v1');
  assert.equal(loaded.setupCommands, []);
  assert.equal(loaded.environment, {});
  assert.equal(loaded.requiredFiles, []);
  assert.is(loaded.shell, false);
  assert.is(loaded.network, false);
  assert.is(loaded.template, undefined);
  assert.equal(loaded.reports, ['target/surefire-reports/TEST-*.xml']);
  assert.equal(loaded.limits, { processes: 512, memoryMb: 1024, fileSizeMb: 256, openFiles: 1024, cpuSeconds: 60 });
  assert.is(loaded.configFile, path.join(pitsDir, 'java-maven-x-v1.json'));
});

pit('reports default per build tool; limits merge; the template folder is found by id', async () => {
  await mkdir(path.join(pitsDir, 'py'));
  await writePit('py', { ...minimal, language: 'python', buildTool: 'pytest', limits: { memoryMb: 256 } });
  const loaded = await loadPit(pitsDir, 'py');
  assert.equal(loaded.reports, ['test-reports/*.xml']);
  assert.is(loaded.limits.memoryMb, 256);
  assert.is(loaded.limits.processes, 512);
  assert.is(loaded.template, path.join(pitsDir, 'py'));
});

pit('a template outside the PITs folder is refused', async () => {
  await writePit('escape', { ...minimal, template: 'a/../../..' });
  assert.is((await rejection(loadPit(pitsDir, 'escape'))).code, 'INVALID_PIT');
});

pit('the template wins over student files and student symlinks', async () => {
  const template = path.join(pitsDir, 'tpl');
  await write(template, 'pom.xml', 'instructor pom');
  await write(template, 'src/test/java/T.java', 'instructor test');
  await writePit('tpl', minimal);
  const outside = path.join(dir, 'outside');
  await mkdir(outside);
  await write(project, 'pom.xml', 'student pom');
  await write(project, 'src/main/java/S.java', 'student code');
  await mkdir(path.join(project, 'src'), { recursive: true });
  await symlink(outside, path.join(project, 'src/test'));

  await applyTemplate(await loadPit(pitsDir, 'tpl'), project);

  assert.is(await readFile(path.join(project, 'pom.xml'), 'utf8'), 'instructor pom');
  assert.is(await readFile(path.join(project, 'src/test/java/T.java'), 'utf8'), 'instructor test');
  assert.ok((await lstat(path.join(project, 'src/test'))).isDirectory());
  assert.is(await readFile(path.join(project, 'src/main/java/S.java'), 'utf8'), 'student code');
  assert.equal(await readdir(outside), []);
});

pit('a student symlink at a template file is replaced, its target untouched', async () => {
  await write(path.join(pitsDir, 'tpl'), 'pom.xml', 'instructor pom');
  await writePit('tpl', minimal);
  const victim = path.join(dir, 'victim.txt');
  await writeFile(victim, 'keep me');
  await symlink(victim, path.join(project, 'pom.xml'));
  await applyTemplate(await loadPit(pitsDir, 'tpl'), project);
  assert.is(await readFile(victim, 'utf8'), 'keep me');
  assert.ok((await lstat(path.join(project, 'pom.xml'))).isFile());
  await readlink(path.join(project, 'pom.xml')).then(() => assert.unreachable('still a symlink'), () => undefined);
});

pit('a Maven submission loses its .mvn folder', async () => {
  await write(project, '.mvn/maven.config', '-DskipTests');
  await writePit('mvn', minimal);
  await applyTemplate(await loadPit(pitsDir, 'mvn'), project);
  assert.equal(await readdir(project), []);
});

pit('hidden tests need the files that hold them: an old config with hiddenTests alone is refused with the fix', async () => {
  await mkdir(path.join(pitsDir, 'old'));
  await writePit('old', { ...minimal, hiddenTests: ['bank.BankAccountTest#refuses*'] });
  assert.match((await rejection(loadPit(pitsDir, 'old'))).message, /old\.json: hiddenTests: add "hiddenFiles"/);
  await writePit('old', { ...minimal, hiddenFiles: ['src/test/java/Secret*.java'] });
  assert.match((await rejection(loadPit(pitsDir, 'old'))).message, /old\.json: hiddenFiles: add "hiddenTests"/);
});

pit('hiddenFiles resolve to template files; a glob that matches none is refused', async () => {
  const template = path.join(pitsDir, 'hid');
  await write(template, 'src/test/java/bank/SecretTest.java', 'hidden');
  await write(template, 'src/test/java/bank/VisibleTest.java', 'visible');
  await writePit('hid', { ...minimal, hiddenTests: ['bank.SecretTest#*'], hiddenFiles: ['src/test/java/**/Secret*.java'] });
  const loaded = await loadPit(pitsDir, 'hid');
  assert.equal(loaded.hiddenFiles, ['src/test/java/bank/SecretTest.java']);
  assert.is(loaded.hiddenFeedback, 'counts');
  await writePit('hid', { ...minimal, hiddenTests: ['bank.SecretTest#*'], hiddenFiles: ['src/test/java/Nothing*.java'] });
  assert.match((await rejection(loadPit(pitsDir, 'hid'))).message, /hiddenFiles: src\/test\/java\/Nothing\*\.java matches no file of the template/);
});

pit('the visible run\'s template leaves the hidden files out, and a folder that holds only them', async () => {
  const template = path.join(pitsDir, 'hid');
  await write(template, 'tests/test_visible.py', 'visible');
  await write(template, 'tests/secret/test_hidden.py', 'hidden');
  await writePit('hid', { ...minimal, buildTool: 'pytest', hiddenTests: ['tests.secret.*'], hiddenFiles: ['tests/secret/**'] });
  const loaded = await loadPit(pitsDir, 'hid');
  const written = await applyTemplate(loaded, project, loaded.hiddenFiles);
  assert.equal(await readdir(path.join(project, 'tests')), ['test_visible.py']);
  assert.not.ok(written.some((file) => file.includes('secret')));
});

pit('missing required files are INVALID_SUBMISSION listing each', async () => {
  await writePit('req', { ...minimal, requiredFiles: ['src/main/java/A.java', 'README.md', 'B.java'] });
  await write(project, 'README.md', 'hi');
  const err = await rejection(applyTemplate(await loadPit(pitsDir, 'req'), project));
  assert.is(err.code, 'INVALID_SUBMISSION');
  assert.is(err.message, 'missing required file(s): src/main/java/A.java, B.java');
});

pit.run();
