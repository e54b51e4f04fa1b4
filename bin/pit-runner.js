#!/usr/bin/env node
// In a checkout the TypeScript sources run through tsx, so `npx pit-runner` needs no build step;
// the image ships only the compiled dist/ (and no tsx).
import { existsSync } from 'node:fs';

const source = new URL('../src/cli.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli.js', import.meta.url).href);
}
