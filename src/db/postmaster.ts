import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { isDead, procAvailable, statOf } from '../proc.js';

/**
 * What a previous run left in the cluster folder, read from `postmaster.pid`:
 * - a server whose parent (node) process is alive: another pit-runner command is using it → reuse it;
 * - a server whose parent died (a run killed with SIGKILL): stop it, so we start our own;
 * - a pid file whose process is gone, or is no postgres (pid reused): remove it, since PostgreSQL
 *   refuses to start while the pid it names is alive.
 */
export async function findRunningServer(clusterDir: string, log: Logger): Promise<{ pid: number; port: number } | undefined> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  const lines = await fs.readFile(pidFile, 'utf8').then((text) => text.split('\n'), () => undefined);
  if (!lines) return undefined;
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  const server = Number.isInteger(pid) && pid > 0 ? await describeProcess(pid) : undefined;
  if (!server?.isPostgres) {
    log.warn({ pid: lines[0] }, 'removing a stale postmaster.pid left by a crashed run');
    await fs.rm(pidFile, { force: true });
    return undefined;
  }
  if (server.parentAlive) return { pid, port };
  log.warn({ pid }, 'stopping an embedded PostgreSQL left running by a killed run');
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 15_000 && (await describeProcess(pid))?.isPostgres; waited += 100) await sleep(100);
  return undefined;
}

async function describeProcess(pid: number): Promise<{ isPostgres: boolean; parentAlive: boolean } | undefined> {
  const stat = statOf(pid);
  if (!stat) return procUnavailable(pid);
  if (isDead(stat.state)) return undefined;
  // an orphan is re-parented to init or a subreaper; a server in use still has its node parent
  return { isPostgres: stat.command === 'postgres', parentAlive: statOf(stat.parent)?.command === 'node' };
}

// Without /proc (macOS), a live pid is taken for a server in use: reusing is safer than killing.
async function procUnavailable(pid: number): Promise<{ isPostgres: boolean; parentAlive: boolean } | undefined> {
  if (procAvailable() || !(await alive(pid))) return undefined;
  return { isPostgres: true, parentAlive: true };
}

async function alive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
