import type { Config } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { sandboxOptions } from '../../src/runtime.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { createSandbox } from '../../src/sandbox/sandbox.js';

/** The sandbox a command's scope would give for `config` (without its sweep of leftovers): tests and benchmarks that grade without a scope. */
export function sandboxFor(config: Config): Sandbox {
  return createSandbox(sandboxOptions(config), silentLogger);
}
