import type { Sql } from './connection.js';

export interface StatsFilter { pitId?: string; since?: Date; until?: Date }

export interface PitStats {
  total: number;
  byStatus: Array<{ status: string; outcome: string | null; count: number }>;
  /** Graded (DONE) submissions per score band: [0,10), [10,20) … [90,100]. */
  scoreBands: number[];
  /** Visible tests that did not pass most often among graded submissions. */
  hardestTests: Array<{ test: string; failed: number; ran: number }>;
  /** The same for hidden tests, by name: for instructors only, as everything here. */
  hardestHiddenTests: Array<{ test: string; failed: number; ran: number }>;
  /** The latest submissions that could not be graded. */
  errors: Array<{ id: string; errorCode: string | null; message: string | null; createdAt: Date }>;
}

const LISTED = 10;

/** How a PIT went: counts, score distribution, the tests failed most often, the submissions that ended ERROR. */
export async function pitStats(sql: Sql, filter: StatsFilter): Promise<PitStats> {
  const where = sql`true
    ${filter.pitId ? sql`and pit_id = ${filter.pitId}` : sql``}
    ${filter.since ? sql`and created_at >= ${filter.since}` : sql``}
    ${filter.until ? sql`and created_at < ${filter.until}` : sql``}`;
  const failedMost = (hidden: boolean) => sql<PitStats['hardestTests']>`
      select test.value->>'classname' || '#' || (test.value->>'name') as test,
        count(*) filter (where test.value->>'status' <> 'passed')::int as failed, count(*)::int as ran
      from submissions, jsonb_array_elements(coalesce(feedback->'tests', '[]'::jsonb)) as test
      where ${where} and status = 'DONE' and (test.value ? 'hidden') = ${hidden}
      group by 1 having count(*) filter (where test.value->>'status' <> 'passed') > 0
      order by failed desc, test limit ${LISTED}`;
  const [byStatus, bands, hardest, hardestHidden, errors] = await Promise.all([
    sql<PitStats['byStatus']>`
      select status, outcome, count(*)::int as count from submissions where ${where}
      group by status, outcome order by count desc, status, outcome`,
    sql<Array<{ band: number; count: number }>>`
      select least(floor(score / 10), 9)::int as band, count(*)::int as count from submissions
      where ${where} and status = 'DONE' and score is not null group by band`,
    failedMost(false),
    failedMost(true),
    sql<PitStats['errors']>`
      select id, error_code as "errorCode", feedback->'error'->>'message' as message, created_at as "createdAt"
      from submissions where ${where} and status = 'ERROR' order by created_at desc limit ${LISTED}`,
  ]);
  const scoreBands = Array.from({ length: 10 }, (_, band) => bands.find((row) => row.band === band)?.count ?? 0);
  return {
    total: byStatus.reduce((sum, row) => sum + row.count, 0),
    byStatus: [...byStatus],
    scoreBands,
    hardestTests: [...hardest],
    hardestHiddenTests: [...hardestHidden],
    errors: [...errors],
  };
}

/** What the latest regrade of each submission changed, against the grade it had before. */
export interface RegradeComparison {
  /** Submissions with a grade before their latest attempt. */
  compared: number;
  up: number;
  down: number;
  same: number;
  /** The latest attempt ended ERROR: recorded beside the grade it did not replace. */
  notRegraded: number;
  /** Per test, how many submissions went from one outcome to another (`missing`: not in that result). */
  flips: Array<{ test: string; from: string; to: string; count: number }>;
  /** Per submission whose score moved: before and after. */
  changes: Array<{ id: string; before: number; after: number }>;
}

type TestOutcomes = Array<{ classname: string; name: string; status: string }> | null;

/**
 * Each submission's latest attempt against its DONE result before it. Per-test flips are counted where
 * both are grades (the latest DONE); a latest ERROR counts as not regraded.
 */
export async function regradeComparison(sql: Sql, filter: StatsFilter): Promise<RegradeComparison> {
  const rows = await sql<Array<{ id: string; latestStatus: string; latestScore: number | null; latestTests: TestOutcomes; previousScore: number | null; previousTests: TestOutcomes }>>`
    select s.id, latest.status as "latestStatus", latest.score::float8 as "latestScore", latest.feedback->'tests' as "latestTests",
      previous.score::float8 as "previousScore", previous.feedback->'tests' as "previousTests"
    from submissions s
    cross join lateral (select * from submission_results r where r.submission_id = s.id order by r.attempt desc limit 1) latest
    cross join lateral (select * from submission_results r where r.submission_id = s.id and r.attempt < latest.attempt and r.status = 'DONE'
      order by r.attempt desc limit 1) previous
    where true
      ${filter.pitId ? sql`and s.pit_id = ${filter.pitId}` : sql``}
      ${filter.since ? sql`and s.created_at >= ${filter.since}` : sql``}
      ${filter.until ? sql`and s.created_at < ${filter.until}` : sql``}
    order by s.created_at, s.id`;
  const comparison: RegradeComparison = { compared: rows.length, up: 0, down: 0, same: 0, notRegraded: 0, flips: [], changes: [] };
  const flips = new Map<string, { test: string; from: string; to: string; count: number }>();
  for (const row of rows) {
    if (row.latestStatus !== 'DONE') { comparison.notRegraded += 1; continue; }
    const before = row.previousScore ?? 0;
    const after = row.latestScore ?? 0;
    if (after > before) comparison.up += 1;
    else if (after < before) comparison.down += 1;
    else comparison.same += 1;
    if (after !== before) comparison.changes.push({ id: row.id, before, after });
    const was = outcomesById(row.previousTests);
    const now = outcomesById(row.latestTests);
    for (const test of new Set([...was.keys(), ...now.keys()])) {
      const from = was.get(test) ?? 'missing';
      const to = now.get(test) ?? 'missing';
      if (from === to) continue;
      const key = JSON.stringify([test, from, to]);
      const flip = flips.get(key) ?? { test, from, to, count: 0 };
      flip.count += 1;
      flips.set(key, flip);
    }
  }
  comparison.flips = [...flips.values()].sort((a, b) => b.count - a.count || a.test.localeCompare(b.test) || a.from.localeCompare(b.from));
  return comparison;
}

const outcomesById = (tests: TestOutcomes) => new Map((tests ?? []).map((t) => [`${t.classname}#${t.name}`, t.status]));
