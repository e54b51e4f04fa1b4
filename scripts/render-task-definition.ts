// Renders a JSON template from task-definitions/ with values from the environment.
//
//   node --import tsx scripts/render-task-definition.ts task-definitions/runner.json > runner.rendered.json
//
// Placeholders live inside JSON strings, so every template is valid JSON before and after rendering:
//   "${NAME}"  "${NAME:-default}"  "prefix-${NAME}-suffix"
//   "${NAME|list}"  a whole string → an array of the comma-separated values
//   "${NAME|int}"   a whole string → an integer
// A variable that is unset or empty (and has no default) is refused; all of them are listed at once (exit 2).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { RunnerError } from '../src/errors.js';

const placeholder = /\$\{([A-Z][A-Z0-9_]*)(?::-([^}|]*))?(?:\|(list|int))?\}/g;
const wholeTyped = /^\$\{[A-Z][A-Z0-9_]*(?::-[^}|]*)?\|(list|int)\}$/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every variable a template mentions, with whether it has a default. */
export function templateVariables(template: Json): Map<string, { hasDefault: boolean }> {
  const found = new Map<string, { hasDefault: boolean }>();
  walk(template, (text) => {
    for (const [, name, fallback] of text.matchAll(placeholder)) {
      const known = found.get(name!);
      found.set(name!, { hasDefault: (known?.hasDefault ?? true) && fallback !== undefined });
    }
    return text;
  });
  return found;
}

export function renderTemplate(template: Json, env: NodeJS.ProcessEnv = process.env): Json {
  const missing = [...templateVariables(template)].filter(([name, { hasDefault }]) => !hasDefault && !env[name]).map(([name]) => name);
  if (missing.length) throw new RunnerError('CONFIG', `set these variables to render the template:\n  - ${missing.join('\n  - ')}`, { details: { missing } });
  const problems: string[] = [];
  const rendered = walk(template, (text) => {
    const value = text.replace(placeholder, (_match, name: string, fallback?: string) => env[name] || fallback || '');
    const type = wholeTyped.exec(text)?.[1];
    if (type === 'list') return value.split(',').map((item) => item.trim()).filter(Boolean);
    if (type === 'int') {
      if (!/^\d+$/.test(value.trim())) problems.push(`${text}: "${value}" is not a whole number`);
      return Number(value);
    }
    return value;
  });
  if (problems.length) throw new RunnerError('CONFIG', `bad values:\n  - ${problems.join('\n  - ')}`, { details: { problems } });
  return rendered;
}

export async function renderFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const template = JSON.parse(await readFile(file, 'utf8')) as Json;
  return `${JSON.stringify(renderTemplate(template, env), null, 2)}\n`;
}

function walk(value: Json, onString: (text: string) => Json): Json {
  if (typeof value === 'string') return onString(value);
  if (Array.isArray(value)) return value.map((item) => walk(item, onString));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, onString)]));
  return value;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file || file === '--help') {
    process.stderr.write('usage: node --import tsx scripts/render-task-definition.ts <task-definitions/…json>  (prints the rendered JSON)\n');
    process.exitCode = file ? 0 : 2;
  } else {
    try {
      process.stdout.write(await renderFile(file));
    } catch (err) {
      process.stderr.write(`render-task-definition: ${file}: ${(err as Error).message}\n`);
      process.exitCode = err instanceof RunnerError ? err.exitCode : 1;
    }
  }
}
