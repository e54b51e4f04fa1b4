// What dist/ was compiled from, so the entry point can tell whether it still matches the sources: the
// path, size and modification time of every file under src/, plus tsconfig.json and package.json (which
// decide how they compile). `npm run build` records it in dist/ (scripts/build.mjs); stat-ing the sources
// again costs about a millisecond, where compiling them on the fly costs a second.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const STAMP = path.join('dist', '.build-stamp');
const INPUTS = ['src', 'tsconfig.json', 'package.json'];

/** One line per input file, sorted: "path size mtimeMs". Any added, removed, resized or touched file changes it. */
export function sourceSnapshot(root) {
  const lines = [];
  const visit = (relative) => {
    const stat = statSync(path.join(root, relative));
    if (!stat.isDirectory()) return void lines.push(`${relative} ${stat.size} ${stat.mtimeMs}`);
    for (const name of readdirSync(path.join(root, relative)).sort()) visit(path.join(relative, name));
  };
  for (const input of INPUTS) visit(input);
  return lines.join('\n');
}

export function writeStamp(root, snapshot) {
  writeFileSync(path.join(root, STAMP), `${snapshot}\n`);
}

/** True only when dist/ was built by `npm run build` from exactly the sources present now. */
export function buildIsCurrent(root) {
  try {
    return readFileSync(path.join(root, STAMP), 'utf8') === `${sourceSnapshot(root)}\n`;
  } catch {
    return false; // no stamp, no sources: not a build we can vouch for
  }
}
