import { createInterface } from 'node:readline/promises';
import type { CommandModule } from 'yargs';
import { EXIT, usageError } from '../errors.js';
import type { Logger } from '../log.js';
import { isUuid } from '../ids.js';
import {
  enqueueSubmissions, gradeInline, selectSubmissions, type Progress, type ReprocessRepository, type ReprocessSelection, type ReprocessSummary,
} from '../submissions/reprocess.js';
import { runSubmission, type SubmissionOutcome } from '../submissions/run.js';
import type { SubmissionStatus } from '../grading/types.js';
import type { Scope } from '../runtime.js';
import { handler } from './context.js';
import { checkConcurrency, checkPositiveInteger, commaList, parseDateFlag } from './flags.js';

export interface ReprocessArgs {
  ids?: string;
  status?: string;
  pit?: string;
  since?: string;
  until?: string;
  stale?: boolean;
  limit?: number;
  mode: 'enqueue' | 'inline';
  dryRun?: boolean;
  concurrency?: number;
  yes?: boolean;
}

type Terminal = NodeJS.WritableStream & { isTTY?: boolean };

export interface ReprocessDeps {
  repository: ReprocessRepository;
  /** Where the PITs are, as this runner grades them (`--stale` hashes them). */
  pitsDir: string;
  queue?: { sendBatch(bodies: string[]): Promise<{ sent: number }> };
  grade?(id: string): Promise<SubmissionOutcome>;
  log: Logger;
  signal?: AbortSignal;
  stdout: NodeJS.WritableStream;
  stderr: Terminal;
  /** Asks a yes/no question; undefined when nobody can answer (no terminal). */
  confirm?(question: string): Promise<boolean>;
}

/** Above this many rows a person confirms (or passes --yes). */
export const CONFIRM_ABOVE = 20;
const statuses: SubmissionStatus[] = ['PENDING', 'RUNNING', 'DONE', 'ERROR'];

export function parseSelection(args: ReprocessArgs): ReprocessSelection {
  const date = (flag: string, text?: string) => (text === undefined ? undefined : parseDateFlag(flag, text));
  const ids = args.ids === undefined ? undefined : commaList(args.ids);
  const bad = ids?.filter((id) => !isUuid(id)) ?? [];
  if (bad.length) throw usageError(`--ids: not submission ids: ${bad.join(', ')}`);
  const status = args.status?.toUpperCase() as SubmissionStatus | undefined;
  if (status && !statuses.includes(status)) throw usageError(`--status: one of ${statuses.join(', ')} (got "${args.status}")`);
  const selection: ReprocessSelection = {
    ...(ids?.length && { ids }), ...(status && { status }), ...(args.pit && { pitId: args.pit }),
    ...(args.since && { since: date('--since', args.since) }), ...(args.until && { until: date('--until', args.until) }),
    ...(args.stale && { stale: true }), ...(args.limit && { limit: args.limit }),
  };
  if (!selection.ids && !selection.status && !selection.pitId && !selection.since && !selection.until && !selection.stale) {
    throw usageError('select something: --ids, or any of --stale, --status, --pit, --since, --until');
  }
  return selection;
}

