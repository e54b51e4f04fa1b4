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

/**
 * The Queue over SQS: long polls, receive counts, batches of ten. Every call ends by its deadline (one
 * attempt's bounds, connect + request, plus the long poll it asked for: the SDK's retries fit only
 * when they fail fast) or once the caller's signal aborts, whatever SQS does: a hung call cannot hold
 * a stop or a budget. A deadline is TRANSIENT; an abort throws the signal's reason.
 */
export function createSqsQueue({ client, queueUrl, aws }: { client: SQSClient; queueUrl: string; aws: ClientConfig['aws'] }): Queue {
  const call = async <T>(what: string, send: (abortSignal: AbortSignal) => Promise<T>, signal?: AbortSignal, waitMs = 0): Promise<T> => {
    const deadlineMs = aws.connectTimeoutMs + aws.requestTimeoutMs + waitMs;
    const deadline = AbortSignal.timeout(deadlineMs);
    const abortSignal = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      return await untilAborted(Promise.resolve(send(abortSignal)), abortSignal);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (deadline.aborted) throw new RunnerError('TRANSIENT', `SQS ${what} did not answer within ${deadlineMs} ms`, { cause: err });
      const error = toRunnerError(err);
      throw new RunnerError(error.code, `SQS ${what} failed: ${error.message}`, { cause: err, retryable: error.retryable });
    }
  };

  return {
    url: queueUrl,
    async receive({ max, waitSeconds, visibilitySeconds, signal }) {
      const response = await call('receive', (abortSignal) =>
        client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, Math.max(1, max)),
            WaitTimeSeconds: waitSeconds,
            ...(visibilitySeconds !== undefined && { VisibilityTimeout: visibilitySeconds }),
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal },
        ),
        signal,
        waitSeconds * 1000,
      );
      return (response.Messages ?? []).map((m) => ({
        id: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
      }));
    },
    async delete(receiptHandle, signal) {
      await call('delete', (abortSignal) => client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle }), { abortSignal }), signal);
    },
    async changeVisibility(receiptHandle, seconds, signal) {
      await call('change visibility', (abortSignal) =>
        client.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }), { abortSignal }),
      signal);
    },
    async sendBatch(bodies, signal) {
      let failed = 0;
      for (let start = 0; start < bodies.length; start += 10) {
        const entries = bodies.slice(start, start + 10).map((body, i) => ({ Id: String(start + i), MessageBody: body }));
        const response = await call('send', (abortSignal) => client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }), { abortSignal }), signal);
        failed += response.Failed?.length ?? 0;
      }
      if (failed) throw new RunnerError('TRANSIENT', `SQS refused ${failed} of ${bodies.length} messages`, { details: { failed, sent: bodies.length - failed } });
      return { sent: bodies.length };
    },
  };
}

/** `work`, or the signal's reason as soon as it aborts: the SDK may still be sleeping between its retries. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
