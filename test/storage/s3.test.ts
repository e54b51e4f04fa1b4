import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Storage, parseS3Url } from '../../src/storage/s3.js';
import { localS3, type LocalS3 } from '../helpers/s3.js';
import { rejection } from '../helpers/assert.js';

const s3 = suite('s3-storage');
const bucket = 'submissions';
let server: LocalS3;
let client: S3Client;
let dir: string;

s3.before(async () => {
  server = await localS3([bucket]);
  client = server.client();
  dir = await mkdtemp(path.join(os.tmpdir(), 's3-storage-'));
});
s3.after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const put = (Key: string, Body: Buffer) => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
const stored = async (Key: string) => {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
  return { bytes: Buffer.from(await response.Body!.transformToByteArray()), contentType: response.ContentType };
};
const destination = () => path.join(dir, `${randomUUID()}.zip`);


s3('parses s3://bucket/prefix URLs', () => {
  assert.equal(parseS3Url('s3://subs'), { bucket: 'subs', prefix: '' });
  assert.equal(parseS3Url('s3://subs/term-1/'), { bucket: 'subs', prefix: 'term-1' });
  assert.throws(() => parseS3Url('s3://'), /STORAGE_URL/);
});

s3('a downloaded submission has exactly the uploaded bytes', async () => {
  const body = randomBytes(1_048_576 + 17);
  await put('in/a.zip', body);
  const file = destination();
  const { bytes } = await createS3Storage({ client, bucket }).download('in/a.zip', file, 2_000_000);
  assert.is(bytes, body.length);
  assert.ok((await readFile(file)).equals(body));
});

s3('keys are relative to the prefix', async () => {
  await put('term-1/in/b.zip', Buffer.from('zip bytes'));
  const storage = createS3Storage({ client, bucket, prefix: 'term-1' });
  assert.is(storage.location, 's3://submissions/term-1');
  const file = destination();
  await storage.download('in/b.zip', file, 100);
  assert.is(await readFile(file, 'utf8'), 'zip bytes');
});

s3('an object larger than the bound is refused as an invalid submission', async () => {
  await put('in/big.zip', randomBytes(4096));
  const error = await rejection(createS3Storage({ client, bucket }).download('in/big.zip', destination(), 4095));
  assert.is(error.code, 'INVALID_SUBMISSION');
  assert.match(error.message, 'limit is 4095');
});

s3('a body longer than its announced length is cut off at the bound', async () => {
  const lying = { send: async () => ({ Body: Readable.from([randomBytes(3000), randomBytes(3000)]) }) } as unknown as S3Client;
  const error = await rejection(createS3Storage({ client: lying, bucket }).download('in/x.zip', destination(), 5000));
  assert.is(error.code, 'INVALID_SUBMISSION');
});

s3('a missing key is SUBMISSION_NOT_FOUND with the location in the message', async () => {
  const error = await rejection(createS3Storage({ client, bucket }).download('in/nope.zip', destination(), 100));
  assert.is(error.code, 'SUBMISSION_NOT_FOUND');
  assert.match(error.message, 's3://submissions/in/nope.zip does not exist');
});

s3('an unreachable server is TRANSIENT after the SDK retries', async () => {
  const unreachable = server.client({ endpoint: 'http://127.0.0.1:9', maxAttempts: 2 });
  const error = await rejection(createS3Storage({ client: unreachable, bucket }).download('in/a.zip', destination(), 100));
  assert.is(error.code, 'TRANSIENT');
  assert.is(error.exitCode, 75);
});

s3('the stored log has exactly the bytes put, as UTF-8 text, under logs/<id>/<attempt>/run.log', async () => {
  const id = randomUUID();
  const log = Buffer.concat([Buffer.from('résultat ✓\n'), randomBytes(65_536)]);
  const key = await createS3Storage({ client, bucket, prefix: 'term-1' }).putLog(id, 3, log);
  assert.is(key, `term-1/logs/${id}/3/run.log`);
  const object = await stored(key);
  assert.ok(object.bytes.equals(log), `stored ${object.bytes.length} bytes for ${log.length}`);
  assert.is(object.contentType, 'text/plain; charset=utf-8');
});

s3('a streamed upload through the client factory is stored without chunk framing', async () => {
  const body = randomBytes(1_048_576);
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'streamed.bin', Body: Readable.from([body]), ContentLength: body.length }));
  assert.is((await stored('streamed.bin')).bytes.length, body.length);
});

s3.run();
