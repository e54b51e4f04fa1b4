import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import type { Config } from '../config.js';
import { RunnerError, isTransient, transientError } from '../errors.js';
import { redactUrl, type Logger } from '../log.js';
import { clientSettings, type ClientConfig, type ClientOptions } from './clients.js';

export function createSecretsClient(config: ClientConfig, options: ClientOptions = {}): SecretsManagerClient {
  return new SecretsManagerClient(clientSettings(config, options));
}

/** The JSON Secrets Manager keeps for an RDS-managed credential (extra fields ignored), and an optional sslmode. */
const rdsSecret = z.object({
  username: z.string().min(1),
  password: z.string(),
  host: z.string().min(1),
  port: z.coerce.number().int().positive().optional(),
  dbname: z.string().min(1).optional(),
  database: z.string().min(1).optional(),
  // Not RDS's: a field the secret's creator adds (infra/ does) so the runner speaks TLS to a server that demands it.
  sslmode: z.enum(['prefer', 'require', 'verify-full']).optional(),
});

/**
 * The database URL: DATABASE_URL when set, else the secret DATABASE_SECRET_ID names (a plain URL or
 * RDS-style JSON), else undefined (the embedded database). The URL is returned, never put in
 * process.env (children inherit that) and never logged; log `redactUrl(url)` instead.
 */
export async function resolveDatabaseUrl(
  config: Pick<Config, 'databaseUrl' | 'databaseSecretId'>,
  deps: { client: SecretsManagerClient; log?: Logger },
): Promise<string | undefined> {
  if (config.databaseUrl) return config.databaseUrl;
  const secretId = config.databaseSecretId;
  if (!secretId) return undefined;
  const secret = await deps.client.send(new GetSecretValueCommand({ SecretId: secretId })).catch((err: unknown) => {
    throw secretFailure(err, secretId);
  });
  if (secret.SecretString === undefined) throw new RunnerError('CONFIG', `DATABASE_SECRET_ID: secret ${secretId} has no string value`);
  const url = urlFromSecret(secret.SecretString, secretId);
  deps.log?.info({ secretId, database: redactUrl(url) }, 'database URL read from Secrets Manager');
  return url;
}

function urlFromSecret(value: string, secretId: string): string {
  const text = value.trim();
  if (/^postgres(ql)?:\/\//.test(text)) return text;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = rdsSecret.safeParse(json);
  // The secret's content stays out of the message: only which fields are wrong.
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || 'value').join(', ');
    throw new RunnerError('CONFIG', `DATABASE_SECRET_ID: secret ${secretId} is neither a postgres:// URL nor JSON with username, password, host (problem: ${fields})`);
  }
  const { username, password, host, port, dbname, database, sslmode } = parsed.data;
  const name = dbname ?? database;
  return `postgres://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${host}:${port ?? 5432}${name ? `/${encodeURIComponent(name)}` : ''}${sslmode ? `?sslmode=${sslmode}` : ''}`;
}

function secretFailure(err: unknown, secretId: string): RunnerError {
  const name = (err as { name?: string }).name ?? '';
  if (name === 'ResourceNotFoundException') return new RunnerError('CONFIG', `DATABASE_SECRET_ID: no secret named ${secretId}`, { cause: err });
  if (name === 'AccessDeniedException' || name === 'DecryptionFailure') {
    return new RunnerError('CONFIG', `DATABASE_SECRET_ID: the task role may not read ${secretId} (secretsmanager:GetSecretValue, kms:Decrypt)`, { cause: err });
  }
  if (isTransient(err)) return transientError(`Secrets Manager is unavailable: ${(err as Error).message}`, err);
  return new RunnerError('INTERNAL', `reading secret ${secretId} failed: ${name}`, { cause: err });
}
