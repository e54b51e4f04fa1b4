import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { RunnerError, toRunnerError } from '../errors.js';
import type { Queue } from '../ports.js';
import { clientSettings, LONG_POLL_ALLOWANCE_MS, type ClientConfig, type ClientOptions } from './clients.js';

export function createSqsClient(config: ClientConfig, options: ClientOptions = {}): SQSClient {
  return new SQSClient(clientSettings(config, options, LONG_POLL_ALLOWANCE_MS));
}

/** The Queue over SQS: long polls, receive counts, batches of ten. */
export function createSqsQueue({ client, queueUrl }: { client: SQSClient; queueUrl: string }): Queue {
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      const error = toRunnerError(err);
      throw new RunnerError(error.code, `SQS ${what} failed: ${error.message}`, { cause: err, retryable: error.retryable });
    }
  };

  return {
    url: queueUrl,
    async receive({ max, waitSeconds, visibilitySeconds, signal }) {
      const response = await call('receive', () =>
        client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, Math.max(1, max)),
            WaitTimeSeconds: waitSeconds,
            ...(visibilitySeconds !== undefined && { VisibilityTimeout: visibilitySeconds }),
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: signal },
        ),
      );
      return (response.Messages ?? []).map((m) => ({
        id: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
      }));
    },
    async delete(receiptHandle) {
      await call('delete', () => client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle })));
    },
    async changeVisibility(receiptHandle, seconds) {
      await call('change visibility', () =>
        client.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds })),
      );
    },
    async sendBatch(bodies) {
      let failed = 0;
      for (let start = 0; start < bodies.length; start += 10) {
        const entries = bodies.slice(start, start + 10).map((body, i) => ({ Id: String(start + i), MessageBody: body }));
        const response = await call('send', () => client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries })));
        failed += response.Failed?.length ?? 0;
      }
      if (failed) throw new RunnerError('TRANSIENT', `SQS refused ${failed} of ${bodies.length} messages`, { details: { failed, sent: bodies.length - failed } });
      return { sent: bodies.length };
    },
  };
}
