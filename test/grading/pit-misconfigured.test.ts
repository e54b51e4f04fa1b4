import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.js';
import { gradeSubmission } from '../../src/grading/pipeline.js';
import { loadPit } from '../../src/pits/load.js';
import { captureLog } from '../helpers/capture-log.js';
import { repoRoot } from '../helpers/cli.js';
import { sandboxFor } from '../helpers/sandbox.js';
import { workRoot } from '../helpers/sandbox-fixture.js';

// When a run's evidence points at the PIT, the result blames the PIT (ERROR PIT_MISCONFIGURED, retryable
// after the fix), never the student; a forgery still ends TAMPERED. The javac sample's PIT, with its test
// command changed, grades the sample's correct solution in the real sandbox.
const misconfigured = suite('pit misconfigured');
const SAMPLE = 'java-javac-bankaccount-v1';
const SOLUTION = 'src/main/java/bank/BankAccount.java';
let pitsDir = '';
let correct = '';

misconfigured.before(async () => {
  pitsDir = await mkdtemp(path.join(os.tmpdir(), 'pit-misconfigured-'));
  await mkdir(workRoot, { recursive: true, mode: 0o711 });
  const sample = JSON.parse(await readFile(path.join(repoRoot, 'pits', `${SAMPLE}.json`), 'utf8')) as { testCommand: string };
  const variants = {
    // names its test class: the run's sentinel class is never selected
    selects: sample.testCommand.replace('--scan-class-path', '--select-class bank.BankAccountTest'),
  };
  // reports looked for where the console launcher never writes (its command says test-reports/)
  const misplaced = { ...sample, reports: ['build/reports/*.xml'] };
  for (const [id, config] of [...Object.entries(variants).map(([id, testCommand]) => [id, { ...sample, testCommand }] as const), ['misplaced', misplaced] as const]) {
    await writeFile(path.join(pitsDir, `${id}.json`), JSON.stringify(config));
    await cp(path.join(repoRoot, 'pits', SAMPLE), path.join(pitsDir, id), { recursive: true });
  }
  correct = await readFile(path.join(repoRoot, 'examples', SAMPLE, 'correct', SOLUTION), 'utf8');
});
misconfigured.after(() => rm(pitsDir, { recursive: true, force: true }));

async function grade(pitId: string, source: string) {
  const dir = await mkdtemp(path.join(pitsDir, 'submission-'));
  await mkdir(path.dirname(path.join(dir, SOLUTION)), { recursive: true });
  await writeFile(path.join(dir, SOLUTION), source);
  const config = loadConfig({ PITS_DIR: pitsDir, RUNNER_WORK_DIR: path.join(workRoot, 'misconfigured'), RUNNER_SANDBOX_MODE: process.env.RUNNER_SANDBOX_MODE ?? 'auto', RUNNER_SANDBOX_UID: process.env.RUNNER_SANDBOX_UID, RUNNER_SANDBOX_GID: process.env.RUNNER_SANDBOX_GID });
  const logged = captureLog();
  const { result, log } = await gradeSubmission({ dir }, await loadPit(pitsDir, pitId), { config, log: logged.log, sandbox: sandboxFor(config) });
  return { result, text: log.toString(), alerts: logged.entries().filter((entry) => entry.alert) };
}

misconfigured('a command that selects its test classes never runs the sentinel: the PIT is at fault, not the student', async () => {
  const { result, text, alerts } = await grade('selects', correct);
  assert.equal([result.status, result.outcome, result.score, result.error?.code], ['ERROR', 'PIT_MISCONFIGURED', 0, 'PIT_MISCONFIGURED'], text.slice(-3000));
  assert.equal(alerts.map((entry) => [entry.level, entry.alert]), [[50, 'PIT_MISCONFIGURED']]);
  assert.match(result.error!.message, /never ran the sentinel test .*--select-class\/--select-method selects test classes.*then reprocess/);
});

misconfigured('no report where the PIT looks, which is not where its tool writes, is the PIT\'s fault, not COMPILE_ERROR', async () => {
  const { result, text, alerts } = await grade('misplaced', correct);
  assert.is(alerts.length, 1);
  assert.equal([result.status, result.outcome, result.error?.code], ['ERROR', 'PIT_MISCONFIGURED', 'PIT_MISCONFIGURED'], text.slice(-3000));
  assert.match(result.error!.message, /build\/reports\/\*\.xml outside test-reports\//);
});

misconfigured('a report forged after the harness wrote it (all green, no sentinel) is still TAMPERED under such a command', async () => {
  const tests = ['startsWithTheOpeningBalance', 'depositAddsToTheBalance', 'withdrawSubtractsFromTheBalance', 'refusesToOverdraw', 'refusesNonPositiveAmounts'];
  const xml = `<testsuite>${tests.map((t) => `<testcase classname=\\"bank.BankAccountTest\\" name=\\"${t}()\\"/>`).join('')}</testsuite>`;
  const hook = `    static { Runtime.getRuntime().addShutdownHook(new Thread(() -> { try { java.nio.file.Files.writeString(java.nio.file.Path.of("test-reports/TEST-junit-jupiter.xml"), "${xml}"); System.out.println("FORGED"); } catch (Exception e) { System.out.println("FORGE-FAILED " + e); } })); }\n`;
  const forged = correct.replace(/(public class \w+ \{\n)/, `$1${hook}`);
  assert.ok(forged.includes('addShutdownHook'));
  const { result, text } = await grade('selects', forged);
  assert.match(text, 'FORGED');
  assert.equal([result.status, result.outcome, result.score, (result.integrity ?? []).map((n) => n.code)], ['DONE', 'TAMPERED', 0, ['REPORT_REWRITTEN']], text.slice(-3000));
});

misconfigured.run();
