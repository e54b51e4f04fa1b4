import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import postgres from 'postgres';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startEmbedded } from '../../src/db/embedded.js';
import { silentLogger } from '../../src/log.js';

const embedded = suite<{ dir: string; cluster: string }>('db-embedded');
const embeddedModule = fileURLToPath(new URL('../../src/db/embedded.ts', import.meta.url));

embedded.before(async (context) => {
  context.dir = mkdtempSync(path.join(os.tmpdir(), 'pit-runner-embedded-'));
  chmodSync(context.dir, 0o755);
  context.cluster = path.join(context.dir, 'pg');
  await (await startEmbedded(context.cluster, silentLogger, { throwaway: true })).stop(); // initdb once
});
embedded.after(({ dir, cluster }) => {
  try { // a server a failed test left behind
    process.kill(Number(readFileSync(path.join(cluster, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGINT');
  } catch { /* none */ }
  rmSync(dir, { recursive: true, force: true });
});

async function answers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    return (await sql`select 1 as one`)[0]?.one === 1;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

embedded('keeps a random password readable by the runner only', ({ cluster }) => {
  assert.is(statSync(`${cluster}.password`).mode & 0o077, 0);
});

embedded('starts despite a stale postmaster.pid naming a live process that is no postgres', async ({ cluster }) => {
  writeFileSync(path.join(cluster, 'postmaster.pid'), `1\n${cluster}\n1700000000\n5432\n`);
  const server = await startEmbedded(cluster, silentLogger, { throwaway: true });
  try {
    assert.ok(server.owned);
    assert.ok(await answers(server.url));
  } finally {
    await server.stop();
  }
});

embedded('reuses the server another live process is running, and leaves it running', async ({ cluster }) => {
  const first = await startEmbedded(cluster, silentLogger, { throwaway: true });
  try {
    const second = await startEmbedded(cluster, silentLogger, { throwaway: true });
    assert.is(second.owned, false);
    assert.is(second.url, first.url);
    await second.stop();
    assert.ok(await answers(first.url));
  } finally {
    await first.stop();
  }
});

embedded('stops a server left running by a killed run and starts its own', async ({ cluster }) => {
  const script = `const { startEmbedded } = await import(${JSON.stringify(embeddedModule)});
    const { silentLogger } = await import(${JSON.stringify(fileURLToPath(new URL('../../src/log.ts', import.meta.url)))});
    const server = await startEmbedded(${JSON.stringify(cluster)}, silentLogger, { throwaway: true });
    (await import('node:fs')).writeSync(1, String(server.pid)); process.kill(process.pid, 'SIGKILL');`;
  const killed = await execa('node', ['--import', 'tsx', '--input-type=module', '-e', script], { reject: false, timeout: 60_000 });
  const orphan = Number(killed.stdout.trim());
  assert.ok(orphan > 0, killed.stderr);
  const server = await startEmbedded(cluster, silentLogger, { throwaway: true });
  try {
    assert.ok(server.owned);
    assert.is.not(server.pid, orphan);
    assert.ok(await answers(server.url));
  } finally {
    await server.stop();
  }
});

embedded.run();
