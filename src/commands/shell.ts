import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import repl from 'node:repl';
import { setTimeout as delay } from 'node:timers/promises';
import type { CommandModule } from 'yargs';
import { EXIT } from '../errors.js';
import type { Logger } from '../log.js';
import type { Scope } from '../runtime.js';
import { handler } from './context.js';
import { parseDuration } from './duration.js';

interface ShellArgs { hold?: string }

/**
 * Keeps the process (and so the ECS task) alive for ECS Exec until `ms` pass or a stop signal
 * arrives; either way that is the expected end, so it returns 0.
 */
export async function hold(ms: number, deps: { log: Logger; signal: AbortSignal }): Promise<number> {
  deps.log.info({ holdSeconds: Math.round(ms / 1000) }, 'holding for ECS Exec: connect with `aws ecs execute-command … --interactive --command /bin/sh`, then run `pit-runner shell`');
  await delay(ms, undefined, { signal: deps.signal }).catch(() => undefined);
  deps.log.info({ stopped: deps.signal.aborted }, 'hold over');
  return EXIT.OK;
}

/**
 * Starts a REPL whose scope holds `scope`; resolves once its history is loaded, with the promise of
 * its end (.exit or Ctrl-D).
 */
export async function startRepl(scope: Record<string, unknown>, options: { historyFile?: string; input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream; terminal?: boolean } = {}): Promise<{ exited: Promise<void> }> {
  const server = repl.start({
    prompt: 'pit-runner> ',
    input: options.input ?? process.stdin,
    output: options.output ?? process.stdout,
    terminal: options.terminal,
    useGlobal: false,
    ignoreUndefined: true,
  });
  const exited = new Promise<void>((resolve) => server.once('exit', resolve));
  for (const [name, value] of Object.entries(scope)) {
    Object.defineProperty(server.context, name, { value, enumerable: true, configurable: false, writable: false });
  }
  if (options.historyFile) {
    await mkdir(path.dirname(options.historyFile), { recursive: true });
    await new Promise<void>((resolve) => server.setupHistory(options.historyFile!, () => resolve()));
  }
  return { exited };
}

/** What the REPL has in scope: a database that fails to open leaves `sql` undefined (the REPL is how one finds out why). */
async function replScope(scope: Scope) {
  const [s3, sqs, ecs] = await Promise.all([scope.s3(), scope.sqs(), scope.ecs()]);
  const database = await scope.database().catch((err: Error) => {
    scope.log.warn({ err: err.message }, 'no database in this shell: `sql` is undefined');
    return undefined;
  });
  return { config: scope.config, sql: database?.sql, s3, sqs, ecs };
}

export const shellCommand: CommandModule<object, ShellArgs> = {
  builder: (y) => y.option('hold', { type: 'string', describe: 'stay alive this long, e.g. 30m, 2h (default without a terminal: 1h); exits 0 on SIGTERM' }),
  handler: handler<ShellArgs>(async (args, ctx) => {
    if (args.hold !== undefined || !process.stdin.isTTY) {
      return hold(parseDuration(args.hold ?? '1h', '--hold'), ctx);
    }
    return ctx.scope(ctx.config(), async (scope) => {
      const inScope = await replScope(scope);
      process.stderr.write(`In scope: ${Object.keys(inScope).join(', ')}. Try: await sql\`select status, count(*) from submissions group by 1\`\n`);
      const { exited } = await startRepl(inScope, { historyFile: path.join(scope.config.dataDir, 'repl_history') });
      await exited;
      return EXIT.OK;
    });
  }),
};
