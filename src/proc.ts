import { readdirSync, readFileSync, readlinkSync, statfsSync, statSync } from 'node:fs';

/**
 * The one reader of Linux's /proc. Synchronous on purpose: a scan of every process takes ~10 ms this
 * way, ten times less than through the thread pool. A process gone meanwhile reads as absent.
 */

/** The pids /proc lists now. */
export function listPids(): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
}

/** `/proc/<pid>/status`, or '' when the process is gone. */
export function statusOf(pid: number): string {
  return readQuietly(`/proc/${pid}/status`) ?? '';
}

/** The real uid a status text names. */
export function realUidIn(status: string): number | undefined {
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  return uid === undefined ? undefined : Number(uid);
}

/** A kibibyte field of a status text (`RssAnon`, `VmRSS`), 0 when absent. */
export function kibIn(status: string, field: string): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
}

export interface ProcStat {
  command: string;      // the executable's name, as in `(name)`
  state: string;        // R, S, D, Z, X, ...
  parent: number;
  startTicks: number;   // since boot, in clock ticks
}

/** `/proc/<pid>/stat`, parsed; undefined when the process is gone (or /proc is absent). */
export function statOf(pid: number): ProcStat | undefined {
  const text = readQuietly(`/proc/${pid}/stat`);
  if (!text) return undefined;
  // the command name may hold spaces and parentheses: the fields resume after its last ')'
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' '); // [0] = field 3 (state)
  return { command: text.slice(text.indexOf('(') + 1, close), state: fields[0] ?? '', parent: Number(fields[1] ?? 0), startTicks: Number(fields[19] ?? 0) };
}

/** A zombie or dead process still listed: it holds nothing and runs nothing. */
export const isDead = (state: string | undefined) => state === 'Z' || state === 'X';

export function exeOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS = 100; // USER_HZ: 100 on every Linux architecture the image targets
let bootMs: number | undefined;

/** When a process started, in epoch milliseconds; undefined when it is gone or a zombie. */
export function startedMs(pid: number): number | undefined {
  const stat = statOf(pid);
  if (!stat || isDead(stat.state)) return undefined;
  bootMs ??= Number(/^btime (\d+)/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]) * 1000;
  return bootMs + (stat.startTicks / CLOCK_TICKS) * 1000;
}

/** Where filesystems are mounted in this process's view (octal escapes in /proc/self/mounts decoded). */
export function mountPoints(): Set<string> {
  const text = readFileSync('/proc/self/mounts', 'utf8');
  return new Set(text.split('\n').map((line) => (line.split(' ')[1] ?? '').replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))));
}

export interface OpenFile {
  target: string;       // what /proc/<pid>/fd/<n> links to: a path, `/memfd:name (deleted)`, `socket:[…]`, …
  dev: number;
  ino: number;
  isFile: boolean;
  blocks: number;       // 512-byte blocks allocated
  fsType: number;       // the filesystem's magic number (statfs f_type)
}

/**
 * The files `pid` holds open whose link target `wanted` picks, stat'ed through the descriptor (so a
 * file without a name is reached too); none when the process is gone, a descriptor closed meanwhile
 * is left out.
 */
export function openFilesOf(pid: number, wanted: (target: string) => boolean): OpenFile[] {
  const found: OpenFile[] = [];
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return found;
  }
  for (const fd of fds) {
    const link = `/proc/${pid}/fd/${fd}`;
    try {
      const target = readlinkSync(link);
      if (!wanted(target)) continue;
      const info = statSync(link);
      found.push({ target, dev: info.dev, ino: info.ino, isFile: info.isFile(), blocks: info.blocks, fsType: Number(statfsSync(link).type) });
    } catch {
      // closed meanwhile
    }
  }
  return found;
}

/** False where there is no /proc (macOS). */
export const procAvailable = () => readQuietly('/proc/self/stat') !== undefined;

function readQuietly(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
