import { realpathSync } from 'node:fs';
import os from 'node:os';
import { execa } from 'execa';
import { RunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import { FILTER_LAUNCHER, filterProblem } from './filter.js';
import { closeToOthers } from './ownership.js';
import type { SandboxMode, SandboxOptions } from './types.js';
import { loopbackUp, wrapCommand } from './wrapper.js';

export interface Platform {
  mode: SandboxMode;
  /** Tests run in a user namespace of their own: the uid's user and persistent keyrings die with it. */
  userNamespace: boolean;
  /** The system-call filter's launcher, when this machine enforces the filter (see filter.ts). */
  filter?: string;
}

/** Probes once, at start, what this machine allows, and says what is not protected. */
export async function detectPlatform(options: SandboxOptions, isRoot: boolean, log: Logger): Promise<Platform> {
  const wanted = options.mode ?? 'auto';
  if (!isRoot && (wanted === 'namespaces' || wanted === 'uid')) {
    throw new RunnerError('CONFIG', `RUNNER_SANDBOX_MODE=${wanted} needs the runner to run as root (it drops tests to a sandbox uid)`);
  }
  if (!isRoot || wanted === 'self') {
    log.warn('sandbox: the runner is not root, so tests run as its own user: secrets in its environment and files are NOT protected from tests');
    return { mode: 'self', userNamespace: false, filter: await checkFilter('self') };
  }
  if (wanted === 'uid') return uidMode();
  const result = await probe('namespaces');
  if (result.exitCode === 0 || result.exitCode === NO_USER_NS) return announce('namespaces', result.exitCode === 0);
  const why = result.stderr || result.shortMessage;
  if (wanted === 'namespaces') throw new RunnerError('CONFIG', `RUNNER_SANDBOX_MODE=namespaces, but this machine does not let the runner create namespaces: ${why}`);
  log.warn({ probe: why }, 'sandbox: cannot create namespaces (no CAP_SYS_ADMIN, e.g. on Fargate): tests run as a separate uid, sharing the host\'s network stack, /tmp and /dev/shm (the system-call filter refuses sockets; the runner counts the shared folders against the bounds)');
  return uidMode();

  /** Without a mount namespace nothing masks the PIT and data folders: they are closed instead. */
  async function uidMode(): Promise<Platform> {
    const closed = await closeToOthers(options.hide ?? []);
    if (closed.length) log.info({ closed }, 'sandbox: closed to other users (sandbox uids cannot read them)');
    return announce('uid', (await probe('uid')).exitCode === 0);
  }

  async function announce(mode: SandboxMode, userNamespace: boolean): Promise<Platform> {
    const filter = await checkFilter(mode);
    log.info({ mode, uid: options.uid, gid: options.gid, userNamespace, loopback: mode === 'namespaces' && loopbackUp, filter: !!filter }, 'sandbox ready');
    return { mode, userNamespace, filter };
  }

  /** The launcher when the filter can be enforced; else says once what tests may then do. */
  async function checkFilter(mode: SandboxMode): Promise<string | undefined> {
    const problem = await filterProblem(mode !== 'self');
    if (!problem) return realpathSync(FILTER_LAUNCHER); // bound at its real path into the namespaces' root
    const reach = mode === 'namespaces' ? 'keyrings, ptrace and kernel interfaces (bpf, io_uring, perf)' : 'the network (sockets), IPC objects, keyrings, ptrace and kernel interfaces';
    log.warn({ problem }, `sandbox: the system-call filter is NOT enforced: tests can use ${reach}`);
    return undefined;
  }

  /** Runs the sandbox's wrapper: exit 0 when the test ends up in its own user namespace, NO_USER_NS when not. */
  function probe(mode: SandboxMode) {
    const check = `read n < /proc/sys/user/max_user_namespaces; [ "$n" = 0 ] || exit ${NO_USER_NS}`;
    const argv = wrapCommand(['/bin/sh', '-c', check], {
      mode, uid: options.uid, gid: options.gid, network: false, workspace: os.tmpdir(), cwd: os.tmpdir(), hide: [],
      limits: { processes: 64, memoryMb: 64, fileSizeMb: 1, openFiles: 64, cpuSeconds: 5 },
    });
    return execa(argv[0]!, argv.slice(1), { reject: false, timeout: 10_000, stdin: 'ignore', cwd: os.tmpdir() });
  }
}

const NO_USER_NS = 97;
