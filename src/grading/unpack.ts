import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, open, readdir, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw, inflateRawSync } from 'node:zlib';
import { createRequire } from 'node:module';
import type StreamZip from 'node-stream-zip';
import { RunnerError } from '../errors.js';

export interface ZipLimits { maxEntries: number; maxUnpackedBytes: number; maxCompressionRatio: number }

type ZipEntry = StreamZip.ZipEntry;
interface Planned { entry: ZipEntry; segments: string[]; kind: 'file' | 'dir'; executable: boolean }

const STORED = 0;
const DEFLATED = 8;
const TYPE_MASK = 0o170000;
const REGULAR = 0o100000;
const DIRECTORY = 0o040000;
const SYMLINK = 0o120000;
// Small entries may compress very well for innocent reasons (a file of blanks); below this size the
// total bound protects us, so the ratio is only judged on entries that could matter.
const RATIO_FLOOR_BYTES = 1 << 20;
const SMALL_ENTRY_BYTES = 1 << 20;
const isJunk = (segments: string[]) => segments[0] === '__MACOSX' || ['.DS_Store', 'Thumbs.db'].includes(segments.at(-1)!);

const refuse = (message: string, cause?: unknown) => new RunnerError('INVALID_SUBMISSION', message, { cause });

/**
 * Unpacks a student's ZIP into the empty folder `destDir`, refusing anything hostile with an
 * INVALID_SUBMISSION error that names the entry. On refusal, files already written stay inside
 * `destDir` (the caller removes the workspace). node-stream-zip reads only the directory; entry data
 * is read by this module, so every read error is awaited here and none escapes as a stream event.
 */
export async function unpackSubmission(zipFile: string, destDir: string, limits: ZipLimits): Promise<{ projectRoot: string; entries: number; bytes: number }> {
  if ((await readdir(destDir)).length) throw new RunnerError('INTERNAL', `workspace ${destDir} is not empty`);
  const { entries, count } = await readDirectory(zipFile, limits.maxEntries);
  if (count > limits.maxEntries) throw refuse(`the ZIP has ${count} entries; at most ${limits.maxEntries} are allowed`);
  const plan = entries.map(planEntry).filter((p): p is Planned => p !== undefined);
  const files = plan.filter((p) => p.kind === 'file');
  if (!files.length) throw refuse('the ZIP contains no files');
  checkDeclaredSizes(files, limits);

  const x: Extraction = { zip: await open(zipFile, 'r'), zipFile, limits, budget: { left: limits.maxUnpackedBytes }, folders: new Set() };
  try {
    for (const item of plan) {
      const target = path.join(destDir, ...item.segments);
      await refuseConflicts(item, () => item.kind === 'dir' ? mkdir(target, { recursive: true, mode: 0o755 }) : writeEntry(x, item, target));
    }
  } finally {
    await x.zip.close();
  }
  return { projectRoot: projectRootOf(destDir, plan), entries: plan.length, bytes: limits.maxUnpackedBytes - x.budget.left };
}

// node-stream-zip is CommonJS: require()d on first use, it costs a third of an ES import (no export scan)
// and nothing to commands that never unpack (bench/steps.ts).
let StreamZipClass: typeof StreamZip | undefined;
const streamZip = () => (StreamZipClass ??= createRequire(import.meta.url)('node-stream-zip') as typeof StreamZip);

/** The central directory; entries past `keep` are only counted, so a huge directory costs no memory. */
async function readDirectory(zipFile: string, keep: number): Promise<{ entries: ZipEntry[]; count: number }> {
  const entries: ZipEntry[] = [];
  let count = 0;
  const zip = new (streamZip())({ file: zipFile, storeEntries: false, skipEntryNameValidation: true });
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry) => { if (++count <= keep) entries.push(entry); });
      zip.on('ready', resolve);
      zip.on('error', reject); // stays attached: a late error must not become an unhandled event
    });
  } catch (err) {
    throw refuse('the submission is not a readable ZIP file (corrupt or another format)', err);
  } finally {
    zip.close();
  }
  return { entries, count };
}

function planEntry(entry: ZipEntry): Planned | undefined {
  const name = JSON.stringify(entry.name);
  const segments = safeSegments(entry.name);
  const unixMode = entry.attr >>> 16;
  const type = unixMode & TYPE_MASK;
  if (type === SYMLINK) throw refuse(`entry ${name} is a symbolic link; only regular files and folders are accepted`);
  if (type !== 0 && type !== REGULAR && type !== DIRECTORY) throw refuse(`entry ${name} is a device, pipe or other special file; only regular files and folders are accepted`);
  if (entry.encrypted) throw refuse(`entry ${name} is encrypted; password-protected ZIPs are not accepted`);
  if (!segments.length || isJunk(segments)) return undefined;
  const kind = entry.isDirectory || type === DIRECTORY ? 'dir' : 'file';
  if (kind === 'file' && entry.method !== STORED && entry.method !== DEFLATED) {
    throw refuse(`entry ${name} uses an unsupported compression method (${entry.method}); use a standard ZIP`);
  }
  return { entry, segments, kind, executable: (unixMode & 0o111) !== 0 };
}

/** Path segments of an entry name, or a refusal. Backslashes count as separators (some Windows tools write them). */
function safeSegments(rawName: string): string[] {
  const name = JSON.stringify(rawName);
  const normalized = rawName.replace(/\\/g, '/');
  if (rawName.includes('\0')) throw refuse(`entry ${name} has a NUL character in its name`);
  if (normalized.startsWith('/')) throw refuse(`entry ${name} has an absolute path`);
  if (/^[a-zA-Z]:/.test(normalized)) throw refuse(`entry ${name} starts with a drive letter`);
  const segments = normalized.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw refuse(`entry ${name} points outside the project ("..")`);
  return segments;
}

