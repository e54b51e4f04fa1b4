// Copies into OUT/node_modules the packages dist/runtime-packages.json names (what the bundle still loads
// at run time) and everything they depend on, as package-lock.json lays them out, and nothing else: the
// image's node_modules is a few megabytes instead of the whole production tree the bundle already holds.
// Usage: node scripts/runtime-modules.mjs OUT [--without NAME]…   (run after `npm run build`)
import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [out, ...rest] = process.argv.slice(2);
if (!out || out.startsWith('-')) {
  console.error('usage: runtime-modules.mjs OUT [--without NAME]…');
  process.exit(2);
}
const without = new Set(rest.filter((_, i) => rest[i - 1] === '--without'));
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')).packages;
const wanted = JSON.parse(readFileSync('dist/runtime-packages.json', 'utf8')).filter((name) => !without.has(name));

/** Where node finds `name` from the package at `from`: its own node_modules, then each parent's. */
function locate(name, from) {
  for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (lock[candidate]) return candidate;
    if (!dir) return undefined;
  }
}

const keep = new Set();
const visit = (name, from, optional) => {
  const at = locate(name, from);
  if (!at) {
    if (optional) return;
    throw new Error(`${name} (needed by ${from || 'the bundle'}) is not in package-lock.json`);
  }
  if (keep.has(at) || !existsSync(at)) return;  // an optional dependency for another platform is not installed
  keep.add(at);
  const entry = lock[at];
  for (const dep of Object.keys(entry.dependencies ?? {})) visit(dep, at, false);
  for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(dep, at, true);
};
for (const name of wanted) visit(name, '', false);

for (const dir of keep) cpSync(dir, path.join(out, dir), { recursive: true, dereference: false });
console.log(`runtime-modules: ${keep.size} packages for ${wanted.join(', ')}`);