function progressReporter(stderr: Terminal, log: Logger) {
  if (!stderr.isTTY) return (p: Progress) => log.info({ progress: p }, 'reprocess progress');
  return (p: Progress) => {
    const width = 30;
    const filled = Math.round((width * p.done) / p.total);
    stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}${p.failed ? `  failed ${p.failed}` : ''}`);
    if (p.done === p.total) stderr.write('\n');
  };
}

/** Select, confirm, then enqueue or grade; prints the selection (dry run) or a JSON summary on stdout. */
export async function reprocess(args: ReprocessArgs, deps: ReprocessDeps): Promise<number> {
  const selection = parseSelection(args);
  const { rows, unloadable } = await selectSubmissions(selection, { repository: deps.repository, pitsDir: deps.pitsDir, log: deps.log });
  if (args.dryRun || !rows.length) {
    deps.stdout.write(`${JSON.stringify({ mode: 'dry-run', selected: rows.length, ids: rows.map((row) => row.id), ...(unloadable.length && { unloadable }) })}\n`);
    return EXIT.OK;
  }
  if (rows.length > CONFIRM_ABOVE && !args.yes) {
    const question = `Reprocess ${rows.length} submissions (--mode ${args.mode})? [y/N] `;
    if (!deps.confirm) throw usageError(`${rows.length} submissions selected (more than ${CONFIRM_ABOVE}): pass --yes to confirm, or --dry-run to look first`);
    if (!(await deps.confirm(question))) {
      deps.stderr.write('Nothing was changed.\n');
      return EXIT.OK;
    }
  }
  const onProgress = progressReporter(deps.stderr, deps.log);
  const common = { log: deps.log, onProgress, ...(deps.signal && { signal: deps.signal }) };
  const summary: ReprocessSummary = args.mode === 'enqueue'
    ? await enqueueSubmissions(rows, { ...common, repository: deps.repository, queue: deps.queue! })
    : await gradeInline(rows, { ...common, grade: deps.grade!, concurrency: args.concurrency ?? 1 });
  deps.stdout.write(`${JSON.stringify(summary)}\n`);
  if (deps.signal?.aborted) return EXIT.SIGTERM;
  if (!summary.failed) return EXIT.OK;
  return summary.failures.every((f) => f.code === 'TRANSIENT') ? EXIT.TRANSIENT : EXIT.FAILED;
}

/**
 * The command's wiring from the scope: the database (always), the queue (enqueue) and the grading deps
 * (inline). The queue is opened first, so a missing AWS_SQS_QUEUE_URL is reported before the database opens.
 */
export async function reprocessDeps(scope: Scope, needs: { queue: boolean; grade: boolean }): Promise<Pick<ReprocessDeps, 'repository' | 'queue' | 'grade' | 'pitsDir'>> {
  const queue = needs.queue ? await scope.queue() : undefined;
  const deps = needs.grade ? await scope.submissionDeps() : undefined;
  return {
    repository: await scope.submissions(),
    pitsDir: scope.config.pitsDir,
    ...(queue && { queue }),
    ...(deps && { grade: (id: string) => runSubmission(id, deps, { force: true }) }),
  };
}

async function askOnTerminal(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

export const reprocessCommand: CommandModule<object, ReprocessArgs> = {
  builder: (y) => y
    .option('ids', { type: 'string', describe: 'comma-separated submission ids' })
    .option('status', { type: 'string', describe: 'PENDING, RUNNING, DONE or ERROR' })
    .option('pit', { type: 'string', describe: 'PIT id' })
    .option('since', { type: 'string', describe: 'created at or after this date/time (ISO 8601)' })
    .option('until', { type: 'string', describe: 'created before this date/time (ISO 8601)' })
    .option('stale', { type: 'boolean', describe: 'whose current result was graded by another version of the PIT (its content hash) than the one here now, or by an unknown one' })
    .option('limit', { type: 'number', describe: 'at most this many rows' })
    .option('mode', { choices: ['enqueue', 'inline'] as const, default: 'enqueue' as const, describe: 'enqueue: back to PENDING and onto SQS; inline: grade here' })
    .option('concurrency', { type: 'number', default: 1, describe: '--mode inline: submissions graded at once' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'print the count and ids; change nothing' })
    .option('yes', { type: 'boolean', default: false, describe: `confirm a selection above ${CONFIRM_ABOVE} rows without asking` })
    .check((a) => {
      checkConcurrency(a.concurrency);
      checkPositiveInteger('--limit', a.limit);
      return true;
    }),
  handler: handler<ReprocessArgs>(async (args, ctx) => {
    parseSelection(args); // usage errors before anything is opened
    return ctx.scope(ctx.config(), async (scope) => {
      const opened = await reprocessDeps(scope, { queue: args.mode === 'enqueue' && !args.dryRun, grade: args.mode === 'inline' && !args.dryRun });
      const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
      return reprocess(args, {
        ...opened, log: ctx.log, signal: ctx.signal, stdout: process.stdout, stderr: process.stderr,
        ...(interactive && { confirm: askOnTerminal }),
      });
    });
  }),
};
