import path from 'node:path';
import { createS3Client, createSecretsClient } from '../aws/clients.js';
import { createS3Storage, parseS3Url } from '../aws/s3-storage.js';
import { resolveDatabaseUrl } from '../aws/secrets.js';
import type { Config } from '../config.js';
import { openDatabase, type Database } from '../db/connection.js';
import { createSubmissions } from '../db/submissions.js';
import type { Logger } from '../log.js';
import { createFileStorage } from '../grading/file-storage.js';
import type { SubmissionDeps } from '../grading/run-submission.js';
import type { SubmissionStorage } from '../grading/types.js';

/** STORAGE_URL → the storage it names (a local folder or an S3 bucket) and how to let go of it. */
export function openStorage(config: Config): { storage: SubmissionStorage; close(): void } {
  if (config.storageUrl.startsWith('s3://')) {
    const client = createS3Client(config);
    return { storage: createS3Storage({ client, ...parseS3Url(config.storageUrl) }), close: () => client.destroy() };
  }
  // file:///abs/dir, or file://relative/dir resolved from the working directory
  return { storage: createFileStorage(path.resolve(config.storageUrl.slice('file://'.length))), close: () => undefined };
}

/**
 * The database the config names: DATABASE_URL, else the DATABASE_SECRET_ID secret (resolved here,
 * kept in memory only), else the embedded PostgreSQL.
 */
export async function openDatabaseFromConfig(config: Config, log: Logger): Promise<Database> {
  const secrets = config.databaseSecretId && !config.databaseUrl ? createSecretsClient(config) : undefined;
  try {
    const databaseUrl = secrets ? await resolveDatabaseUrl(config, { client: secrets, log }) : config.databaseUrl;
    return await openDatabase({ ...config, databaseUrl }, log);
  } finally {
    secrets?.destroy();
  }
}

/** Everything `runSubmission` needs, opened from the config; `close()` releases it. */
export async function openSubmissionDeps(config: Config, log: Logger, signal?: AbortSignal): Promise<SubmissionDeps & { database: Database; close(): Promise<void> }> {
  const { storage, close: closeStorage } = openStorage(config);
  const database = await openDatabaseFromConfig(config, log).catch((err: unknown) => {
    closeStorage();
    throw err;
  });
  log.info({ database: database.url, storage: storage.location }, 'connected');
  return {
    config,
    log,
    storage,
    store: createSubmissions(database.sql),
    database,
    ...(signal ? { signal } : {}),
    close: async () => {
      closeStorage();
      await database.close();
    },
  };
}