/** Checks on what the headers declare; writeEntry then refuses any entry holding more than it declared. */
function checkDeclaredSizes(files: Planned[], limits: ZipLimits): void {
  let total = 0;
  for (const { entry } of files) {
    total += entry.size;
    if (entry.size > RATIO_FLOOR_BYTES && entry.size > Math.max(entry.compressedSize, 1) * limits.maxCompressionRatio) {
      throw refuse(`entry ${JSON.stringify(entry.name)} expands more than ${limits.maxCompressionRatio} times (a zip bomb?)`);
    }
  }
  if (total > limits.maxUnpackedBytes) throw tooBig(limits);
}

const tooBig = (limits: ZipLimits) => refuse(`the ZIP unpacks to more than ${Math.round(limits.maxUnpackedBytes / 1048576)} MB`);

interface Extraction { zip: FileHandle; zipFile: string; limits: ZipLimits; budget: { left: number }; folders: Set<string> }

async function writeEntry(x: Extraction, item: Planned, target: string): Promise<void> {
  const { entry } = item;
  const start = await dataStart(x.zip, entry);
  const mode = item.executable ? 0o755 : 0o644;
  const folder = path.dirname(target);
  if (!x.folders.has(folder)) await mkdir(folder, { recursive: true, mode: 0o755 });
  x.folders.add(folder);
  if (entry.size <= SMALL_ENTRY_BYTES && entry.compressedSize <= SMALL_ENTRY_BYTES) await writeSmall(x, entry, start, target, mode);
  else await writeStreamed(x, entry, start, target, mode);
  await chmod(target, mode); // the umask may have narrowed it; never more than rwxr-xr-x
}

/** Most entries are small source files: one read and one write, without stream machinery. */
async function writeSmall(x: Extraction, entry: ZipEntry, start: number, target: string, mode: number): Promise<void> {
  const packed = Buffer.alloc(entry.compressedSize);
  const { bytesRead } = await x.zip.read(packed, 0, packed.length, start);
  if (bytesRead < packed.length) throw corrupt(entry, 'its data is cut short');
  let data = packed;
  try {
    if (entry.method === DEFLATED) data = inflateRawSync(packed, { maxOutputLength: Math.max(entry.size, 1) });
  } catch (err) {
    throw (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? largerThanDeclared(entry) : corrupt(entry, 'its compressed data is damaged');
  }
  if (data.length > entry.size) throw largerThanDeclared(entry);
  x.budget.left -= data.length;
  checkComplete(entry, data.length, crc32(data));
  await writeFile(target, data, { flag: 'wx', mode });
}

async function writeStreamed(x: Extraction, entry: ZipEntry, start: number, target: string, mode: number): Promise<void> {
  const raw = createReadStream(x.zipFile, { start, end: start + entry.compressedSize - 1 });
  const stages: NodeJS.ReadWriteStream[] = entry.method === DEFLATED ? [createInflateRaw()] : [];
  let bytes = 0;
  let crc = 0;
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      x.budget.left -= chunk.length;
      crc = crc32(chunk, crc);
      // never more than declared, so the declared ratio and total hold for the real bytes too
      if (bytes > entry.size) return done(largerThanDeclared(entry));
      done(x.budget.left < 0 ? tooBig(x.limits) : null, chunk);
    },
    flush(done) {
      try { checkComplete(entry, bytes, crc); done(); } catch (err) { done(err as Error); }
    },
  });
  await pipeline([raw, ...stages, guard, createWriteStream(target, { flags: 'wx', mode })]);
}

function checkComplete(entry: ZipEntry, bytes: number, crc: number): void {
  if (bytes !== entry.size || crc !== entry.crc) throw corrupt(entry, 'its size or checksum does not match');
}

const largerThanDeclared = (entry: ZipEntry) => corrupt(entry, 'it holds more data than its header says');

/** Where an entry's data begins: after its local header, whose name and extra lengths may differ from the central one. */
async function dataStart(zip: FileHandle, entry: ZipEntry): Promise<number> {
  const header = Buffer.alloc(30);
  const { bytesRead } = await zip.read(header, 0, 30, entry.offset);
  if (bytesRead < 30 || header.readUInt32LE(0) !== 0x04034b50) throw corrupt(entry, 'its local header is missing');
  if (header.readUInt16LE(6) & 1) throw refuse(`entry ${JSON.stringify(entry.name)} is encrypted; password-protected ZIPs are not accepted`);
  return entry.offset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
}

const corrupt = (entry: ZipEntry, why: string) => refuse(`entry ${JSON.stringify(entry.name)} is corrupt: ${why}`);

/** Turns file-system conflicts a hostile ZIP can provoke (duplicate names, a file where a folder goes) into refusals. */
async function refuseConflicts(item: Planned, write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (err instanceof RunnerError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const name = JSON.stringify(item.entry.name);
    if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') throw refuse(`entry ${name} clashes with another entry of the same path`, err);
    if (code === 'ENAMETOOLONG') throw refuse(`entry ${name} has a name that is too long`, err);
    if ((err as { code?: string }).code?.startsWith('Z_')) throw corrupt(item.entry, 'its compressed data is damaged');
    throw err;
  }
}

/** Students often zip the folder itself: when everything sits under one top-level folder, that is the project. */
function projectRootOf(destDir: string, plan: Planned[]): string {
  const top = plan[0]?.segments[0];
  const single = plan.every((p) => p.segments[0] === top && (p.kind === 'dir' || p.segments.length > 1));
  return single && top !== undefined ? path.join(destDir, top) : destDir;
}
