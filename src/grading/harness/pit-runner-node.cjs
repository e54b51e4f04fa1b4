'use strict';
/*
 * pit-runner's node harness, preloaded (`--require`, from NODE_OPTIONS) into every node process of a
 * graded run, under Node's permission model (the runner adds it to NODE_OPTIONS too: no inspector,
 * workers, native addons, process.binding, child processes or file reads outside the run's folders,
 * so no way to /proc/self/mem).
 *
 * - In `node --test`'s runner process (no solution code runs there) it reads the run's key from fd 7,
 *   closes it, and hands it to each test file's process over a pipe of its own, added to that process's
 *   descriptors; that process loses the right to start processes.
 * - In a test file's process (or a plain `node <test file>` run, which reads fd 7 itself) it reads the
 *   key and closes the descriptor before the test file loads, starts the sentinel test (which makes
 *   node:test build its event stream now, so the harness holds that stream and the solution never can),
 *   and signs each test's result from the stream's own events on fd 8 (src/grading/verdict.ts). What a
 *   test file's process writes on stdout (node --test's protocol) is not what the runner believes.
 * - Everything it uses after start was taken before the solution loaded: HMAC-SHA256 is computed here
 *   on typed arrays, strings are read with captured functions, and the methods of the event path
 *   (EventEmitter, streams) and of node:assert cannot be replaced.
 */
const fs = require('node:fs');
const KEY_FD = 7;
const RECORD_FD = 8;
const KEY_BYTES = 32;
const SENTINEL = 'pit sentinel';
const TEST_FILE = /(^|\/)(test|test-[^/]*|[^/]*[.\-_]test)\.[cm]?js$|(^|\/)test\/[^/]*\.[cm]?js$/;


function readKey(fd) {
  const key = new Uint8Array(KEY_BYTES);
  let got = 0;
  try {
    while (got < KEY_BYTES) {
      const n = fs.readSync(fd, key, got, KEY_BYTES - got, null);
      if (n === 0) break;
      got += n;
    }
    fs.closeSync(fd);
  } catch {
    return undefined;
  }
  return got === KEY_BYTES ? key : undefined;
}

/** The `node --test` process: each test file's process gets the key on a pipe of its own, and no right to start processes. */
function runner() {
  const key = readKey(KEY_FD);
  if (!key) return;
  const { ChildProcess } = require('node:child_process');
  const spawn = ChildProcess.prototype.spawn;
  ChildProcess.prototype.spawn = function spawnTestFile(options) {
    const pairs = options && options.envPairs;
    if (!Array.isArray(pairs) || !pairs.includes('NODE_TEST_CONTEXT=child-v8')) return spawn.call(this, options);
    const stdio = Array.isArray(options.stdio) ? options.stdio : ['pipe', 'pipe', 'pipe'];
    const fd = stdio.length;
    // node's own descriptors above 2 are not passed on: the key's pipe and the verdict channel are, by number
    options.stdio = [...stdio, 'pipe', RECORD_FD];
    // the right to start processes goes, whether it came in NODE_OPTIONS (Node 20) or as an argument (Node 24)
    options.envPairs = [...pairs.map((pair) => (pair.startsWith('NODE_OPTIONS=') ? pair.replace(/\s*--allow-child-process\b/g, '') : pair)),
      `PIT_RUNNER_KEY_FD=${fd}`, `PIT_RUNNER_RECORD_FD=${fd + 1}`];
    if (Array.isArray(options.args)) options.args = options.args.filter((arg) => arg !== '--allow-child-process');
    const started = spawn.call(this, options);
    if (this.stdio[fd]) this.stdio[fd].end(Buffer.from(key));
    return started;
  };
}

