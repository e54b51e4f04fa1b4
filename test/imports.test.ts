import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from './helpers/cli.js';

// The import graph of src/, read as text, against README's "Where things live" (the authority): each
// row's files may import only what its "may import" cell names (a `(lazily)` one through `import()` or
// types only); nothing outside src/sandbox/ reaches past sandbox/index.ts; no import circle.
const imports = suite('imports');
const src = path.join(repoRoot, 'src');

interface Edge { from: string; to: string; lazy: boolean; typeOnly: boolean }
interface Floor { units: string[]; allowed: Array<{ unit: string; lazily: boolean }> }

const files = (function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return walk(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path.relative(src, full)] : [];
  });
})(src);

const STATIC = /^\s*(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every relative import of `file`, resolved to a path under src/. */
function edgesOf(file: string): Edge[] {
  const text = readFileSync(path.join(src, file), 'utf8');
  const resolve = (specifier: string) => path.normalize(path.join(path.dirname(file), specifier)).replace(/\.js$/, '.ts');
  const edges: Edge[] = [];
  for (const [, typeKeyword, names = '', from, bare] of text.matchAll(STATIC)) {
    const specifier = from ?? bare!;
    if (!specifier.startsWith('.')) continue;
    const typeOnly = Boolean(typeKeyword) || (/^\{[^}]*\}$/s.test(names.trim()) && names.replace(/[{}]/g, '').split(',').every((name) => /^\s*(type\s+\S.*)?\s*$/s.test(name)));
    edges.push({ from: file, to: resolve(specifier), lazy: false, typeOnly });
  }
  for (const [, specifier] of text.matchAll(DYNAMIC)) {
    if (specifier!.startsWith('.')) edges.push({ from: file, to: resolve(specifier!), lazy: true, typeOnly: false });
  }
  return edges;
}
const edges = files.flatMap(edgesOf);

/** README's table, top row first: each row's units (`cli.ts`, `commands/`, …) and what it may import. */
function floors(): Floor[] {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Where things live'));
  const rows = section.split('\n').filter((line) => /^\| (`src\/|base )/.test(line));
  const parsed = rows.map((line) => {
    const cells = line.split(' | ');
    const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const units = cells[0]!.startsWith('| base') ? ticked(cells[1]!).filter((name) => name.endsWith('.ts')) : ticked(cells[0]!).map((unit) => unit.replace(/^src\//, ''));
    return { units, may: cells.at(-1)!.replace(/ \|$/, '') };
  });
  const base = parsed.at(-1)!.units;
  return parsed.map(({ units, may }, index) => {
    const allowed = [...may.matchAll(/`([^`]+)`( \(lazily\))?/g)].map((m) => ({ unit: m[1]!, lazily: Boolean(m[2]) }));
    if (/everything below/.test(may)) allowed.push(...parsed.slice(index + 1).flatMap((row) => row.units.map((unit) => ({ unit, lazily: false }))));
    if (/\bbase\b/.test(may) || index === parsed.length - 1) allowed.push(...base.map((unit) => ({ unit, lazily: false })));
    return { units, allowed };
  });
}

const within = (file: string, unit: string) => (unit.endsWith('/') ? file.startsWith(unit) : file === unit);

imports('every file of src/ sits on one floor of README\'s table', () => {
  const units = floors().flatMap((floor) => floor.units);
  assert.equal(files.filter((file) => !units.some((unit) => within(file, unit))), []);
});

imports('no import runs up a floor or beside it (a lazily named one only through import() or types)', () => {
  const table = floors();
  const floorOf = (file: string) => table.find((floor) => floor.units.some((unit) => within(file, unit)));
  const wrong = edges.filter(({ from, to, lazy, typeOnly }) => {
    const floor = floorOf(from);
    if (!floor || floor.units.some((unit) => within(from, unit) && within(to, unit))) return false;
    const rule = floor.allowed.find(({ unit }) => within(to, unit));
    return !rule || (rule.lazily && !lazy && !typeOnly);
  });
  assert.equal(wrong.map(({ from, to }) => `${from} → ${to}`), []);
});

imports('nothing outside src/sandbox/ imports anything of it but sandbox/index.ts', () => {
  const around = edges.filter(({ from, to }) => !from.startsWith('sandbox/') && to.startsWith('sandbox/') && to !== 'sandbox/index.ts');
  assert.equal(around.map(({ from, to }) => `${from} → ${to}`), []);
});

imports('no import circle', () => {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const state = new Map<string, 'open' | 'done'>();
  const circles: string[] = [];
  const visit = (file: string, trail: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') return void circles.push([...trail.slice(trail.indexOf(file)), file].join(' → '));
    state.set(file, 'open');
    for (const to of next.get(file) ?? []) visit(to, [...trail, file]);
    state.set(file, 'done');
  };
  for (const file of files) visit(file, []);
  assert.equal(circles, []);
});

imports('the parser sees static, type-only, re-exported and dynamic imports', () => {
  const of = (from: string) => edges.filter((edge) => edge.from === from);
  assert.ok(of('cli.ts').some((edge) => edge.to.startsWith('commands/') && edge.lazy));
  assert.ok(of('runtime.ts').some((edge) => edge.to === 'sandbox/index.ts' && edge.typeOnly));
  assert.ok(of('sandbox/index.ts').some((edge) => edge.to === 'sandbox/command-line.ts'));
  assert.ok(of('commands/context.ts').some((edge) => edge.to === 'runtime.ts' && !edge.typeOnly));
});

imports.run();
