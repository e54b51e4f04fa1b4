import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { testToolsDir } from '../config.js';
import { RunnerError } from '../errors.js';
import { exists } from '../paths.js';
import { parseCommandLine } from '../sandbox/index.js';
import { parseCoordinates, pomDependencies, resolveJars, type Dependency } from './maven-deps.js';

/**
 * The `junit` build tool: one JVM compiles the solution and the tests in-process and runs the JUnit
 * Platform (java/junit-runner). A PIT's `testCommand` is `pit-junit [helper options]`; loading the PIT
 * turns it into the real `java …` command, with the test dependencies resolved to jars.
 */
export const JUNIT_COMMAND = 'pit-junit';
/** Debian's Maven repository (packages libsurefire-java, junit5, libassertj-core-java, …). */
export const MAVEN_OFFLINE_REPO = '/usr/share/maven-repo';
/** The JUnit Platform console launcher from Debian's junit5 package: launcher, Jupiter, Vintage, JUnit 4, Hamcrest. */
export const JUNIT_CONSOLE_JAR = '/usr/share/java/junit-platform-console-standalone.jar';
/** Where java/junit-runner/build.sh puts the helper's jar and its class-data-sharing archive. */
export const JUNIT_RUNNER_BUILD = testToolsDir;

// Flags the archive was recorded with (build.sh): a collector and compiler suited to a short run. An
// archive that no longer matches is ignored without a word in the student's log; `pit validate` says it.
const JVM_FLAGS = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xshare:auto'];
const QUIET_ARCHIVE = '-Xlog:cds=off,cds+dynamic=off';
const BUNDLED_GROUPS = new Set(['org.junit.jupiter', 'org.junit.platform', 'org.junit.vintage', 'junit', 'org.hamcrest', 'org.opentest4j', 'org.apiguardian']);
/** What the console launcher already holds: asking for it again would put a second copy on the class path. */
const bundled = (d: Dependency) => BUNDLED_GROUPS.has(d.groupId);

export interface JunitOptions { buildDir?: string; repo?: string }

/**
 * `pit-junit [args]` → `java [flags] -cp <helper>:<JUnit> pitrunner.junit.Main --classpath <jars> [args]`.
 * Test dependencies: the PIT's `testDependencies`, else those of the template's pom.xml (so a plain
 * Maven PIT switches by its build tool). INVALID_PIT when one does not resolve; CONFIG when the
 * helper was never built on this machine.
 */
export async function junitTestCommand(testCommand: string, testDependencies: string[] | undefined, template: string | undefined, options: JunitOptions = {}): Promise<string> {
  const [program, ...args] = parseCommandLine(testCommand);
  if (program !== JUNIT_COMMAND) throw new RunnerError('INVALID_PIT', `testCommand: the junit build tool runs '${JUNIT_COMMAND} [options]', not '${program}'`);
  const buildDir = options.buildDir ?? JUNIT_RUNNER_BUILD;
  const helper = path.join(buildDir, 'pit-junit.jar');
  if (!(await exists(helper))) throw new RunnerError('CONFIG', `the junit build tool's helper is not built (no ${helper}): run scripts/setup.sh`);
  const archive = path.join(buildDir, 'pit-junit.jsa');
  const jars = await testClassPath(testDependencies, template, options.repo ?? MAVEN_OFFLINE_REPO);
  return [
    'java',
    ...JVM_FLAGS,
    ...((await exists(archive)) ? [`-XX:SharedArchiveFile=${archive}`, QUIET_ARCHIVE] : []),
    '-cp', helperClassPath(buildDir),
    'pitrunner.junit.Main',
    ...(jars.length ? ['--classpath', jars.join(':')] : []),
    ...args,
  ].map(quoted).join(' ');
}

/** Plain words stay readable in the log; anything else is single-quoted for the command-line parser. */
const quoted = (arg: string) => (/^[\w/.:=+,@%-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

const helperClassPath = (buildDir: string) => `${path.join(buildDir, 'pit-junit.jar')}:${JUNIT_CONSOLE_JAR}`;

/** Why the class-data-sharing archive would not be used (missing, or recorded for other jars or another JDK), if it would not. */
export async function archiveProblem(buildDir = JUNIT_RUNNER_BUILD): Promise<string | undefined> {
  const archive = path.join(buildDir, 'pit-junit.jsa');
  if (!(await exists(archive))) return `no class-data-sharing archive ${archive}: Java grading is slower; run scripts/setup.sh`;
  // -Xshare:on refuses to start rather than fall back: the archive is usable exactly when this succeeds.
  const flags = [...JVM_FLAGS.filter((f) => f !== '-Xshare:auto'), '-Xshare:on', `-XX:SharedArchiveFile=${archive}`];
  const run = await execa('java', [...flags, '-cp', helperClassPath(buildDir), '-version'], { reject: false, stdin: 'ignore', extendEnv: false, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  if (run.exitCode === 0) return undefined;
  return `the class-data-sharing archive ${archive} does not match this JDK or its jars (Java grading is slower): run java/junit-runner/build.sh --force`;
}

async function testClassPath(coordinates: string[] | undefined, template: string | undefined, repo: string): Promise<string[]> {
  let wanted: Dependency[];
  let from: string;
  if (coordinates) {
    wanted = coordinates.map(parseCoordinates);
    from = 'testDependencies';
  } else {
    const pom = template ? await readFile(path.join(template, 'pom.xml'), 'utf8').catch(() => undefined) : undefined;
    if (!pom) return [];
    // Maven's test class path holds every scope but system (and import, which is not a dependency).
    wanted = pomDependencies(pom).filter((d) => !['system', 'import'].includes(d.scope ?? ''));
    from = 'the template\'s pom.xml';
  }
  try {
    return await resolveJars(wanted, repo, bundled);
  } catch (err) {
    throw new RunnerError('INVALID_PIT', `${from}: ${(err as Error).message}`);
  }
}
