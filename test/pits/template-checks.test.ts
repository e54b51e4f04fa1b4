import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { pitValidate } from '../../src/commands/pit.js';
import { silentLogger as log } from '../../src/log.js';
import { loadPit } from '../../src/pits/load.js';
import { templateProblems } from '../../src/pits/template-checks.js';

// `pit validate` refuses what cannot grade right, each problem on one line with its fix.
const checks = suite('pit-checks');
let pitsDir: string;
checks.before(async () => { pitsDir = await mkdtemp(path.join(os.tmpdir(), 'pit-checks-')); });
checks.after(async () => { await rm(pitsDir, { recursive: true, force: true }); });

const PY_TEST = 'def test_adds():\n    assert True\n\ndef test_subtracts():\n    assert True\n';
const JAVA_TEST = 'package calc;\nclass CalcTest {\n  @Test void adds() {}\n  @Test void subtracts() {}\n}\n';

async function writePit(id: string, config: object, files: Record<string, string>) {
  await writeFile(path.join(pitsDir, `${id}.json`), JSON.stringify({ maxTimeoutMs: 1000, ...config }));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(pitsDir, id, file)), { recursive: true });
    await writeFile(path.join(pitsDir, id, file), text);
  }
}

const pytest = (config: object) => ({ language: 'python', buildTool: 'pytest', testCommand: 'python3 -m pytest --junitxml=test-reports/junit.xml', expectedTests: ['tests.test_calc#test_adds', 'tests.test_calc#test_subtracts'], ...config });
const javac = (config: object) => ({ language: 'java', buildTool: 'javac', testCommand: 'java -jar launcher.jar --scan-classpath --reports-dir=test-reports', reports: ['test-reports/*.xml'], expectedTests: ['calc.CalcTest#adds', 'calc.CalcTest#subtracts'], ...config });

async function validate(ids: string[]) {
  let text = '';
  const output = new Writable({ write(chunk, _encoding, done) { text += String(chunk); done(); } });
  const code = await pitValidate(ids, { pitsDir, timeoutMs: 600_000, log, output });
  return { code, text };
}

checks('each refusal fails validation with its fix on one line; the sound PITs pass', async () => {
  await writePit('py-sound', pytest({}), { 'tests/test_calc.py': PY_TEST });
  await writePit('java-sound', javac({}), { 'src/test/java/calc/CalcTest.java': JAVA_TEST });
  await writePit('node-sound', { language: 'javascript', buildTool: 'node', testCommand: 'node --test', expectedTests: ['calc#adds two numbers'] }, { 'tests/calc.test.mjs': "test('adds two numbers', () => {});\n" });
  const sound = await validate(['py-sound', 'java-sound', 'node-sound']);
  assert.is(sound.code, 0, sound.text);

  const refusals: Array<[string, object, Record<string, string>, RegExp]> = [
    ['py-required', pytest({ requiredFiles: ['calc.py'] }), { 'tests/test_calc.py': PY_TEST, 'calc.py': '' }, /requiredFiles: calc\.py is in the template, which overwrites the student's copy: remove it/],
    ['py-wide', pytest({ solution: ['**/*.py'] }), { 'tests/test_calc.py': PY_TEST }, /solution: matches template files \(tests\/test_calc\.py\), which the template overwrites: narrow the globs or add "!tests\/test_calc\.py"/],
    ['py-absent', pytest({ expectedTests: ['tests.test_calc#test_adds', 'tests.test_calc#test_divides'] }), { 'tests/test_calc.py': PY_TEST }, /expectedTests: tests\.test_calc#test_divides not in the template's tests: fix the ids or run `pit verify`/],
    ['py-module', pytest({ expectedTests: ['tests.test_other#test_adds'] }), { 'tests/test_calc.py': PY_TEST }, /expectedTests: tests\.test_other#test_adds not in/],
    ['java-absent', javac({ expectedTests: ['calc.CalcTest#adds', 'calc.OtherTest#adds', 'calc.CalcTest#divides'] }), { 'src/test/java/calc/CalcTest.java': JAVA_TEST }, /expectedTests: calc\.OtherTest#adds, calc\.CalcTest#divides not in/],
    ['node-absent', { language: 'javascript', buildTool: 'node', testCommand: 'node --test', expectedTests: ['calc#divides by zero'] }, { 'tests/calc.test.mjs': "test('adds two numbers', () => {});\n" }, /expectedTests: calc#divides by zero not in/],
    ['java-select', javac({ testCommand: 'java -jar launcher.jar --select-class calc.CalcTest --reports-dir=test-reports' }), { 'src/test/java/calc/CalcTest.java': JAVA_TEST }, /testCommand: --select-class\/--select-method selects test classes, so the run's sentinel test never runs: use --scan-classpath/],
  ];
  for (const [id, config, files] of refusals) await writePit(id, config, files);
  const { code, text } = await validate(refusals.map(([id]) => id));
  assert.is(code, 2, text);
  for (const [id, , , problem] of refusals) {
    const block = text.slice(text.indexOf(`FAIL ${id}\n`));
    assert.ok(text.includes(`FAIL ${id}\n`), `${id} fails: ${text}`);
    assert.match(block.split('\n').find((line) => problem.test(line)) ?? '', problem, `${id}: ${text}`);
  }
});

checks('a Maven command that selects its test classes never runs the sentinel', async () => {
  await writePit('mvn-select', { language: 'java', buildTool: 'maven', testCommand: 'mvn -o -q test -Dtest=CalcTest', expectedTests: ['calc.CalcTest#adds'] }, { 'pom.xml': '<project/>', 'src/test/java/calc/CalcTest.java': JAVA_TEST });
  const problems = await templateProblems(await loadPit(pitsDir, 'mvn-select'));
  assert.equal(problems, ['testCommand: -Dtest=… selects test classes, so the run\'s sentinel test never runs: remove -Dtest; expectedTests says which tests count']);
  await writePit('mvn-all', { language: 'java', buildTool: 'maven', testCommand: 'mvn -o -q test', expectedTests: ['calc.CalcTest#adds'] }, { 'pom.xml': '<project/>', 'src/test/java/calc/CalcTest.java': JAVA_TEST });
  assert.equal(await templateProblems(await loadPit(pitsDir, 'mvn-all')), []);
});

checks('a Maven command that cleans deletes the watched report folder: refused', async () => {
  await writePit('mvn-clean', { language: 'java', buildTool: 'maven', testCommand: 'mvn -o -q clean test', expectedTests: ['calc.CalcTest#adds'] }, { 'pom.xml': '<project/>', 'src/test/java/calc/CalcTest.java': JAVA_TEST });
  const problems = await templateProblems(await loadPit(pitsDir, 'mvn-clean'));
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0]!, /drop clean/);
});

checks.run();
