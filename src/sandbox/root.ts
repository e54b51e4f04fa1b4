import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { quote } from 'shell-quote';
import { isInside } from '../paths.js';

/**
 * The filesystem the test sees with namespaces, by allow-list: the system folders read-only, the
 * JDK and Node where they live, the workspace read-write, a private size-bounded /tmp (with
 * /var/tmp, /dev/shm and /run/lock pointing into it), a minimal /dev and the namespace's /proc.
 * Nothing else of the host: no other workspace, PIT, data folder, checkout, home, /sys, nor a
 * host socket under /tmp or /run.
 */
const SYSTEM = ['/usr', '/etc', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/** Files container runtimes mount over /etc separately (name resolution): bound when they are. */
const ETC_FILES = ['/etc/hosts', '/etc/resolv.conf', '/etc/hostname'];
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'fd', 'stdin', 'stdout', 'stderr'].map((name) => `/dev/${name}`);
const TMP_LINKS: Array<[string, string]> = [['/var/tmp', '../tmp'], ['/dev/shm', '../tmp'], ['/run/lock', '../tmp']];
/** The private /tmp and its aliases together; beyond it, writes fail with ENOSPC. */
export const PRIVATE_TMP_BYTES = 64 * 1024 * 1024;
/** Folders the new root may be mounted on (only inside the run's own mount namespace). */
const MOUNT_POINTS = ['/mnt', '/media', '/srv', '/opt', '/home'];

/**
 * Shell lines (run as root in a new mount namespace) that build the root and switch to it. Few
 * commands on purpose: each costs a process start on every run.
 */
export function rootScript(workspace: string, hide: string[], readable: string[] = []): string[] {
  const root = MOUNT_POINTS.find((dir) => isDirectory(dir) && !isInside(workspace, dir) && !isInside(dir, workspace));
  if (!root) throw new Error(`sandbox: no folder to build the sandbox's root on (one of ${MOUNT_POINTS.join(', ')})`);
  const at = (dir: string) => q(path.join(root, dir));
  const trees = [...SYSTEM, ...extraTrees(readable)];
  const dirs = trees.filter((entry) => lstatOrUndefined(entry)?.isDirectory());
  const links = trees.filter((entry) => lstatOrUndefined(entry)?.isSymbolicLink());
  const etcFiles = ETC_FILES.filter((file) => lstatOrUndefined(file)?.isFile() && isMountedApart(file));

  const lines = [
    `mount -t tmpfs -o mode=0755,size=1m,nosuid sandbox-root ${q(root)}`,
    `mkdir -p ${[...dirs, '/dev', '/proc', '/tmp', '/var', '/run', path.dirname(workspace)].map(at).join(' ')}`,
    // device nodes and the symlinks of a merged /usr are copied as they are
    `cp -a ${DEVICES.filter((device) => lstatOrUndefined(device)).map(q).join(' ')} ${at('/dev')}`,
    ...(links.length ? [`cp -a ${links.map(q).join(' ')} ${at('/')}`] : []),
  ];
  const bindReadOnly = (dir: string) => `mount --bind -o ro,nosuid,nodev ${q(dir)} ${at(dir)}`;
  // A tree under /tmp (an install or checkout there) is bound after the private /tmp, which would hide it.
  const underTmp = dirs.filter((dir) => isInside(dir, '/tmp'));
  for (const dir of dirs.filter((dir) => !underTmp.includes(dir))) lines.push(bindReadOnly(dir));
  for (const file of etcFiles) lines.push(`mount --bind -o ro,nosuid,nodev ${q(file)} ${at(file)}`);
  lines.push(`mount -t proc -o nosuid,nodev,noexec proc ${at('/proc')}`);
  lines.push(`mount -t tmpfs -o mode=1777,size=${PRIVATE_TMP_BYTES},nosuid,nodev sandbox-tmp ${at('/tmp')}`);
  lines.push(...TMP_LINKS.map(([link, target]) => `ln -s ${target} ${at(link)}`));
  for (const dir of underTmp) lines.push(`mkdir -p ${at(dir)}`, bindReadOnly(dir));
  // Last, as the private /tmp may hold its path (RUNNER_WORK_DIR under /tmp).
  lines.push(`mkdir -p ${at(workspace)}`, `mount --bind -o nosuid,nodev ${q(workspace)} ${at(workspace)}`);
  for (const dir of hide) {
    if (isDirectory(dir) && !isInside(workspace, dir) && !isInside(dir, workspace) && trees.some((tree) => isInside(realpathSync(dir), tree))) {
      lines.push(`mount -t tmpfs -o ro,size=4k,mode=0555 sandbox-hidden ${at(realpathSync(dir))}`);
    }
  }
  lines.push(`mount -o remount,bind,ro ${q(root)}`, `cd ${q(root)}`, 'pivot_root . .', 'umount -l .', 'cd /');
  return lines;
}

/** The JDK's and Node's install trees and the `readable` folders, when they live outside the system folders. */
function extraTrees(readable: string[]): string[] {
  const trees = [process.env.JAVA_HOME, path.dirname(path.dirname(realpathSync(process.execPath))), ...readable]
    .filter((dir): dir is string => !!dir && isDirectory(dir))
    .map((dir) => realpathSync(dir));
  return [...new Set(trees)].filter((dir) => dir !== '/' && !SYSTEM.some((system) => isInside(dir, system)));
}

/** A file mounted on its own (by the container runtime) is not seen through its folder's bind. */
function isMountedApart(file: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((line) => line.split(' ')[4] === file);
  } catch {
    return true;
  }
}

function lstatOrUndefined(file: string) {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

const q = (arg: string) => quote([arg]);
