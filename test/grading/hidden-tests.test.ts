import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.js';
import { studentFeedback } from '../../src/grading/feedback.js';
import type { GradeResult } from '../../src/grading/types.js';
import { silentLogger } from '../../src/log.js';
import { formatResult } from '../../src/report/formats.js';
import { gradeSubmission } from '../../src/grading/pipeline.js';
import { validatePit } from '../../src/pits/validate.js';
import { verifyPit } from '../../src/pits/verify.js';
import { repoRoot } from '../helpers/cli.js';
import { sandboxFor } from '../helpers/sandbox.js';
import { gradeById } from '../helpers/grade.js';
import { addHiddenPit } from '../helpers/hidden-pits.js';
import { workRoot } from '../helpers/sandbox-fixture.js';

// Hidden tests through the whole pipeline, for the junit, pytest and node build tools: each sample PIT
// gets a generated hidden test file whose names, file name and source all carry one word ("quokka"),
// and hostile solutions that read every test file they can reach and put what they find into every
// channel they control. Nothing of it may reach a student view; the instructor's view keeps it.
const hidden = suite('hidden tests');
let tmp: string;
let pitsDir: string;
// the caller's sandbox uids, when given: another suite's sandbox sweeps every process of its own uids
const { RUNNER_SANDBOX_UID, RUNNER_SANDBOX_GID } = process.env;
const runnerConfig = () => loadConfig({ RUNNER_SANDBOX_UID, RUNNER_SANDBOX_GID, PITS_DIR: pitsDir, RUNNER_WORK_DIR: path.join(workRoot, 'hidden'), RUNNER_SANDBOX_MODE: process.env.RUNNER_SANDBOX_MODE ?? 'auto' });

const SECRET = /quokka/i;
const SECRET_HEX = Buffer.from('quokka').toString('hex');

const java = {
  pit: 'java-junit-bankaccount-v1',
  file: 'src/test/java/bank/SecretQuokkaEdgeTest.java',
  source: `package bank;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

// QUOKKA canary: the hidden source's own words
class SecretQuokkaEdgeTest {
    @Test
    void quokkaDepositsAddUp() {
        BankAccount account = new BankAccount(1);
        account.deposit(2);
        assertEquals(3, account.balance(), "quokka canary message");
    }

    @Test
    void quokkaOwnerIsKept() {
        assertEquals("wombat", new BankAccount(1).owner("wombat"));
    }
}
`,
  hiddenTests: ['bank.SecretQuokkaEdgeTest#*'],
  ids: ['bank.SecretQuokkaEdgeTest#quokkaDepositsAddUp', 'bank.SecretQuokkaEdgeTest#quokkaOwnerIsKept'],
};
const python = {
  pit: 'python-pytest-wordstats-v1',
  file: 'tests/test_secret_quokka.py',
  source: `# QUOKKA canary: the hidden source's own words
from wordstats import most_common, word_count


def test_quokka_counts_one_word():
    assert word_count("quokka") == 1, "quokka canary message"


def test_quokka_most_common():
    assert most_common("quokka Quokka wombat") == "quokka"
`,
  hiddenTests: ['tests.test_secret_quokka#*'],
  ids: ['tests.test_secret_quokka#test_quokka_counts_one_word', 'tests.test_secret_quokka#test_quokka_most_common'],
};
const node = {
  pit: 'javascript-node-roman-v1',
  file: 'tests/secret-quokka.test.mjs',
  source: `import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromRoman, toRoman } from '../roman.mjs';

// QUOKKA canary: the hidden source's own words
describe('quokka edge cases', () => {
  test('quokka writes 3999', () => assert.equal(toRoman(3999), 'MMMCMXCIX', 'quokka canary message'));
  test('quokka reads MCM', () => assert.equal(fromRoman('MCM'), 1900));
});
`,
  hiddenTests: ['quokka edge cases#*'],
  ids: ['quokka edge cases#quokka writes 3999', 'quokka edge cases#quokka reads MCM'],
};

hidden.before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hidden-tests-'));
  await chmod(tmp, 0o711);
  pitsDir = path.join(tmp, 'pits');
  for (const sample of [java, python, node]) await addHiddenPit(pitsDir, sample, sample.pit, sample === node ? { maxTimeoutMs: 8000 } : {});
});
hidden.after(() => rm(tmp, { recursive: true, force: true }));

