import type { ArgumentsCamelCase } from 'yargs';
import { loadConfig, type Config, type ConfigOverrides } from '../config.js';
import { EXIT, EXIT_CODE, RunnerError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { withScope, type Scope } from '../runtime.js';

/** What every command handler gets: a logger, the stop signal, the config loader and the composition root. */
export interface CommandContext {
  log: Logger;
  /** Aborted on the first SIGTERM/SIGINT (reason: a STOPPED RunnerError); a second signal exits at once. */
  signal: AbortSignal;
  config(overrides?: ConfigOverrides): Config;
  /** Runs `work` with a scope over `config` that closes whatever work opened. */
  scope<T>(config: Config, work: (scope: Scope) => Promise<T>): Promise<T>;
}

let stopController: AbortController | undefined;

function stopSignal(log: Logger): AbortSignal {
  if (stopController) return stopController.signal;
  const controller = new AbortController();
  stopController = controller;
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      log.warn({ signal: name }, 'second signal: exiting now');
      process.exit(EXIT.SIGTERM); // the one escape hatch: everything else returns its exit code to cli.ts
    }
    log.warn({ signal: name }, 'stopping: releasing work in progress');
    controller.abort(new RunnerError('STOPPED', `stopped by ${name}`));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return controller.signal;
}

/**
 * Wraps a command's work: builds its context and hands the exit code it returns back to cli.ts. What it
 * throws goes up to cli.ts too, which reports it once and maps it to the exit code.
 */
export function handler<A>(work: (args: ArgumentsCamelCase<A>, ctx: CommandContext) => Promise<number | void>) {
  return async (args: ArgumentsCamelCase<A> & { [EXIT_CODE]?: number }): Promise<void> => {
    const logger = createLogger();
    const signal = stopSignal(logger);
    const ctx: CommandContext = {
      log: logger,
      signal,
      config: (overrides) => loadConfig(process.env, overrides),
      scope: (config, use) => withScope({ config, log: logger, signal }, use),
    };
    args[EXIT_CODE] = (await work(args, ctx)) ?? EXIT.OK;
  };
}
