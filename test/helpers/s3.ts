import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ClientOptions } from '../../src/aws/clients.js';
import { createS3Client } from '../../src/storage/s3.js';
import { defaultConfig } from '../../src/config.js';

export interface LocalS3 {
  endpoint: string;
  /** A real SDK client over HTTP to the local server, path-style, fixed keys. */
  client(options?: ClientOptions): S3Client;
  close(): Promise<void>;
}

/** An s3rver on 127.0.0.1 (random port, temp folder) with the given buckets created. */
export async function localS3(buckets: string[]): Promise<LocalS3> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 's3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];
  return {
    endpoint,
    client(options = {}) {
      const client = createS3Client({ region: 'us-east-1', aws: defaultConfig().aws }, { endpoint, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, ...options });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
