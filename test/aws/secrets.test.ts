import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { mockClient } from 'aws-sdk-client-mock';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { resolveDatabaseUrl } from '../../src/aws/secrets.js';
import { redactUrl } from '../../src/log.js';
import { captureLog } from '../helpers/capture-log.js';
import { rejection } from '../helpers/assert.js';

const secrets = suite('secrets');
const client = new SecretsManagerClient({ region: 'us-east-1' });
const sm = mockClient(client);
const secretId = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pit-runner/db-AbCdEf';
const password = 'p@ss:w/rd?#1';
const rdsJson = JSON.stringify({ engine: 'postgres', username: 'grader', password, host: 'db.internal', port: 5433, dbname: 'pits' });

secrets.before.each(() => {
  sm.reset();
});


secrets('DATABASE_URL wins and Secrets Manager is not called', async () => {
  const url = await resolveDatabaseUrl({ databaseUrl: 'postgres://a@b/c', databaseSecretId: secretId }, { client });
  assert.is(url, 'postgres://a@b/c');
  assert.is(sm.calls().length, 0);
});

secrets('neither setting means the embedded database (undefined)', async () => {
  assert.is(await resolveDatabaseUrl({}, { client }), undefined);
});

secrets('a secret holding a plain URL is used as is', async () => {
  sm.on(GetSecretValueCommand, { SecretId: secretId }).resolves({ SecretString: ' postgresql://u:p@h:5432/d\n' });
  assert.is(await resolveDatabaseUrl({ databaseSecretId: secretId }, { client }), 'postgresql://u:p@h:5432/d');
});

secrets('RDS-style JSON becomes a URL with the user and password encoded', async () => {
  sm.on(GetSecretValueCommand).resolves({ SecretString: rdsJson });
  const url = new URL((await resolveDatabaseUrl({ databaseSecretId: secretId }, { client }))!);
  assert.is(decodeURIComponent(url.password), password);
  assert.is(url.username, 'grader');
  assert.is(url.host, 'db.internal:5433');
  assert.is(url.pathname, '/pits');
});

secrets('an sslmode field in the JSON reaches the URL; an unknown one is refused', async () => {
  sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ ...JSON.parse(rdsJson), sslmode: 'require' }) });
  assert.is(new URL((await resolveDatabaseUrl({ databaseSecretId: secretId }, { client }))!).searchParams.get('sslmode'), 'require');
  sm.on(GetSecretValueCommand).resolves({ SecretString: rdsJson });
  assert.is(new URL((await resolveDatabaseUrl({ databaseSecretId: secretId }, { client }))!).search, '');
  sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ ...JSON.parse(rdsJson), sslmode: 'disable&x=1' }) });
  const error = await rejection(resolveDatabaseUrl({ databaseSecretId: secretId }, { client }));
  assert.is(error.code, 'CONFIG');
  assert.match(error.message, 'sslmode');
});

secrets('an unknown secret is a CONFIG error naming it', async () => {
  sm.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
  const error = await rejection(resolveDatabaseUrl({ databaseSecretId: secretId }, { client }));
  assert.is(error.code, 'CONFIG');
  assert.match(error.message, secretId);
});

secrets('a malformed secret is refused without quoting its content', async () => {
  sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'grader', password }) });
  const error = await rejection(resolveDatabaseUrl({ databaseSecretId: secretId }, { client }));
  assert.is(error.code, 'CONFIG');
  assert.match(error.message, 'host');
  assert.not.match(error.message, password);
});

secrets('the resolved URL is in no log line, only its redacted form', async () => {
  sm.on(GetSecretValueCommand).resolves({ SecretString: rdsJson });
  const { log, lines } = captureLog();
  await resolveDatabaseUrl({ databaseSecretId: secretId }, { client, log });
  assert.ok(lines.length > 0);
  for (const line of lines) assert.not.ok(line.includes(encodeURIComponent(password)) || line.includes(password), line);
  assert.ok(lines.some((line) => line.includes('postgres://grader:***@db.internal:5433/pits')));
});

secrets('the resolved URL reaches neither process.env nor a child environment', async () => {
  sm.on(GetSecretValueCommand).resolves({ SecretString: rdsJson });
  const before = JSON.stringify(process.env);
  await resolveDatabaseUrl({ databaseSecretId: secretId }, { client });
  assert.is(JSON.stringify(process.env), before);
  const { stdout } = await execa('env');
  assert.not.match(stdout, encodeURIComponent(password));
  assert.not.match(stdout, 'db.internal');
});

secrets('redactUrl masks only the password', () => {
  assert.is(redactUrl('postgres://u:secret@h:5432/d?sslmode=require'), 'postgres://u:***@h:5432/d?sslmode=require');
  assert.is(redactUrl('postgres://h/d'), 'postgres://h/d');
  assert.not.match(redactUrl('not a url secret'), 'secret');
});

secrets.run();
