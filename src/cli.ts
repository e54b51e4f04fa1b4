import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { EXIT, EXIT_CODE, toRunnerError } from './errors.js';

/** Each command has its own argument shape; yargs checks them at parse time. */
type AnyCommand = CommandModule<object, any>;

/**
 * The commands, each loaded only when it is the one that runs: `--help` and `--version` load none,
 * and `process` never loads the AWS SDK or the database driver unless it needs them.
 */
const commands: Record<string, { command: string; describe: string; load(): Promise<AnyCommand> }> = {
  process: { command: 'process', describe: 'grade one submission: --zip FILE --pit ID (local), --submission-id UUID, or --message JSON', load: async () => (await import('./commands/process.js')).processCommand },
  'drain-queue': { command: 'drain-queue', describe: 'receive from SQS and grade until the queue is empty or a budget is spent; prints a JSON summary', load: async () => (await import('./commands/drain-queue.js')).drainQueueCommand },
  migrate: { command: 'migrate [action]', describe: 'apply pending SQL migrations; `migrate status` exits 3 unless up to date', load: async () => (await import('./commands/migrate.js')).migrateCommand },
  reprocess: { command: 'reprocess', describe: 'select past submissions and re-enqueue them or grade them here', load: async () => (await import('./commands/reprocess.js')).reprocessCommand },
  shell: { command: 'shell', describe: 'a REPL with config, sql, s3, sqs and ecs in scope; without a terminal (ECS), --hold keeps the task alive for ECS Exec', load: async () => (await import('./commands/shell.js')).shellCommand },
  stats: { command: 'stats', describe: 'how a PIT went: counts by status and outcome, score histogram, tests failed most often, errors', load: async () => (await import('./commands/stats.js')).statsCommand },
  pit: { command: 'pit <command>', describe: 'PIT tooling for instructors: new, validate, verify', load: async () => (await import('./commands/pit.js')).pitCommand },
  dispatch: { command: 'dispatch [command..]', describe: 'run a pit-runner command as an ECS task, stream its logs, exit with its exit code', load: async () => (await import('./commands/dispatch.js')).dispatchCommand },
};

class UsageFailure extends Error {}

/** The one internal of yargs this file reaches into (see buildCli). */
interface YargsInternals { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } }

async function buildCli(argv: string[]) {
  const { default: yargs } = await import('yargs');
  const named = argv.find((arg) => !arg.startsWith('-'));
  const cli = yargs(argv)
    .scriptName('pit-runner')
    .usage('$0 <command> [options]\n\nGrades student submissions against PITs. See README.md and RUNBOOK.md.');
  for (const [name, { command, describe, load }] of Object.entries(commands)) {
    cli.command(name === named ? { ...(await load()), command, describe } : { command, describe, handler: () => undefined });
  }
  // Before it runs a command, yargs renders the command's whole help text and keeps it, in case the
  // handler fails later; on a cold start that costs more than the parse itself (bench/startup.ts). Our
  // failures never print help, and --help still renders it when asked.
  (cli as unknown as YargsInternals).getInternalMethods().getUsageInstance().cacheHelpMessage = () => undefined;
  return cli
    .exitProcess(false) // main returns the exit code; src/main.ts alone exits
    .demandCommand(1, 'name a command')
    .strict()
    .version(packageVersion())
    .help()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((message, error) => {
      if (error && !message) throw error;
      throw new UsageFailure(message ?? error?.message);
    });
}

/**
 * Runs one command and returns its exit code. The one place that decides it: what a command returns,
 * or what it throws mapped by errors.ts (reported here, once).
 */
export async function main(argv: string[]): Promise<number> {
  // The one question that needs no parser: answered before yargs is loaded (a CI probe, a health check).
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${packageVersion()}\n`);
    return EXIT.OK;
  }
  try {
    // the arguments yargs resolves with are those the handler got: it leaves its exit code on them
    const parsed = await (await buildCli(argv)).parseAsync() as { [EXIT_CODE]?: number };
    return parsed[EXIT_CODE] ?? EXIT.OK;
  } catch (err) {
    if (err instanceof UsageFailure) {
      process.stderr.write(`pit-runner: ${err.message}\nRun 'pit-runner --help' for usage.\n`);
      return EXIT.USAGE;
    }
    const error = toRunnerError(err);
    // At a terminal a person reads the plain line; elsewhere the JSON line is for machines, the plain one for people.
    if (!process.stderr.isTTY) {
      const { createLogger } = await import('./log.js');
      const level = error.exitCode === EXIT.USAGE ? 'warn' : 'error';
      createLogger()[level]({ code: error.code, retryable: error.retryable, ...error.details, cause: describeCause(error.cause) }, error.message);
    }
    process.stderr.write(`pit-runner: ${error.message}\n`);
    return error.exitCode;
  }
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function describeCause(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}
