import type { Config } from '../../src/config.js';
import { sandboxOptions } from '../../src/grading/pipeline.js';
import { silentLogger } from '../../src/log.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';

/** The sandbox a command's scope would give for `config`: tests and benchmarks that grade without a scope. */
export function sandboxFor(config: Config): Sandbox {
  return createSandbox(sandboxOptions(config), silentLogger);
}
