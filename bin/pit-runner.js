#!/usr/bin/env node
// The image ships only the compiled dist/ (no src/, no tsx) and runs it. A checkout runs dist/ too while
// it is the build of exactly the sources present (`npm run setup` and `npm run build` make it), and the
// TypeScript sources through tsx as soon as any of them changed: never stale code, and the compiler's
// second only for whoever is editing.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildIsCurrent } from './build-stamp.js';

const root = new URL('..', import.meta.url);
const source = new URL('src/main.ts', root);
if (existsSync(source) && !buildIsCurrent(fileURLToPath(root))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('dist/main.js', root).href);
}
