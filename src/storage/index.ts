import path from 'node:path';
import type { Config } from '../config.js';
import type { SubmissionStorage } from '../ports.js';

/**
 * STORAGE_URL → the storage it names (a local folder or an S3 bucket) and how to let go of it. The
 * S3 adapter and its SDK are loaded only when the URL asks for them.
 */
export async function openStorage(config: Config): Promise<{ storage: SubmissionStorage; close(): void }> {
  if (config.storageUrl.startsWith('s3://')) {
    const { createS3Client, createS3Storage, parseS3Url } = await import('./s3.js');
    const client = createS3Client(config);
    return { storage: createS3Storage({ client, ...parseS3Url(config.storageUrl) }), close: () => client.destroy() };
  }
  const { createFileStorage } = await import('./file.js');
  // file:///abs/dir, or file://relative/dir resolved from the working directory
  return { storage: createFileStorage(path.resolve(config.storageUrl.slice('file://'.length))), close: () => undefined };
}
