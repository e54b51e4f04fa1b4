import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { clientSettings, type ClientConfig, type ClientOptions } from '../aws/clients.js';
import { RunnerError, isTransient, transientError } from '../errors.js';
import type { SubmissionStorage } from '../ports.js';
import { logKeyFor } from '../ids.js';

export function createS3Client(config: ClientConfig, options: ClientOptions = {}): S3Client {
  const env = options.env ?? process.env;
  const endpointOverridden = Boolean(options.endpoint || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
  return new S3Client({
    ...clientSettings(config, options),
    forcePathStyle: options.forcePathStyle ?? endpointOverridden,
    // With the default (WHEN_SUPPORTED) a streamed upload is sent aws-chunked with a trailing checksum,
    // which some S3-compatible servers store verbatim, framing and all.
    ...(!env.AWS_REQUEST_CHECKSUM_CALCULATION && { requestChecksumCalculation: 'WHEN_REQUIRED' as const }),
  });
}

export interface S3StorageOptions {
  client: S3Client;
  bucket: string;
  /** Folder inside the bucket that submission keys and `logs/` are relative to; default: the bucket root. */
  prefix?: string;
}

/** `s3://bucket[/prefix]` → its parts (a trailing slash on the prefix is dropped). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match?.[1]) throw new RunnerError('CONFIG', `STORAGE_URL: not an s3://bucket[/prefix] URL (got ${JSON.stringify(url)})`);
  return { bucket: match[1], prefix: (match[2] ?? '').replace(/\/+$/, '') };
}

/** Submissions and logs in an S3 bucket; streamed both ways, never a whole ZIP in memory. */
export function createS3Storage({ client, bucket, prefix = '' }: S3StorageOptions): SubmissionStorage {
  const location = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
  const objectKey = (key: string) => (prefix ? `${prefix}/${key}` : key);

  return {
    location,
    async download(key, destFile, maxBytes, signal) {
      const where = `${location}/${key}`;
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }), { abortSignal: signal }).catch((err: unknown) => {
        throw s3Failure(err, where, signal);
      });
      const body = response.Body;
      if (!(body instanceof Readable)) throw transientError(`reading ${where}: the response had no body stream`);
      if (response.ContentLength !== undefined && response.ContentLength > maxBytes) {
        body.destroy();
        throw tooLarge(response.ContentLength, maxBytes);
      }
      let bytes = 0;
      const bound = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          if (bytes > maxBytes) done(tooLarge(bytes, maxBytes, 'over'));
          else done(null, chunk);
        },
      });
      try {
        await pipeline(body, bound, createWriteStream(destFile, { flags: 'wx', mode: 0o600 }), { signal });
      } catch (err) {
        if (err instanceof RunnerError) throw err;
        if (signal?.aborted) throw signal.reason;
        throw transientError(`download of ${where} was interrupted: ${(err as Error).message}`, err);
      }
      return { bytes };
    },

    async putLog(submissionId, attempt, body, signal) {
      const key = objectKey(logKeyFor(submissionId, attempt));
      await client
        .send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'text/plain; charset=utf-8' }), { abortSignal: signal })
        .catch((err: unknown) => {
          throw s3Failure(err, `s3://${bucket}/${key}`, signal);
        });
      return key;
    },
  };
}

function tooLarge(bytes: number, maxBytes: number, qualifier = ''): RunnerError {
  return new RunnerError('INVALID_SUBMISSION', `the submission is ${qualifier ? `${qualifier} ` : ''}${bytes} bytes; the limit is ${maxBytes}`);
}

/**
 * A missing key is the submission's fault (a final ERROR). A missing bucket or a refusal is the
 * operator's: TRANSIENT, so the message waits in the queue (then the DLQ) instead of failing every
 * submission. Throttling, 5xx, network faults and timeouts (RUNNER_AWS_*_TIMEOUT_MS: a server that
 * accepts and never answers) arrive here after the SDK's own retries. An abort is the signal's reason.
 */
function s3Failure(err: unknown, where: string, signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason;
  const name = (err as { name?: string }).name ?? '';
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (name === 'NoSuchKey' || (name === 'NotFound' && status === 404)) {
    return new RunnerError('SUBMISSION_NOT_FOUND', `the submission file ${where} does not exist`, { cause: err });
  }
  if (name === 'NoSuchBucket') {
    return transientError(`the bucket of ${where} does not exist: check STORAGE_URL / AWS_S3_BUCKET`, err);
  }
  if (name === 'AccessDenied' || status === 403) {
    return transientError(`access to ${where} was denied: check the task role (s3:GetObject, s3:PutObject, s3:ListBucket)`, err);
  }
  const message = err instanceof Error ? err.message : String(err);
  if (isTransient(err)) return transientError(`S3 is unavailable for ${where}: ${message}`, err);
  return new RunnerError('INTERNAL', `S3 refused ${where}: ${name || 'error'}: ${message}`, { cause: err });
}
