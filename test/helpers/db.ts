/**
 * Real PostgreSQL for tests: one server per test process, one empty database per suite.
 *
 *   import { freshDatabase } from './helpers/db.js';
 *   const db = await freshDatabase({ migrated: true }); // { url, sql, close }
 *   await db.sql`insert into submissions …`;             // or spawn the CLI with env DATABASE_URL: db.url
 *   await db.close();                                    // ends `sql` and drops the database
 *
 * The server is DATABASE_URL when set (its role must be allowed to CREATE DATABASE), else an embedded
 * PostgreSQL started on first use in a temp folder, stopped and removed when the process exits.
 * Close every database you open: uvu ends when nothing keeps the event loop alive.
 */
import { mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { silentLogger } from '../../src/log.js';
import type { Sql } from '../../src/db/connection.js';
import { startEmbedded } from '../../src/db/embedded.js';
import { createMigrator } from '../../src/db/migrator.js';
import { defaultMigrationsDir } from '../../src/db/migration-files.js';

export interface TestDatabase {
  /** postgres:// URL of this database (with its password: tests only). */
  url: string;
  sql: Sql;
  close(): Promise<void>;
}

let server: Promise<string> | undefined;

/** The server's URL (DATABASE_URL or the embedded one), started on first call. */
export function serverUrl(): Promise<string> {
  server ??= process.env.DATABASE_URL ? Promise.resolve(process.env.DATABASE_URL) : startTestServer();
  return server;
}

/** An empty database of its own; `migrated: true` applies the shipped migrations first. */
export async function freshDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const base = await serverUrl();
  const name = `pit_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(base, (admin) => admin`create database ${admin(name)}`);
  const url = withDatabase(base, name);
  const sql = postgres(url, { max: 5, onnotice: () => {} });
  if (options.migrated) await createMigrator(sql, { dir: defaultMigrationsDir(), log: silentLogger }).up();
  return {
    url, sql,
    close: async () => {
      await sql.end({ timeout: 1 });
      await withAdmin(base, (admin) => admin`drop database if exists ${admin(name)} with (force)`);
    },
  };
}

async function withAdmin<T>(url: string, work: (admin: Sql) => Promise<T>): Promise<T> {
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await work(admin);
  } finally {
    await admin.end({ timeout: 1 });
  }
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function startTestServer(): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pit-runner-test-pg-'));
  chmodSync(dir, 0o755); // as root the server runs as 'postgres', which must reach the folder
  const embedded = await startEmbedded(path.join(dir, 'pg'), silentLogger, { throwaway: true });
  embedded.unref();
  process.once('exit', () => {
    if (embedded.pid) waitForExit(embedded.pid, 5_000);
    rmSync(dir, { recursive: true, force: true });
  });
  return embedded.url;
}

// 'exit' listeners must be synchronous: the server got SIGINT from the embedded module's own listener.
function waitForExit(pid: number, ms: number): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; waited < ms; waited += 20) {
    try {
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      if (state === 'Z') return; // exited; only our parent can reap it
    } catch {
      return;
    }
    Atomics.wait(pause, 0, 0, 20);
  }
}
