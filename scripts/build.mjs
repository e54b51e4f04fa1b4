// `npm run build`: compiles src/ into a fresh dist/ and stamps it with what it compiled, so that
// bin/pit-runner.js runs dist/ only while the sources are unchanged. The sources are read before the
// compiler runs: a file saved during the compile leaves the stamp stale, never the build.
// Extra arguments go to tsc, e.g. `npm run build -- --sourceMap` (source maps are off by default).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { sourceSnapshot, writeStamp } from '../bin/build-stamp.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const snapshot = sourceSnapshot(root);
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true }); // no module of a deleted source lingers
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const { status } = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
if (status !== 0) process.exit(status ?? 1);
writeStamp(root, snapshot);