/** A test file's process: the key, the locks, the sentinel, the event stream, the signed records. */
function tests() {
  const fd = process.env.PIT_RUNNER_KEY_FD === undefined ? KEY_FD : Number(process.env.PIT_RUNNER_KEY_FD);
  const recordFd = process.env.PIT_RUNNER_RECORD_FD === undefined ? RECORD_FD : Number(process.env.PIT_RUNNER_RECORD_FD);
  delete process.env.PIT_RUNNER_KEY_FD;
  delete process.env.PIT_RUNNER_RECORD_FD;
  const key = readKey(fd);
  if (!key) return;
  const call = Function.prototype.call;
  const uncurry = (f) => call.bind(f);
  const charCodeAt = uncurry(String.prototype.charCodeAt);
  const writeSync = fs.writeSync;
  const onProcess = uncurry(process.on);
  const U8 = Uint8Array;
  const mac = hmacSha256(key);
  const nonce = hex(mac(ascii('pit-runner sentinel'))).slice(0, 24);
  lockDown();

  // node:test builds its event stream when the first test is declared: the sentinel's, here, now.
  const { Readable } = require('node:stream');
  const nodeTest = require('node:test');
  const on = Readable.prototype.on;
  let stream;
  Readable.prototype.on = function capture(event, listener) {
    // node:test's root listens to its own event stream as it builds it ('test:fail' in Node 20, 'test:summary' in 24)
    if (stream === undefined && typeof event === 'string' && event.startsWith('test:')) stream = this;
    return call.call(on, this, event, listener);
  };
  try {
    nodeTest.test(SENTINEL, () => { throw new Error(`pit-runner sentinel ${nonce}: this test always fails`); });
  } finally {
    Readable.prototype.on = on;
  }
  if (stream === undefined) return;

  const source = `node-${process.pid}`;
  const names = [];          // names[n]: the test at nesting n that is running
  const parents = [];        // parents[n]: the test at nesting n had subtests (a suite in junit terms)
  const seen = Object.create(null);
  const problems = [];
  let seq = 0;
  let recorded = 0;
  let ended = false;
  const record = (fields) => {
    const line = json(fields);
    const signed = `${hex(mac(ascii(line)))} ${line}\n`;
    try { writeSync(recordFd, signed); } catch { /* a closed channel leaves the run incomplete */ }
  };
  const onStart = function (data) {
    if (this !== stream) return;
    names[data.nesting] = `${data.name}`;
    parents[data.nesting] = false;
  };
  const onResult = (status) => function (data) {
    if (this !== stream || ended) return;
    const nesting = data.nesting;
    if (nesting > 0) parents[nesting - 1] = true;
    const details = data.details || {};
    if (parents[nesting] || details.type === 'suite') { parents[nesting] = false; return; }
    const name = `${data.name}`;
    let classname = 'test';
    for (let level = 0; level < nesting; level++) classname = level === 0 ? names[0] : `${classname} > ${names[level]}`;
    const id = `${classname}#${name}`;
    if (seen[id]) problems[problems.length] = `the test ${id} was reported twice (the solution declared tests?)`;
    seen[id] = true;
    const skipped = data.skip !== undefined || data.todo !== undefined;
    const fields = [['source', source], ['seq', seq++], ['kind', 'test'], ['classname', classname], ['name', name],
      ['status', skipped ? 'skipped' : status], ['timeMs', Math.round(Number(details.duration_ms) || 0)]];
    if (status === 'failed') fields[fields.length] = ['message', failure(details.error)];
    record(fields);
    recorded++;
  };
  for (const [event, listener] of [['test:start', onStart], ['test:pass', onResult('passed')], ['test:fail', onResult('failed')]]) {
    call.call(on, stream, event, listener);
  }
  onProcess(process, 'exit', () => {
    if (ended) return;
    ended = true;
    const done = [['source', source], ['seq', seq++], ['kind', 'done'], ['tests', recorded]];
    if (problems.length) done[done.length] = ['refused', problems[0]];
    record(done);
  });

  function failure(error) {
    let message;
    try {
      const cause = error && error.cause;
      message = cause && typeof cause.message === 'string' ? cause.message : error && typeof error.message === 'string' ? error.message : undefined;
    } catch { /* a getter of the solution's threw */ }
    return typeof message === 'string' ? message.slice(0, 4000) : 'failed';
  }

  /** JSON of [name, value] pairs, ASCII only (non-ASCII escaped), built without any replaceable method. */
  function json(fields) {
    let out = '{';
    for (let i = 0; i < fields.length; i++) {
      const pair = fields[i];
      const name = pair[0];
      const value = pair[1];
      out += `${i ? ',' : ''}${quote(name)}:${typeof value === 'number' ? `${value}` : quote(`${value}`)}`;
    }
    return `${out}}`;
  }

  function quote(text) {
    let out = '"';
    for (let i = 0; i < text.length; i++) {
      const c = charCodeAt(text, i);
      if (c === 34 || c === 92) out += `\\${text[i]}`;
      else if (c < 32 || c > 126) out += `\\u${hex4(c)}`;
      else out += text[i];
    }
    return `${out}"`;
  }

  function ascii(text) {
    const bytes = new U8(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = charCodeAt(text, i) & 0x7f;
    return [bytes, text.length];
  }
}

/** node:assert, node:test and the event path (EventEmitter, streams) fixed as they are before the solution loads. */
function lockDown() {
  const assert = require('node:assert');
  for (const object of [assert, assert.strict, assert.AssertionError, assert.AssertionError.prototype]) Object.freeze(object);
  const nodeTest = require('node:test');
  for (const object of [nodeTest, nodeTest.test, nodeTest.describe, nodeTest.it, nodeTest.suite, nodeTest.mock]) if (object) Object.freeze(object);
  const EventEmitter = require('node:events');
  const { Readable, Stream } = require('node:stream');
  const emit = EventEmitter.prototype.emit;
  for (const prototype of [EventEmitter.prototype, Stream.prototype, Readable.prototype]) {
    Object.defineProperty(prototype, 'emit', { value: emit, writable: false, configurable: false, enumerable: false });
  }
  for (const stream of [process.stdout, process.stderr]) {
    Object.defineProperty(stream, 'write', { value: stream.write, writable: false, configurable: false });
  }
}

const HEX = '0123456789abcdef';
function hex(bytes) {
  let out = '';
  for (let i = 0; i < 32; i++) out += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
  return out;
}
const hex4 = (c) => HEX[(c >> 12) & 15] + HEX[(c >> 8) & 15] + HEX[(c >> 4) & 15] + HEX[c & 15];

/**
 * HMAC-SHA256 with `key` kept in this closure: plain arithmetic on typed arrays made from constructors
 * taken now, no method, iterator or getter (not even a typed array's length) anyone could replace later.
 * `mac([bytes, length])` returns the 32-byte digest.
 */
function hmacSha256(key) {
  const U8 = Uint8Array;
  const U32 = Uint32Array;
  const K = new U32([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
  const W = new U32(64);
  const H = new U32(8);
  const sha256 = (data, length) => {
    const size = ((length + 9 + 63) >> 6) << 6;
    const padded = new U8(size);
    for (let i = 0; i < length; i++) padded[i] = data[i];
    padded[length] = 0x80;
    const bits = length * 8;
    for (let i = 0; i < 4; i++) padded[size - 1 - i] = (bits / 2 ** (8 * i)) & 0xff;
    H[0] = 0x6a09e667; H[1] = 0xbb67ae85; H[2] = 0x3c6ef372; H[3] = 0xa54ff53a; H[4] = 0x510e527f; H[5] = 0x9b05688c; H[6] = 0x1f83d9ab; H[7] = 0x5be0cd19;
    for (let block = 0; block < size; block += 64) {
      for (let t = 0; t < 16; t++) {
        const j = block + t * 4;
        W[t] = (padded[j] << 24) | (padded[j + 1] << 16) | (padded[j + 2] << 8) | padded[j + 3];
      }
      for (let t = 16; t < 64; t++) {
        const x = W[t - 15];
        const y = W[t - 2];
        const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
      }
      let a = H[0]; let b = H[1]; let c = H[2]; let d = H[3]; let e = H[4]; let f = H[5]; let g = H[6]; let h = H[7];
      for (let t = 0; t < 64; t++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[t] + W[t]) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
    }
    const out = new U8(32);
    for (let i = 0; i < 8; i++) {
      out[i * 4] = H[i] >>> 24; out[i * 4 + 1] = (H[i] >>> 16) & 0xff; out[i * 4 + 2] = (H[i] >>> 8) & 0xff; out[i * 4 + 3] = H[i] & 0xff;
    }
    return out;
  };
  const inner = new U8(64);
  const outer = new U8(64);
  for (let i = 0; i < 64; i++) {
    inner[i] = (i < KEY_BYTES ? key[i] : 0) ^ 0x36;
    outer[i] = (i < KEY_BYTES ? key[i] : 0) ^ 0x5c;
  }
  for (let i = 0; i < KEY_BYTES; i++) key[i] = 0;
  const prefixed = (pad, tail, length) => {
    const both = new U8(64 + length);
    for (let i = 0; i < 64; i++) both[i] = pad[i];
    for (let i = 0; i < length; i++) both[64 + i] = tail[i];
    return both;
  };
  return (message) => sha256(prefixed(outer, sha256(prefixed(inner, message[0], message[1]), 64 + message[1]), 32), 96);
}

const role = process.env.NODE_TEST_CONTEXT === 'child-v8' ? 'tests'
  : process.env.NODE_TEST_CONTEXT === undefined && process.execArgv.includes('--test') ? 'runner'
    : process.env.NODE_TEST_CONTEXT === undefined && TEST_FILE.test(process.argv[1] ?? '') ? 'tests'
      : undefined;
if (role === 'runner') runner();
if (role === 'tests') tests();
