import { parse } from 'shell-quote';
import { RunnerError } from '../errors.js';

/** Something only a shell gives a meaning to, found in a command run without one. */
export interface ShellOnly {
  kind: 'operator' | 'glob' | 'variable' | 'substitution' | 'comment';
  /** The text as written, e.g. `&&`, `*.java`, `$HOME`. */
  text: string;
}

/**
 * A PIT command → an argument vector, with quoting as a POSIX shell reads it, and everything only a
 * shell would give a meaning (operators, redirections, globs, variables, substitutions, comments),
 * which would otherwise be passed on literally. `pit validate` and the sandbox both read commands here.
 */
export function readCommandLine(command: string): { argv: string[]; shellOnly: ShellOnly[] } {
  let entries: ReturnType<typeof parse>;
  try {
    entries = parse(command, (name) => ({ op: name ? `$${name}` : '$(' }) as unknown as string);
  } catch (err) {
    throw new RunnerError('INVALID_PIT', `command ${JSON.stringify(command)} cannot be parsed: ${(err as Error).message}`);
  }
  const argv: string[] = [];
  const shellOnly: ShellOnly[] = [];
  for (const entry of entries as Array<string | { op: string; pattern?: string; comment?: string }>) {
    if (typeof entry === 'string') {
      if (entry.includes('`')) shellOnly.push({ kind: 'substitution', text: entry });
      else argv.push(entry);
    } else if (entry.comment !== undefined) {
      shellOnly.push({ kind: 'comment', text: `#${entry.comment}` });
    } else if (entry.op === 'glob') {
      shellOnly.push({ kind: 'glob', text: entry.pattern ?? '' });
    } else if (entry.op === '$(') {
      shellOnly.push({ kind: 'substitution', text: '$(…)' });
    } else if (entry.op.startsWith('$')) {
      shellOnly.push({ kind: 'variable', text: entry.op });
    } else {
      shellOnly.push({ kind: 'operator', text: entry.op });
    }
  }
  return { argv, shellOnly };
}

const described: Record<ShellOnly['kind'], (text: string) => string> = {
  operator: (text) => `the operator ${JSON.stringify(text)}`,
  glob: (text) => `the glob ${JSON.stringify(text)}`,
  variable: (text) => `the variable ${text}`,
  substitution: (text) => (text === '$(…)' ? 'a $(…) substitution' : 'a `backtick` substitution'),
  comment: () => 'a # comment',
};

/** The argument vector of a command run without a shell; INVALID_PIT for anything that needs one. */
export function parseCommandLine(command: string): string[] {
  const { argv, shellOnly } = readCommandLine(command);
  const [first] = shellOnly;
  if (first) {
    throw new RunnerError('INVALID_PIT', `command ${JSON.stringify(command)} uses ${described[first.kind](first.text)}, which needs a shell: set "shell": true in the PIT config or remove it`);
  }
  if (argv.length === 0) throw new RunnerError('INVALID_PIT', 'command is empty');
  return argv;
}
