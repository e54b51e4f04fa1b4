import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
// `import * as z` (not `{ z }`) everywhere: the bundle then drops what is unused, every locale but the default
import * as z from 'zod';
import { RunnerError } from './errors.js';

/** The install's own folder (where `pits/` and `src/db/migrations` ship). */
export const installDir = fileURLToPath(new URL('..', import.meta.url));

/** What the install builds for tests to run with (the junit build tool's helper): readable by the sandbox. */
export const testToolsDir = path.join(installDir, 'java', 'junit-runner', 'build');

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();
const sandboxId = z.coerce.number().int().min(1).max(2 ** 31 - 100);
const optionalString = z.string().trim().min(1).optional();

/**
 * Every environment variable the runner reads, with its default. `.env.example` mirrors this table;
 * standard AWS SDK variables (credentials, profiles, AWS_ENDPOINT_URL*) are read by the SDK itself.
 */
const schema = z.object({
  // where things are
  PITS_DIR: optionalString,                                        // default: <install>/pits
  STORAGE_URL: optionalString,                                     // file://dir or s3://bucket[/prefix]; default from AWS_S3_BUCKET, else file://.pit-runner/storage
  AWS_S3_BUCKET: optionalString,
  AWS_REGION: optionalString,
  AWS_SQS_QUEUE_URL: z.url().optional(),
  DATABASE_URL: optionalString,                                    // unset (and no secret): embedded PostgreSQL
  DATABASE_SECRET_ID: optionalString,                              // Secrets Manager name or ARN; resolved at start
  RUNNER_DATA_DIR: optionalString,                                 // default: <cwd>/.pit-runner (embedded database, local storage)
  RUNNER_WORK_DIR: optionalString,                                 // default: <tmp>/pit-runner (per-submission workspaces)
  // grading bounds
  RUNNER_TIMEOUT_MS: positiveInt.default(600_000),                 // caps every PIT's maxTimeoutMs
  RUNNER_MAX_LOG_BYTES: positiveInt.default(1_048_576),            // log kept per submission (head + tail)
  RUNNER_MAX_OUTPUT_BYTES: positiveInt.default(67_108_864),        // output beyond this kills the run (OUTPUT_LIMIT)
  RUNNER_MAX_ZIP_BYTES: positiveInt.default(52_428_800),           // submission download bound
  RUNNER_MAX_UNPACKED_BYTES: positiveInt.default(209_715_200),     // total uncompressed bytes
  RUNNER_MAX_ZIP_ENTRIES: positiveInt.default(10_000),
  RUNNER_MAX_COMPRESSION_RATIO: positiveInt.default(200),          // per entry, uncompressed / compressed
  RUNNER_WORKSPACE_MAX_BYTES: positiveInt.default(1_073_741_824),  // disk a running submission may fill
  // sandbox
  RUNNER_SANDBOX_UID: sandboxId.default(10001),                    // never 0: tests would run as root
  RUNNER_SANDBOX_GID: sandboxId.default(10001),
  RUNNER_SANDBOX_MODE: z.enum(['auto', 'namespaces', 'uid']).default('auto'), // auto: the strongest the machine allows; uid: the Fargate path
  RUNNER_SANDBOX_POOL_SIZE: z.coerce.number().int().min(1).max(1024).default(16), // uids (and gids) from RUNNER_SANDBOX_UID: the most submissions graded at once
  // queue
  RUNNER_POLL_INTERVAL_MS: nonNegativeInt.default(1_000),          // pause after a failed receive
  RUNNER_VISIBILITY_TIMEOUT_S: positiveInt.default(300),           // heartbeat extends to this, every third of it
  RUNNER_LEASE_S: positiveInt.default(60),                         // a RUNNING row whose heartbeat is older may be taken over; renewed every third of it
  RUNNER_STOP_GRACE_MS: positiveInt.default(8_000),                // on a stop, running work gets this to release itself (drain-queue exits within it + 2 s)
  // bounded calls (each attempt; the SDK's retries and the runner's come on top)
  RUNNER_AWS_CONNECT_TIMEOUT_MS: positiveInt.default(3_000),       // TCP (and TLS) connect to an AWS endpoint
  RUNNER_AWS_REQUEST_TIMEOUT_MS: positiveInt.default(15_000),      // until the response starts, and any silence within it; SQS adds its long poll
  RUNNER_DB_CONNECT_TIMEOUT_S: positiveInt.default(5),             // until PostgreSQL is ready for queries
  RUNNER_DB_STATEMENT_TIMEOUT_MS: positiveInt.default(30_000),     // server-side statement_timeout; the client gives up 5 s later
  RUNNER_SUBMISSION_GRACE_MS: positiveInt.default(120_000),        // a submission's deadline: its PIT's time limit plus this (fetch, unpack, publish)
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  readonly pitsDir: string;
  readonly storageUrl: string;
  readonly region?: string;
  readonly queueUrl?: string;
  readonly databaseUrl?: string;
  readonly databaseSecretId?: string;
  readonly dataDir: string;
  readonly workDir: string;
  readonly timeoutMs: number;
  readonly maxLogBytes: number;
  readonly maxOutputBytes: number;
  readonly zip: { readonly maxZipBytes: number; readonly maxUnpackedBytes: number; readonly maxEntries: number; readonly maxCompressionRatio: number };
  readonly workspaceMaxBytes: number;
  readonly sandbox: { readonly uid: number; readonly gid: number; readonly mode: z.infer<typeof schema>['RUNNER_SANDBOX_MODE']; readonly poolSize: number };
  readonly pollIntervalMs: number;
  readonly visibilityTimeoutS: number;
  readonly leaseSeconds: number;
  readonly stopGraceMs: number;
  readonly aws: { readonly connectTimeoutMs: number; readonly requestTimeoutMs: number };
  readonly db: { readonly connectTimeoutS: number; readonly statementTimeoutMs: number };
  readonly submissionGraceMs: number;
}

/** Explicit option > environment > default, in one place. */
export interface ConfigOverrides {
  pitsDir?: string;
  storageUrl?: string;
}

/**
 * Environment → one typed, frozen config. Every problem is listed at once in a CONFIG error
 * (exit 2), before anything is touched.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}): Config {
  const set = Object.fromEntries(Object.entries(env).filter(([key, value]) => key in schema.shape && value !== ''));
  const parsed = schema.safeParse(set);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message} (got ${JSON.stringify(set[String(issue.path[0])])})`);
    throw configError(problems);
  }
  const e = parsed.data;
  const problems: string[] = [];
  const storageUrl = overrides.storageUrl ?? e.STORAGE_URL ?? (e.AWS_S3_BUCKET ? `s3://${e.AWS_S3_BUCKET}` : undefined);
  if (storageUrl && !/^(file|s3):\/\/./.test(storageUrl)) problems.push(`STORAGE_URL: must start with file:// or s3:// (got ${JSON.stringify(storageUrl)})`);
  if (e.DATABASE_URL && !/^postgres(ql)?:\/\//.test(e.DATABASE_URL)) problems.push('DATABASE_URL: must be a postgres:// or postgresql:// URL');
  if (problems.length) throw configError(problems);

  const dataDir = path.resolve(e.RUNNER_DATA_DIR ?? '.pit-runner');
  return Object.freeze({
    pitsDir: path.resolve(overrides.pitsDir ?? e.PITS_DIR ?? path.join(installDir, 'pits')),
    storageUrl: storageUrl ?? `file://${path.join(dataDir, 'storage')}`,
    region: e.AWS_REGION,
    queueUrl: e.AWS_SQS_QUEUE_URL,
    databaseUrl: e.DATABASE_URL,
    databaseSecretId: e.DATABASE_SECRET_ID,
    dataDir,
    workDir: path.resolve(e.RUNNER_WORK_DIR ?? path.join(os.tmpdir(), 'pit-runner')),
    timeoutMs: e.RUNNER_TIMEOUT_MS,
    maxLogBytes: e.RUNNER_MAX_LOG_BYTES,
    maxOutputBytes: e.RUNNER_MAX_OUTPUT_BYTES,
    zip: Object.freeze({
      maxZipBytes: e.RUNNER_MAX_ZIP_BYTES,
      maxUnpackedBytes: e.RUNNER_MAX_UNPACKED_BYTES,
      maxEntries: e.RUNNER_MAX_ZIP_ENTRIES,
      maxCompressionRatio: e.RUNNER_MAX_COMPRESSION_RATIO,
    }),
    workspaceMaxBytes: e.RUNNER_WORKSPACE_MAX_BYTES,
    sandbox: Object.freeze({ uid: e.RUNNER_SANDBOX_UID, gid: e.RUNNER_SANDBOX_GID, mode: e.RUNNER_SANDBOX_MODE, poolSize: e.RUNNER_SANDBOX_POOL_SIZE }),
    pollIntervalMs: e.RUNNER_POLL_INTERVAL_MS,
    visibilityTimeoutS: e.RUNNER_VISIBILITY_TIMEOUT_S,
    leaseSeconds: e.RUNNER_LEASE_S,
    stopGraceMs: e.RUNNER_STOP_GRACE_MS,
    aws: Object.freeze({ connectTimeoutMs: e.RUNNER_AWS_CONNECT_TIMEOUT_MS, requestTimeoutMs: e.RUNNER_AWS_REQUEST_TIMEOUT_MS }),
    db: Object.freeze({ connectTimeoutS: e.RUNNER_DB_CONNECT_TIMEOUT_S, statementTimeoutMs: e.RUNNER_DB_STATEMENT_TIMEOUT_MS }),
    submissionGraceMs: e.RUNNER_SUBMISSION_GRACE_MS,
  });
}

let defaults: Config | undefined;

/** The config with every default (no environment): for adapters called without one. Parsed once. */
export function defaultConfig(): Config {
  defaults ??= loadConfig({});
  return defaults;
}

/** For commands that need a setting the environment may leave unset: lists every missing one at once. */
export function requireSettings(config: Config, needs: Array<[keyof Config, string]>): void {
  const missing = needs.filter(([key]) => config[key] === undefined).map(([, variable]) => `${variable}: required for this command`);
  if (missing.length) throw configError(missing);
}

function configError(problems: string[]): RunnerError {
  return new RunnerError('CONFIG', `invalid configuration:\n  - ${problems.join('\n  - ')}`, { details: { problems } });
}
