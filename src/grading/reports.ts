import { lstat, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { glob } from 'tinyglobby';
import type { TestResult, TestStatus } from './types.js';

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

// fast-xml-parser is loaded on first use, as its single-file CommonJS build: a fifth of what importing its
// ES modules costs, and nothing to commands that never read a report (bench/steps.ts).
type Fxp = typeof import('fast-xml-parser');
let loaded: { parser: InstanceType<Fxp['XMLParser']>; validator: Fxp['XMLValidator'] } | undefined;
function xmlParser() {
  if (loaded) return loaded;
  const { XMLParser, XMLValidator } = createRequire(import.meta.url)('fast-xml-parser') as Fxp;
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

function capped(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  return trimmed.length > MAX_MESSAGE_CHARS ? `${trimmed.slice(0, MAX_MESSAGE_CHARS)}… [cut]` : trimmed;
}

const statusRank: Record<TestStatus, number> = { passed: 0, skipped: 1, failed: 2, error: 3 };

/**
 * Reads every report matching `globs` under `projectRoot`: only regular files that really live
 * inside it (a submission may plant symlinks), each at most 10 MB. A bad report becomes a note.
 * A test reported twice keeps its worst status, so a planted duplicate cannot turn a failure green.
 */
export async function readReports(projectRoot: string, globs: string[]): Promise<{ tests: TestResult[]; files: string[]; notes: string[] }> {
  const root = await realpath(projectRoot);
  const found = (await glob(globs, { cwd: root, absolute: true, dot: true, followSymbolicLinks: false })).sort();
  const notes: string[] = [];
  if (found.length > MAX_REPORT_FILES) notes.push(`only the first ${MAX_REPORT_FILES} of ${found.length} report files were read`);
  const byId = new Map<string, TestResult>();
  const files: string[] = [];
  // The student's code can write reports: bound what all of them together may cost the runner.
  let bytesLeft = MAX_TOTAL_REPORT_BYTES;
  let tooMany = false;
  for (const file of found.slice(0, MAX_REPORT_FILES)) {
    const relative = path.relative(root, file);
    const problem = await unsafeReport(root, file, bytesLeft);
    if (problem) { notes.push(`report ${relative} skipped: ${problem}`); continue; }
    try {
      const xml = await readFile(file, 'utf8');
      bytesLeft -= Buffer.byteLength(xml);
      for (const test of parseJUnitXml(xml)) {
        const seen = byId.get(testId(test));
        if (!seen && byId.size >= MAX_TESTS) { tooMany = true; continue; }
        if (!seen || statusRank[test.status] > statusRank[seen.status]) byId.set(testId(test), test);
      }
      files.push(relative);
    } catch (err) {
      notes.push(`report ${relative} skipped: ${(err as Error).message}`);
    }
  }
  if (tooMany) notes.push(`only the first ${MAX_TESTS} tests reported were kept`);
  return { tests: [...byId.values()], files, notes };
}

async function unsafeReport(root: string, file: string, bytesLeft: number): Promise<string | undefined> {
  const info = await lstat(file);
  if (!info.isFile()) return 'not a regular file';
  if (info.size > MAX_REPORT_BYTES) return `larger than ${MAX_REPORT_BYTES / 1048576} MB`;
  if (info.size > bytesLeft) return `reports together exceed ${MAX_TOTAL_REPORT_BYTES / 1048576} MB`;
  const real = await realpath(file);
  if (!real.startsWith(root + path.sep)) return 'it lies outside the project';
  return undefined;
}
