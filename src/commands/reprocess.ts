import { createInterface } from 'node:readline/promises';
import type { CommandModule } from 'yargs';
import { EXIT } from '../errors.js';
import type { Logger } from '../log.js';
import {
  CONFIRM_ABOVE, reprocessSelection, selectionOf, type Progress, type ReprocessRunDeps, type ReprocessSelection,
} from '../submissions/reprocess.js';
import { runSubmission } from '../submissions/run.js';
import type { Scope } from '../runtime.js';
import { handler } from './context.js';
import { checkConcurrencyFits, checkPositiveInteger, commaList, parseDateFlag } from './flags.js';

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

export interface ReprocessDeps extends Omit<ReprocessRunDeps, 'onProgress'> {
  stdout: NodeJS.WritableStream;
  stderr: Terminal;
}

/** The flags as filters; dates and id lists parsed here, checked by the use case. */
export function parseSelection(args: ReprocessArgs): ReprocessSelection {
  const date = (flag: string, text?: string) => (text === undefined ? undefined : parseDateFlag(flag, text));
  const since = date('--since', args.since);
  const until = date('--until', args.until);
  return selectionOf({
    ...(args.ids !== undefined && { ids: commaList(args.ids) }), ...(args.status !== undefined && { status: args.status }),
    ...(args.pit && { pitId: args.pit }), ...(args.stale && { stale: true }), ...(since && { since }), ...(until && { until }), ...(args.limit && { limit: args.limit }),
  });
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
  const done = await reprocessSelection(parseSelection(args), { mode: args.mode, dryRun: args.dryRun, concurrency: args.concurrency, confirmed: args.yes }, {
    ...deps, onProgress: progressReporter(deps.stderr, deps.log),
  });
  if (done.kind === 'looked') {
    deps.stdout.write(`${JSON.stringify({ mode: 'dry-run', selected: done.ids.length, ids: done.ids, ...(done.unloadable.length && { unloadable: done.unloadable }) })}\n`);
    return EXIT.OK;
  }
  if (done.kind === 'declined') {
    deps.stderr.write('Nothing was changed.\n');
    return EXIT.OK;
  }
  const { summary } = done;
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
      checkPositiveInteger('--concurrency', a.concurrency);
      checkPositiveInteger('--limit', a.limit);
      return true;
    }),
  handler: handler<ReprocessArgs>(async (args, ctx) => {
    parseSelection(args); // usage errors before anything is opened
    const config = ctx.config();
    checkConcurrencyFits(args.concurrency, config);
    return ctx.scope(config, async (scope) => {
      const opened = await reprocessDeps(scope, { queue: args.mode === 'enqueue' && !args.dryRun, grade: args.mode === 'inline' && !args.dryRun });
      const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
      return reprocess(args, {
        ...opened, log: ctx.log, signal: ctx.signal, stdout: process.stdout, stderr: process.stderr,
        ...(interactive && { confirm: askOnTerminal }),
      });
    });
  }),
};
