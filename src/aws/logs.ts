import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { Logger } from '../log.js';
import { clientSettings, type ClientConfig, type ClientOptions } from './clients.js';

export function createLogsClient(config: ClientConfig, options: ClientOptions = {}): CloudWatchLogsClient {
  return new CloudWatchLogsClient(clientSettings(config, options));
}

export interface LogTailOptions {
  logs: CloudWatchLogsClient;
  group: string;
  stream: string;
  /** Receives each log event's message, in order, exactly once. */
  write(message: string): void;
  log: Logger;
}

export interface LogTail {
  readonly group: string;
  readonly stream: string;
  /** Reads every page not read yet; returns how many events it delivered. Never throws. */
  poll(): Promise<number>;
  /**
   * After the task stopped: keeps polling until `quietRounds` polls in a row bring nothing new,
   * because the awslogs driver's last batch can land in CloudWatch a few seconds after the stop.
   */
  drain(sleep: (ms: number) => Promise<void>, intervalMs: number, quietRounds?: number): Promise<number>;
}

/** The awslogs driver names a task's stream `<prefix>/<container>/<taskId>`. */
export function awslogsStreamName(prefix: string, container: string, taskId: string): string {
  return `${prefix}/${container}/${taskId}`;
}

/**
 * Follows one CloudWatch log stream from its first event. GetLogEvents pages forward with
 * `nextForwardToken`; the end of what exists so far is the page whose token repeats the one sent.
 */
export function createLogTail(options: LogTailOptions): LogTail {
  const { logs, group, stream, write, log } = options;
  let token: string | undefined;
  let warned = false;

  async function poll(): Promise<number> {
    let delivered = 0;
    for (;;) {
      let page;
      try {
        page = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, nextToken: token }));
      } catch (err) {
        // The stream appears only once the container has started writing.
        if ((err as { name?: string }).name !== 'ResourceNotFoundException' && !warned) {
          warned = true;
          log.warn({ group, stream, err: (err as Error).message }, 'cannot read the task log yet; will keep trying');
        }
        return delivered;
      }
      for (const event of page.events ?? []) {
        write(event.message ?? '');
        delivered++;
      }
      const next = page.nextForwardToken;
      if (!next || next === token) return delivered;
      token = next;
    }
  }

  async function drain(sleep: (ms: number) => Promise<void>, intervalMs: number, quietRounds = 2): Promise<number> {
    let total = 0;
    for (let quiet = 0, rounds = 0; quiet < quietRounds && rounds < 20; rounds++) {
      const delivered = await poll();
      total += delivered;
      quiet = delivered === 0 ? quiet + 1 : 0;
      if (quiet < quietRounds) await sleep(intervalMs);
    }
    return total;
  }

  return { group, stream, poll, drain };
}