async function grade(pitId: string, files: Record<string, string>) {
  const dir = await mkdtemp(path.join(tmp, 'solution-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  const graded = await gradeById({ dir }, pitId, { config: runnerConfig(), log: silentLogger });
  return { ...graded, text: graded.log.toString() };
}

/** Every view a student may get: the student feedback, gradescope's visible part, exercism's output. */
function studentViews(result: GradeResult): Record<string, string> {
  const gradescope = JSON.parse(formatResult(result, 'gradescope')) as { output: string; tests: Array<{ visibility: string }> };
  return {
    student: JSON.stringify(studentFeedback(result)),
    gradescope: JSON.stringify({ output: gradescope.output, tests: gradescope.tests.filter((test) => test.visibility !== 'hidden') }),
    exercism: formatResult(result, 'exercism'),
  };
}

function assertNothingHiddenReachesStudents(result: GradeResult) {
  for (const [view, text] of Object.entries(studentViews(result))) {
    assert.not.match(text, SECRET, `${view} names the hidden tests`);
    assert.not.ok(text.includes(SECRET_HEX), `${view} carries the hidden tests hex-encoded`);
  }
}

// Reads every test file below the working folder and the names on the stack: what a solution can learn.
const javaLoot = `
    static String loot() {
        StringBuilder out = new StringBuilder("LEAK[");
        for (StackTraceElement frame : new Throwable().getStackTrace()) out.append(frame.getClassName()).append('#').append(frame.getMethodName()).append(' ');
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(java.nio.file.Paths.get("").toAbsolutePath())) {
            for (java.nio.file.Path file : (Iterable<java.nio.file.Path>) files.filter((p) -> p.toString().endsWith(".java"))::iterator) {
                out.append('\\n').append(file).append('\\n').append(java.nio.file.Files.readString(file));
                try { java.nio.file.Files.writeString(java.nio.file.Paths.get(file.getFileName() + ".leak"), "file names"); } catch (Exception e) { out.append(e); }
            }
        } catch (Exception e) { out.append(e); }
        String text = out.append(']').toString();
        StringBuilder hex = new StringBuilder();
        for (byte b : text.getBytes()) hex.append(String.format("%02x", b));
        System.out.println(text);
        System.err.println(text);
        return text + " HEX[" + hex + "]";
    }
`;

hidden('junit: a solution that reads the hidden tests and leaks them everywhere reaches no student view', async () => {
  const { result, text } = await grade(java.pit, {
    'src/main/java/bank/BankAccount.java': `package bank;

public class BankAccount {
    private long balance;
    public BankAccount(long opening) { balance = opening; }
    public long balance() { return balance; }
    public String owner(String name) { throw new IllegalStateException(loot()); }
    public void deposit(long amount) { throw new IllegalArgumentException(loot()); }
    public void withdraw(long amount) {
        if (amount <= 0) throw new IllegalArgumentException(loot());
        if (amount > balance) throw new IllegalStateException(loot());
        balance -= amount;
    }
${javaLoot}
}
`,
  });
  assert.is(result.status, 'DONE', text);
  assertNothingHiddenReachesStudents(result);
  const student = studentFeedback(result);
  assert.match(JSON.stringify(student), 'LEAK[', 'the visible run\'s leak reaches the student: the channel works');
  assert.equal(student.hidden, { total: 2, failed: 2 });
  // control: the hidden run did read the hidden source; instructors see it, labelled by run
  assert.match(formatResult(result, 'json'), SECRET);
  assert.match(text.slice(text.indexOf('=== pit-runner: the hidden run')), SECRET);
  assert.not.match(text.slice(0, text.indexOf('=== pit-runner: the hidden run')), SECRET, 'the visible run never had the hidden file');
  assert.ok(result.runs?.hidden, 'the hidden run is recorded');
});

hidden('junit: a solution that does not compile against the hidden tests is told so, without file or line', async () => {
  const correct = await readFile(path.join(repoRoot, 'examples', java.pit, 'correct', 'src/main/java/bank/BankAccount.java'), 'utf8');
  const { result } = await grade(java.pit, { 'src/main/java/bank/BankAccount.java': correct });
  assert.is(result.outcome, 'COMPILE_ERROR');
  assert.is(result.score, Math.round((5 / 7) * 10_000) / 100, 'the visible tests still count');
  const student = studentFeedback(result);
  assert.equal(student.error, { code: 'COMPILE_ERROR', message: 'your solution does not compile against the hidden tests' });
  assert.equal(student.tests.filter((test) => test.status === 'passed').length, 5);
  assertNothingHiddenReachesStudents(result);
  for (const view of Object.values(studentViews(result))) assert.not.match(view, /\.java|line \d/);
  assert.match(result.runs?.hidden?.error?.message ?? '', 'SecretQuokkaEdgeTest.java', 'the instructor keeps the compiler\'s text');
});

hidden('pytest: a solution that reads the hidden tests and leaks them everywhere reaches no student view', async () => {
  const { result, text } = await grade(python.pit, {
    'wordstats.py': `import atexit, binascii, os, sys, traceback


def _loot():
    text = "LEAK[" + "".join(traceback.format_stack())
    for root, _dirs, files in os.walk(os.getcwd()):
        for name in files:
            if name.endswith(".py") and name != "wordstats.py":
                path = os.path.join(root, name)
                try:
                    text += "\\n" + path + "\\n" + open(path).read()
                    open(os.path.join("test-reports", name + ".xml"), "w").write("not xml")
                except Exception as error:
                    text += repr(error)
    text += "]"
    print(text)
    print(text, file=sys.stderr)
    atexit.register(os._exit, len(text) % 50 + 3)
    return text + " HEX[" + binascii.hexlify(text.encode()).decode() + "]"


def word_count(text):
    raise ValueError(_loot())


def most_common(text):
    raise ValueError(_loot())


def longest_word(text):
    return max(text.split(), key=len)
`,
  });
  assert.is(result.status, 'DONE', text);
  assertNothingHiddenReachesStudents(result);
  const student = studentFeedback(result);
  assert.match(JSON.stringify(student), 'LEAK[');
  assert.equal(student.hidden, { total: 2, failed: 2 });
  assert.match(formatResult(result, 'json'), SECRET);
});

hidden('pytest: a solution that fails to import in the hidden run only, with the hidden source as its error, is a compile error in fixed words', async () => {
  const correct = await readFile(path.join(repoRoot, 'examples', python.pit, 'correct', 'wordstats.py'), 'utf8');
  const { result, text } = await grade(python.pit, {
    'wordstats.py': `import os\n\nfor _root, _dirs, _files in os.walk(os.getcwd()):\n    for _name in _files:\n        if _name.startswith("test_") and _name != "test_wordstats.py" and "sentinel" not in _name:\n            raise SyntaxError(_name + open(os.path.join(_root, _name)).read())\n\n${correct}`,
  });
  assert.is(result.outcome, 'COMPILE_ERROR', text);
  assert.equal(studentFeedback(result).error?.message, 'your solution does not compile against the hidden tests');
  assert.is(studentFeedback(result).summary.passed, 5);
  assertNothingHiddenReachesStudents(result);
  assert.match(text, /=== pit-runner: the hidden run[^]*test_secret_quokka/);
});

hidden('node: a solution that reads the hidden tests and leaks them everywhere reaches no student view', async () => {
  const { result, text } = await grade(node.pit, {
    'roman.mjs': `import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function walk(dir, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(file, found);
    else found.push(file);
  }
  return found;
}

function loot() {
  let text = 'LEAK[' + new Error().stack;
  for (const file of walk(process.cwd()).filter((f) => f.endsWith('.mjs') && !f.endsWith('roman.mjs'))) {
    try {
      text += '\\n' + file + '\\n' + readFileSync(file, 'utf8');
      // a report file named after each test file but the visible one: the hidden run's reports are rejected
      if (path.basename(file) !== 'roman.test.mjs') writeFileSync(path.join('test-reports', path.basename(file) + '.xml'), 'not xml');
    } catch (error) { text += String(error); }
  }
  text += ']';
  console.log(text);
  console.error(text);
  process.exitCode = text.length % 50 + 3;
  return text + ' HEX[' + Buffer.from(text).toString('hex') + ']';
}

export function toRoman(n) { throw new RangeError(loot()); }
export function fromRoman(text) { throw new Error(loot()); }
`,
  });
  assert.is(result.status, 'DONE', text);
  assertNothingHiddenReachesStudents(result);
  assert.match(JSON.stringify(studentFeedback(result)), 'LEAK[');
  assert.match(formatResult(result, 'json'), SECRET);
});

hidden('node: a time-out in the hidden run keeps the visible results; the student learns only that it timed out', async () => {
  const correct = await readFile(path.join(repoRoot, 'examples', node.pit, 'correct', 'roman.mjs'), 'utf8');
  const { result, text } = await grade(node.pit, {
    // the hidden run is the one with two test files
    'roman.mjs': `import { readdirSync } from 'node:fs';\nif (readdirSync('tests').length > 1) for (;;) {}\n${correct}`,
  });
  assert.is(result.outcome, 'TIME_LIMIT', text);
  assert.is(result.runs?.visible.outcome, 'PASSED');
  assert.is(result.score, Math.round((5 / 7) * 10_000) / 100);
  const student = studentFeedback(result);
  assert.equal(student.hidden, { total: 2, failed: 2 });
  assert.equal(student.error, { code: 'TIME_LIMIT', message: 'the hidden tests did not finish within the time limit' });
  assertNothingHiddenReachesStudents(result);
});

hidden('hiddenFeedback none: the student sees the visible run and the score, nothing of the hidden run', async () => {
  const file = path.join(pitsDir, `${node.pit}.json`);
  const original = await readFile(file, 'utf8');
  await writeFile(path.join(pitsDir, 'roman-none.json'), JSON.stringify({ ...JSON.parse(original), template: node.pit, hiddenFeedback: 'none' }));
  const wrong = await readFile(path.join(repoRoot, 'examples', node.pit, 'wrong', 'roman.mjs'), 'utf8');
  const { result } = await grade('roman-none', { 'roman.mjs': wrong });
  const student = studentFeedback(result);
  assert.is(student.hidden, undefined);
  assert.is(student.summary.total, 5);
  assert.is(student.score, result.score);
  assert.is(result.summary.total, 7);
  assert.not.match(formatResult(result, 'exercism'), 'hidden test');
});

hidden('pit validate refuses a hidden pattern that names a visible test file\'s class, with the fix', async () => {
  const config = JSON.parse(await readFile(path.join(pitsDir, `${java.pit}.json`), 'utf8')) as Record<string, unknown>;
  await writeFile(path.join(pitsDir, 'java-misplaced.json'), JSON.stringify({ ...config, template: java.pit, hiddenTests: [...java.hiddenTests, 'bank.BankAccountTest#refuses*'] }));
  const report = await validatePit(pitsDir, 'java-misplaced', { log: silentLogger });
  assert.equal(report.problems, ['hiddenTests: bank.BankAccountTest#refuses* names tests of src/test/java/bank/BankAccountTest.java, which the visible run has: add the file to hiddenFiles or narrow the pattern']);
  assert.equal((await validatePit(pitsDir, java.pit, { log: silentLogger })).problems, []);
});

hidden('pit verify finds a hidden pattern naming a test of the visible run, and a hidden test no pattern names', async () => {
  const config = JSON.parse(await readFile(path.join(pitsDir, `${node.pit}.json`), 'utf8')) as Record<string, unknown>;
  await writeFile(path.join(pitsDir, 'roman-misplaced.json'), JSON.stringify({ ...config, template: node.pit, hiddenTests: ['quokka edge cases#quokka writes*', 'roman#writes 1994*'] }));
  const solution = path.join(repoRoot, 'examples', node.pit, 'correct');
  const verified = await verifyPit({ pitId: 'roman-misplaced', solution, check: true }, { config: runnerConfig(), log: silentLogger, grade: gradeSubmission, sandbox: sandboxFor(runnerConfig()) });
  assert.ok(verified.problems.includes('hiddenTests names roman#writes 1994 as MCMXCIV, which ran in the visible run: add its file to hiddenFiles or narrow the pattern'), verified.problems.join('\n'));
  assert.ok(verified.problems.includes('test quokka edge cases#quokka reads MCM ran only in the hidden run, but no hiddenTests pattern names it: add one'), verified.problems.join('\n'));
});

hidden.run();
