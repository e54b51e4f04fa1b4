import { parse } from 'shell-quote';
import { RunnerError } from '../errors.js';

/**
 * A PIT command → an argument vector, with quoting as a POSIX shell reads it. Anything only a
 * shell would give a meaning (operators, redirections, globs, variables, substitutions) is refused
 * rather than passed on literally: such a command needs `"shell": true` in the PIT config.
 */
export function parseCommandLine(command: string): string[] {
  const refuse = (what: string) =>
    new RunnerError('INVALID_PIT', `command ${JSON.stringify(command)} uses ${what}, which needs a shell: set "shell": true in the PIT config or remove it`);
  let entries: ReturnType<typeof parse>;
  try {
    entries = parse(command, (name) => ({ op: name ? `$${name}` : '$(' }) as unknown as string);
  } catch (err) {
    throw new RunnerError('INVALID_PIT', `command ${JSON.stringify(command)} cannot be parsed: ${(err as Error).message}`);
  }
  const argv: string[] = [];
  for (const entry of entries as Array<string | { op: string; pattern?: string; comment?: string }>) {
    if (typeof entry === 'string') {
      if (entry.includes('`')) throw refuse('a `backtick` substitution');
      argv.push(entry);
    } else if (entry.comment !== undefined) {
      throw refuse('a # comment');
    } else if (entry.op === 'glob') {
      throw refuse(`the glob ${JSON.stringify(entry.pattern)}`);
    } else if (entry.op.startsWith('$')) {
      throw refuse(entry.op === '$(' ? 'a $(…) substitution' : `the variable ${entry.op}`);
    } else {
      throw refuse(`the operator ${JSON.stringify(entry.op)}`);
    }
  }
  if (argv.length === 0) throw new RunnerError('INVALID_PIT', 'command is empty');
  return argv;
}
