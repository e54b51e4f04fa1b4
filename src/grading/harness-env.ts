import type { PitConfig } from './types.js';

/** Variables holding option lists: a PIT's own options are kept, after ours, so the PIT's win. */
const OPTION_LISTS = ['JAVA_TOOL_OPTIONS'];

/**
 * The environment of a PIT's commands: its own `environment` plus what makes each test harness enforce
 * the per-test time limit, so one endless test fails alone and the others keep their results:
 * JUnit 5 reads its default timeout from a system property, pytest-timeout from PYTEST_TIMEOUT.
 * Node's test runner takes `--test-timeout` only on its command line (not in NODE_OPTIONS), so a
 * node PIT names it in its test command; `pit validate` says so.
 */
export function harnessEnvironment(pit: Pick<PitConfig, 'environment' | 'testTimeoutMs'>): Record<string, string> {
  if (!pit.testTimeoutMs) return pit.environment;
  const ours: Record<string, string> = {
    JAVA_TOOL_OPTIONS: `-Djunit.jupiter.execution.timeout.default=${pit.testTimeoutMs}ms`,
    PYTEST_TIMEOUT: String(Math.max(1, Math.ceil(pit.testTimeoutMs / 1000))),
  };
  const env = { ...ours, ...pit.environment };
  for (const name of OPTION_LISTS) {
    if (ours[name] && pit.environment[name]) env[name] = `${ours[name]} ${pit.environment[name]}`;
  }
  return env;
}
