import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultMigrationsDir } from '../../src/db/migration-files.js';
import { createSubmissions } from '../../src/db/submissions.js';
import { MIGRATION_LOCK_KEY } from '../../src/db/migrator.js';
import { migrate as runMigrate, type MigrateArgs } from '../../src/commands/migrate.js';
import { toRunnerError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { freshDatabase, type TestDatabase } from '../helpers/db.js';

const cli = fileURLToPath(new URL('../../bin/pit-runner.js', import.meta.url));
const migrate = suite<{ db: TestDatabase; dir: string }>('migrate');
const shipped = readdirSync(defaultMigrationsDir()).filter((name) => name.endsWith('.sql')).sort();

// each test: its own database and a copy of the shipped migrations plus a slow later one, so that
// concurrent runners really overlap. Only what needs a process (concurrency, the CLI's exit) spawns one.
migrate.before.each(async (context) => {
  context.db = await freshDatabase();
  context.dir = mkdtempSync(path.join(os.tmpdir(), 'pit-runner-migrations-'));
  cpSync(defaultMigrationsDir(), context.dir, { recursive: true });
  writeFileSync(path.join(context.dir, '0900_marks.sql'), 'create table marks (n int);\nselect pg_sleep(0.3);\ninsert into marks values (1);\n');
});
migrate.after.each(async ({ db, dir }) => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const spawnMigrate = (url: string, dir: string, ...args: string[]) =>
  execa('node', [cli, 'migrate', ...args, '--migrations-dir', dir], {
    reject: false, timeout: 60_000,
    env: { DATABASE_URL: url, LOG_LEVEL: 'warn' },
  });

/** The command's programmatic function, in process: exit code, stdout, and the error message. */
async function run(db: TestDatabase, dir: string, options: Partial<MigrateArgs> = {}) {
  const stdout: string[] = [];
  const args: MigrateArgs = { action: 'up', dryRun: false, json: false, lockTimeout: 60, migrationLockTimeout: 10, statementTimeout: 300, migrationsDir: dir, ...options };
  try {
    const exitCode = await runMigrate(args, { sql: db.sql, log: silentLogger, stdout: { write: (text: string) => stdout.push(text) } });
    return { exitCode, stdout: stdout.join(''), error: '' };
  } catch (err) {
    const error = toRunnerError(err);
    return { exitCode: error.exitCode, stdout: stdout.join(''), error: error.message };
  }
}

const appliedNames = async (db: TestDatabase) =>
  (await db.sql<{ name: string }[]>`select name from pit_runner_migrations order by version`).map((row) => row.name);
const tableExists = async (db: TestDatabase, name: string) =>
  (await db.sql<{ exists: boolean }[]>`select to_regclass(${name}) is not null as exists`)[0]?.exists;

migrate('three runners at once apply every migration exactly once', async ({ db, dir }) => {
  // hold the lock until all three are connected and polling for it, so they really race
  const holder = await db.sql.reserve();
  await holder.unsafe(`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
  const runners = [1, 2, 3].map(() => spawnMigrate(db.url, dir));
  const connected = () => db.sql`select count(distinct pid)::int as n from pg_stat_activity where datname = current_database() and application_name = 'pit-runner'`;
  for (const deadline = Date.now() + 60_000; (await connected())[0]?.n < 3 && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await holder.unsafe(`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
  holder.release();
  const results = await Promise.all(runners);
  assert.equal(results.map((r) => r.exitCode), [0, 0, 0], results.map((r) => r.stderr).join('\n'));
  assert.equal(await appliedNames(db), [...shipped, '0900_marks.sql']);
  assert.equal([...await db.sql`select n from marks`], [{ n: 1 }]);
  assert.is(results.filter((r) => r.stdout.includes('applied 0900_marks.sql')).length, 1);
});

migrate('status exits 3 while migrations are pending and 0 once applied', async ({ db, dir }) => {
  const before = await run(db, dir, { action: 'status' });
  assert.is(before.exitCode, 3);
  assert.match(before.stdout, 'pending  0900_marks.sql');
  assert.is((await run(db, dir)).exitCode, 0);
  const after = await run(db, dir, { action: 'status', json: true });
  assert.is(after.exitCode, 0);
  assert.equal(JSON.parse(after.stdout).pending, []);
});

migrate('--dry-run prints the plan and touches nothing', async ({ db, dir }) => {
  const dry = await run(db, dir, { dryRun: true });
  assert.is(dry.exitCode, 0);
  assert.match(dry.stdout, 'would apply 0001_submissions.sql');
  assert.not.ok(await tableExists(db, 'pit_runner_migrations'), 'not even the bookkeeping table');
});

migrate('an applied migration edited or deleted makes migrate and status exit 3 naming it', async ({ db, dir }) => {
  assert.is((await run(db, dir)).exitCode, 0);
  appendFileSync(path.join(dir, '0900_marks.sql'), '-- a later edit\n');
  for (const action of ['up', 'status'] as const) {
    const drifted = await run(db, dir, { action });
    assert.is(drifted.exitCode, 3);
    assert.match(drifted.stdout + drifted.error, /0900_marks\.sql.*changed/);
  }
  rmSync(path.join(dir, '0900_marks.sql'));
  for (const action of ['up', 'status'] as const) {
    const missing = await run(db, dir, { action });
    assert.is(missing.exitCode, 3);
    assert.match(missing.stdout + missing.error, /0900_marks\.sql.*gone/);
  }
});

migrate('a migration failing midway leaves no partial schema and no bookkeeping row', async ({ db, dir }) => {
  writeFileSync(path.join(dir, '0901_broken.sql'), 'create table half_done (x int);\nselect 1 / 0;\n');
  const failed = await run(db, dir);
  assert.is(failed.exitCode, 1);
  assert.match(failed.error, /0901_broken\.sql failed: division by zero; it was rolled back/);
  assert.not.ok(await tableExists(db, 'half_done'));
  assert.equal(await appliedNames(db), [...shipped, '0900_marks.sql']);
});

migrate('a runner that cannot get the lock in time exits 75 and applies nothing', async ({ db, dir }) => {
  const holder = await db.sql.reserve();
  await holder.unsafe(`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
  try {
    const waited = await run(db, dir, { lockTimeout: 0.5 });
    assert.is(waited.exitCode, 75);
    assert.match(waited.error, 'another migrate still holds the migration lock');
  } finally {
    await holder.unsafe(`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    holder.release();
  }
  assert.not.ok(await tableExists(db, 'submissions'));
});

migrate('an unreachable database exits 75 with a clear message and no password', async ({ dir }) => {
  const result = await spawnMigrate('postgres://runner:s3cret-pw@127.0.0.1:1/pit', dir, 'status');
  assert.is(result.exitCode, 75);
  assert.match(result.stderr, 'the database at postgres://runner:***@127.0.0.1:1/pit is unreachable');
  assert.not.match(result.stderr + result.stdout, 's3cret-pw');
});

migrate('0004 keeps the results graded before it as the first of their history, provenance unknown', async ({ db, dir }) => {
  const early = path.join(dir, 'early');
  mkdirSync(early);
  for (const name of shipped.filter((file) => file < '0004')) cpSync(path.join(dir, name), path.join(early, name));
  assert.is((await run(db, early)).exitCode, 0);
  const [graded, failed, waiting, resetForRegrade] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  await db.sql`insert into submissions (id, pit_id, file_key, status, outcome, score, feedback, attempt, finished_at) values
    (${graded}, 'p', 'k', 'DONE', 'FAILED', 40, '{"tests": []}', 2, now()),
    (${failed}, 'p', 'k', 'ERROR', 'INVALID_SUBMISSION', 0, null, 1, now()),
    (${waiting}, 'p', 'k', 'PENDING', null, null, null, 0, null),
    (${resetForRegrade}, 'p', 'k', 'PENDING', 'PASSED', 100, null, 1, null)`;
  const touched = await db.sql`select id, updated_at from submissions order by id`;
  assert.is((await run(db, dir)).exitCode, 0);
  const repo = createSubmissions(db.sql, { leaseSeconds: 60 });
  const rows = await Promise.all([graded, failed, waiting, resetForRegrade].map(async (id) => ({ row: (await repo.get(id))!, history: await repo.results(id) })));
  assert.equal(rows.map(({ row }) => [row.status, row.score, row.provenance, row.currentResultId !== null]),
    [['DONE', 40, null, true], ['ERROR', 0, null, true], ['PENDING', null, null, false], ['PENDING', 100, null, true]]);
  assert.equal(rows.map(({ history }) => history.map((r) => [r.attempt, r.status, r.score, r.provenance, r.pitHash, r.current])),
    [[[2, 'DONE', 40, null, null, true]], [[1, 'ERROR', 0, null, null, true]], [], [[1, 'DONE', 100, null, null, true]]]);
  assert.equal(await db.sql`select id, updated_at from submissions order by id`, touched, 'pointing at a result is not an update');
});

migrate.run();
