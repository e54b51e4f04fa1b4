import { link, lstat, mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { clearReports, parseJUnitXml, readReports, testId } from '../../src/grading/reports.js';

const surefire = `<?xml version="1.0" encoding="UTF-8"?>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="3.0" name="com.example.CalculatorTest" time="0.045" tests="4" errors="1" skipped="1" failures="1">
  <properties><property name="java.version" value="17.0.9"/></properties>
  <testcase name="addsNumbers" classname="com.example.CalculatorTest" time="0.012"/>
  <testcase name="dividesByZero" classname="com.example.CalculatorTest" time="0.003">
    <failure message="expected: &lt;0&gt; but was: &lt;1&gt;" type="org.opentest4j.AssertionFailedError"><![CDATA[org.opentest4j.AssertionFailedError: expected: <0> but was: <1>
\tat com.example.CalculatorTest.dividesByZero(CalculatorTest.java:21)]]></failure>
    <system-out><![CDATA[dividing...]]></system-out>
  </testcase>
  <testcase name="parses" classname="com.example.CalculatorTest" time="0.001">
    <error message="For input string: &quot;x&quot;" type="java.lang.NumberFormatException">java.lang.NumberFormatException</error>
  </testcase>
  <testcase name="later" classname="com.example.CalculatorTest" time="0"><skipped/></testcase>
</testsuite>`;

const consoleLauncher = `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="JUnit Jupiter" tests="2" skipped="1" failures="0" errors="0" time="0.246" hostname="vm" timestamp="2026-01-01T00:00:00">
<properties><property name="java.class.path" value="out"/></properties>
<testcase name="addsNumbers()" classname="CalculatorTest" time="0.003">
<system-out><![CDATA[
unique-id: [engine:junit-jupiter]/[class:CalculatorTest]/[method:addsNumbers()]
]]></system-out>
</testcase>
<testcase name="skipped()" classname="CalculatorTest" time="0"><skipped><![CDATA[not graded yet]]></skipped></testcase>
<testcase name="deep()" classname="CalculatorTest$Inner" time="0"/>
</testsuite>`;

const pytest = `<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" errors="1" failures="1" skipped="0" tests="3" time="0.033" hostname="vm"><testcase classname="test_calc" name="test_add" time="0.000" /><testcase classname="test_calc" name="test_div" time="0.001"><failure message="AssertionError: one is not &lt;zero&gt;&#10;assert 1 == 0">&gt;   def test_div(): assert 1 == 0
E   AssertionError</failure></testcase><testcase classname="test_calc.TestThing" name="test_err" time="0.000"><error message="failed on setup with &quot;RuntimeError: fixture broke&quot;">trace</error></testcase></testsuite></testsuites>`;

const nodeTest = `<?xml version="1.0" encoding="utf-8"?>
<testsuites>
\t<testcase name="adds numbers" time="0.001228" classname="test"/>
\t<testsuite name="calculator" time="0.003110" disabled="0" errors="0" tests="2" failures="1" skipped="0" hostname="vm">
\t\t<testcase name="divides" time="0.001596" classname="test" failure="1 !== 0">
\t\t\t<failure type="testCodeFailure" message="Expected values to be strictly equal:&#10;&#10;1 !== 0">
Error [ERR_TEST_FAILURE]: Expected values to be strictly equal
\t\t\t</failure>
\t\t</testcase>
\t\t<testsuite name="inner" time="0.000512" disabled="0" errors="0" tests="1" failures="0" skipped="0" hostname="vm">
\t\t\t<testcase name="divides" time="0.000339" classname="test"/>
\t\t</testsuite>
\t</testsuite>
\t<testcase name="todo one" time="0.002878" classname="test"><skipped type="todo" message="true"/></testcase>
\t<!-- tests 4 -->
\t<!-- pass 2 -->
\t<!-- fail 1 -->
</testsuites>`;

const junit = suite('junit');
const byId = (xml: string) => new Map(parseJUnitXml(xml).map((t) => [testId(t), t]));

junit('reads a Maven Surefire report', () => {
  const tests = byId(surefire);
  assert.equal([...tests.values()].map((t) => t.status), ['passed', 'failed', 'error', 'skipped']);
  assert.is(tests.get('com.example.CalculatorTest#addsNumbers')?.timeMs, 12);
  assert.is(tests.get('com.example.CalculatorTest#dividesByZero')?.message, 'expected: <0> but was: <1>');
  assert.is(tests.get('com.example.CalculatorTest#parses')?.message, 'For input string: "x"');
});

junit('reads a JUnit Platform console launcher report, ids without "()"', () => {
  const tests = byId(consoleLauncher);
  assert.equal([...tests.keys()], ['CalculatorTest#addsNumbers', 'CalculatorTest#skipped', 'CalculatorTest$Inner#deep']);
  assert.is(tests.get('CalculatorTest#skipped')?.message, 'not graded yet');
});

junit('reads a pytest report', () => {
  const tests = byId(pytest);
  assert.equal([...tests.keys()], ['test_calc#test_add', 'test_calc#test_div', 'test_calc.TestThing#test_err']);
  assert.is(tests.get('test_calc#test_div')?.message, 'AssertionError: one is not <zero>\nassert 1 == 0');
  assert.is(tests.get('test_calc.TestThing#test_err')?.status, 'error');
});

junit('reads a node --test report, naming tests by their suites', () => {
  const tests = byId(nodeTest);
  assert.equal([...tests.keys()], ['test#adds numbers', 'test#todo one', 'calculator#divides', 'calculator > inner#divides']);
  assert.is(tests.get('calculator#divides')?.status, 'failed');
  assert.is(tests.get('calculator > inner#divides')?.status, 'passed');
});

junit('caps long messages', () => {
  const xml = `<testsuite><testcase classname="A" name="b"><failure message="${'x'.repeat(10_000)}"/></testcase></testsuite>`;
  assert.ok(parseJUnitXml(xml)[0]!.message!.length < 2100);
});

junit('refuses entity expansion (billion laughs)', () => {
  const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<testsuite><testcase classname="A" name="&lol1;"/></testsuite>`;
  assert.throws(() => parseJUnitXml(laughs), /DOCTYPE/);
});

junit('throws on malformed XML and on a foreign root', () => {
  assert.throws(() => parseJUnitXml('<testsuite><testcase name="x"></testsuite>'), /not well-formed/);
  assert.throws(() => parseJUnitXml('<html><body/></html>'), /root/);
});

const reports = suite<{ root: string; outside: string }>('junit reports');
reports.before.each(async (ctx) => {
  ctx.outside = await mkdtemp(path.join(os.tmpdir(), 'junit-outside-'));
  ctx.root = await mkdtemp(path.join(os.tmpdir(), 'junit-test-'));
  await mkdir(path.join(ctx.root, 'target/surefire-reports'), { recursive: true });
});
reports.after.each(async (ctx) => {
  await rm(ctx.root, { recursive: true, force: true });
  await rm(ctx.outside, { recursive: true, force: true });
});
const globs = ['target/surefire-reports/TEST-*.xml'];
const report = (ctx: { root: string }, name: string, xml: string) => writeFile(path.join(ctx.root, 'target/surefire-reports', name), xml);

reports('collects every matching report', async (ctx) => {
  await report(ctx, 'TEST-a.xml', surefire);
  await report(ctx, 'TEST-b.xml', consoleLauncher);
  await report(ctx, 'other.xml', pytest);
  const result = await readReports(ctx.root, globs);
  assert.equal(result.files, ['target/surefire-reports/TEST-a.xml', 'target/surefire-reports/TEST-b.xml']);
  assert.is(result.tests.length, 7);
});

reports('a malformed report is rejected by name, not a crash', async (ctx) => {
  await report(ctx, 'TEST-a.xml', surefire);
  await report(ctx, 'TEST-broken.xml', '<testsuite><testcase');
  const result = await readReports(ctx.root, globs);
  assert.equal(result.integrity.map((n) => [n.code, n.files]), [['REPORT_REJECTED', ['target/surefire-reports/TEST-broken.xml']]]);
  assert.match(result.integrity[0]!.message, /TEST-broken.xml: not well-formed/);
});

reports('more tests than the budget read none: over budget, not a subset', async (ctx) => {
  const cases = (file: number) => Array.from({ length: 4000 }, (_, i) => `<testcase classname="flood${file}" name="t${i}"/>`).join('');
  for (let file = 0; file < 3; file++) await report(ctx, `TEST-flood${file}.xml`, `<testsuite>${cases(file)}</testsuite>`);
  const result = await readReports(ctx.root, globs);
  assert.equal([result.tests, result.integrity.map((n) => n.code)], [[], ['REPORTS_OVER_BUDGET']]);
});

reports('more bytes than the budget read none, however the real report sorts', async (ctx) => {
  await report(ctx, 'TEST-real.xml', surefire);
  const big = `<testsuite>${'<testcase classname="big" name="x"/>'.repeat(250_000)}</testsuite>`; // ~9 MB each
  for (let file = 0; file < 2; file++) await report(ctx, `TEST-a${file}.xml`, big);
  const result = await readReports(ctx.root, globs);
  assert.equal([result.tests, result.integrity.map((n) => n.code)], [[], ['REPORTS_OVER_BUDGET']]);
});

reports('more report files than the budget read none: the real one cannot be pushed out', async (ctx) => {
  await report(ctx, 'TEST-zz-real.xml', surefire);
  for (let file = 0; file < 500; file++) await report(ctx, `TEST-a${String(file).padStart(3, '0')}.xml`, '<testsuite><testcase classname="A" name="b"/></testsuite>');
  const result = await readReports(ctx.root, globs);
  assert.equal([result.tests, result.integrity.map((n) => n.code)], [[], ['REPORTS_OVER_BUDGET']]);
});

reports('clearing the reports removes a symlinked reports folder, not the files it points to', async (ctx) => {
  await writeFile(path.join(ctx.outside, 'TEST-keep.xml'), surefire);
  await rm(path.join(ctx.root, 'target/surefire-reports'), { recursive: true });
  await symlink(ctx.outside, path.join(ctx.root, 'target/surefire-reports'));
  await clearReports(ctx.root, globs);
  assert.ok(await readFile(path.join(ctx.outside, 'TEST-keep.xml'), 'utf8'));
  assert.not.ok(await lstat(path.join(ctx.root, 'target/surefire-reports')).catch(() => undefined));
});

reports('a hard link is not a report', async (ctx) => {
  await writeFile(path.join(ctx.root, 'elsewhere.xml'), surefire);
  await link(path.join(ctx.root, 'elsewhere.xml'), path.join(ctx.root, 'target/surefire-reports/TEST-linked.xml'));
  const result = await readReports(ctx.root, globs);
  assert.equal([result.tests, result.integrity.map((n) => n.code)], [[], ['REPORT_REJECTED']]);
});

reports('skips a symlink planted to a report outside the project', async (ctx) => {
  const forged = path.join(ctx.outside, 'forged.xml');
  await writeFile(forged, '<testsuite><testcase classname="A" name="b"/></testsuite>');
  await symlink(forged, path.join(ctx.root, 'target/surefire-reports/TEST-forged.xml'));
  await symlink(ctx.outside, path.join(ctx.root, 'target/surefire-reports/linked'));
  const result = await readReports(ctx.root, [...globs, 'target/surefire-reports/linked/*.xml']);
  assert.equal(result.tests, []);
  assert.equal(result.files, []);
});

reports('a report larger than 10 MB is over budget', async (ctx) => {
  await report(ctx, 'TEST-a.xml', surefire);
  const big = path.join(ctx.root, 'target/surefire-reports/TEST-big.xml');
  await writeFile(big, '<testsuite>');
  await truncate(big, 11 * 1048576);
  const result = await readReports(ctx.root, globs);
  assert.equal(result.tests, []);
  assert.match(result.integrity[0]!.message, /TEST-big.xml is 11534336 bytes/);
});

reports('a test reported twice keeps its worst status', async (ctx) => {
  await report(ctx, 'TEST-a.xml', '<testsuite><testcase classname="A" name="b"><failure message="no"/></testcase></testsuite>');
  await report(ctx, 'TEST-b.xml', '<testsuite><testcase classname="A" name="b"/></testsuite>');
  const result = await readReports(ctx.root, globs);
  assert.equal(result.tests.map((t) => [testId(t), t.status]), [['A#b', 'failed']]);
});

junit.run();
reports.run();
