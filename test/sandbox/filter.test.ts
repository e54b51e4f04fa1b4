import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FILTER_LAUNCHER, filterProblem } from '../../src/sandbox/filter.js';
import { ipcObjectsOf } from '../../src/sandbox/ipc.js';
import { SHARED_DISK_DIRS, SHARED_MEMORY_DIRS, sharedEntriesOf } from '../../src/sandbox/shared-tmp.js';
import { isRoot, limits, MODES, sandboxFixture, UID, workRoot } from '../helpers/sandbox-fixture.js';

// The system-call filter and the shared-folder bounds, in every mode (uid: the Fargate path, where
// nothing else stands between the test and the host's network, IPC and /tmp).
const filter = suite('sandbox filter');
const built = existsSync(FILTER_LAUNCHER);
let tcp: net.Server;
let udp: dgram.Socket;
let socketDir: string;
let openDir: string;
const reached: string[] = [];
const peers = new Set<net.Socket>();
/** Answers a peer once and keeps it to close at the end: an open one would keep this test process alive. */
const hello = (kind: string) => (peer: net.Socket) => {
  reached.push(kind);
  peers.add(peer.on('error', () => undefined));
  peer.end('HELLO-FROM-HOST\n');
};

filter.before(async () => {
  tcp = net.createServer(hello('tcp'));
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  udp = dgram.createSocket('udp4').on('message', () => reached.push('udp'));
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  socketDir = await mkdtemp(path.join(os.tmpdir(), 'filter-host-socket-'));
  await chmod(socketDir, 0o755);
  const unix = net.createServer(hello('unix'));
  await new Promise<void>((resolve) => unix.listen(path.join(socketDir, 'host.sock'), resolve));
  await chmod(path.join(socketDir, 'host.sock'), 0o777);
  unix.unref();
  tcp.on('close', () => unix.close());
  // A folder anyone may write, not the sandbox's: files the test puts there are its own all the same.
  openDir = path.join('/tmp', `filter-open-${process.pid}`);
  await mkdir(openDir, { recursive: true });
  await chmod(openDir, 0o1777);
});

filter.after(async () => {
  for (const peer of peers) peer.destroy();
  tcp.close();
  udp.close();
  await rm(socketDir, { recursive: true, force: true });
  await rm(openDir, { recursive: true, force: true });
  await rm(workRoot, { recursive: true, force: true });
});

/** Tries each forbidden thing; prints `<name>: refused <errno>` or `<name>: ALLOWED`. */
const probe = (tcpPort: number, udpPort: number, unixPath: string) => `
import ctypes, os, platform, socket
libc = ctypes.CDLL(None, use_errno=True)
NR = {'x86_64': {'bpf': 321, 'perf_event_open': 298, 'userfaultfd': 323}, 'aarch64': {'bpf': 280, 'perf_event_open': 241, 'userfaultfd': 282}}[platform.machine()]
def attempt(name, action):
    try:
        ctypes.set_errno(0)
        result = action()
        if result == -1: print(f'{name}: refused {ctypes.get_errno()}')
        else: print(f'{name}: ALLOWED')
    except OSError as err:
        print(f'{name}: refused {err.errno}')
def tcp(address):
    s = socket.create_connection(address, timeout=2); s.sendall(b'x'); s.recv(64)
def udp(address):
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', address)
def unix_stream():
    s = socket.socket(socket.AF_UNIX); s.connect(${JSON.stringify(unixPath)}); s.recv(64)
def unix_datagram_pair():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM); a.sendto(b'x', ${JSON.stringify(unixPath)})
attempt('tcp-loopback', lambda: tcp(('127.0.0.1', ${tcpPort})))
attempt('udp-loopback', lambda: udp(('127.0.0.1', ${udpPort})))
attempt('tcp-outside', lambda: tcp(('192.0.2.1', 80)))
attempt('udp-outside', lambda: udp(('192.0.2.1', 53)))
attempt('tcp6', lambda: socket.socket(socket.AF_INET6))
attempt('netlink', lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0))
attempt('packet', lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0))
attempt('unix-host', unix_stream)
attempt('unix-datagram-pair', unix_datagram_pair)
attempt('shmget', lambda: libc.shmget(0, 4096, 0o1600))
attempt('semget', lambda: libc.semget(0, 1, 0o1600))
attempt('msgget', lambda: libc.msgget(0, 0o1600))
attempt('mq_open', lambda: libc.mq_open(b'/pit-filter-q', os.O_CREAT | os.O_RDWR, 0o600, None))
attempt('ptrace', lambda: libc.ptrace(0, 0, None, None))
attempt('add_key', lambda: libc.syscall(248 if platform.machine() == 'x86_64' else 217, b'user', b'pit-k', b'v', 1, -3))
attempt('unshare', lambda: libc.unshare(0x40000000))
attempt('personality', lambda: libc.personality(0x0040000))
attempt('io_uring', lambda: libc.syscall(425, 8, ctypes.create_string_buffer(120)))
for name, number in NR.items(): attempt(name, lambda: libc.syscall(number, 0, 0, 0, 0, 0))
a, b = socket.socketpair(); a.send(b'p'); print('socketpair:', b.recv(1).decode())
`;
const NAMES = ['tcp-loopback', 'udp-loopback', 'tcp-outside', 'udp-outside', 'tcp6', 'netlink', 'packet', 'unix-host', 'unix-datagram-pair',
  'shmget', 'semget', 'msgget', 'mq_open', 'ptrace', 'add_key', 'unshare', 'personality', 'io_uring', 'bpf', 'perf_event_open', 'userfaultfd'];

