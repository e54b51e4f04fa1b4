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
