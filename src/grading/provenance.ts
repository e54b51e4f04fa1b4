import { execa } from 'execa';
import { runnerBuild } from '../build-info.js';
import { toolPath, type Sandbox } from '../sandbox/index.js';
import { pitHash } from './pit-hash.js';
import type { PitConfig, Provenance } from './types.js';

/** How each tool says its version: the command and the pattern its first match is read from. */
const TOOLS: Record<string, { argv: string[]; version: RegExp }> = {
  java: { argv: ['java', '-version'], version: /version "([^"]+)"/ },
  maven: { argv: ['mvn', '-B', '--version'], version: /Apache Maven (\S+)/ },
  python: { argv: ['python3', '--version'], version: /Python (\S+)/ },
  pytest: { argv: ['python3', '-m', 'pytest', '--version'], version: /pytest (\S+)/ },
  node: { argv: ['node', '--version'], version: /v(\d\S*)/ },
};

/** The tools each build tool runs; another build tool's are not known, so not measured. */
const TOOLS_OF: Record<string, string[]> = {
  maven: ['java', 'maven'],
  javac: ['java'],
  junit: ['java'],
  pytest: ['python', 'pytest'],
  node: ['node'],
};

const measured = new Map<string, Promise<string | null>>();

/** A tool's version as the tests find it (their PATH), measured once per process; null when it does not answer. */
function toolVersion(tool: string): Promise<string | null> {
  let version = measured.get(tool);
  if (!version) {
    const { argv, version: pattern } = TOOLS[tool]!;
    version = execa(argv[0]!, argv.slice(1), { env: toolPath(), extendEnv: false, reject: false, timeout: 15_000, stdin: 'ignore', all: true })
      .then((result) => pattern.exec(String(result.all ?? ''))?.[1] ?? null, () => null);
    measured.set(tool, version);
  }
  return version;
}

export async function toolchainOf(buildTool: string): Promise<Record<string, string | null>> {
  const tools = TOOLS_OF[buildTool] ?? [];
  const versions = await Promise.all(tools.map(toolVersion));
  return Object.fromEntries(tools.map((tool, index) => [tool, versions[index] ?? null]));
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
