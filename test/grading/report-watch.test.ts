import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createReportFolders, reportFolder, rewrittenNote, watchReports } from '../../src/grading/report-watch.js';
import { silentLogger } from '../../src/log.js';

// The watch on report folders, with real files and the real inotify reader: a harness writes each
// report once; written again, replaced or removed after it was written is REPORT_REWRITTEN.
const watch = suite('report watch');
let root: string;
watch.before(async () => { root = await mkdtemp(path.join(os.tmpdir(), 'report-watch-')); });
watch.after(() => rm(root, { recursive: true, force: true }));

watch('the folder a glob names, before its first wildcard', () => {
  assert.equal(['target/surefire-reports/TEST-*.xml', 'test-reports/*.xml', '**/*.xml', 'out/junit.xml'].map(reportFolder), ['target/surefire-reports', 'test-reports', '.', 'out']);
});

watch('a report written once passes; written twice, replaced or removed is REPORT_REWRITTEN', async () => {
  await createReportFolders(root, ['test-reports/*.xml']);
  const reports = path.join(root, 'test-reports');
  const watching = await watchReports(root, ['test-reports/*.xml'], silentLogger);
  assert.ok(watching, 'python3 with inotify is here');
  await writeFile(path.join(reports, 'once.xml'), '<testsuite/>');
  await writeFile(path.join(reports, 'twice.xml'), '<testsuite/>');
  await writeFile(path.join(reports, 'twice.xml'), '<testsuite></testsuite>');
  await writeFile(path.join(reports, 'replaced.xml'), '<testsuite/>');
  await writeFile(path.join(root, 'forged.xml'), '<testsuite/>');
  await rename(path.join(root, 'forged.xml'), path.join(reports, 'replaced.xml'));
  await writeFile(path.join(reports, 'removed.xml'), '<testsuite/>');
  await rm(path.join(reports, 'removed.xml'));
  await writeFile(path.join(reports, 'removed.xml'), '<testsuite/>');
  const seen = await watching!.stop();
  const files = ['once', 'twice', 'replaced', 'removed'].map((name) => `test-reports/${name}.xml`);
  assert.equal(rewrittenNote(files, seen)?.files, files.slice(1));
  assert.is(rewrittenNote(files.slice(0, 1), seen), undefined);
});

watch.run();
