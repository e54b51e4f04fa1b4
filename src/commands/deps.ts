import { createSecretsClient } from '../aws/clients.js';
import { resolveDatabaseUrl } from '../aws/secrets.js';
import type { Config } from '../config.js';
import { openDatabase, type Database } from '../db/connection.js';
import { createSubmissions } from '../db/submissions.js';
import type { Logger } from '../log.js';
import { openStorage } from '../storage/index.js';
import type { SubmissionDeps } from '../submissions/run.js';
import type { SubmissionStorage } from '../ports.js';

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
  const { storage, close: closeStorage } = await openStorage(config);
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
