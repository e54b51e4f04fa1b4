import type { CommandModule } from 'yargs';
import { requireSettings, type Config } from '../config.js';
import { EXIT } from '../errors.js';
import type { Logger } from '../log.js';
import type { Queue } from '../ports.js';
import { withScope } from '../runtime.js';
import type { Drained } from '../submissions/drain.js';
import { handler } from './context.js';
import { checkConcurrencyFits, checkPositiveInteger } from './flags.js';

interface DrainArgs {
  concurrency: number;
  maxMessages?: number;
  maxSeconds?: number;
}

/** Opens the database, storage and queue, drains, closes them. `queue` replaces SQS (tests, benchmarks). */
export async function drainQueueFromConfig(
  args: DrainArgs,
  ctx: { config: Config; log: Logger; signal: AbortSignal; queue?: Queue },
): Promise<Drained> {
  // before anything is opened
  checkConcurrencyFits(args.concurrency, ctx.config);
  if (!ctx.queue) requireSettings(ctx.config, [['queueUrl', 'AWS_SQS_QUEUE_URL']]);
  return withScope(ctx, async (scope) => {
    await scope.submissions(); // the database first, as in submissionDeps: nothing else loads before it answers
    const [deps, queue, { drainSubmissions }] = await Promise.all([
      scope.submissionDeps(), ctx.queue ?? scope.queue(), import('../submissions/drain.js'),
    ]);
    ctx.log.info({ queue: queue.url, storage: deps.storage.location, concurrency: args.concurrency }, 'draining');
    return drainSubmissions({
      queue,
      deps,
      concurrency: args.concurrency,
      ...(args.maxMessages !== undefined && { maxMessages: args.maxMessages }),
      ...(args.maxSeconds !== undefined && { maxSeconds: args.maxSeconds }),
    });
  });
}

export const drainQueueCommand: CommandModule<object, DrainArgs> = {
  builder: (y) => y
    .option('concurrency', { type: 'number', default: 1, describe: 'submissions graded at once' })
    .option('max-messages', { type: 'number', describe: 'stop receiving after this many messages' })
    .option('max-seconds', { type: 'number', describe: 'a hard budget: stop receiving after this many seconds; running submissions get 10 s more, then are released (exit 75)' })
    .check((a) => {
      checkPositiveInteger('--concurrency', a.concurrency);
      checkPositiveInteger('--max-messages', a.maxMessages as number | undefined);
      checkPositiveInteger('--max-seconds', a.maxSeconds as number | undefined);
      return true;
    }),
  handler: handler<DrainArgs>(async (args, ctx) => {
    const { summary, reason, error } = await drainQueueFromConfig(args, { config: ctx.config(), log: ctx.log, signal: ctx.signal });
    // The summary on every way out, so a scheduled task's log always says what it did and why it ended.
    process.stdout.write(`${JSON.stringify({ ...summary, reason })}\n`);
    if (error) throw error;
    return summary.leftForRetry > 0 ? EXIT.TRANSIENT : EXIT.OK;
  }),
};
