import { setTimeout as sleep } from 'node:timers/promises';
import type postgres from 'postgres';
import { RunnerError, toRunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Sql } from './connection.js';
import { readMigrations, type MigrationFile } from './migration-files.js';

export interface MigratorOptions {
  dir: string;
  log: Logger;
  /** How long to wait for another runner's migrate to finish (default 60 s). */
  lockTimeoutMs?: number;
  /** `SET lock_timeout` while a migration runs: fail rather than queue behind live traffic (default 10 s). */
  migrationLockTimeoutMs?: number;
  /** `SET statement_timeout` while a migration runs (default 5 min). */
  statementTimeoutMs?: number;
}

export interface AppliedMigration { version: string; name: string; checksum: string; appliedAt: Date; executionMs: number }
export interface Drift { name: string; problem: 'changed' | 'missing' }
export interface MigrationStatus { applied: AppliedMigration[]; pending: MigrationFile[]; drifted: Drift[]; upToDate: boolean }

const TABLE = 'pit_runner_migrations';
/** The session advisory lock every runner's migrate takes (any constant, the same everywhere). */
export const MIGRATION_LOCK_KEY = 7031922504;
const POLL_MS = 250;

/** Applies and inspects SQL migrations. The lock and every migration run on ONE reserved connection. */
export function createMigrator(sql: Sql, options: MigratorOptions) {
  const { dir, log, lockTimeoutMs = 60_000, migrationLockTimeoutMs = 10_000, statementTimeoutMs = 300_000 } = options;

  /** Reads only: never creates the bookkeeping table. */
  async function status(db: postgres.Sql = sql): Promise<MigrationStatus> {
    const files = await readMigrations(dir);
    const [{ exists } = { exists: false }] = await db<{ exists: boolean }[]>`select to_regclass(${TABLE}) is not null as exists`;
    const applied = exists
      ? await db<AppliedMigration[]>`select version, name, checksum, applied_at as "appliedAt", execution_ms as "executionMs" from ${db(TABLE)} order by version`
      : [];
    const byName = new Map(files.map((file) => [file.name, file]));
    const drifted: Drift[] = [];
    for (const row of applied) {
      const file = byName.get(row.name);
      if (!file) drifted.push({ name: row.name, problem: 'missing' });
      else if (file.checksum !== row.checksum) drifted.push({ name: row.name, problem: 'changed' });
    }
    const appliedNames = new Set(applied.map((row) => row.name));
    const pending = files.filter((file) => !appliedNames.has(file.name));
    return { applied: [...applied], pending, drifted, upToDate: pending.length === 0 && drifted.length === 0 };
  }

  /** Applies every pending migration in version order; refuses (MIGRATION_DRIFT) when an applied one changed. */
  async function up(): Promise<Array<{ name: string; ms: number }>> {
    const conn = await sql.reserve();
    try {
      await acquireLock(conn);
      try {
        await conn.unsafe(`create table if not exists ${TABLE} (
          version text primary key, name text not null unique, checksum text not null,
          applied_at timestamptz not null default now(), execution_ms integer not null)`);
        const state = await status(conn);
        if (state.drifted.length) throw driftError(state.drifted);
        const done: Array<{ name: string; ms: number }> = [];
        for (const file of state.pending) done.push(await apply(conn, file));
        return done;
      } finally {
        await conn.unsafe(`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`).catch(() => {});
      }
    } finally {
      conn.release();
    }
  }

  async function acquireLock(conn: postgres.ReservedSql): Promise<void> {
    const deadline = Date.now() + lockTimeoutMs;
    for (let waiting = false; ; waiting = true) {
      const [row] = await conn.unsafe<{ locked: boolean }[]>(`select pg_try_advisory_lock(${MIGRATION_LOCK_KEY}) as locked`);
      if (row?.locked) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new RunnerError('LOCK_TIMEOUT', `another migrate still holds the migration lock after ${lockTimeoutMs / 1000} s; nothing was applied. Retry when it has finished (or raise --lock-timeout).`);
      }
      if (!waiting) log.info({ lockTimeoutMs }, 'another migrate is running: waiting for its lock');
      await sleep(Math.min(POLL_MS, left));
    }
  }

  async function apply(conn: postgres.ReservedSql, file: MigrationFile): Promise<{ name: string; ms: number }> {
    const started = performance.now();
    const timeouts = `set ${file.transaction ? 'local ' : ''}lock_timeout = ${Math.round(migrationLockTimeoutMs)}; `
      + `set ${file.transaction ? 'local ' : ''}statement_timeout = ${Math.round(statementTimeoutMs)}`;
    const record = (ms: number) => conn`insert into ${conn(TABLE)} (version, name, checksum, execution_ms)
      values (${file.version}, ${file.name}, ${file.checksum}, ${ms})`;
    try {
      if (file.transaction) {
        await conn.unsafe('begin');
        try {
          await conn.unsafe(timeouts);
          await conn.unsafe(file.sql);
          await record(Math.round(performance.now() - started));
          await conn.unsafe('commit');
        } catch (err) {
          await conn.unsafe('rollback').catch(() => {});
          throw err;
        }
      } else {
        await conn.unsafe(timeouts);
        try {
          await conn.unsafe(file.sql);
        } finally {
          await conn.unsafe('reset lock_timeout; reset statement_timeout').catch(() => {});
        }
        await record(Math.round(performance.now() - started));
      }
    } catch (err) {
      throw migrationFailure(file, err);
    }
    const ms = Math.round(performance.now() - started);
    log.info({ migration: file.name, ms }, 'migration applied');
    return { name: file.name, ms };
  }

  return { status, up };
}


function driftError(drifted: Drift[]): RunnerError {
  const lines = drifted.map((d) => (d.problem === 'changed' ? `${d.name} changed since it was applied` : `${d.name} was applied but its file is gone`));
  return new RunnerError('MIGRATION_DRIFT', `refusing to migrate: ${lines.join('; ')}. Restore the applied files; change the schema with a new migration instead.`, { details: { drifted } });
}

function migrationFailure(file: MigrationFile, err: unknown): RunnerError {
  const reason = err instanceof Error ? err.message : String(err);
  const undone = file.transaction ? 'it was rolled back, nothing of it applied' : 'it ran outside a transaction, so part of it may be applied';
  const code = (err as { code?: unknown }).code;
  // a lock_timeout means live traffic held a lock: trying again later may well succeed
  if (code === '55P03') return new RunnerError('TRANSIENT', `migration ${file.name} timed out waiting for a lock (${reason}); ${undone}`, { cause: err });
  const wrapped = toRunnerError(err);
  return new RunnerError(wrapped.code, `migration ${file.name} failed: ${reason}; ${undone}`, { cause: err, retryable: wrapped.retryable });
}
