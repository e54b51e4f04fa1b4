import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { capped, testId } from './reports.js';
import type { IntegrityNote, TestResult, TestStatus } from './types.js';

/**
 * The verdict channel: what a runtime harness (the junit tool's helper, the pytest plugin, the node
 * preload) tells the runner, on a descriptor the sandbox opens for it (HARNESS_RECORD_FD), signed with
 * a key it read once from another (HARNESS_KEY_FD) before any solution code was loaded. Report files
 * the sandbox uid could have written are not read for such a run: only records that carry the key.
 *
 * One record a line: `<hex HMAC-SHA256(key, json)> <json>\n`, the json one of
 *   {"source":S,"seq":N,"kind":"test","classname":C,"name":T,"status":"passed|failed|error|skipped","timeMs":M,"message"?:X,"refused"?:R}
 *   {"source":S,"seq":N,"kind":"done","tests":K,"refused"?:R}
 * `source` names one writer (a process, a test file) and `seq` counts its records from 0; each source that
 * wrote a record ends with one "done" counting its test records. A run is complete when at least one
 * source ended and none was left open. On a test record, `refused` says what a confining harness refused the
 * solution's code during that test ("reading files"): the result then carries CONFINEMENT_REFUSED. On a done
 * record, the harness saw the solution change the test framework (HARNESS_REFUSED: TAMPERED).
 */
const HARNESS_KEY_BYTES = 32;

export const newHarnessKey = () => randomBytes(HARNESS_KEY_BYTES);

export interface Verdict {
  tests: TestResult[];
  /** Every source that spoke ended with its completion record. */
  complete: boolean;
  /** VERDICT_FORGED: a line without the run's key, out of order, or after its source's end; CONFINEMENT_REFUSED; HARNESS_REFUSED: a source's own refusal. */
  integrity: IntegrityNote[];
}

type Body =
  | { source: string; seq: number; kind: 'test'; classname: string; name: string; status: TestStatus; timeMs: number; message?: string; refused?: string }
  | { source: string; seq: number; kind: 'done'; tests: number; refused?: string };

const STATUSES = new Set<TestStatus>(['passed', 'failed', 'error', 'skipped']);

/** The line a harness writes for `body` (runtimes do the same in their own language; tests use this). */
export function signRecord(key: Buffer, body: Body): string {
  const json = JSON.stringify(body);
  return `${mac(key, json)} ${json}\n`;
}

/** Verifies every line of a run's records; the tests of the records that carry the key, in order. */
export function readVerdict(records: Buffer, key: Buffer): Verdict {
  const tests: TestResult[] = [];
  const refusals: string[] = [];
  const open = new Map<string, { seq: number; tests: number }>();
  const ended = new Set<string>();
  const problems: string[] = [];
  const tampered: string[] = [];
  const lines = records.toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [index, line] of lines.entries()) {
    const body = verified(line, key);
    const problem = body ? orderProblem(body, open, ended) : 'it does not carry the run\'s key';
    if (problem) { problems.push(`record ${index + 1}: ${problem}`); continue; }
    if (body!.kind === 'done') {
      if (typeof body!.refused === 'string' && body!.refused) tampered.push(capped(body!.refused) ?? 'refused');
      continue;
    }
    const test = toTest(body!);
    tests.push(test);
    if (typeof body!.refused === 'string') refusals.push(`${testId(test)} (${body!.refused.slice(0, 80)})`);
  }
  const integrity: IntegrityNote[] = problems.length
    ? [{ code: 'VERDICT_FORGED', message: `the test harness's channel carried ${problems.length} record(s) it did not write: ${problems.slice(0, 3).join('; ')}` }]
    : [];
  if (refusals.length) integrity.push({ code: 'CONFINEMENT_REFUSED', message: `the solution's code tried what its confinement refuses, and ${refusals.length} test(s) failed for it: ${refusals.slice(0, 5).join(', ')}${refusals.length > 5 ? ', …' : ''}` });
  if (tampered.length) integrity.push({ code: 'HARNESS_REFUSED', message: `the test harness found the test framework changed: ${tampered.slice(0, 3).join('; ')}` });
  return { tests, complete: ended.size > 0 && open.size === 0, integrity };
}

function verified(line: string, key: Buffer): Body | undefined {
  const space = line.indexOf(' ');
  if (space !== 64) return undefined;
  const json = line.slice(space + 1);
  const given = Buffer.from(line.slice(0, space), 'hex');
  const expected = Buffer.from(mac(key, json), 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const body = JSON.parse(json) as Body;
    return wellFormed(body) ? body : undefined;
  } catch {
    return undefined;
  }
}

function wellFormed(body: Body): boolean {
  if (typeof body !== 'object' || body === null || typeof body.source !== 'string' || !Number.isInteger(body.seq)) return false;
  if (body.kind === 'done') return Number.isInteger(body.tests);
  return body.kind === 'test' && typeof body.classname === 'string' && typeof body.name === 'string' && STATUSES.has(body.status);
}

/** A source's records come in order, and its completion record counts them and is its last. */
function orderProblem(body: Body, open: Map<string, { seq: number; tests: number }>, ended: Set<string>): string | undefined {
  if (ended.has(body.source)) return `source ${JSON.stringify(body.source)} had already ended`;
  const state = open.get(body.source) ?? { seq: -1, tests: 0 };
  if (body.seq !== state.seq + 1) return `out of order (${body.seq} after ${state.seq})`;
  state.seq = body.seq;
  if (body.kind === 'test') {
    state.tests++;
    open.set(body.source, state);
    return undefined;
  }
  if (body.tests !== state.tests) return `its end counts ${body.tests} tests, ${state.tests} were recorded`;
  open.delete(body.source);
  ended.add(body.source);
  return undefined;
}

function toTest(body: Extract<Body, { kind: 'test' }>): TestResult {
  const message = typeof body.message === 'string' ? capped(body.message) : undefined;
  const timeMs = Number.isFinite(body.timeMs) ? Math.max(0, Math.round(body.timeMs)) : 0;
  return { classname: body.classname, name: body.name.replace(/\(\)$/, ''), status: body.status, timeMs, ...(message && { message }) };
}

const mac = (key: Buffer, json: string) => createHmac('sha256', key).update(json, 'utf8').digest('hex');
