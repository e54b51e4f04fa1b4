import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RunnerError } from '../errors.js';
import { logKeyFor } from '../ids.js';
import { isInside } from '../paths.js';
import type { SubmissionStorage } from '../ports.js';

/** Submissions and logs in a local folder: the laptop default (`STORAGE_URL=file://dir`). */
export function createFileStorage(root: string): SubmissionStorage {
  const base = path.resolve(root);
  // Keys come from queue messages and rows: untrusted. They must name a file inside the root.
  const inside = (key: string) => {
    const file = path.resolve(base, key);
    if (file === base || !isInside(file, base)) throw new RunnerError('SUBMISSION_NOT_FOUND', `storage key ${JSON.stringify(key)} is outside the storage folder`);
    return file;
  };
  return {
    location: `file://${base}`,
    async download(key, destFile, maxBytes, signal) {
      const file = inside(key);
      const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw new RunnerError('SUBMISSION_NOT_FOUND', `submission file ${JSON.stringify(key)} does not exist in ${base}`);
        throw err;
      });
      if (!info.isFile()) throw new RunnerError('SUBMISSION_NOT_FOUND', `submission ${JSON.stringify(key)} is not a file`);
      if (info.size > maxBytes) throw new RunnerError('INVALID_SUBMISSION', `the submission is ${info.size} bytes; the limit is ${maxBytes}`);
      await pipeline(createReadStream(file), createWriteStream(destFile, { flags: 'wx', mode: 0o600 }), { signal }).catch((err: unknown) => {
        throw signal?.aborted ? signal.reason : err;
      });
      return { bytes: info.size };
    },
    async putLog(submissionId, attempt, body) {
      const key = logKeyFor(submissionId, attempt);
      const file = inside(key);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, body);
      return key;
    },
  };
}
