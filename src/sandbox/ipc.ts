import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { KEYCTL } from './wrapper.js';

/** System V IPC: the /proc table, the ipcrm flag, and the column holding the id. */
const KINDS = [
  { table: '/proc/sysvipc/shm', flag: '-m' },
  { table: '/proc/sysvipc/msg', flag: '-q' },
  { table: '/proc/sysvipc/sem', flag: '-s' },
] as const;

/**
 * System V shared memory, queues and semaphore sets the uid owns or created (an owner may hand an
 * object to another uid, never its creator field), as `ipcrm` arguments. Only reachable without
 * an IPC namespace: with one, the objects die with it.
 */
export function ipcObjectsOf(uid: number): string[][] {
  const found: string[][] = [];
  for (const { table, flag } of KINDS) {
    const [header, ...rows] = readTable(table);
    if (!header) continue;
    const column = (name: string) => header.indexOf(name);
    const [id, owner, creator] = [column(flag === '-m' ? 'shmid' : flag === '-q' ? 'msqid' : 'semid'), column('uid'), column('cuid')];
    for (const row of rows) {
      if (row[owner] === String(uid) || row[creator] === String(uid)) found.push([flag, row[id]!]);
    }
  }
  return found;
}

/** Resident bytes of the System V shared memory segments of the uid (they outlive detaching). */
export function sharedMemoryOf(uid: number): number {
  const [header, ...rows] = readTable('/proc/sysvipc/shm');
  if (!header) return 0;
  const [owner, creator, rss] = [header.indexOf('uid'), header.indexOf('cuid'), header.indexOf('rss')];
  return rows.filter((row) => row[owner] === String(uid) || row[creator] === String(uid)).reduce((sum, row) => sum + Number(row[rss] ?? 0), 0);
}

export async function removeIpcOf(uid: number): Promise<number> {
  const objects = ipcObjectsOf(uid);
  if (objects.length) await execa('ipcrm', objects.flat(), { reject: false });
  return objects.length;
}

/**
 * Unlinks every key from the uid's user, user-session and persistent keyrings, which outlive its
 * processes (the run's own session keyring dies with them; with a user namespace, all of them do).
 * Run as the uid, in a session keyring of its own: root cannot name another uid's keyrings.
 */
export async function clearKeysOf(uid: number, gid: number): Promise<void> {
  // The uid's two user keyrings count as keys themselves: more means something is in them.
  if (!KEYCTL || keyCountOf(uid) <= 2) return;
  const clear = `${KEYCTL} clear @u; ${KEYCTL} clear @us; p=$(${KEYCTL} get_persistent @s 2>/dev/null) && ${KEYCTL} clear "$p"; true`;
  const asUid = ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', KEYCTL, 'session', '-', '/bin/sh', '-c', clear];
  await execa(asUid[0]!, asUid.slice(1), { reject: false, stdin: 'ignore', timeout: 5_000 });
}

/** Keys the uid holds, from /proc/key-users (its two keyrings included); 0 when it holds none. */
export function keyCountOf(uid: number): number {
  const line = readTable('/proc/key-users').find((row) => row[0] === `${uid}:`);
  return line ? Number(line[2]?.split('/')[0]) : 0;
}

function readTable(file: string): string[][] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => line.trim().split(/\s+/));
  } catch {
    return [];
  }
}
