import { createRequire } from 'node:module';

let loaded: typeof import('fast-xml-parser') | undefined;

/**
 * fast-xml-parser, loaded on first use as its single-file CommonJS build: a fifth of what importing its
 * ES modules costs, and nothing to commands that never read or write XML (bench/steps.ts).
 */
export const fastXml = (): typeof import('fast-xml-parser') => (loaded ??= createRequire(import.meta.url)('fast-xml-parser') as typeof import('fast-xml-parser'));
