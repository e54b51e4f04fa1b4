import { lstat, readFile, realpath, rm } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { glob } from 'tinyglobby';
import type { IntegrityNote, TestResult, TestStatus } from './types.js';
import { fastXml } from '../xml.js';

const MAX_REPORT_BYTES = 10 * 1048576;
const MAX_REPORT_FILES = 500;
const MAX_TOTAL_REPORT_BYTES = 16 * 1048576;
const MAX_TESTS = 10_000;
const MAX_MESSAGE_CHARS = 2048;

/** The test id used everywhere (expectedTests, weights, de-duplication). */
export const testId = (t: Pick<TestResult, 'classname' | 'name'>) => `${t.classname}#${t.name}`;

/**
 * A report entry that stands for a test file that could not load rather than a test: pytest's
 * "collection failure", or node's test named after a file that threw before defining tests.
 */
export const isLoadFailure = (t: TestResult) =>
  (t.status === 'error' && t.message === 'collection failure') ||
  (t.status === 'failed' && t.classname === 'test' && path.isAbsolute(t.name) && /\.[cm]?[jt]sx?$/.test(t.name));

type Fxp = typeof import('fast-xml-parser');
let loaded: { parser: InstanceType<Fxp['XMLParser']>; validator: Fxp['XMLValidator'] } | undefined;
function xmlParser() {
  if (loaded) return loaded;
  const { XMLParser, XMLValidator } = fastXml();
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    htmlEntities: true,              // numeric character references (&#10;); DTDs are refused before parsing
    parseTagValue: false,
    parseAttributeValue: false,
    isArray: (tag) => ['testsuite', 'testcase', 'failure', 'error', 'skipped'].includes(tag),
  });
  return (loaded = { parser, validator: XMLValidator });
}

type XmlNode = Record<string, unknown>;
const asNode = (value: unknown): XmlNode => (typeof value === 'object' && value ? (value as XmlNode) : { '#text': String(value ?? '') });
const children = (node: XmlNode, tag: string) => (Array.isArray(node[tag]) ? (node[tag] as unknown[]) : []).map(asNode);
const attr = (node: XmlNode, name: string) => (typeof node[`@${name}`] === 'string' ? (node[`@${name}`] as string) : undefined);

/**
 * JUnit XML → test results. Understands Maven Surefire and the JUnit Platform console launcher
 * (`<testsuite>` root), pytest (`<testsuites><testsuite>`) and `node --test --test-reporter=junit`
 * (test cases straight under `<testsuites>` or in nested suites). Throws on malformed XML.
 */
