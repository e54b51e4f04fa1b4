import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { quote } from 'shell-quote';
import { isInside } from '../paths.js';
import { SHARED_TMP } from './env.js';

/**
 * The filesystem the test sees with namespaces, by allow-list: the system folders read-only, the
 * JDK and Node where they live, the workspace read-write, private temp folders (one size-bounded
 * tmpfs) and a minimal /dev and /proc. Nothing else of the host: no other workspace, PIT, data
 * folder, checkout, home, /sys, nor a host socket under /tmp or /run.
 */
const SYSTEM = ['/usr', '/etc', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/** Host files kept under /etc that container runtimes mount separately (name resolution). */
const ETC_FILES = ['/etc/hosts', '/etc/resolv.conf', '/etc/hostname'];
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom'];
/** All private temp folders together; beyond it, writes fail with ENOSPC. */
export const PRIVATE_TMP_BYTES = 64 * 1024 * 1024;
/** Empty folders the new root may be mounted on (only inside the run's own mount namespace). */
const MOUNT_POINTS = ['/mnt', '/media', '/srv', '/opt', '/home'];

/** Shell lines (run as root in a new mount namespace) that build the root and switch to it. */
export function rootScript(workspace: string, hide: string[]): string[] {
  const root = MOUNT_POINTS.find((dir) => isDirectory(dir) && !isInside(workspace, dir));
  if (!root) throw new Error(`sandbox: no folder to build the sandbox's root on (one of ${MOUNT_POINTS.join(', ')})`);
  const at = (dir: string) => q(path.join(root, dir));
  const lines = [`mount -t tmpfs -o mode=0755,size=1m,nosuid,nodev sandbox-root ${q(root)}`];
  const readOnly = (source: string, kind: 'dir' | 'file') => {
    lines.push(kind === 'dir' ? `mkdir -p ${at(source)}` : `[ -e ${at(source)} ] || : > ${at(source)}`);
    lines.push(`mount --bind ${q(source)} ${at(source)}`, `mount -o remount,bind,ro,nosuid,nodev ${at(source)}`);
  };
  for (const entry of [...SYSTEM, ...extraTrees()]) {
    const info = lstatOrUndefined(entry);
    if (info?.isSymbolicLink()) lines.push(`mkdir -p ${at(path.dirname(entry))}`, `ln -s ${q(readlinkSync(entry))} ${at(entry)}`);
    else if (info?.isDirectory()) readOnly(entry, 'dir');
  }
  for (const file of ETC_FILES) if (lstatOrUndefined(file)?.isFile()) readOnly(file, 'file');

  lines.push(`mkdir -p ${at('/dev')} ${at('/proc')} ${at('/run')}`);
  lines.push(`mount -t tmpfs -o mode=0755,size=64k,nosuid,noexec sandbox-dev ${at('/dev')}`);
  for (const device of DEVICES) lines.push(`: > ${at(`/dev/${device}`)}`, `mount --bind /dev/${device} ${at(`/dev/${device}`)}`);
  lines.push(`ln -s /proc/self/fd ${at('/dev/fd')}`);
  for (const [fd, name] of ['stdin', 'stdout', 'stderr'].entries()) lines.push(`ln -s /proc/self/fd/${fd} ${at(`/dev/${name}`)}`);
  lines.push(`mount -t proc -o nosuid,nodev,noexec proc ${at('/proc')}`);

  // One tmpfs holds every private temp folder, so together they cannot outgrow its size.
  lines.push(`mount -t tmpfs -o mode=0755,size=${PRIVATE_TMP_BYTES},nosuid,nodev sandbox-tmp ${at('/run')}`);
  for (const dir of SHARED_TMP) {
    const name = `.${dir.replaceAll('/', '-')}`;
    lines.push(`mkdir ${at(`/run/${name}`)}`, `chmod 1777 ${at(`/run/${name}`)}`);
    if (dir === '/run/lock') lines.push(`ln -s ${name} ${at('/run/lock')}`);
    else lines.push(`mkdir -p ${at(dir)}`, `mount --bind ${at(`/run/${name}`)} ${at(dir)}`);
  }

  // Last, as the temp folders may hold it (RUNNER_WORK_DIR under /tmp).
  lines.push(`mkdir -p ${at(workspace)}`, `mount --bind ${q(workspace)} ${at(workspace)}`, `mount -o remount,bind,nosuid,nodev ${at(workspace)}`);
  for (const dir of hide) {
    if (isDirectory(dir) && !isInside(workspace, dir) && !isInside(dir, workspace) && underAny(dir, [...SYSTEM, ...extraTrees()])) {
      lines.push(`mount -t tmpfs -o ro,size=4k,mode=0555 sandbox-hidden ${at(realpathSync(dir))}`);
    }
  }
  lines.push(`mount -o remount,bind,ro ${q(root)}`);
  lines.push(`cd ${q(root)}`, 'pivot_root . .', 'umount -l .', 'cd /');
  return lines;
}

/** The JDK's and Node's install trees, when they live outside the system folders. */
function extraTrees(): string[] {
  const trees = [process.env.JAVA_HOME, path.dirname(path.dirname(realpathSync(process.execPath)))]
    .filter((dir): dir is string => !!dir && isDirectory(dir))
    .map((dir) => realpathSync(dir));
  return [...new Set(trees)].filter((dir) => !underAny(dir, SYSTEM) && dir !== '/');
}

const underAny = (dir: string, parents: string[]) => parents.some((parent) => isInside(dir, parent));

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
