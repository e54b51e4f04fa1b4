import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SandboxLimits } from './types.js';

/** Where a prepared workspace keeps the sandbox's HOME and TMPDIR (deleted with the workspace). */
export function sandboxDirs(workspace: string): { home: string; tmp: string } {
  const root = path.join(workspace, '.sandbox');
  return { home: path.join(root, 'home'), tmp: path.join(root, 'tmp') };
}

/** Per process, on top of the heap bound: JVM metaspace, code cache, thread stacks. Maven's test run needs about +256 MiB. */
const NATIVE_HEADROOM_MB = 512;

export function dataLimitBytes(limits: SandboxLimits): number {
  return (limits.memoryMb + NATIVE_HEADROOM_MB) * 1024 * 1024;
}

/**
 * Memory one submission may hold in all its processes together: room for a build tool's JVM and
 * the test JVM it forks (each under -Xmx memoryMb) plus native headroom; the runner stops it past this.
 */
export function submissionMemoryBytes(limits: SandboxLimits): number {
  return (2 * limits.memoryMb + NATIVE_HEADROOM_MB) * 1024 * 1024;
}

/**
 * The test's whole environment: a fixed allow-list plus the PIT's own variables. Nothing is taken
 * from the runner's environment but JAVA_HOME, so DATABASE_URL, AWS_* and the ECS credential and
 * metadata URIs never reach student code.
 */
export function sandboxEnvironment(workspace: string, limits: SandboxLimits, pitEnv: Record<string, string>): Record<string, string> {
  const { home, tmp } = sandboxDirs(workspace);
  const javaHome = runnerJavaHome();
  const base: Record<string, string> = {
    PATH: safePath(javaHome),
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TZ: 'UTC',
    HOME: home,
    TMPDIR: tmp,
    CI: 'true',
    ...(javaHome ? { JAVA_HOME: javaHome } : {}),
  };
  const javaOptions = [
    `-Xmx${limits.memoryMb}m`,
    '-XX:+ExitOnOutOfMemoryError',
    '-XX:-UsePerfData',               // no hsperfdata files in /tmp
    `-Djava.io.tmpdir=${tmp}`,        // the JVM ignores TMPDIR
    `-Duser.home=${home}`,
  ];
  const env = { ...base, ...pitEnv };
  env.JAVA_TOOL_OPTIONS = join(javaOptions.join(' '), pitEnv.JAVA_TOOL_OPTIONS);
  env.NODE_OPTIONS = join(`--max-old-space-size=${limits.memoryMb}`, pitEnv.NODE_OPTIONS);
  return env;
}

const runnerJavaHome = () => (process.env.JAVA_HOME && existsSync(process.env.JAVA_HOME) ? process.env.JAVA_HOME : undefined);

/** The PATH (and JAVA_HOME) tests run with: what the runner asks for a tool's version. */
export function toolPath(): { PATH: string; JAVA_HOME?: string } {
  const javaHome = runnerJavaHome();
  return { PATH: safePath(javaHome), ...(javaHome && { JAVA_HOME: javaHome }) };
}

// The PIT's options come last so that an instructor's explicit setting wins.
const join = (ours: string, theirs: string | undefined) => (theirs ? `${ours} ${theirs}` : ours);

/** System folders, plus those of the JDK and of this Node, when they exist and only root or the runner can write them. */
function safePath(javaHome: string | undefined): string {
  const candidates = [
    javaHome && path.join(javaHome, 'bin'),
    path.dirname(process.execPath),
    '/usr/local/bin', '/usr/bin', '/bin',
  ];
  const dirs = candidates.filter((dir): dir is string => !!dir && isTrustedDir(dir));
  return [...new Set(dirs)].join(':');
}

function isTrustedDir(dir: string): boolean {
  try {
    const stat = statSync(dir);
    return stat.isDirectory() && (stat.uid === 0 || stat.uid === process.getuid?.()) && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}
