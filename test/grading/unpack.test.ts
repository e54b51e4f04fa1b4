import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RunnerError } from '../../src/errors.js';
import { unpackSubmission, type ZipLimits } from '../../src/grading/unpack.js';
import { buildZip, writeZip, type ZipEntrySpec } from '../helpers/zip.js';

const limits: ZipLimits = { maxEntries: 100, maxUnpackedBytes: 10 * 1048576, maxCompressionRatio: 200 };
const zip = suite<{ root: string; dest: string; file: string }>('workspace');

zip.before.each(async (ctx) => {
  ctx.root = await mkdtemp(path.join(os.tmpdir(), 'workspace-test-'));
  ctx.dest = path.join(ctx.root, 'ws', 'dest');
  ctx.file = path.join(ctx.root, 'in.zip');
  await mkdir(ctx.dest, { recursive: true });
});
zip.after.each(async (ctx) => rm(ctx.root, { recursive: true, force: true }));

/** Unpacks and expects a refusal whose message matches; proves nothing landed outside dest. */
async function refused(ctx: { root: string; dest: string; file: string }, pattern: RegExp, own: Partial<ZipLimits> = {}) {
  try {
    await unpackSubmission(ctx.file, ctx.dest, { ...limits, ...own });
    assert.unreachable('should have been refused');
  } catch (err) {
    if (!(err instanceof RunnerError)) throw err;
    assert.is(err.code, 'INVALID_SUBMISSION');
    assert.match(err.message, pattern);
  }
  const everything = (await readdir(ctx.root, { recursive: true })).map(String);
  const outside = everything.filter((p) => p !== 'in.zip' && p !== 'ws' && !p.startsWith(path.join('ws', 'dest')));
  assert.equal(outside, []);
}

const entries = (ctx: { file: string }, list: ZipEntrySpec[]) => writeZip(ctx.file, list);

zip('unpacks files and finds the single top-level folder', async (ctx) => {
  await entries(ctx, [{ name: 'calc/' }, { name: 'calc/src/Calc.java', data: 'class Calc {}' }, { name: 'calc/pom.xml', data: '<project/>' }]);
  const result = await unpackSubmission(ctx.file, ctx.dest, limits);
  assert.is(result.projectRoot, path.join(ctx.dest, 'calc'));
  assert.is(await readFile(path.join(ctx.dest, 'calc/src/Calc.java'), 'utf8'), 'class Calc {}');
  assert.is(result.bytes, 23);
});

zip('streams a large entry to disk intact', async (ctx) => {
  const data = randomBytes(3 * 1048576);
  await entries(ctx, [{ name: 'data.bin', data }]);
  const result = await unpackSubmission(ctx.file, ctx.dest, limits);
  assert.ok(data.equals(await readFile(path.join(ctx.dest, 'data.bin'))));
  assert.is(result.bytes, data.length);
});

zip('uses the unpack folder as root when files sit at the top level', async (ctx) => {
  await entries(ctx, [{ name: 'calc/Calc.java', data: 'x' }, { name: 'pom.xml', data: 'y' }]);
  assert.is((await unpackSubmission(ctx.file, ctx.dest, limits)).projectRoot, ctx.dest);
});

zip('ignores macOS junk when finding the root', async (ctx) => {
  await entries(ctx, [{ name: 'calc/a.py', data: 'x' }, { name: '__MACOSX/calc/._a.py', data: 'junk' }, { name: 'calc/.DS_Store', data: 'junk' }]);
  const result = await unpackSubmission(ctx.file, ctx.dest, limits);
  assert.is(result.projectRoot, path.join(ctx.dest, 'calc'));
  assert.equal(await readdir(ctx.dest), ['calc']);
  assert.equal(await readdir(path.join(ctx.dest, 'calc')), ['a.py']);
});

zip('keeps the exec bit and drops setuid and group/other write', async (ctx) => {
  await entries(ctx, [{ name: 'run.sh', data: '#!/bin/sh', mode: 0o104777 }, { name: 'a.txt', data: 'a', mode: 0o100666 }]);
  await unpackSubmission(ctx.file, ctx.dest, limits);
  assert.is((await stat(path.join(ctx.dest, 'run.sh'))).mode & 0o7777, 0o755);
  assert.is((await stat(path.join(ctx.dest, 'a.txt'))).mode & 0o7777, 0o644);
});

zip('treats backslashes as separators', async (ctx) => {
  await entries(ctx, [{ name: 'src\\Main.java', data: 'x' }]);
  await unpackSubmission(ctx.file, ctx.dest, limits);
  assert.ok((await stat(path.join(ctx.dest, 'src', 'Main.java'))).isFile());
});

