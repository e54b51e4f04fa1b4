import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installDir } from '../config.js';
import { RunnerError } from '../errors.js';

export interface MigrationFile {
  version: string;       // "0001"
  name: string;          // "0001_submissions.sql"
  checksum: string;      // sha256 hex of the text with line endings normalised
  sql: string;
  /** False when the first line is `-- no-transaction` (e.g. CREATE INDEX CONCURRENTLY; one statement). */
  transaction: boolean;
}

const FILE_NAME = /^(\d{4})_[a-z0-9_]+\.sql$/;
const NO_TRANSACTION = /^--\s*no-transaction\s*$/i;

/**
 * The shipped migrations: next to this module (src/db/migrations via tsx; dist/migrations, which the
 * build copies beside the bundle), else <install>/src/db/migrations.
 */
export function defaultMigrationsDir(): string {
  const besideModule = fileURLToPath(new URL('./migrations/', import.meta.url));
  return existsSync(besideModule) ? besideModule : path.join(installDir, 'src', 'db', 'migrations');
}

/** Reads `NNNN_name.sql` files in version order; other files are ignored, a repeated version is refused. */
export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const entries = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    throw new RunnerError('CONFIG', `cannot read the migrations folder ${dir}: ${err.code ?? err.message}`);
  });
  const files = entries.filter((entry) => FILE_NAME.test(entry)).sort();
  const migrations: MigrationFile[] = [];
  for (const name of files) {
    const version = name.slice(0, 4);
    const previous = migrations.at(-1);
    if (previous?.version === version) {
      throw new RunnerError('CONFIG', `two migrations share version ${version}: ${previous.name} and ${name}`);
    }
    const sql = (await fs.readFile(path.join(dir, name), 'utf8')).replace(/\r\n/g, '\n');
    migrations.push({
      version, name, sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
      transaction: !NO_TRANSACTION.test(sql.split('\n', 1)[0] ?? ''),
    });
  }
  return migrations;
}
