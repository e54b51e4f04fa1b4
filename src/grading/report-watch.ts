import { spawn } from 'node:child_process';
import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from '../log.js';
import type { IntegrityNote } from './types.js';

/**
 * The report folders, watched from outside the sandbox while the PIT's commands run: a harness writes
 * each report once, so a report written again, replaced, moved or deleted after it was written (a
 * shutdown hook's rewrite, a process left behind) is not what the harness wrote: REPORT_REWRITTEN.
 * The kernel queues the events (inotify), so none is missed however late they are read; Node's
 * fs.watch does not say when a file was closed after writing, so a small python3 program (the runner's,
 * run as the runner) reads them. It watches the folders a report glob names, created before the run,
 * and the folders made inside them. What it cannot see: a writer inside the harness's own process
 * (Maven's and javac's JVM run the solution: "detected, not prevented"; see RUNBOOK, Security).
 */
const WATCHER = String.raw`
import ctypes, json, os, select, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
CLOSE_WRITE, MOVED_FROM, MOVED_TO, CREATE, DELETE, DELETE_SELF, MOVE_SELF = 0x8, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800
OVERFLOW, ONLYDIR, DONT_FOLLOW, ISDIR = 0x4000, 0x1000000, 0x2000000, 0x40000000
MASK = CLOSE_WRITE | MOVED_FROM | MOVED_TO | CREATE | DELETE | DELETE_SELF | MOVE_SELF | ONLYDIR | DONT_FOLLOW
fd = libc.inotify_init1(os.O_CLOEXEC)
root, dirs = sys.argv[1], {}
def out(kind, rel):
    sys.stdout.write(json.dumps([kind, rel]) + "\n")
    sys.stdout.flush()
def watch(rel):
    wd = libc.inotify_add_watch(fd, os.path.join(root, rel).encode(), MASK)
    if wd < 0: out("lost", rel)
    else: dirs[wd] = rel
def drain():
    while select.select([fd], [], [], 0)[0]:
        data, at = os.read(fd, 1 << 16), 0
        while at < len(data):
            wd, mask, _, size = struct.unpack_from("iIII", data, at)
            name = data[at + 16:at + 16 + size].rstrip(b"\0").decode("utf-8", "replace")
            at += 16 + size
            rel = os.path.normpath(os.path.join(dirs.get(wd, "?"), name))
            if mask & OVERFLOW: out("lost", "")
            elif mask & (DELETE_SELF | MOVE_SELF): out("gone", rel)
            elif mask & ISDIR:
                if mask & (CREATE | MOVED_TO): watch(rel)
                elif mask & (DELETE | MOVED_FROM): out("gone", rel)
            elif mask & (CLOSE_WRITE | MOVED_TO): out("written", rel)
            elif mask & (DELETE | MOVED_FROM): out("gone", rel)
for rel in sys.argv[2:]: watch(rel)
out("ready", "")
while True:
    readable = select.select([fd, sys.stdin], [], [])[0]
    drain()
    if sys.stdin in readable and not sys.stdin.readline():
        drain()
        break
`;

/** What happened to the report paths (relative to the project root) while they were watched. */
export interface WatchedReports { writes: Map<string, number>; gone: string[]; lost: boolean }

export interface ReportWatch { stop(): Promise<WatchedReports> }

/** The folder a glob names before its first wildcard ("target/surefire-reports/TEST-*.xml" → "target/surefire-reports"). */
export const reportFolder = (glob: string) => {
  const fixed = glob.split('/').findIndex((segment) => /[*?[\]{}!]/.test(segment));
  return (fixed < 0 ? glob.split('/').slice(0, -1) : glob.split('/').slice(0, fixed)).join('/') || '.';
};

/** Creates the report folders (before the sandbox takes the workspace: they become the sandbox's, like the rest). */
export async function createReportFolders(projectRoot: string, globs: string[]): Promise<void> {
  for (const folder of new Set(globs.map(reportFolder))) await mkdir(path.join(projectRoot, folder), { recursive: true });
}

/** Starts watching; undefined (and a warning in the runner's log) when this machine cannot (no python3). */
export async function watchReports(projectRoot: string, globs: string[], log: Logger): Promise<ReportWatch | undefined> {
  const root = await realpath(projectRoot);
  const child = spawn('python3', ['-I', '-c', WATCHER, root, ...new Set(globs.map(reportFolder))], { stdio: ['pipe', 'pipe', 'ignore'] });
  const seen: WatchedReports = { writes: new Map(), gone: [], lost: false };
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.once('exit', () => resolve(false));
    lines.on('line', (line) => {
      const [kind, rel] = JSON.parse(line) as [string, string];
      if (kind === 'ready') resolve(true);
      else if (kind === 'written') seen.writes.set(rel, (seen.writes.get(rel) ?? 0) + 1);
      else if (kind === 'gone') seen.gone.push(rel);
      else seen.lost = true;
    });
  });
  if (!(await ready)) {
    log.warn({ step: 'execute' }, 'the report folders cannot be watched (python3 with inotify is needed): a report rewritten after the harness wrote it goes undetected');
    return undefined;
  }
  const ended = new Promise<void>((resolve) => lines.once('close', resolve));
  return {
    async stop() {
      child.stdin.end();
      await ended;
      return seen;
    },
  };
}

/** REPORT_REWRITTEN when a report that was read was not written exactly once, as the harness does. */
export function rewrittenNote(files: string[], watched: WatchedReports): IntegrityNote | undefined {
  const inside = (file: string, folder: string) => file === folder || file.startsWith(`${folder}/`);
  const rewritten = files.filter((file) => watched.lost || watched.writes.get(file) !== 1 || watched.gone.some((gone) => inside(file, gone)));
  if (!rewritten.length) return undefined;
  return {
    code: 'REPORT_REWRITTEN',
    message: `report(s) written, replaced or removed again after the test harness wrote them (by the solution's code, a shutdown hook or a process it left): ${rewritten.slice(0, 3).join(', ')}${rewritten.length > 3 ? ', …' : ''}`,
    files: rewritten.slice(0, 50),
  };
}
