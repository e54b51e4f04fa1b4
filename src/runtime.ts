import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import path from 'node:path';
import { installDir, requireSettings, testToolsDir, type Config } from './config.js';
import type { Database } from './db/connection.js';
import type { Submissions } from './db/submissions.js';
import type { Logger } from './log.js';
import type { Queue, SubmissionStorage } from './ports.js';
import type { Sandbox, SandboxOptions } from './sandbox/index.js';
import type { SubmissionDeps } from './submissions/run.js';

/**
 * What a command may open. Each part is opened on first use (its adapter and SDK loaded only then),
 * at most once, and closed when the scope ends, in the reverse order of opening.
 */
export interface Scope {
  readonly config: Config;
  readonly log: Logger;
  readonly signal: AbortSignal;
  storage(): Promise<SubmissionStorage>;
  /** DATABASE_URL, else the DATABASE_SECRET_ID secret (kept in memory only), else the embedded PostgreSQL. */
  database(): Promise<Database>;
  submissions(): Promise<Submissions>;
  /** The SQS queue AWS_SQS_QUEUE_URL names (a CONFIG error when unset). */
  queue(): Promise<Queue>;
  /** The process's one sandbox: every submission graded at once leases its uid from it. */
  sandbox(): Promise<Sandbox>;
  /** Everything `runSubmission` needs: storage, results store, sandbox. */
  submissionDeps(): Promise<SubmissionDeps>;
  s3(): Promise<S3Client>;
  sqs(): Promise<SQSClient>;
  ecs(): Promise<ECSClient>;
  logs(): Promise<CloudWatchLogsClient>;
  cloudformation(): Promise<CloudFormationClient>;
}

type Opened<T> = { value: T; close?: () => unknown };

/**
 * The composition root: runs `work` with a scope over `config`, then closes whatever it opened, in
 * reverse order, whatever happened. A close that fails is logged, never thrown over work's outcome.
 */
export async function withScope<T>(base: { config: Config; log: Logger; signal: AbortSignal }, work: (scope: Scope) => Promise<T>): Promise<T> {
  const { config, log } = base;
  const closers: Array<{ name: string; close: () => unknown }> = [];
  const once = <V>(name: string, open: () => Promise<Opened<V>>): (() => Promise<V>) => {
    let opened: Promise<V> | undefined;
    return () => (opened ??= open().then(({ value, close }) => {
      if (close) closers.push({ name, close });
      return value;
    }));
  };
  const client = <V extends { destroy(): void }>(name: string, make: () => Promise<V>) =>
    once(name, async () => {
      const value = await make();
      return { value, close: () => value.destroy() };
    });

  const scope: Scope = {
    config,
    log,
    signal: base.signal,
    storage: once('storage', async () => {
      const { openStorage } = await import('./storage/index.js');
      const { storage, close } = await openStorage(config);
      return { value: storage, close };
    }),
    database: once('database', async () => {
      const database = await openConfiguredDatabase(config, log);
      return { value: database, close: () => database.close() };
    }),
    submissions: once('submissions', async () => {
      const [{ createSubmissions }, database] = await Promise.all([import('./db/submissions.js'), scope.database()]);
      return { value: createSubmissions(database.sql, { leaseSeconds: config.leaseSeconds }) };
    }),
    queue: once('queue', async () => {
      requireSettings(config, [['queueUrl', 'AWS_SQS_QUEUE_URL']]);
      const [{ createSqsQueue }, sqs] = await Promise.all([import('./aws/sqs-queue.js'), scope.sqs()]);
      return { value: createSqsQueue({ client: sqs, queueUrl: config.queueUrl!, aws: config.aws }) };
    }),
    sandbox: once('sandbox', async () => {
      const { openSandbox } = await import('./sandbox/index.js');
      // Whatever a killed earlier run of this work folder left behind goes before this one grades anything.
      return { value: await openSandbox({ ...sandboxOptions(config), workDir: config.workDir }, log) };
    }),
    submissionDeps: once('submission deps', async () => {
      // The database first: a runner that cannot record a grade prepares no grader (no leftovers
      // sweep, no sandbox probe) and says so at once.
      const store = await scope.submissions();
      const [storage, sandbox] = await Promise.all([scope.storage(), scope.sandbox()]);
      const database = await scope.database();
      log.info({ database: database.url, storage: storage.location }, 'connected');
      return { value: { config, log, storage, store, sandbox, signal: base.signal } };
    }),
    s3: client('s3', async () => (await import('./storage/s3.js')).createS3Client(config)),
    sqs: client('sqs', async () => (await import('./aws/sqs-queue.js')).createSqsClient(config)),
    ecs: client('ecs', async () => (await import('./aws/dispatch.js')).createEcsClient(config)),
    logs: client('logs', async () => (await import('./aws/logs.js')).createLogsClient(config)),
    cloudformation: client('cloudformation', async () => (await import('./aws/stack-outputs.js')).createCloudFormationClient(config)),
  };

  try {
    return await work(scope);
  } finally {
    for (const { name, close } of closers.reverse()) {
      await Promise.resolve().then(close).catch((err: unknown) => log.warn({ err: (err as Error).message }, `closing ${name} failed`));
    }
  }
}

/** The sandbox settings a config asks for. */
export function sandboxOptions(config: Config): SandboxOptions {
  const { sandbox, workspaceMaxBytes, pitsDir, dataDir } = config;
  // Tests must not read PIT templates' originals, the reference solutions of a checkout, or the data
  // folder (local storage, embedded database); they may read the install's test tools.
  return { ...sandbox, workspaceMaxBytes, hide: [pitsDir, path.join(installDir, 'examples'), dataDir], readable: [testToolsDir] };
}

/** The database the config names; a secret is read once, here, and never put in the environment. */
async function openConfiguredDatabase(config: Config, log: Logger): Promise<Database> {
  const { openDatabase } = await import('./db/connection.js');
  if (!config.databaseSecretId || config.databaseUrl) return openDatabase(config, log);
  const { createSecretsClient, resolveDatabaseUrl } = await import('./aws/secrets.js');
  const secrets = createSecretsClient(config);
  try {
    const databaseUrl = await resolveDatabaseUrl(config, { client: secrets, log });
    return await openDatabase({ ...config, databaseUrl }, log);
  } finally {
    secrets.destroy();
  }
}