zip('refuses zip slip (../)', async (ctx) => {
  await entries(ctx, [{ name: 'ok.txt', data: 'x' }, { name: '../../evil.txt', data: 'x' }]);
  await refused(ctx, /"\.\.\/\.\.\/evil\.txt" points outside/);
});

zip('refuses ..\\ tricks written with backslashes', async (ctx) => {
  await entries(ctx, [{ name: 'a\\..\\..\\evil.txt', data: 'x' }]);
  await refused(ctx, /points outside/);
});

zip('refuses absolute paths', async (ctx) => {
  const target = path.join(ctx.root, 'absolute-escape.txt');
  await entries(ctx, [{ name: target, data: 'x' }]);
  await refused(ctx, /has an absolute path/);
});

zip('refuses drive letters', async (ctx) => {
  await entries(ctx, [{ name: 'C:/Windows/evil.txt', data: 'x' }]);
  await refused(ctx, /drive letter/);
});

zip('refuses symlink entries', async (ctx) => {
  await entries(ctx, [{ name: 'a.txt', data: 'x' }, { name: 'passwd', symlink: '/etc/passwd' }]);
  await refused(ctx, /"passwd" is a symbolic link/);
});

zip('refuses FIFOs and devices', async (ctx) => {
  await entries(ctx, [{ name: 'pipe', data: '', mode: 0o010644 }]);
  await refused(ctx, /"pipe" is a device, pipe or other special file/);
});

zip('refuses encrypted entries', async (ctx) => {
  await entries(ctx, [{ name: 'secret.txt', data: 'x', flags: 0x1 }]);
  await refused(ctx, /"secret.txt" is encrypted/);
});

zip('refuses a zip bomb by compression ratio', async (ctx) => {
  await entries(ctx, [{ name: 'bomb.txt', data: Buffer.alloc(4 * 1048576) }]);
  await refused(ctx, /"bomb.txt" expands more than 200 times/);
});

zip('refuses more unpacked bytes than allowed', async (ctx) => {
  await entries(ctx, [{ name: 'a.bin', data: randomBytes(3000) }, { name: 'b.bin', data: randomBytes(3000) }]);
  await refused(ctx, /unpacks to more than/, { maxUnpackedBytes: 5000 });
});

zip('a header lying about the size does not beat the bound', async (ctx) => {
  await entries(ctx, [{ name: 'liar.txt', data: Buffer.alloc(4 * 1048576), declaredSize: 10 }]);
  await refused(ctx, /"liar.txt" is corrupt: it holds more data than its header says/);
});

zip('a lying header on a large entry does not beat the bound either', async (ctx) => {
  await entries(ctx, [{ name: 'liar.bin', data: randomBytes(3 * 1048576), declaredSize: 2 * 1048576 }]);
  await refused(ctx, /"liar.bin" is corrupt: it holds more data than its header says/);
});

zip('refuses too many entries', async (ctx) => {
  await entries(ctx, Array.from({ length: 12 }, (_, i) => ({ name: `f${i}.txt`, data: 'x' })));
  await refused(ctx, /12 entries; at most 10/, { maxEntries: 10 });
});

zip('refuses two entries with the same path', async (ctx) => {
  await entries(ctx, [{ name: 'a.txt', data: 'x' }, { name: 'a.txt', data: 'y' }]);
  await refused(ctx, /"a.txt" clashes/);
});

zip('refuses damaged data', async (ctx) => {
  const bytes = buildZip([{ name: 'a.txt', data: 'hello hello hello hello hello' }]);
  const inData = 30 + 'a.txt'.length + 2;
  bytes[inData] = bytes[inData]! ^ 0xff;
  await writeFile(ctx.file, bytes);
  await refused(ctx, /"a.txt" is corrupt/);
});

zip('refuses a truncated ZIP', async (ctx) => {
  await writeFile(ctx.file, buildZip([{ name: 'a.txt', data: 'x' }]).subarray(0, 40));
  await refused(ctx, /not a readable ZIP/);
});

zip('refuses a file that is not a ZIP', async (ctx) => {
  await writeFile(ctx.file, 'public class Main {}\n');
  await refused(ctx, /not a readable ZIP/);
});

zip('refuses an empty ZIP', async (ctx) => {
  await entries(ctx, [{ name: 'empty/' }, { name: '__MACOSX/._x', data: 'junk' }]);
  await refused(ctx, /contains no files/);
});

zip.run();
