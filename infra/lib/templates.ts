// The stack reads the JSON templates in task-definitions/, the same files an operator renders by hand with
// scripts/render-task-definition.ts: one source of truth. Placeholders get the stack's values (CloudFormation
// tokens are plain strings until synthesis); only the values given here count, never the caller's environment.
import { readFileSync } from 'node:fs';
import { renderTemplate } from '../../scripts/render-task-definition.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Doc = { [key: string]: any }; // a rendered template, read loosely

const folder = new URL('../../task-definitions/', import.meta.url);

export function renderStackTemplate(file: string, values: Record<string, string>): Doc {
  const template = JSON.parse(readFileSync(new URL(file, folder), 'utf8')) as Json;
  return renderTemplate(template, values) as Doc;
}

/**
 * API-cased keys → CloudFormation's (first letter upper case): `awsvpcConfiguration` → `AwsvpcConfiguration`.
 * The keys of the maps named in `keepInside` are data (log driver options, input paths), not property names.
 */
export function cloudFormationKeys(value: Json, keepInside: readonly string[] = []): Json {
  if (Array.isArray(value)) return value.map((item) => cloudFormationKeys(item, keepInside));
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [
    key.charAt(0).toUpperCase() + key.slice(1),
    keepInside.includes(key) ? item : cloudFormationKeys(item, keepInside),
  ]));
}
