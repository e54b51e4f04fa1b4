import type { Argv, CommandModule } from 'yargs';
import { EXIT } from '../errors.js';
import type { Logger } from '../log.js';
import type { Sql } from '../db/connection.js';
import { defaultMigrationsDir } from '../db/migration-files.js';
import { createMigrator, type MigrationStatus } from '../db/migrator.js';
import { handler } from './context.js';

export interface MigrateArgs {
  action: 'up' | 'status';
  dryRun: boolean;
  json: boolean;
  lockTimeout: number;            // seconds
  migrationLockTimeout: number;   // seconds
  statementTimeout: number;       // seconds
  migrationsDir?: string;
}

/** `migrate`, `migrate --dry-run`, `migrate status`: prints on stdout, returns the exit code. */
export async function migrate(args: MigrateArgs, deps: { sql: Sql; log: Logger; stdout: { write(text: string): unknown } }): Promise<number> {
  const migrator = createMigrator(deps.sql, {
    dir: args.migrationsDir ?? defaultMigrationsDir(),
    log: deps.log,
    lockTimeoutMs: args.lockTimeout * 1000,
    migrationLockTimeoutMs: args.migrationLockTimeout * 1000,
    statementTimeoutMs: args.statementTimeout * 1000,
  });
  const print = (text: string) => deps.stdout.write(`${text}\n`);

  if (args.action === 'status' || args.dryRun) {
    const state = await migrator.status();
    if (args.json) print(JSON.stringify(statusJson(state, args.dryRun)));
    else print(args.dryRun ? dryRunText(state) : statusText(state));
    const ok = args.dryRun ? state.drifted.length === 0 : state.upToDate;
    return ok ? EXIT.OK : EXIT.NOT_UP_TO_DATE;
  }
  const applied = await migrator.up();
  if (args.json) print(JSON.stringify({ applied }));
  else print(applied.length ? applied.map((m) => `applied ${m.name} (${m.ms} ms)`).join('\n') : 'up to date: nothing to apply');
  return EXIT.OK;
}

function statusJson(state: MigrationStatus, dryRun: boolean) {
  return {
    upToDate: state.upToDate,
    applied: state.applied.map(({ name, appliedAt, executionMs }) => ({ name, appliedAt, executionMs })),
    [dryRun ? 'wouldApply' : 'pending']: state.pending.map((m) => m.name),
    drifted: state.drifted,
  };
}

function statusText(state: MigrationStatus): string {
  const drift = new Map(state.drifted.map((d) => [d.name, d.problem === 'changed' ? 'changed since it was applied' : 'applied, but the file is gone']));
  const lines = [
    ...state.applied.map((m) => `${drift.has(m.name) ? 'drifted' : 'applied'}  ${m.name}  ${drift.get(m.name) ?? m.appliedAt.toISOString()}`),
    ...state.pending.map((m) => `pending  ${m.name}`),
  ];
  const verdict = state.upToDate ? 'up to date' : `not up to date: ${state.pending.length} pending, ${state.drifted.length} drifted`;
  return [...lines, verdict].join('\n');
}

function dryRunText(state: MigrationStatus): string {
  if (state.drifted.length) return `${statusText(state)}\nmigrate would refuse: restore the drifted files first`;
  if (!state.pending.length) return 'up to date: nothing to apply';
  return state.pending.map((m) => `would apply ${m.name}${m.transaction ? '' : ' (no transaction)'}`).join('\n');
}

export const migrateCommand: CommandModule<object, MigrateArgs> = {
  // yargs camel-cases the flags at run time (dry-run → dryRun); its types only know the dashed names
  builder: (y) => (y
    .positional('action', { choices: ['up', 'status'] as const, default: 'up' as const, describe: 'up: apply pending migrations; status: list applied/pending/drifted' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'print what would be applied; touch nothing' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
    .option('lock-timeout', { type: 'number', default: 60, describe: 'seconds to wait for another migrate to finish, then exit 75' })
    .option('migration-lock-timeout', { type: 'number', default: 10, describe: 'seconds a migration may wait for a table lock (SET lock_timeout)' })
    .option('statement-timeout', { type: 'number', default: 300, describe: 'seconds a migration statement may run (SET statement_timeout)' })
    .option('migrations-dir', { type: 'string', describe: 'folder of NNNN_name.sql files (default: the shipped migrations)' })
    .check((a) => {
      for (const flag of ['lock-timeout', 'migration-lock-timeout', 'statement-timeout'] as const) {
        if (!(Number.isFinite(a[flag]) && a[flag] >= 0)) throw new Error(`--${flag} must be a number of seconds`);
      }
      return true;
    })) as unknown as Argv<MigrateArgs>,
  handler: handler<MigrateArgs>(async (args, ctx) => {
    return ctx.scope(ctx.config(), async (scope) => migrate(args, { sql: (await scope.database()).sql, log: ctx.log, stdout: process.stdout }));
  }),
};
