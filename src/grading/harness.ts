/**
 * Least privilege inside the runtime: code generated per run, written with the instructor's files
 * (root's, read-only to the sandbox), that gives the solution's code fewer rights than the harness.
 */

/**
 * Python: the sentinel module. pytest imports it before the instructor's test modules (its name sorts
 * first), so its audit hook (which cannot be removed once added, PEP 578) is in place before any of
 * them imports the solution. While a solution file is on the stack the hook refuses: importing the
 * test framework, gc or ctypes (when not yet loaded); reaching frames directly (sys._getframe,
 * tb_frame, gi_frame, …; the standard library may); creating or signalling processes; writing,
 * renaming or deleting files outside the sandbox's HOME and TMPDIR: these raise PermissionError (an
 * OSError, which Python's own machinery expects). Walking the heap (gc), tracing and making code
 * objects end the run at once with HARNESS_REFUSED_EXIT.
 * What the hook cannot see (a framework module reached through sys.modules and patched) is caught by
 * comparing the framework's functions when the sentinel runs and when the session ends: a change
 * ends the process at once with HARNESS_REFUSED_EXIT, before any report is written (capture hides its output).
 */
/** The exit code with which a harness stops a run it found tampered with. */
export const HARNESS_REFUSED_EXIT = 86;

export function pytestSentinelModule(test: string, message: string, solutionFiles: string[], writable: string[]): string {
  return `import os as _pit_os, sys as _pit_sys
import pytest as _pit_pytest

def _pit_runner_harness(solution, writable):
    blocked_modules = ("pytest", "_pytest", "pluggy", "gc", "ctypes", "_ctypes")
    process_events = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "pty.spawn", "os.kill", "os.killpg", "signal.pthread_kill"}
    file_events = {"os.remove", "os.rename", "os.rmdir", "os.truncate", "os.chmod", "os.chown", "os.symlink", "os.link", "os.mkdir", "os.utime", "shutil.rmtree", "shutil.move", "os.replace"}
    fatal_events = {"sys._current_frames", "sys.settrace", "sys.setprofile", "gc.get_objects", "gc.get_referrers", "gc.get_referents", "ctypes.dlopen", "code.__new__", "function.__new__"}
    frame_attributes = {"tb_frame", "gi_frame", "cr_frame", "ag_frame"}
    write_flags = _pit_os.O_WRONLY | _pit_os.O_RDWR | _pit_os.O_CREAT | _pit_os.O_TRUNC | _pit_os.O_APPEND
    getframe = _pit_sys._getframe
    realpath = _pit_os.path.realpath
    busy = []

    def from_solution():
        frame = getframe(2)
        while frame is not None:
            if frame.f_code.co_filename in solution:
                return True
            frame = frame.f_back
        return False

    def may_write(target):
        if isinstance(target, int):
            return True
        where = realpath(_pit_os.fsdecode(target))
        return any(where == root or where.startswith(root + _pit_os.sep) for root in writable)

    def refused(event, args):
        if event == "import":
            name = args[0] or ""
            return any(name == m or name.startswith(m + ".") for m in blocked_modules)
        if event in process_events or event in fatal_events:
            return True
        if event == "sys._getframe" or (event == "object.__getattr__" and args[1] in frame_attributes):
            # only asked by the solution itself: the standard library reads frames too (namedtuple, typing, logging)
            return getframe(2).f_code.co_filename in solution
        if event == "open":
            target, mode, flags = args
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (isinstance(flags, int) and flags & write_flags)
            return bool(writes) and target is not None and not may_write(target)
        if event in file_events:
            return not may_write(args[0]) or (event in ("os.rename", "os.replace", "os.link", "os.symlink") and not may_write(args[1]))
        return False

    def hook(event, args):
        if busy:
            return
        busy.append(1)
        try:
            if refused(event, args) and from_solution():
                if event in fatal_events:
                    _pit_os._exit(${HARNESS_REFUSED_EXIT})
                raise PermissionError("pit-runner: the solution may not do this: " + event)
        finally:
            busy.pop()

    _pit_sys.addaudithook(hook)

_pit_runner_harness(frozenset(${JSON.stringify(solutionFiles)}), tuple(${JSON.stringify(writable)}))
del _pit_runner_harness

def _pit_framework():
    seen = {}
    for name, module in list(_pit_sys.modules.items()):
        if module is None or not (name in ("pytest", "pluggy") or name.startswith(("_pytest.", "pluggy."))):
            continue
        for key, value in list(vars(module).items()):
            if isinstance(value, type) and getattr(value, "__module__", None) == name:
                for attribute, member in list(vars(value).items()):
                    if callable(member) or isinstance(member, (staticmethod, classmethod, property)):
                        seen[(name, key, attribute)] = id(member)
            elif callable(value):
                seen[(name, key)] = id(value)
    return seen

_pit_loaded = _pit_framework()

def _pit_check():
    now = _pit_framework()
    if any(key in now and now[key] != value for key, value in _pit_loaded.items()):
        _pit_os._exit(${HARNESS_REFUSED_EXIT})

@_pit_pytest.fixture(scope="session", autouse=True)
def _pit_session_guard():
    yield
    _pit_check()

def ${test}():
    _pit_check()
    raise AssertionError(${JSON.stringify(message)})
`;
}

/**
 * Node: preloaded (`--import`) into every process of the run. Freezes `node:assert`, `node:test`'s
 * functions and the child's stdout writer before the test file imports the solution, so they cannot
 * be replaced with no-ops; in each test file's process (NODE_TEST_CONTEXT) adds the sentinel test.
 */
export function nodePreload(sentinelName: string, message: string): string {
  return `import assert from 'node:assert';
for (const object of [assert, assert.strict, assert.AssertionError, assert.AssertionError.prototype]) Object.freeze(object);
if (process.env.NODE_TEST_CONTEXT) {
  const nodeTest = await import('node:test');
  for (const object of [nodeTest.test, nodeTest.describe, nodeTest.it, nodeTest.suite, nodeTest.mock]) if (object) Object.freeze(object);
  for (const stream of [process.stdout, process.stderr]) {
    Object.defineProperty(stream, 'write', { value: stream.write, writable: false, configurable: false });
  }
  nodeTest.test(${JSON.stringify(sentinelName)}, () => { throw new Error(${JSON.stringify(message)}); });
}
`;
}
