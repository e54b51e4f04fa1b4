import { chmod, lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { handOver } from '../../src/sandbox/ownership.js';

// Instructor files in a handed-over workspace: the sandbox uid may add build outputs beside them, but
// cannot change, rename or delete them. Outside every sandbox uid pool, like the samples suite.
const seal = suite('trust seal');
const owner = { uid: 10951, gid: 10951 };
const isRoot = process.getuid?.() === 0;
let tmp: string;
seal.before(async () => { tmp = await mkdtemp(path.join(os.tmpdir(), 'trust-seal-')); await chmod(tmp, 0o711); });
seal.after(async () => { await rm(tmp, { recursive: true, force: true }); });

const asSandbox = (script: string, cwd: string) =>
  execa('setpriv', [`--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups', '--', 'sh', '-c', script], { cwd, reject: false, all: true });

seal('template files are root\'s, read-only and never setuid; their folders take new entries but keep root\'s', async () => {
  if (!isRoot) return; // only root can hand a workspace over
  const workspace = path.join(tmp, 'sub-a');
  const project = path.join(workspace, 'submission');
  await mkdir(path.join(project, 'tests'), { recursive: true });
  await mkdir(path.join(project, 'src'), { recursive: true });
  await writeFile(path.join(project, 'tests', 'test_x.py'), 'x');
  await writeFile(path.join(project, 'run.sh'), '#!/bin/sh\n');
  await chmod(path.join(project, 'run.sh'), 0o4755);
  await writeFile(path.join(project, 'src', 'solution.py'), 'y');
  await handOver(workspace, owner, { immutable: [path.join(project, 'tests'), path.join(project, 'tests', 'test_x.py'), path.join(project, 'run.sh')] });

  const script = await lstat(path.join(project, 'run.sh'));
  assert.equal([script.uid, script.mode & 0o7777], [0, 0o555]);
  const root = await lstat(project);
  assert.equal([root.uid, root.gid, root.mode & 0o7777], [0, owner.gid, 0o1770]);
  const attempts = await asSandbox([
    'echo x > tests/test_x.py && echo WROTE', 'rm -f run.sh && echo REMOVED', 'mv tests gone && echo MOVED',
    'touch tests/new.py && echo ADDED-TEST', 'mv ../submission ../gone && echo MOVED-PROJECT',
    'mkdir -p test-reports && echo ok > test-reports/r.xml && echo REPORTED', 'echo z > src/solution.py && echo OWN-FILE',
  ].join('; '), project);
  assert.not.match(attempts.all ?? '', /WROTE|REMOVED|MOVED|ADDED-TEST/);
  assert.match(attempts.all ?? '', /REPORTED[\s\S]*OWN-FILE/);
});

seal.run();
