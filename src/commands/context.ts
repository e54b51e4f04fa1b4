import type { ArgumentsCamelCase } from 'yargs';
import { loadConfig, type Config, type ConfigOverrides } from '../config.js';
import { EXIT, RunnerError, toRunnerError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';

/** What every command handler gets: a logger, the stop signal, and the config loader. */
export interface CommandContext {
  log: Logger;
  /** Aborted on the first SIGTERM/SIGINT (reason: a STOPPED RunnerError); a second signal exits at once. */
  signal: AbortSignal;
  config(overrides?: ConfigOverrides): Config;
}

let stopController: AbortController | undefined;

function stopSignal(log: Logger): AbortSignal {
  if (stopController) return stopController.signal;
  const controller = new AbortController();
  stopController = controller;
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      log.warn({ signal: name }, 'second signal: exiting now');
      process.exit(EXIT.SIGTERM);
    }
    log.warn({ signal: name }, 'stopping: releasing work in progress');
    controller.abort(new RunnerError('STOPPED', `stopped by ${name}`));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return controller.signal;
}

/**
 * Wraps a command's work: builds the context, prints an error once (a readable line on stderr plus
 * a JSON log line) and turns it into the exit code. Nothing else decides exit codes.
 */
export function handler<A>(work: (args: ArgumentsCamelCase<A>, ctx: CommandContext) => Promise<number | void>) {
  return async (args: ArgumentsCamelCase<A>): Promise<void> => {
    const log = createLogger();
    const ctx: CommandContext = {
      log,
      signal: stopSignal(log),
      config: (overrides) => loadConfig(process.env, overrides),
    };
    try {
      process.exitCode = (await work(args, ctx)) ?? EXIT.OK;
    } catch (err) {
      const error = toRunnerError(err);
      const level = error.exitCode === EXIT.USAGE ? 'warn' : 'error';
      log[level]({ code: error.code, retryable: error.retryable, ...error.details, cause: describeCause(error.cause) }, error.message);
      process.stderr.write(`pit-runner: ${error.message}\n`);
      process.exitCode = error.exitCode;
    }
  };
}

function describeCause(cause: unknown): string | undefined {
  if (cause === undefined) return undefined;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}
