import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { imageDigest } from '../../src/build-info.js';
import { CappedLog } from '../../src/grading/capped-log.js';
import { pitHash } from '../../src/grading/pit-hash.js';

const provenance = suite('provenance');
let tmp: string;
provenance.before(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), 'provenance-')); });
provenance.after(() => rm(tmp, { recursive: true, force: true }));

async function pitAt(name: string, files: Record<string, string>) {
  const root = path.join(tmp, name);
  await mkdir(path.join(root, 'calc', 'tests'), { recursive: true });
  await writeFile(path.join(root, 'calc.json'), '{"buildTool":"pytest"}\n');
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(root, 'calc', file), text);
  return { configFile: path.join(root, 'calc.json'), template: path.join(root, 'calc') };
}

provenance('a PIT\'s hash depends on its content only, and any edit of its config or template changes it', async () => {
  const files = { 'tests/test_calc.py': 'def test_add(): pass\n', 'pytest.ini': '[pytest]\n' };
  const original = await pitAt('a', files);
  const hash = await pitHash(original);
  assert.match(hash, /^sha256:[0-9a-f]{64}$/);
  await cp(path.join(tmp, 'a'), path.join(tmp, 'copy'), { recursive: true });
  assert.is(await pitHash({ configFile: path.join(tmp, 'copy', 'calc.json'), template: path.join(tmp, 'copy', 'calc') }), hash, 'elsewhere, same hash');
  const edited = await pitAt('edited', { ...files, 'tests/test_calc.py': 'def test_add(): assert False\n' });
  const added = await pitAt('added', { ...files, 'tests/test_more.py': '' });
  const moved = await pitAt('moved', { 'tests/pytest.ini': '[pytest]\n', 'test_calc.py': files['tests/test_calc.py'] });
  const linked = await pitAt('linked', files);
  await symlink('pytest.ini', path.join(linked.template, 'setup.cfg'));
  const reconfigured = await pitAt('reconfigured', files);
  await writeFile(reconfigured.configFile, '{"buildTool":"pytest","weights":{}}\n');
  const hashes = await Promise.all([edited, added, moved, linked, reconfigured].map(pitHash));
  assert.is(new Set([hash, ...hashes]).size, 6);
  assert.is.not(await pitHash({ configFile: original.configFile }), hash, 'no template is not the same PIT');
});

function metadataServer(respond: (url: string) => { status: number; body?: unknown } | 'hang'): Promise<{ uri: string; server: Server }> {
  const server = createServer((req, res) => {
    const answer = respond(req.url ?? '');
    if (answer === 'hang') return;
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body ?? {}));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v4/abc`, server })));
}

provenance('the image digest is the runner container\'s, from the task metadata endpoint; null off ECS or when it fails', async () => {
  const containers = [{ Name: 'log-router', ImageDigest: 'sha256:router' }, { Name: 'runner', ImageDigest: 'sha256:runner' }];
  const ecs = await metadataServer((url) => (url === '/v4/abc/task' ? { status: 200, body: { Containers: containers } } : { status: 404 }));
  const broken = await metadataServer(() => ({ status: 500 }));
  const silent = await metadataServer(() => 'hang');
  try {
    assert.is(await imageDigest(ecs.uri), 'sha256:runner');
    assert.is(await imageDigest(undefined), null);
    assert.is(await imageDigest(broken.uri), null);
    assert.is(await imageDigest(silent.uri), null);
  } finally {
    for (const { server } of [ecs, broken, silent]) server.closeAllConnections(), server.close();
  }
});

provenance('the log\'s header comes first, even when the output was cut, and is not counted as output', () => {
  const log = new CappedLog(64);
  log.write('x'.repeat(500));
  log.header(['pit-runner: runner 1 build abc image unknown', 'pit-runner: PIT sha256:1']);
  const text = log.toBuffer().toString('utf8');
  assert.ok(text.startsWith('pit-runner: runner 1 build abc image unknown\npit-runner: PIT sha256:1\nxxx'), text);
  assert.match(text, 'bytes cut');
  assert.is(log.bytes, 500);
});

provenance.run();