const ports = () => ({ tcpPort: (tcp.address() as net.AddressInfo).port, udpPort: udp.address().port, unixPath: path.join(socketDir, 'host.sock') });

filter('without the launcher, says why it cannot enforce the filter', async () => {
  assert.match((await filterProblem(false, '/nonexistent/sandbox-filter')) ?? '', 'no /nonexistent/sandbox-filter');
  if (built) assert.is(await filterProblem(isRoot), undefined);
});

filter('refuses every call of another ABI on x86_64 (i386 through int 0x80, x32)', async () => {
  if (process.arch !== 'x64' || !built) return;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'filter-abi-'));
  try {
    const source = '#include <errno.h>\n#include <stdio.h>\n#include <unistd.h>\nint main(void) {\n  long r;\n  __asm__ volatile ("int $0x80" : "=a"(r) : "a"(20L) : "memory");\n  printf("i386 getpid: %ld\\n", r);\n  errno = 0;\n  long x = syscall(0x40000000L | 39);\n  printf("x32 getpid: %ld errno %d\\n", x, errno);\n  return 0;\n}\n';
    await writeFile(path.join(dir, 'abi.c'), source);
    const compiled = await execa('cc', ['-o', path.join(dir, 'abi'), path.join(dir, 'abi.c')], { reject: false });
    if (compiled.exitCode !== 0) return console.warn('no C compiler: the ABI case is skipped');
    const { stdout } = await execa(FILTER_LAUNCHER, ['--', path.join(dir, 'abi')]);
    assert.match(stdout, /^i386 getpid: -1$/m, stdout);
    assert.match(stdout, /^x32 getpid: -1 errno 1$/m, stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

for (const mode of [...MODES, 'self'] as const) {
  filter(`[${mode}] no socket to loopback, the outside or a host unix socket, no IPC object, ptrace, key or namespace`, async () => {
    if (!isRoot) return;
    const { run } = sandboxFixture({ mode, poolSize: 1 });
    const { tcpPort, udpPort, unixPath } = ports();
    reached.length = 0;
    const { log } = await run('python3 probe.py', { 'probe.py': probe(tcpPort, udpPort, unixPath) });
    for (const name of NAMES) assert.match(log, new RegExp(`^${name}: refused (1|13)$`, 'm'), `${name}:\n${log}`);
    assert.match(log, 'socketpair: p', 'runtimes keep their own socket pairs');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(reached, [], 'the host listeners were reached');
    if (mode !== 'self') assert.equal(ipcObjectsOf(UID), []);
  });
}

for (const mode of MODES) {
  const { run, assertHealthy } = sandboxFixture({ mode, poolSize: 1 });
  const leftInShared = () => sharedEntriesOf(UID, [...SHARED_MEMORY_DIRS, ...SHARED_DISK_DIRS]);

  filter(`[${mode}] a PIT with network: true keeps its sockets`, async () => {
    if (!isRoot) return;
    const { tcpPort } = ports();
    const client = `require('net').connect(${tcpPort}, '127.0.0.1').on('data', (d) => process.stdout.write(d)).on('error', (e) => console.log('ERR', e.code))`;
    const { log } = await run('node client.js', { 'client.js': client }, { network: true });
    // with namespaces the host's loopback is the test's own with network: true
    assert.match(log, 'HELLO-FROM-HOST');
  });

  filter(`[${mode}] files in /dev/shm count against the memory bound, are stopped and removed`, async () => {
    if (!isRoot) return;
    // memoryMb 16: the submission's bound is 544 MiB; 32 files of 20 MB (the file-size limit) pass it
    const fill = 'for i in $(seq 1 32); do head -c 20M /dev/zero > /dev/shm/fill-$$-$i || { echo NOSPACE; exit 1; }; done; echo FILLED; sleep 8';
    const { result, log } = await run(fill, {}, { limits: { ...limits, memoryMb: 16 }, timeoutMs: 10_000 });
    if (mode === 'uid') {
      assert.ok(result.memoryLimited, log);
      assert.match(log, 'its files in /dev/shm');
    } else {
      assert.match(log, 'NOSPACE', 'the private /tmp (and /dev/shm in it) is 64 MiB');
    }
    assert.not.ok(result.timedOut, log);
    assert.equal(leftInShared(), []);
    await assertHealthy();
  });

  filter(`[${mode}] files held open without a name (memfd, unlinked) count against the bounds`, async () => {
    if (!isRoot) return;
    // 32 anonymous files of 20 MB (the file-size limit) pass the 544 MiB bound of memoryMb 16
    const anonymous = 'import os, time\nfds = []\nfor i in range(32):\n    fd = os.memfd_create(f"fill{i}")\n    os.write(fd, bytes(20 << 20))\n    fds.append(fd)\nprint("FILLED", flush=True)\ntime.sleep(8)\n';
    const inMemory = await run('python3 anonymous.py', { 'anonymous.py': anonymous }, { limits: { ...limits, memoryMb: 16 }, timeoutMs: 10_000 });
    assert.ok(inMemory.result.memoryLimited, inMemory.log);
    assert.not.ok(inMemory.result.timedOut, inMemory.log);
    // the same, mapped and touched, each descriptor closed: only the processes' memory shows it
    const mapped = 'import ctypes, os, time\nlibc = ctypes.CDLL(None)\nlibc.mmap.restype = ctypes.c_void_p\nlibc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]\nfor i in range(32):\n    fd = os.memfd_create(f"fill{i}")\n    os.ftruncate(fd, 20 << 20)\n    address = libc.mmap(None, 20 << 20, 3, 1, fd, 0)\n    os.close(fd)\n    ctypes.memset(address, 1, 20 << 20)\nprint("FILLED", flush=True)\ntime.sleep(8)\n';
    const closed = await run('python3 mapped.py', { 'mapped.py': mapped }, { limits: { ...limits, memoryMb: 16 }, timeoutMs: 10_000 });
    assert.ok(closed.result.memoryLimited, closed.log);
    if (mode !== 'uid') return;
    const small = sandboxFixture({ mode, poolSize: 1, workspaceMaxBytes: 40 * 1024 * 1024 });
    const unlinked = 'import os, time\nfds = []\nfor i in range(12):\n    path = f"/var/tmp/gone-{os.getpid()}-{i}"\n    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)\n    os.unlink(path)\n    os.write(fd, bytes(4 << 20))\n    fds.append(fd)\nprint("FILLED", flush=True)\ntime.sleep(8)\n';
    const onDisk = await small.run('python3 unlinked.py', { 'unlinked.py': unlinked }, { timeoutMs: 10_000 });
    assert.ok(onDisk.result.diskLimited, onDisk.log);
    assert.not.ok(onDisk.result.timedOut, onDisk.log);
    await assertHealthy();
  });

  filter(`[${mode}] files in /tmp count against the disk bound, are stopped and removed`, async () => {
    if (!isRoot) return;
    const small = sandboxFixture({ mode, poolSize: 1, workspaceMaxBytes: 40 * 1024 * 1024 });
    // openDir is the host's: with namespaces the test sees only its private /tmp
    const targets = ['/tmp', '/var/tmp', ...(mode === 'uid' ? [openDir] : [])];
    const fill = `for i in $(seq 1 10); do for d in ${targets.join(' ')}; do head -c 4M /dev/zero > $d/fill-$$-$i-\${#d} || { echo NOSPACE; exit 1; }; done; done; echo FILLED; sleep 8`;
    const { result, log } = await small.run(fill, {}, { timeoutMs: 10_000 });
    if (mode === 'uid') assert.ok(result.diskLimited, log);
    else assert.match(log, 'NOSPACE', `the private /tmp is 64 MiB: ${JSON.stringify(result)} ${log}`);
    assert.not.ok(result.timedOut, log);
    assert.equal(leftInShared(), []);
    assert.equal(sharedEntriesOf(UID, [openDir]), []);
    await assertHealthy();
  });
}

filter.run();
