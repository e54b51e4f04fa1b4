import type { CommandModule } from 'yargs';
import { createSqsClient } from '../aws/clients.js';
import { createSqsQueue } from '../aws/sqs-queue.js';
import { requireSettings, type Config } from '../config.js';
import { EXIT } from '../errors.js';
import type { Logger } from '../log.js';
import { drainQueue, type DrainSummary } from '../queue/consumer.js';
import type { Queue } from '../ports.js';
import { SANDBOX_POOL_SIZE } from '../sandbox/index.js';
import { handler } from './context.js';
import { openSubmissionDeps } from './deps.js';

interface DrainArgs {
  concurrency: number;
  maxMessages?: number;
  maxSeconds?: number;
}

/** Opens the database, storage and queue, drains, closes them. `queue` replaces SQS (tests, benchmarks). */
export async function drainQueueFromConfig(
  args: DrainArgs,
  ctx: { config: Config; log: Logger; signal: AbortSignal; queue?: Queue },
): Promise<DrainSummary> {
  const { config, log, signal } = ctx;
  if (!ctx.queue) requireSettings(config, [['queueUrl', 'AWS_SQS_QUEUE_URL']]);
  const deps = await openSubmissionDeps(config, log, signal);
  const sqs = ctx.queue ? undefined : createSqsClient(config);
  const queue = ctx.queue ?? createSqsQueue({ client: sqs!, queueUrl: config.queueUrl! });
  try {
    log.info({ queue: queue.url, storage: deps.storage.location, concurrency: args.concurrency }, 'draining');
    return await drainQueue({
      queue,
      deps,
      signal,
      concurrency: args.concurrency,
      ...(args.maxMessages !== undefined && { maxMessages: args.maxMessages }),
      ...(args.maxSeconds !== undefined && { maxSeconds: args.maxSeconds }),
    });
  } finally {
    await deps.close();
    sqs?.destroy();
  }
}

export const drainQueueCommand: CommandModule<object, DrainArgs> = {
  command: 'drain-queue',
  describe: 'receive from SQS and grade until the queue is empty or a budget is spent; prints a JSON summary',
  builder: (y) => y
    .option('concurrency', { type: 'number', default: 1, describe: 'submissions graded at once' })
    .option('max-messages', { type: 'number', describe: 'stop receiving after this many messages' })
    .option('max-seconds', { type: 'number', describe: 'stop receiving after this many seconds (running submissions finish)' })
    .check((a) => {
      const counts: Array<[string, number | undefined]> = [['--concurrency', a.concurrency], ['--max-messages', a.maxMessages as number | undefined], ['--max-seconds', a.maxSeconds as number | undefined]];
      for (const [flag, value] of counts) {
        if (value !== undefined && !(Number.isInteger(value) && value > 0)) throw new Error(`${flag}: must be a positive whole number (got ${value})`);
      }
      if (a.concurrency > SANDBOX_POOL_SIZE) throw new Error(`--concurrency: at most ${SANDBOX_POOL_SIZE} (one sandbox uid each)`);
      return true;
    }),
  handler: handler<DrainArgs>(async (args, ctx) => {
    const summary = await drainQueueFromConfig(args, { config: ctx.config(), log: ctx.log, signal: ctx.signal });
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return summary.leftForRetry > 0 ? EXIT.TRANSIENT : EXIT.OK;
  }),
};
