import { execa } from 'execa';
import { runnerBuild } from '../build-info.js';
import { toolPath, type Sandbox } from '../sandbox/index.js';
import { pitHash } from './pit-hash.js';
import type { PitConfig, Provenance } from './types.js';

/** How to ask for versions: a command, and the pattern each tool's version is read from in its output. */
const PROBES: Record<string, { argv: string[]; versions: Record<string, RegExp> }> = {
  java: { argv: ['java', '-version'], versions: { java: /version "([^"]+)"/ } },
  maven: { argv: ['mvn', '-B', '--version'], versions: { maven: /Apache Maven (\S+)/ } },
  // pytest's installed version without importing pytest (a second of start-up)
  python: {
    argv: ['python3', '-I', '-c', "import sys, importlib.metadata as m; print('Python', sys.version.split()[0]); print('pytest', m.version('pytest'))"],
    versions: { python: /Python (\S+)/, pytest: /pytest (\S+)/ },
  },
  node: { argv: ['node', '--version'], versions: { node: /v(\d\S*)/ } },
};

/** What each build tool runs; another build tool's tools are not known, so not measured. */
const PROBES_OF: Record<string, string[]> = {
  maven: ['java', 'maven'],
  javac: ['java'],
  junit: ['java'],
  pytest: ['python'],
  node: ['node'],
};

const measured = new Map<string, Promise<Record<string, string | null>>>();

/** A probe's versions as the tests find the tools (their PATH), measured once per process; null when a tool does not answer. */
function probe(name: string): Promise<Record<string, string | null>> {
  let versions = measured.get(name);
  if (!versions) {
    const { argv, versions: patterns } = PROBES[name]!;
    versions = execa(argv[0]!, argv.slice(1), { env: toolPath(), extendEnv: false, reject: false, timeout: 15_000, stdin: 'ignore', all: true })
      .then((result) => String(result.all ?? ''), () => '')
      .then((output) => Object.fromEntries(Object.entries(patterns).map(([tool, pattern]) => [tool, pattern.exec(output)?.[1] ?? null])));
    measured.set(name, versions);
  }
  return versions;
}

export async function toolchainOf(buildTool: string): Promise<Record<string, string | null>> {
  return Object.assign({}, ...(await Promise.all((PROBES_OF[buildTool] ?? []).map(probe))));
}

/**
 * What produces a result for `pit` on this runner. Never throws: what cannot be measured is null
 * (`pit` undefined: the PIT could not be loaded).
 */
export async function describeRun(pit: PitConfig | undefined, deps: { sandbox: Sandbox; timeoutMs: number }): Promise<Provenance> {
  const [hash, runner, toolchain, mode] = await Promise.all([
    pit ? pitHash(pit).catch(() => null) : null,
    runnerBuild(),
    pit ? toolchainOf(pit.buildTool) : {},
    pit ? deps.sandbox.mode().catch(() => null) : null,
  ]);
  return {
    pitHash: hash,
    runner,
    buildTool: pit?.buildTool ?? null,
    toolchain,
    sandbox: pit && mode ? { mode, limits: pit.limits, timeoutMs: deps.timeoutMs, network: pit.network } : null,
  };
}

/** The lines the log starts with: what graded it, for whoever reads only the log. */
export function provenanceHeader(p: Provenance): string[] {
  const tools = Object.entries(p.toolchain).map(([tool, version]) => `${tool} ${version ?? 'unknown'}`).join(', ');
  const limits = p.sandbox && Object.entries(p.sandbox.limits).map(([name, value]) => `${name}=${value}`).join(' ');
  return [
    `pit-runner: runner ${p.runner.version} build ${p.runner.gitSha ?? 'unknown'} image ${p.runner.imageDigest ?? 'unknown'}`,
    `pit-runner: PIT ${p.pitHash ?? 'unknown'} (${p.buildTool ?? 'unknown build tool'}${tools ? `: ${tools}` : ''})`,
    `pit-runner: sandbox ${p.sandbox ? `${p.sandbox.mode}, ${limits}, timeoutMs=${p.sandbox.timeoutMs}, network ${p.sandbox.network ? 'on' : 'off'}` : 'unknown'}`,
  ];
}
