import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CappedLog } from '../../src/grading/capped-log.js';

const cappedLog = suite('capped-log');

cappedLog('keeps everything below the cap, in arrival order', () => {
  const log = new CappedLog(100);
  log.write('out 1\n');
  log.write(Buffer.from('err 1\n'));
  log.write('out 2\n');
  assert.is(log.toBuffer().toString(), 'out 1\nerr 1\nout 2\n');
  assert.is(log.bytes, 18);
  assert.not.ok(log.truncated);
});

cappedLog('beyond the cap keeps head and tail and names the bytes cut', () => {
  const log = new CappedLog(20);
  log.write('HEAD-0123');
  for (let i = 0; i < 1000; i++) log.write('middle ');
  log.write('0123-TAIL');
  const text = log.toBuffer().toString();
  assert.ok(log.truncated);
  assert.is(log.bytes, 9 + 7000 + 9);
  assert.ok(text.startsWith('HEAD-0123m'), text);
  assert.ok(text.endsWith('0123-TAIL'), text);
  assert.match(text, `[${7018 - 20} bytes cut]`);
});

cappedLog('a single chunk larger than the cap keeps its start and end', () => {
  const log = new CappedLog(10);
  log.write(`start${'x'.repeat(100_000)}end!!`);
  const text = log.toBuffer().toString();
  assert.ok(text.startsWith('start'), text);
  assert.ok(text.endsWith('end!!'), text);
});

cappedLog('memory stays bounded however much is written', () => {
  const log = new CappedLog(1024);
  const chunk = Buffer.alloc(64 * 1024, 'y');
  for (let i = 0; i < 2_000; i++) log.write(chunk);   // 128 MB through
  assert.is(log.bytes, 2_000 * 64 * 1024);
  assert.ok(log.toBuffer().length < 1024 + 64);
});

cappedLog('notes stand on a line of their own', () => {
  const log = new CappedLog(100);
  log.write('no newline');
  log.note('$ mvn test');
  log.note('pit-runner: done');
  assert.is(log.toBuffer().toString(), 'no newline\n$ mvn test\npit-runner: done\n');
});

cappedLog('the tail does not start inside a UTF-8 character', () => {
  const log = new CappedLog(8);
  log.write('aaaa');
  log.write('ééééééééé');
  const tail = log.toBuffer().toString().split('…\n').pop()!;
  assert.not.match(tail, '\uFFFD');
});

cappedLog('escape sequences and control characters from the student become visible text', () => {
  const log = new CappedLog(1000);
  log.write('\x1b[2J\x1b[1;1Hclean\x07 \u009b31m red \u202eevil\r\nnext\rover\n');
  assert.is(log.toBuffer().toString(), '\\x1b[2J\\x1b[1;1Hclean\\x07 \\x9b31m red \\u{202e}evil\nnext\\x0dover\n');
});

cappedLog('a student line cannot pass for a runner note, however the output is chunked', () => {
  const log = new CappedLog(1000);
  log.write('ok\npit-run');
  log.write('ner: every test passed\n$ mvn');
  log.write(' test\n  pit-runner: indented is fine\n');
  log.note('pit-runner: the real note');
  assert.is(log.toBuffer().toString(), 'ok\n| pit-runner: every test passed\n| $ mvn test\n  pit-runner: indented is fine\npit-runner: the real note\n');
});

cappedLog('a character split across chunks survives', () => {
  const log = new CappedLog(100);
  const bytes = Buffer.from('é\n');
  log.write(bytes.subarray(0, 1));
  log.write(bytes.subarray(1));
  assert.is(log.toBuffer().toString(), 'é\n');
});

cappedLog.run();
