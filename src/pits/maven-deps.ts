import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { exists } from '../paths.js';
import { fastXml } from '../xml.js';

/**
 * Maven coordinates → jars in an offline repository laid out as Maven lays out a local one (Debian's
 * /usr/share/maven-repo), without running Maven: each artifact's pom names its dependencies, and those
 * of scope compile or runtime that are not optional are followed. Versions are taken literally; a
 * version the repository lacks falls back to Debian's `debian` alias when the pom does not pin one.
 * No parent poms, no version ranges, no dependencyManagement: Debian's poms do not need them.
 */

/** `groupId:artifactId:version`, the form PITs and error messages use. */
export const COORDINATES = /^([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+):([A-Za-z0-9_.+-]+)$/;

export interface Dependency { groupId: string; artifactId: string; version?: string; scope?: string; optional?: boolean }

const MAX_ARTIFACTS = 100;
// Made on first use: every command loads PITs, few read a pom.
let pomParser: InstanceType<typeof import('fast-xml-parser').XMLParser> | undefined;
const parser = () => (pomParser ??= new (fastXml().XMLParser)({ parseTagValue: false, isArray: (tag) => tag === 'dependency' }));

/** The dependencies a pom declares itself (not those in dependencyManagement). */
export function pomDependencies(xml: string): Dependency[] {
  if (/<!DOCTYPE/i.test(xml)) throw new Error('a DOCTYPE is not allowed in a pom');
  const project = (parser().parse(xml) as { project?: { dependencies?: { dependency?: Record<string, unknown>[] } } }).project;
  return (project?.dependencies?.dependency ?? []).map((d) => ({
    groupId: String(d.groupId ?? '').trim(),
    artifactId: String(d.artifactId ?? '').trim(),
    ...(d.version !== undefined && { version: String(d.version).trim() }),
    ...(d.scope !== undefined && { scope: String(d.scope).trim() }),
    optional: String(d.optional ?? '').trim() === 'true',
  }));
}

export function parseCoordinates(text: string): Dependency {
  const m = COORDINATES.exec(text.trim());
  if (!m) throw new Error(`'${text}' is not groupId:artifactId:version`);
  return { groupId: m[1]!, artifactId: m[2]!, version: m[3]! };
}

const key = (d: Dependency) => `${d.groupId}:${d.artifactId}`;

/**
 * The jars of `wanted` and of what they depend on, in breadth-first order, each artifact once.
 * `provided(d)` names artifacts the caller already has (they and their dependencies are skipped).
 * Throws an Error naming the coordinates and the versions the repository has when one is missing.
 */
export async function resolveJars(wanted: Dependency[], repo: string, provided: (d: Dependency) => boolean = () => false): Promise<string[]> {
  const jars: string[] = [];
  const seen = new Set<string>();
  const queue = wanted.map((d) => ({ dependency: d, from: undefined as string | undefined }));
  while (queue.length) {
    const { dependency, from } = queue.shift()!;
    if (seen.has(key(dependency)) || provided(dependency)) continue;
    seen.add(key(dependency));
    if (seen.size > MAX_ARTIFACTS) throw new Error(`more than ${MAX_ARTIFACTS} artifacts: is there a cycle?`);
    const folder = path.join(repo, ...dependency.groupId.split('.'), dependency.artifactId);
    const version = await pickVersion(repo, folder, dependency, from);
    const base = path.join(folder, version, `${dependency.artifactId}-${version}`);
    if (await exists(`${base}.jar`)) jars.push(`${base}.jar`);
    const pom = await readFile(`${base}.pom`, 'utf8').catch(() => undefined);
    if (!pom) continue;
    for (const next of pomDependencies(pom)) {
      if (next.optional || !['compile', 'runtime', undefined].includes(next.scope)) continue;
      queue.push({ dependency: next, from: `${key(dependency)}:${version}` });
    }
  }
  return jars;
}

async function pickVersion(repo: string, folder: string, dependency: Dependency, from: string | undefined): Promise<string> {
  const versions = (await readdir(folder).catch(() => [] as string[])).sort();
  const literal = dependency.version && !dependency.version.includes('$') ? dependency.version : undefined;
  if (literal && versions.includes(literal)) return literal;
  // A pom's own dependencies may name a version Debian does not ship, or none, or a ${property}.
  if (from && versions.includes('debian')) return 'debian';
  const needed = `${key(dependency)}:${dependency.version ?? '?'}${from ? ` (needed by ${from})` : ''}`;
  const offer = versions.filter((v) => v !== 'debian');
  throw new Error(`${needed} is not in the offline repository ${repo}${offer.length ? `, which has version ${offer.join(', ')}` : ''}`);
}