export function parseJUnitXml(xml: string): TestResult[] {
  if (/<!DOCTYPE/i.test(xml)) throw new Error('a DOCTYPE is not allowed in a test report (no entity expansion)');
  const { parser, validator } = xmlParser();
  const valid = validator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`);
  const doc = parser.parse(xml) as XmlNode;
  if (!('testsuites' in doc) && !('testsuite' in doc)) throw new Error('neither <testsuites> nor <testsuite> at its root');
  const root = 'testsuites' in doc ? asNode(doc.testsuites) : doc;
  // node's reporter writes classname="test" for every case; its suites (describe blocks) identify the test
  const nodeDialect = /<!--\s*tests \d+\s*-->/.test(xml);
  const results: TestResult[] = [];
  const walk = (node: XmlNode, suites: string[]) => {
    for (const testcase of children(node, 'testcase')) results.push(toResult(testcase, nodeDialect ? suites : undefined));
    for (const suite of children(node, 'testsuite')) walk(suite, [...suites, attr(suite, 'name') ?? '']);
  };
  walk(root, []);
  return results;
}

function toResult(testcase: XmlNode, suites?: string[]): TestResult {
  const declared = attr(testcase, 'classname') ?? '';
  const classname = suites ? suites.filter(Boolean).join(' > ') || declared : declared;
  // JUnit Platform writes "adds()" where Surefire may write "adds": one id for both
  const name = (attr(testcase, 'name') ?? '').replace(/\(\)$/, '');
  const time = Number.parseFloat(attr(testcase, 'time') ?? '');
  const [status, detail] = statusOf(testcase);
  const message = detail && capped(attr(detail, 'message') || textOf(detail));
  return { name, classname, status, timeMs: Number.isFinite(time) ? Math.round(time * 1000) : 0, ...(message ? { message } : {}) };
}

function statusOf(testcase: XmlNode): [TestStatus, XmlNode?] {
  for (const [tag, status] of [['failure', 'failed'], ['error', 'error'], ['skipped', 'skipped']] as const) {
    const found = children(testcase, tag)[0];
    if (found) return [status, found];
  }
  return ['passed'];
}

const textOf = (node: XmlNode) => (typeof node['#text'] === 'string' ? node['#text'] : '');

/** A report's message, trimmed and cut to what a result keeps. */
export function capped(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  return trimmed.length > MAX_MESSAGE_CHARS ? `${trimmed.slice(0, MAX_MESSAGE_CHARS)}… [cut]` : trimmed;
}

const statusRank: Record<TestStatus, number> = { passed: 0, skipped: 1, failed: 2, error: 3 };

export interface Reports {
  tests: TestResult[];
  files: string[];
  /** Reports that were not read (REPORT_REJECTED) or could not all be read (REPORTS_OVER_BUDGET). */
  integrity: IntegrityNote[];
}

/**
 * Reads every report matching `globs` under `projectRoot`: only regular files, with one link, that
 * really live inside it. Reading a subset would let a flood of planted reports push the real one
 * out, so more files, bytes or tests than the budget read none (REPORTS_OVER_BUDGET), and a report
 * that is not a regular file or not well-formed is REPORT_REJECTED: either makes the run unscorable.
 * A test reported twice keeps its worst status, so a planted duplicate cannot turn a failure green.
 */
export async function readReports(projectRoot: string, globs: string[]): Promise<Reports> {
  const root = await realpath(projectRoot);
  const found = (await glob(globs, { cwd: root, absolute: true, dot: true, followSymbolicLinks: false })).sort();
  const overBudget = (message: string): Reports => ({ tests: [], files: [], integrity: [{ code: 'REPORTS_OVER_BUDGET', message }] });
  if (found.length > MAX_REPORT_FILES) return overBudget(`${found.length} report files; at most ${MAX_REPORT_FILES} are read`);
  const byId = new Map<string, TestResult>();
  const files: string[] = [];
  const rejected: string[] = [];
  const reasons: string[] = [];
  let bytes = 0;
  for (const file of found) {
    const relative = path.relative(root, file);
    const info = await lstat(file);
    if (info.isFile() && (info.size > MAX_REPORT_BYTES || bytes + info.size > MAX_TOTAL_REPORT_BYTES)) {
      return overBudget(`report ${relative} is ${info.size} bytes; at most ${MAX_REPORT_BYTES} bytes a file and ${MAX_TOTAL_REPORT_BYTES} bytes in all are read`);
    }
    try {
      const problem = await unsafeReport(root, file, info);
      if (problem) throw new Error(problem);
      const xml = await readFile(file, 'utf8');
      bytes += Buffer.byteLength(xml);
      for (const test of parseJUnitXml(xml)) {
        const seen = byId.get(testId(test));
        if (!seen && byId.size >= MAX_TESTS) return overBudget(`more than ${MAX_TESTS} tests reported`);
        if (!seen || statusRank[test.status] > statusRank[seen.status]) byId.set(testId(test), test);
      }
      files.push(relative);
    } catch (err) {
      rejected.push(relative);
      reasons.push(`${relative}: ${(err as Error).message}`);
    }
  }
  const integrity: IntegrityNote[] = rejected.length
    ? [{ code: 'REPORT_REJECTED', message: `report(s) not read: ${reasons.slice(0, 3).join('; ')}${reasons.length > 3 ? '; …' : ''}`, files: rejected.slice(0, 50) }]
    : [];
  return { tests: [...byId.values()], files, integrity };
}

async function unsafeReport(root: string, file: string, info: Stats): Promise<string | undefined> {
  if (!info.isFile()) return 'not a regular file';
  if (info.nlink !== 1) return 'a hard link';
  const real = await realpath(file);
  if (!real.startsWith(root + path.sep)) return 'it lies outside the project';
  return undefined;
}

/**
 * Removes whatever lies at the report paths before the run. A match reached through a symlinked
 * folder is never entered: the link itself is removed, so nothing outside the project is touched.
 */
export async function clearReports(projectRoot: string, globs: string[]): Promise<void> {
  const root = await realpath(projectRoot);
  const planted = await glob(globs, { cwd: root, dot: true, onlyFiles: false, followSymbolicLinks: false });
  for (const relative of planted) await rm(await firstLink(root, relative) ?? path.join(root, relative), { force: true, recursive: true });
}

/** The first symlink on the way from `root` to `relative`, if any (links are not followed). */
async function firstLink(root: string, relative: string): Promise<string | undefined> {
  let current = root;
  for (const segment of relative.split(/[\\/]/).filter(Boolean)) {
    current = path.join(current, segment);
    const info = await lstat(current).catch(() => undefined);
    if (!info || info.isSymbolicLink()) return info ? current : undefined;
  }
  return undefined;
}
