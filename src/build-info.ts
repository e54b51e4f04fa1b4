import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { installDir } from './config.js';

export interface RunnerBuild {
  version: string;
  /** The commit the runner was built from (`-dirty` when its tracked sources differed from it). */
  gitSha: string | null;
  /** The container image's digest where the platform says it (ECS task metadata). */
  imageDigest: string | null;
}

const run = promisify(execFile);
const METADATA_TIMEOUT_MS = 1_000;

let build: Promise<RunnerBuild> | undefined;

/** The runner's version, commit and image digest: looked up once per process, never throws. */
export function runnerBuild(): Promise<RunnerBuild> {
  build ??= Promise.all([version(), gitSha(), imageDigest(process.env.ECS_CONTAINER_METADATA_URI_V4)])
    .then(([version, gitSha, imageDigest]) => ({ version, gitSha, imageDigest }));
  return build;
}

async function version(): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(installDir, 'package.json'), 'utf8').catch(() => '{}')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/**
 * What `npm run build` recorded beside the bundle (dist/build-info.json); run from the sources, the
 * checkout's own commit. The image has no .git: its build records the GIT_SHA build argument.
 */
async function gitSha(): Promise<string | null> {
  const recorded = await readFile(new URL('./build-info.json', import.meta.url), 'utf8').then(
    (text) => (JSON.parse(text) as { gitSha?: string | null }).gitSha ?? null,
    () => undefined,
  );
  return recorded !== undefined ? recorded : checkoutSha(installDir);
}

/** HEAD of the checkout at `root`, `-dirty` when tracked files differ from it; null outside a checkout. */
export async function checkoutSha(root: string): Promise<string | null> {
  try {
    const { stdout } = await run('git', ['-C', root, 'rev-parse', 'HEAD'], { timeout: 2_000 });
    const changed = await run('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { timeout: 2_000 });
    return `${stdout.trim()}${changed.stdout.trim() ? '-dirty' : ''}`;
  } catch {
    return null;
  }
}

/**
 * The image digest ECS reports for this task's container (task metadata endpoint v4); null off ECS
 * or when the endpoint does not answer within a second.
 */
export async function imageDigest(metadataUri: string | undefined): Promise<string | null> {
  if (!metadataUri) return null;
  try {
    const response = await fetch(`${metadataUri}/task`, { signal: AbortSignal.timeout(METADATA_TIMEOUT_MS) });
    if (!response.ok) return null;
    const task = (await response.json()) as { Containers?: Array<{ Name?: string; ImageDigest?: string }> };
    const containers = task.Containers ?? [];
    // the task definition's container is `runner`; a task of one container is the runner's whatever its name
    const own = containers.find((c) => c.Name === 'runner') ?? (containers.length === 1 ? containers[0] : undefined);
    return own?.ImageDigest ?? null;
  } catch {
    return null;
  }
}
