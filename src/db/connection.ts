import path from 'node:path';
import postgres from 'postgres';
import pRetry from 'p-retry';
import type { Config } from '../config.js';
import { RunnerError, isTransient, toRunnerError } from '../errors.js';
import { redactUrl, type Logger } from '../log.js';
import { startEmbedded, type EmbeddedServer } from './embedded.js';

export type Sql = postgres.Sql;

export interface Database {
  sql: Sql;
  /** The URL with its password masked: the only form that may be logged or printed. */
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * Where the database is. `Config` fits as is; a caller that resolved DATABASE_SECRET_ID (Secrets Manager)
 * passes `{ ...config, databaseUrl: resolved }`.
 */
export interface DatabaseOptions {
  databaseUrl?: string;
  databaseSecretId?: string;
  /** The embedded cluster lives in `<dataDir>/pg` when no URL is given. */
  dataDir: string;
  /** RUNNER_DB_CONNECT_TIMEOUT_S, RUNNER_DB_STATEMENT_TIMEOUT_MS. */
  db: Config['db'];
}

/** A pooled connection unused this long is closed (a NAT or proxy may drop it silently before). */
const IDLE_TIMEOUT_S = 60;
/** How much longer than the server's statement_timeout the client waits before it gives up on a query. */
export const CLIENT_GRACE_MS = 5_000;

/**
 * Opens the database: DATABASE_URL when given, else an embedded PostgreSQL under `<dataDir>/pg`.
 * Checks the connection before returning; unreachable → TRANSIENT (exit 75) within seconds.
 */
export async function openDatabase(options: DatabaseOptions, log: Logger): Promise<Database> {
  if (!options.databaseUrl && options.databaseSecretId) {
    throw new RunnerError('CONFIG', 'DATABASE_SECRET_ID must be resolved to a URL before the database is opened');
  }
  const embedded: EmbeddedServer | undefined = options.databaseUrl
    ? undefined
    : await startEmbedded(path.join(options.dataDir, 'pg'), log);
  const url = options.databaseUrl ?? embedded!.url;
  const redacted = redactUrl(url);
  const { connectTimeoutS, statementTimeoutMs } = options.db;
  const sql = postgres(url, {
    connect_timeout: connectTimeoutS,
    idle_timeout: IDLE_TIMEOUT_S,
    max: 10,
    onnotice: (notice) => log.debug({ notice: notice.message }, 'postgres notice'),
    // server-side bounds, per session: a statement (or a lock wait) that runs too long, a transaction left open
    connection: { application_name: 'pit-runner', statement_timeout: statementTimeoutMs, idle_in_transaction_session_timeout: statementTimeoutMs },
  });
  const close = async () => {
    await sql.end({ timeout: 5 });
    await embedded?.stop();
  };
  try {
    await checkConnection(sql, redacted);
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  log.debug({ database: redacted, embedded: Boolean(embedded) }, 'database connected');
  return { sql, url: redacted, embedded: Boolean(embedded), close };
}

async function checkConnection(sql: Sql, redacted: string): Promise<void> {
  try {
    // a refused connection is retried twice, quickly; a connect timeout is not
    await pRetry(() => sql`select 1`, {
      retries: 2, minTimeout: 250, factor: 2,
      shouldRetry: (err) => isTransient(err) && (err as { code?: string }).code !== 'CONNECT_TIMEOUT',
    });
  } catch (err) {
    throw describeConnectError(err, redacted);
  }
}

export function describeConnectError(err: unknown, redacted: string): RunnerError {
  const code = (err as { code?: unknown }).code;
  const reason = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && /^28/.test(code)) {
    return new RunnerError('CONFIG', `the database at ${redacted} refused the credentials: ${reason}`, { cause: err });
  }
  if (code === '3D000') return new RunnerError('CONFIG', `the database named in ${redacted} does not exist: ${reason}`, { cause: err });
  if (isTransient(err)) {
    return new RunnerError('TRANSIENT', `the database at ${redacted} is unreachable (${reason}); nothing was changed, retry later`, { cause: err });
  }
  return toRunnerError(err);
}

/**
 * A query the client stops waiting for `CLIENT_GRACE_MS` after the session's statement_timeout: a
 * server that stalls after connecting (frozen, cut off) cannot enforce its own timeout. The caller
 * gets an ETIMEDOUT fault (transient). The query is not cancelled: a cancel opens a connection to
 * the same silent server, and postgres.js leaves its failure unhandled. The connection stays busy
 * until the server answers or `sql.end` destroys it. Without a statement_timeout: the query as is.
 */
export function bounded<T>(sql: Sql, query: Promise<T>): Promise<T> {
  const statementTimeout = Number((sql.options.connection as Record<string, unknown> | undefined)?.statement_timeout);
  if (!(statementTimeout > 0)) return query;
  const ms = statementTimeout + CLIENT_GRACE_MS;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`the database did not answer within ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([query, expired]).finally(() => clearTimeout(timer));
}
