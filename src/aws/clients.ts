import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createRequire } from 'node:module';
import { defaultConfig, type Config } from '../config.js';

// Each SDK package costs 100–300 ms to load: a command loads only the clients it makes. (The packages
// have no ESM entry of their own; `import` reads the same CommonJS build, so mocks see one class.)
const load = createRequire(import.meta.url);

/** What a client needs from the config; the timeouts fall back to the config's defaults. */
export type ClientConfig = Pick<Config, 'region'> & Partial<Pick<Config, 'aws'>>;

/**
 * SDK client factories. Region, credentials (the default chain: env, profile, container, instance),
 * AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>, AWS_MAX_ATTEMPTS and AWS_REQUEST_CHECKSUM_CALCULATION
 * are read by the SDK itself; a setting below only fills in when the environment leaves it unset.
 */
export interface ClientOptions {
  /** Default: AWS_REGION via the config, else whatever the SDK resolves (profile, IMDS). */
  region?: string;
  /** Default: AWS_MAX_ATTEMPTS, else 5 (the SDK's standard retry strategy backs off between them). */
  maxAttempts?: number;
  /** S3 only. Default: true when an endpoint override is set (S3-compatible servers), else false. */
  forcePathStyle?: boolean;
  /** Tests and benchmarks only: a local server and fixed keys instead of the environment's. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  env?: NodeJS.ProcessEnv;
}

const defaultMaxAttempts = 5;
/** The longest SQS long poll (WaitTimeSeconds 20): a receive may be silent that long before it answers. */
export const LONG_POLL_ALLOWANCE_MS = 20_000;

function common(config: ClientConfig, options: ClientOptions, extraSilenceMs = 0) {
  const env = options.env ?? process.env;
  const region = options.region ?? config.region;
  const maxAttempts = options.maxAttempts ?? (env.AWS_MAX_ATTEMPTS ? undefined : defaultMaxAttempts);
  const { endpoint, credentials } = options;
  return {
    ...(region && { region }), ...(maxAttempts && { maxAttempts }), ...(endpoint && { endpoint }), ...(credentials && { credentials }),
    requestHandler: requestBounds(config.aws ?? defaultConfig().aws, extraSilenceMs),
  };
}

/**
 * Every attempt is bounded: connecting, waiting for the response to start, and any silence while the
 * body streams (a server that accepts and never answers fails with a TimeoutError, which the SDK
 * retries and `isTransient` recognises). Without `throwOnRequestTimeout` the SDK only warns.
 */
export function requestBounds(timeouts: Config['aws'], extraSilenceMs = 0) {
  const requestTimeout = timeouts.requestTimeoutMs + extraSilenceMs;
  return { connectionTimeout: timeouts.connectTimeoutMs, requestTimeout, socketTimeout: requestTimeout, throwOnRequestTimeout: true };
}

export function createS3Client(config: ClientConfig, options: ClientOptions = {}): S3Client {
  const env = options.env ?? process.env;
  const endpointOverridden = Boolean(options.endpoint || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
  const { S3Client } = load('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
  return new S3Client({
    ...common(config, options),
    forcePathStyle: options.forcePathStyle ?? endpointOverridden,
    // With the default (WHEN_SUPPORTED) a streamed upload is sent aws-chunked with a trailing checksum,
    // which some S3-compatible servers store verbatim, framing and all.
    ...(!env.AWS_REQUEST_CHECKSUM_CALCULATION && { requestChecksumCalculation: 'WHEN_REQUIRED' as const }),
  });
}

export function createSqsClient(config: ClientConfig, options: ClientOptions = {}): SQSClient {
  const { SQSClient } = load('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');
  return new SQSClient(common(config, options, LONG_POLL_ALLOWANCE_MS));
}

export function createSecretsClient(config: ClientConfig, options: ClientOptions = {}): SecretsManagerClient {
  const { SecretsManagerClient } = load('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager');
  return new SecretsManagerClient(common(config, options));
}

export function createEcsClient(config: ClientConfig, options: ClientOptions = {}): ECSClient {
  const { ECSClient } = load('@aws-sdk/client-ecs') as typeof import('@aws-sdk/client-ecs');
  return new ECSClient(common(config, options));
}

export function createLogsClient(config: ClientConfig, options: ClientOptions = {}): CloudWatchLogsClient {
  const { CloudWatchLogsClient } = load('@aws-sdk/client-cloudwatch-logs') as typeof import('@aws-sdk/client-cloudwatch-logs');
  return new CloudWatchLogsClient(common(config, options));
}
