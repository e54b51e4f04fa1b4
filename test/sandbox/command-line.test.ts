import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCommandLine } from '../../src/sandbox/command-line.js';
import type { RunnerError } from '../../src/errors.js';

const commandLine = suite('command-line');

const refusal = (command: string): RunnerError => {
  try {
    parseCommandLine(command);
  } catch (err) {
    return err as RunnerError;
  }
  throw new Error(`accepted ${command}`);
};

commandLine('splits words with shell quoting', () => {
  assert.equal(parseCommandLine(`mvn -q "-Dtest=A B" 'x;y' a\\ b`), ['mvn', '-q', '-Dtest=A B', 'x;y', 'a b']);
});

commandLine('refuses operators and redirections, naming the way out', () => {
  for (const command of ['mvn test && rm -rf /', 'a | b', 'a > out', 'a; b', 'a &']) {
    const err = refusal(command);
    assert.is(err.code, 'INVALID_PIT');
    assert.match(err.message, '"shell": true');
  }
});

commandLine('refuses globs, variables and substitutions', () => {
  for (const command of ['javac *.java', 'echo $HOME', 'echo ${HOME}', 'echo "$(id)"', 'echo `id`', 'mvn # comment']) {
    assert.is(refusal(command).code, 'INVALID_PIT', command);
  }
});

commandLine('refuses an empty command', () => {
  assert.match(refusal('   ').message, 'empty');
});

commandLine.run();
