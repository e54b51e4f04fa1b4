import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunnerError } from '../../src/errors.js';
import { execa } from 'execa';
import { parseCommandLine } from '../../src/sandbox/command-line.js';
import { junitTestCommand, MAVEN_OFFLINE_REPO } from '../../src/pits/junit.js';
import { junitIgnoredFields, loadPit, parsePitFile } from '../../src/pits/load.js';
import { resolveJars } from '../../src/pits/maven-deps.js';

// Test dependencies by Maven coordinates, resolved to jars in an offline repository without Maven;
// the junit PIT's `pit-junit` turned into the helper's java command.
const deps = suite('junit tool dependencies');
let tmp: string;
let repo: string;
let pitsDir: string;

const ASSERTJ_JAR = `${MAVEN_OFFLINE_REPO}/org/assertj/assertj-core/3.14.0/assertj-core-3.14.0.jar`;
const pom = (dependencies: string) => `<project><modelVersion>4.0.0</modelVersion><dependencies>${dependencies}</dependencies></project>`;
const dep = (coordinates: string, extra = '') => {
  const [groupId, artifactId, version] = coordinates.split(':');
  return `<dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId>${version ? `<version>${version}</version>` : ''}${extra}</dependency>`;
};

/** An artifact in the fake repository: its jar and its pom. */
async function artifact(coordinates: string, dependencies = ''): Promise<string> {
  const [groupId, artifactId, version] = coordinates.split(':') as [string, string, string];
  const dir = path.join(repo, ...groupId.split('.'), artifactId, version);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${artifactId}-${version}.pom`), pom(dependencies));
  await writeFile(path.join(dir, `${artifactId}-${version}.jar`), '');
  return path.join(dir, `${artifactId}-${version}.jar`);
}

async function pit(pitId: string, file: Record<string, unknown>, templatePom?: string): Promise<void> {
  await writeFile(path.join(pitsDir, `${pitId}.json`), JSON.stringify({ language: 'java', buildTool: 'junit', testCommand: 'pit-junit', maxTimeoutMs: 10_000, ...file }));
  if (templatePom) {
    await mkdir(path.join(pitsDir, pitId), { recursive: true });
    await writeFile(path.join(pitsDir, pitId, 'pom.xml'), templatePom);
  }
}

deps.before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'junit-deps-'));
  await chmod(tmp, 0o755);
  repo = path.join(tmp, 'repo');
  pitsDir = path.join(tmp, 'pits');
  await mkdir(pitsDir);
});
deps.after(async () => { await rm(tmp, { recursive: true, force: true }); });

deps('follows compile and runtime dependencies, breadth first, each once; skips test, provided and optional ones', async () => {
  const a = await artifact('org.example:a:1.0', [
    dep('org.example:b:2.0'), dep('org.example:c:1.0', '<scope>runtime</scope>'), dep('org.example:t:1.0', '<scope>test</scope>'),
    dep('org.example:p:1.0', '<scope>provided</scope>'), dep('org.example:o:1.0', '<optional>true</optional>'),
  ].join(''));
  const b = await artifact('org.example:b:2.0', dep('org.example:c:1.0'));
  const c = await artifact('org.example:c:1.0', dep('org.example:a:1.0'));
  for (const skipped of ['t', 'p', 'o']) await artifact(`org.example:${skipped}:1.0`);
  assert.equal(await resolveJars([{ groupId: 'org.example', artifactId: 'a', version: '1.0' }], repo), [a, b, c]);
});

deps('a dependency\'s pom naming a version the repository lacks falls back to Debian\'s "debian" alias', async () => {
  await artifact('org.example:needs:1.0', dep('org.example:lib:${lib.version}'));
  const lib = await artifact('org.example:lib:debian');
  assert.ok((await resolveJars([{ groupId: 'org.example', artifactId: 'needs', version: '1.0' }], repo)).includes(lib));
});

deps('an artifact the caller already provides is skipped with what it depends on', async () => {
  const top = await artifact('org.example:top:1.0', dep('org.junit.jupiter:junit-jupiter-api:5.9.2'));
  const provided = (d: { groupId: string }) => d.groupId === 'org.junit.jupiter';
  assert.equal(await resolveJars([{ groupId: 'org.example', artifactId: 'top', version: '1.0' }], repo, provided), [top]);
});

deps('a PIT naming a version the repository does not have is INVALID_PIT, naming the versions it has', async () => {
  await pit('missing-version', { testDependencies: ['org.example:b:9.9'] });
  const err = await loadPit(pitsDir, 'missing-version').then(() => undefined, (e: RunnerError) => e);
  assert.is(err?.code, 'INVALID_PIT');
  assert.match(err?.message ?? '', /missing-version\.json: testDependencies: org\.example:b:9\.9 is not in the offline repository/);
});

deps('testDependencies must be groupId:artifactId:version, and only the junit build tool takes them', async () => {
  await pit('bad-coordinates', { testDependencies: ['assertj'] });
  await pit('not-junit', { buildTool: 'maven', testCommand: 'mvn test', testDependencies: ['org.assertj:assertj-core:3.14.0'] });
  for (const [pitId, problem] of [['bad-coordinates', 'testDependencies.0: expected groupId:artifactId:version'], ['not-junit', 'testDependencies: only the junit build tool reads it']]) {
    const err = await loadPit(pitsDir, pitId!).then(() => undefined, (e: RunnerError) => e);
    assert.is(err?.code, 'INVALID_PIT');
    assert.match(err?.message ?? '', problem!);
  }
});

deps('the junit build tool runs pit-junit, nothing else: another command, or none, stands for it', async () => {
  await pit('other-command', { testCommand: 'mvn test' });
  const argv = parseCommandLine((await loadPit(pitsDir, 'other-command')).testCommand);
  assert.equal([argv[0], argv.includes('pitrunner.junit.Main'), argv.includes('mvn')], ['java', true, false]);
  assert.equal(junitIgnoredFields(parsePitFile(JSON.stringify({ language: 'java', buildTool: 'junit', testCommand: 'mvn test', maxTimeoutMs: 1000 }), 'x.json')),
    ['testCommand: \'mvn test\' is ignored: the junit build tool runs \'pit-junit\' (remove the field, or give \'pit-junit [options]\')']);
});

deps('pit-junit becomes one java command: the helper, JUnit, the resolved jars, then the PIT\'s own options', async () => {
  await pit('assertj', { testCommand: 'pit-junit --reports out', testDependencies: ['org.assertj:assertj-core:3.14.0'] });
  const argv = parseCommandLine((await loadPit(pitsDir, 'assertj')).testCommand);
  assert.is(argv[0], 'java');
  assert.ok(argv.includes('pitrunner.junit.Main'));
  assert.match(argv[argv.indexOf('-cp') + 1]!, /pit-junit\.jar:\/usr\/share\/java\/junit-platform-console-standalone\.jar$/);
  const [flag, jars, ...rest] = argv.slice(argv.indexOf('--classpath'));
  assert.equal([flag, rest], ['--classpath', ['--reports', 'out']]);
  // AssertJ first, then what its pom needs at run time (Debian's byte-buddy, …), as Maven would put them
  assert.is(jars!.split(':')[0], ASSERTJ_JAR);
});

deps('without testDependencies the template\'s pom decides, JUnit itself left to the helper: a Maven PIT switches by its build tool', async () => {
  const mavenPom = pom(dep('org.junit.jupiter:junit-jupiter:5.9.2', '<scope>test</scope>') + dep('org.assertj:assertj-core:3.14.0', '<scope>test</scope>'));
  await pit('from-pom', {}, mavenPom);
  const argv = parseCommandLine((await loadPit(pitsDir, 'from-pom')).testCommand);
  const jars = argv[argv.indexOf('--classpath') + 1]!.split(':');
  assert.is(jars[0], ASSERTJ_JAR);
  assert.not.ok(jars.some((jar) => /junit|hamcrest|opentest4j/.test(jar)), jars.join('\n'));
});

deps('a machine where the helper was never built is a configuration error, not a student\'s fault', async () => {
  const err = await junitTestCommand('pit-junit', [], undefined, { buildDir: path.join(tmp, 'nowhere') }).then(() => undefined, (e: RunnerError) => e);
  assert.is(err?.code, 'CONFIG');
  assert.match(err?.message ?? '', /scripts\/setup\.sh/);
});

/** A library compiled into `dir` and, given `jar`, packed into it (with a manifest Class-Path when given). */
async function library(dir: string, sources: Record<string, string>, jar?: string, manifestClassPath?: string): Promise<void> {
  const src = `${dir}-src`;
  for (const [file, text] of Object.entries(sources)) {
    await mkdir(path.dirname(path.join(src, file)), { recursive: true });
    await writeFile(path.join(src, file), text);
  }
  await execa('javac', ['-d', dir, ...Object.keys(sources).map((f) => path.join(src, f))]);
  if (!jar) return;
  const manifest = path.join(tmp, `${path.basename(jar)}.mf`);
  await writeFile(manifest, manifestClassPath ? `Class-Path: ${manifestClassPath}\n` : '');
  await execa('jar', ['--create', '--file', jar, '--manifest', manifest, '-C', dir, '.']);
}

deps('the helper compiles against the class path as javac expands it: a jar\'s manifest Class-Path, or a folder', async () => {
  const libs = path.join(tmp, 'libs');
  await library(path.join(libs, 'b'), { 'lib/B.java': 'package lib; public class B { public static int two() { return 2; } }' }, path.join(libs, 'b.jar'));
  await library(path.join(libs, 'a'), { 'lib/A.java': 'package lib; public class A { public static int one() { return 1; } }' }, path.join(libs, 'a.jar'), 'b.jar');
  const project = path.join(tmp, 'classpath-project');
  await mkdir(path.join(project, 'src/test/java'), { recursive: true });
  await writeFile(path.join(project, 'src/test/java/LibTest.java'), `import static org.junit.jupiter.api.Assertions.assertEquals;
class LibTest {
    @org.junit.jupiter.api.Test void one() { assertEquals(1, lib.A.one()); }
    @org.junit.jupiter.api.Test void two() { assertEquals(2, lib.B.two()); }
}
`);
  const command = await junitTestCommand('pit-junit', [], undefined);
  // b.jar only through a.jar's manifest, as javac and the JVM both read it
  const viaManifest = await execa('sh', ['-c', `${command} --classpath ${path.join(libs, 'a.jar')}`], { cwd: project, reject: false });
  assert.is(viaManifest.exitCode, 0, `${viaManifest.stdout}${viaManifest.stderr}`);
  assert.match(viaManifest.stdout, '2 tests: 2 passed');
  // a folder on the class path: javac reads it itself
  const viaFolders = await execa('sh', ['-c', `${command} --classpath ${path.join(libs, 'a')}:${path.join(libs, 'b')}`], { cwd: project, reject: false });
  assert.is(viaFolders.exitCode, 0, `${viaFolders.stdout}${viaFolders.stderr}`);
  assert.match(viaFolders.stdout, '2 tests: 2 passed');
  // and a class the class path does not hold is javac's own message
  const without = await execa('sh', ['-c', `${command} --classpath ${path.join(libs, 'b.jar')}`], { cwd: project, reject: false });
  assert.is(without.exitCode, 2);
  assert.match(without.stderr, /LibTest\.java:3: error: (cannot find symbol|package lib does not exist)/);
});

deps.run();
