import type { Config } from '../config.js';

// What every AWS client shares. Each client is made by the adapter that uses it (sqs-queue.ts,
// secrets.ts, dispatch.ts for ECS, logs.ts, storage/s3.ts), next to its SDK package: each package
// costs 100–300 ms to load, and a command loads only the adapters it uses.

/** What a client needs from the config: its region and the bounds of every attempt. */
export type ClientConfig = Pick<Config, 'region' | 'aws'>;

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

/** The settings a client is made with: region, attempts, bounds, and a test's endpoint and keys. */
export function clientSettings(config: ClientConfig, options: ClientOptions, extraSilenceMs = 0) {
  const env = options.env ?? process.env;
  const region = options.region ?? config.region;
  const maxAttempts = options.maxAttempts ?? (env.AWS_MAX_ATTEMPTS ? undefined : defaultMaxAttempts);
  const { endpoint, credentials } = options;
  return {
    ...(region && { region }), ...(maxAttempts && { maxAttempts }), ...(endpoint && { endpoint }), ...(credentials && { credentials }),
    requestHandler: requestBounds(config.aws, extraSilenceMs),
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
