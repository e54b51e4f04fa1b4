import type { CommandModule } from 'yargs';
import { pitStats, regradeComparison, type PitStats, type RegradeComparison, type StatsFilter } from '../db/stats.js';
import { EXIT } from '../errors.js';
import { handler } from './context.js';
import { checkPitId, parseDateFlag } from './flags.js';

interface StatsArgs { pit?: string; since?: string; until?: string; json: boolean; compare: boolean }

export function parseFilter(args: StatsArgs): StatsFilter {
  return {
    ...(args.pit && { pitId: args.pit }),
    ...(args.since && { since: parseDateFlag('--since', args.since) }),
    ...(args.until && { until: parseDateFlag('--until', args.until) }),
  };
}

const scopeOf = (filter: StatsFilter) =>
  [filter.pitId ?? 'all PITs', filter.since && `since ${filter.since.toISOString()}`, filter.until && `until ${filter.until.toISOString()}`].filter(Boolean).join(', ');

/** What the latest regrades changed, as a person reads it at a terminal. */
export function comparisonText(c: RegradeComparison, filter: StatsFilter): string {
  const lines = [
    `${c.compared} regraded submissions (${scopeOf(filter)}), each latest attempt against the grade before it`, '',
    `up ${c.up}  down ${c.down}  same ${c.same}  not regraded (ended ERROR, earlier grade kept) ${c.notRegraded}`,
    '', 'tests whose outcome flipped', ...(c.flips.length ? [] : ['  (none)']),
  ];
  for (const flip of c.flips) lines.push(`  ${String(flip.count).padStart(5)}  ${flip.from.padEnd(8)} → ${flip.to.padEnd(8)} ${flip.test}`);
  lines.push('', 'scores that moved', ...(c.changes.length ? [] : ['  (none)']));
  for (const change of c.changes) lines.push(`  ${change.id}  ${change.before} → ${change.after}`);
  return `${lines.join('\n')}\n`;
}

/** The stats as a person reads them at a terminal. */
export function statsText(stats: PitStats, filter: StatsFilter): string {
  const scope = scopeOf(filter);
  const lines = [`${stats.total} submissions (${scope})`, '', 'status    outcome             count'];
  for (const row of stats.byStatus) lines.push(`${row.status.padEnd(9)} ${(row.outcome ?? '-').padEnd(19)} ${row.count}`);
  const most = Math.max(1, ...stats.scoreBands);
  lines.push('', 'score (graded)');
  stats.scoreBands.forEach((count, band) => {
    const label = band === 9 ? '90–100' : `${band * 10}–${band * 10 + 9}`;
    lines.push(`${label.padStart(6)} ${'█'.repeat(Math.round((30 * count) / most)).padEnd(30)} ${count}`);
  });
  lines.push('', 'tests failed most often');
  if (!stats.hardestTests.length) lines.push('  (none)');
  for (const test of stats.hardestTests) lines.push(`  ${test.failed}/${test.ran}  ${test.test}`);
  if (stats.hardestHiddenTests.length) lines.push('', 'hidden tests failed most often');
  for (const test of stats.hardestHiddenTests) lines.push(`  ${test.failed}/${test.ran}  ${test.test}`);
  lines.push('', 'latest submissions that ended ERROR');
  if (!stats.errors.length) lines.push('  (none)');
  for (const error of stats.errors) lines.push(`  ${error.id}  ${error.createdAt.toISOString()}  ${error.errorCode ?? ''}  ${(error.message ?? '').split('\n')[0]}`);
  return `${lines.join('\n')}\n`;
}

export const statsCommand: CommandModule<object, StatsArgs> = {
  builder: (y) => y
    .option('pit', { type: 'string', describe: 'PIT id (default: all PITs)' })
    .option('since', { type: 'string', describe: 'created at or after this date/time (ISO 8601)' })
    .option('until', { type: 'string', describe: 'created before this date/time (ISO 8601)' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
    .option('compare', { type: 'boolean', default: false, describe: 'what the latest regrade changed: grades up, down or the same, and per test which outcomes flipped' })
    .check((a) => (checkPitId('--pit', a.pit), true)),
  handler: handler<StatsArgs>(async (args, ctx) => {
    const filter = parseFilter(args); // usage errors before the database opens
    return ctx.scope(ctx.config(), async (scope) => {
      const { sql } = await scope.database();
      if (args.compare) {
        const comparison = await regradeComparison(sql, filter);
        process.stdout.write(args.json ? `${JSON.stringify(comparison)}\n` : comparisonText(comparison, filter));
        return EXIT.OK;
      }
      const stats = await pitStats(sql, filter);
      process.stdout.write(args.json ? `${JSON.stringify(stats)}\n` : statsText(stats, filter));
      return EXIT.OK;
    });
  }),
};
