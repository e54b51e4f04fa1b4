"""pit-runner's pytest harness, loaded by pytest itself (PYTEST_PLUGINS=pit_runner_pytest) before it
imports any test module, and so before any solution code runs.

It reads the run's key from the verdict channel (fd 7) and closes it, then signs each test's result on
fd 8 at the end of the session (the format is src/grading/verdict.ts's). The runner trusts nothing else:
not the junit report, not the exit code alone.

What the solution's code cannot reach, and why:
- The key: it only ever sits in an OpenSSL HMAC object (C, no Python attribute holds the key) kept in
  the keyword defaults of this module's functions. Reading `__kwdefaults__`, `__defaults__`, `__code__`,
  frames (`sys._getframe`, `tb_frame`, `gi_frame`, ...) is refused by the audit hook while a frame of
  untrusted code is anywhere on the stack ("untrusted": any file that is not the Python install's,
  this harness's or an instructor file that existed when the run started: the solution, code it
  compiled, files it wrote). Nothing is read through this module's globals after start.
- Plugins, hooks, pytest's functions and classes, the collected tests: checked at the end against what
  they were before the first test module was imported; a change ends the run with a signed refusal
  (TAMPERED). Types of trusted modules cannot be assigned to by untrusted code at all.
- Threads and processes started by untrusted code are refused; an early exit leaves no completion
  record (never PASSED). Test sources (.py files of the instructor) and /proc cannot be opened by it.
- Lying equality: `==`, `!=`, `in` and `not in` of rewritten asserts, and unittest's equality
  assertions, compare a value of a solution-defined type with a trusted value by the trusted value's
  own type (a builtin subclass by its builtin core); two solution-defined values compare as they say.

PEP 578 audit hooks are not a sandbox: composed builtins run later by the interpreter itself (weakref
finalizers, atexit, dunder slots bound to builtins) run with no untrusted frame on the stack. What
they change in pytest is caught by the end-of-run check; the RUNBOOK's security table says what stays.
"""
import _hashlib
import _json
import _thread
import ast
import builtins
import os
import sys
import threading

import pytest

KEY_FD = 7
RECORD_FD = 8
KEY_BYTES = 32
SENTINEL_CLASS, SENTINEL_NAME = "pit_runner", "sentinel"
SENTINEL_LABEL = b"pit-runner sentinel"

_BLOCKED_IMPORTS = ("pytest", "_pytest", "pluggy", "pit_runner_pytest", "gc", "ctypes", "_ctypes", "_thread", "_imp", "marshal")
_PROCESS_EVENTS = frozenset({"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "pty.spawn", "os.kill", "os.killpg", "signal.pthread_kill"})
_FILE_EVENTS = frozenset({"os.remove", "os.rename", "os.rmdir", "os.truncate", "os.chmod", "os.chown", "os.symlink", "os.link", "os.mkdir", "os.utime", "shutil.rmtree", "shutil.move", "os.replace"})
_REFUSED_EVENTS = frozenset({"sys._current_frames", "sys.settrace", "sys.setprofile", "gc.get_objects", "gc.get_referrers", "gc.get_referents", "ctypes.dlopen", "code.__new__", "function.__new__", "marshal.loads", "pickle.find_class", "sys.addaudithook", "cpython.PyInterpreterState_Clear"})
_FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "gi_code", "cr_code", "ag_code", "f_back"})
_CODE_ATTRIBUTES = frozenset({"__code__", "__defaults__", "__kwdefaults__"})
# Standard library callers that read a frame and keep it to themselves: (file ending, function), and the
# caller that must follow, if any.
_FRAME_READERS = {
    ("collections/__init__.py", "namedtuple"): None,
    ("typing.py", "_caller"): None,
    ("enum.py", "_create_"): None,
    ("logging/__init__.py", "<lambda>"): ("logging/__init__.py", "findCaller"),
    ("traceback.py", "_walk_tb_with_full_positions"): ("traceback.py", "_extract_from_extended_frame_gen"),
    ("traceback.py", "walk_stack"): ("traceback.py", "_extract_from_extended_frame_gen"),
    ("traceback.py", "extract_stack"): None,
    ("traceback.py", "print_stack"): None,
    ("traceback.py", "format_stack"): None,
    ("pytest_timeout.py", "dump_stacks"): None,
}
_BUILTIN_VALUES = (bool, int, float, complex, str, bytes, tuple, list, dict, set, frozenset, type(None))
_DEPTH = 40


def _read_key():
    key = b""
    try:
        while len(key) < KEY_BYTES:
            chunk = os.read(KEY_FD, KEY_BYTES - len(key))
            if not chunk:
                break
            key += chunk
        os.close(KEY_FD)
    except OSError:
        return None
    return key if len(key) == KEY_BYTES else None


def _files_under(root):
    found = set()
    for folder, dirs, files in os.walk(root):
        found.update(os.path.join(folder, name) for name in files)
    return found


def _env_list(name):
    import json
    try:
        value = json.loads(os.environ.get(name, "[]"))
    except ValueError:
        return []
    return [item for item in value if isinstance(item, str)]


# ---- the audit hook -----------------------------------------------------------------------------

def _is_trusted(filename, *, S=None):
    known = S["trusted_cache"].get(filename)
    if known is not None:
        return known
    trusted = filename in S["instructor"] or filename.startswith(S["roots"]) or (filename.startswith("<frozen ") and filename not in S["compiled"])
    S["trusted_cache"][filename] = trusted
    return trusted


def _untrusted_on_stack(depth, *, S=None):
    frame = S["getframe"](depth)
    trusted = S["is_trusted"]
    while frame is not None:
        if not trusted(frame.f_code.co_filename):
            return True
        frame = frame.f_back
    return False


def _frame_reader_allowed(depth, *, S=None):
    """The frame is asked for by a standard library function that keeps it to itself."""
    frame = S["getframe"](depth)
    code = frame.f_code
    if not S["is_trusted"](code.co_filename):
        return False
    for (ending, name), then in S["frame_readers"].items():
        if code.co_name == name and code.co_filename.endswith(ending):
            if then is None:
                return True
            caller = frame.f_back.f_code if frame.f_back is not None else None
            return caller is not None and caller.co_name == then[1] and caller.co_filename.endswith(then[0]) and S["is_trusted"](caller.co_filename)
    return False


def _code_file(target, *, S=None):
    code = S["code_of"](target)
    return code.co_filename if code is not None else None


def _code_of(target, *, S=None, B_getattr=None, B_type=None):
    function = B_getattr(target, "__func__", target) if B_type(target) is S["method_type"] else target
    if B_type(function) is not S["function_type"]:
        return None
    return S["function_code"].__get__(function)


def _may_write(target, *, S=None, B_any=None, B_int=None):
    if S["isinstance"](target, B_int):
        return True
    where = S["realpath"](S["fsdecode"](target))
    return B_any(where == root or where.startswith(root + "/") for root in S["writable"])


def _refusal(event, args, *, S=None, B_any=None, B_bytes=None, B_int=None, B_str=None, B_type=None):
    """Why untrusted code may not do this, or None; called only with untrusted code on the stack."""
    if event == "import":
        name = args[0] or ""
        if not B_any(name == m or name.startswith(m + ".") for m in S["blocked_imports"]):
            return None
        if not B_any(name == m or name.startswith(m + ".") for m in S["test_frameworks"]):
            S["problems"].append("the solution tried to import " + name)
        return "import " + name
    if event in S["process_events"]:
        return event
    if event in S["refused_events"]:
        if event == "sys._current_frames" and S["frame_reader_allowed"](3):
            return None  # pytest-timeout's stack dump, from its alarm handler, over the solution's endless loop
        S["problems"].append("the solution tried " + event)
        return event
    if event == "sys._getframe":
        return None if S["frame_reader_allowed"](3) else event
    if event == "object.__getattr__":
        target, name = args[0], args[1]
        if name in S["frame_attributes"]:
            return None if S["frame_reader_allowed"](3) else "read " + name
        if name in S["code_attributes"]:
            filename = S["code_file"](target)
            return None if filename is not None and not S["is_trusted"](filename) else "read " + name
        return None
    if event == "object.__setattr__" or event == "object.__delattr__":
        # the classes and functions that existed before the solution was imported are not its to change
        target = args[0]
        if not S["isinstance"](target, B_type) and B_type(target) is not S["function_type"]:
            return None
        return "change " + S["str"](args[1]) if S["existed_before"](target) else None
    if event == "compile":
        filename = args[1]
        if S["isinstance"](filename, B_bytes):
            filename = S["fsdecode"](filename)
        if S["isinstance"](filename, B_str):
            if S["is_trusted"](filename):
                return "compile as " + filename
            S["compiled"].add(filename)
        return None
    if event == "open":
        target, mode, flags = args
        if target is None or S["isinstance"](target, B_int):
            return None
        try:
            status = S["stat"](target)
        except (OSError, ValueError, TypeError):
            status = None
        if status is not None and (status.st_dev == S["proc_dev"] or (status.st_dev, status.st_ino) in S["test_sources"]):
            return "open " + S["fsdecode"](target)
        writes = (S["isinstance"](mode, B_str) and B_any(c in mode for c in "wax+")) or (S["isinstance"](flags, B_int) and flags & S["write_flags"])
        return "write " + S["fsdecode"](target) if writes and not S["may_write"](target) else None
    if event in S["file_events"]:
        moves = event in ("os.rename", "os.replace", "os.link", "os.symlink")
        return event if not S["may_write"](args[0]) or (moves and not S["may_write"](args[1])) else None
    return None


def _audit(event, args, *, S=None, B_PermissionError=None, B_type=None):
    if not S["tainted"]:
        # until a file of untrusted code runs, no untrusted frame can be on any stack: nothing to walk
        if event == "exec" and B_type(args[0]) is S["code_type"] and args[0].co_filename.startswith("/") and not S["is_trusted"](args[0].co_filename):
            S["tainted"].append(1)
        else:
            return
    if event not in S["audited"] or S["busy"] or (event == "object.__getattr__" and args[1] not in S["audited_attributes"]):
        return
    S["busy"].append(1)
    try:
        if S["untrusted_on_stack"](2):
            why = S["refusal"](event, args)
            if why is not None:
                raise B_PermissionError("pit-runner: the solution may not do this: " + why)
    finally:
        S["busy"].pop()


def _start_thread(function, args, kwargs=None, *, S=None, B_PermissionError=None):
    if S["untrusted_on_stack"](2):
        raise B_PermissionError("pit-runner: the solution may not start threads")
    return S["start_thread"](function, args) if kwargs is None else S["start_thread"](function, args, kwargs)


# ---- equality that does not take a solution object's word -----------------------------------------

def _suspect(value, depth=0, *, S=None, B_any=None, B_dict=None, B_frozenset=None, B_list=None, B_set=None, B_tuple=None, B_type=None):
    kind = B_type(value)
    if kind in S["scalars"]:
        return False
    for method in ("__eq__", "__ne__"):
        found = S["type_getattr"](kind, method)
        if B_type(found) is S["function_type"]:
            if not S["is_trusted"](S["function_code"].__get__(found).co_filename):
                return True
        elif B_type(found) not in S["slot_types"]:
            return True
    if depth >= S["depth"]:
        return False
    if S["isinstance"](value, (B_list, B_tuple, B_set, B_frozenset)):
        return B_any(S["suspect"](item, depth + 1) for item in S["core"](value))
    if S["isinstance"](value, B_dict):
        plain = S["core"](value)
        return B_any(S["suspect"](k, depth + 1) or S["suspect"](v, depth + 1) for k, v in plain.items())
    return False


def _core(value, *, S=None):
    """A builtin-typed copy of a value whose type derives from a builtin one (no method of it runs)."""
    for base, copy in S["cores"]:
        if S["isinstance"](value, base):
            return copy(value)
    return None


def _clean(value, depth=0, *, S=None, B_dict=None, B_frozenset=None, B_list=None, B_object=None, B_set=None, B_tuple=None, B_type=None):
    """The value with every solution-defined object replaced by its builtin core, or by one that equals nothing."""
    if B_type(value) in S["scalars"]:
        return value
    if not S["suspect"](value, depth):
        return value
    plain = S["core"](value)
    if plain is None or depth >= S["depth"]:
        return B_object()
    if B_type(plain) is B_dict:
        return {S["clean"](k, depth + 1): S["clean"](v, depth + 1) for k, v in plain.items()}
    if B_type(plain) in (B_list, B_tuple, B_set, B_frozenset):
        return B_type(plain)(S["clean"](item, depth + 1) for item in plain)
    return plain


def _equal(left, right, *, S=None, B_type=None):
    if B_type(left) in S["scalars"] and B_type(right) in S["scalars"]:
        return left == right
    left_suspect, right_suspect = S["suspect"](left), S["suspect"](right)
    if not left_suspect and not right_suspect:
        return left == right
    if left_suspect and right_suspect and S["solution_type"](left) and S["solution_type"](right):
        return left == right
    return S["clean"](left) == S["clean"](right)


def _within(member, container, *, S=None):
    if not S["suspect"](member) and not S["suspect"](container):
        return member in container
    return S["clean"](member) in S["clean"](container)


def _solution_type(value, *, S=None, B_any=None, B_type=None):
    """Both sides made by the solution (an exercise's own class): they compare as the exercise says."""
    return B_type(value) not in S["builtin_values"] and not B_any(base in S["builtin_values"] for base in B_type(value).__mro__[1:-1])


def compare(left, right, operator, *, S=None):
    """What rewritten asserts call for ==, !=, in and not in."""
    if operator == "==":
        return S["equal"](left, right)
    if operator == "!=":
        return not S["equal"](left, right)
    if operator == "in":
        return S["within"](left, right)
    return not S["within"](left, right)


def _rewrite_comparisons(node, *, S=None, B_getattr=None, B_isinstance=None, B_len=None, B_list=None, B_type=None):
    """In a module pytest rewrote: `@py_assert2 = @py_assert1 == @py_assert3` → `... = @pit_runner.compare(…, '==')`."""
    A = S["ast"]
    if B_isinstance(node, A["Assign"]):
        value = node.value
        if B_isinstance(value, A["Compare"]) and B_len(value.ops) == 1 and B_type(value.ops[0]) in S["operators"]:
            function = A["Attribute"](A["Name"]("@pit_runner", A["Load"]()), "compare", A["Load"]())
            node.value = A["copy_location"](A["Call"](function, [value.left, value.comparators[0], A["Constant"](S["operators"][B_type(value.ops[0])])], []), value)
            A["fix_missing_locations"](node)
    for field in node._fields:
        child = B_getattr(node, field, None)
        if B_isinstance(child, A["AST"]):
            S["rewrite_comparisons"](child)
        elif B_isinstance(child, B_list):
            for item in child:
                if B_isinstance(item, A["AST"]):
                    S["rewrite_comparisons"](item)


def _rewrite_asserts(mod, source, module_path=None, config=None, *, S=None, B_any=None, B_enumerate=None, B_isinstance=None):
    """pytest's assert rewriting, then its comparisons made by the expected value's type."""
    A = S["ast"]
    S["rewrite_asserts"](mod, source, module_path, config)
    for index, statement in B_enumerate(mod.body):
        if B_isinstance(statement, A["Import"]) and B_any(alias.asname == "@py_builtins" for alias in statement.names):
            ours = A["copy_location"](A["Import"]([A["alias"]("pit_runner_pytest", "@pit_runner")]), statement)
            A["fix_missing_locations"](ours)
            mod.body.insert(index + 1, ours)
            S["rewrite_comparisons"](mod)
            break


def _equality_assertion(self, first, second, *args, S=None, NAME=None, **kwargs):
    """unittest's equality assertions: when the original passes but the values differ by their trusted types, they fail."""
    S["unittest"][NAME](self, first, second, *args, **kwargs)
    negated = NAME == "assertNotEqual"
    if S["equal"](first, second) == negated:
        raise self.failureException(S["safe_repr"](first) + (" == " if negated else " != ") + S["safe_repr"](second) + " (compared by the expected value's type)")


def _membership_assertion(self, member, container, *args, S=None, NAME=None, **kwargs):
    S["unittest"][NAME](self, member, container, *args, **kwargs)
    negated = NAME == "assertNotIn"
    if S["within"](member, container) == negated:
        raise self.failureException(S["safe_repr"](member) + (" unexpectedly found in " if negated else " not found in ") + S["safe_repr"](container))


_EQUALITY_ASSERTIONS = ("assertEqual", "assertNotEqual", "assertListEqual", "assertTupleEqual", "assertSequenceEqual", "assertDictEqual", "assertSetEqual", "assertMultiLineEqual")


def _checked_unittest(S):
    """Replaces unittest's equality and membership assertions by checked ones (new function objects, state in their defaults)."""
    import types
    import unittest
    case = unittest.TestCase
    for name, template in [*((n, _equality_assertion) for n in _EQUALITY_ASSERTIONS), ("assertIn", _membership_assertion), ("assertNotIn", _membership_assertion)]:
        S["unittest"][name] = getattr(case, name)
        method = types.FunctionType(template.__code__, template.__globals__, name)
        method.__kwdefaults__ = {"S": S, "NAME": name}
        setattr(case, name, method)


# ---- what the harness records and signs -----------------------------------------------------------

def _sign(body, *, S=None, B_int=None, B_str=None, B_type=None):
    """One record; `body` is a list of (key, value) with str or int values, serialized here (never by json)."""
    parts = []
    for name, value in body:
        text = S["quote"](value) if B_type(value) is B_str else S["int_text"](value) if B_type(value) is B_int else S["quote"](S["str"](value))
        parts.append(S["quote"](name) + ":" + text)
    text = "{" + ",".join(parts) + "}"
    mac = S["mac"].copy()
    mac.update(text.encode("utf-8"))
    line = (mac.hexdigest() + " " + text + "\n").encode("utf-8")
    try:
        while line:
            line = line[S["write"](RECORD_FD, line):]
    except OSError:
        pass


def _emit(refused, *, S=None):
    """Every test's record, the sentinel's, then the completion record: once, at the end of the session."""
    if S["emitted"]:
        return
    S["emitted"].append(1)
    source = "pytest-" + S["int_text"](S["pid"])
    seq = 0
    tests = 0
    for nodeid in S["order"]:
        classname, name = S["address"](nodeid)
        status, message, ms = S["status_of"](S["results"][nodeid])
        body = [("source", source), ("seq", seq), ("kind", "test"), ("classname", classname), ("name", name), ("status", status), ("timeMs", ms)]
        if message:
            body.append(("message", message[:4000]))
        S["sign"](body)
        seq += 1
        tests += 1
    S["sign"]([("source", source), ("seq", seq), ("kind", "test"), ("classname", SENTINEL_CLASS), ("name", SENTINEL_NAME), ("status", "failed"), ("timeMs", 0),
               ("message", "pit-runner sentinel " + S["nonce"] + ": this test always fails")])
    done = [("source", source), ("seq", seq + 1), ("kind", "done"), ("tests", tests + 1)]
    if refused:
        done.append(("refused", refused[:2000]))
    S["sign"](done)


def _address(nodeid, *, S=None):
    """classname and name as pytest's junitxml writes them."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = names[0].replace("/", ".")
    if names[0].endswith(".py"):
        names[0] = names[0][:-3]
    names[-1] += bracket + params
    return ".".join(names[:-1]), names[-1]


def _status_of(phases, *, S=None):
    ms = 0
    for report in phases.values():
        ms += report[2]
    for when in ("setup", "call", "teardown"):
        phase = phases.get(when)
        if phase is not None and phase[0] == "failed":
            return ("failed" if when == "call" else "error"), phase[1], ms
    for when in ("setup", "call"):
        phase = phases.get(when)
        if phase is not None and phase[0] == "skipped":
            return "skipped", phase[1], ms
    call = phases.get("call")
    if call is None:
        return "failed", "did not run", ms
    return "passed", "", ms


def _framework(*, S=None, B_callable=None, B_classmethod=None, B_id=None, B_isinstance=None, B_list=None, B_property=None, B_set=None, B_staticmethod=None, B_sys=None, B_type=None, B_vars=None):
    """Identity of every function and class member of pytest, pluggy, unittest and this harness."""
    seen = {}
    classes = B_set()
    for name, module in B_list(B_sys.modules.items()):
        if module is None or not (name in S["watched"] or name.startswith(S["watched_prefixes"])):
            continue
        for key, value in B_list(B_vars(module).items()):
            if B_isinstance(value, B_type):
                if B_id(value) in classes:
                    continue
                classes.add(B_id(value))
                for attribute, member in B_list(B_vars(value).items()):
                    if B_callable(member) or B_isinstance(member, (B_staticmethod, B_classmethod, B_property)):
                        seen[(name, key, attribute)] = B_id(member)
            elif B_callable(value):
                seen[(name, key)] = B_id(value)
    return seen


def _existed_before(target, *, S=None, B_TypeError=None, B_classmethod=None, B_getattr=None, B_isinstance=None, B_staticmethod=None, B_str=None, B_type=None, B_vars=None):
    """The class or function is the one its module held under its name before the solution was imported."""
    module = S["modules_at_start"].get(B_getattr(target, "__module__", None))
    name = B_getattr(target, "__qualname__", None)
    if module is None or not B_isinstance(name, B_str):
        return False
    found = module
    for part in name.split("."):
        try:
            found = B_vars(found).get(part)
        except B_TypeError:
            return False
        found = B_getattr(found, "__func__", found) if B_type(found) in (B_staticmethod, B_classmethod) else found
    return found is target


def _hookimpls(config, *, S=None, B_hasattr=None, B_id=None, B_list=None, B_vars=None):
    found = {}
    for name, caller in B_list(B_vars(config.pluginmanager.hook).items()):
        if B_hasattr(caller, "get_hookimpls"):
            found[name] = [(B_id(impl), B_id(impl.function), impl.function) for impl in caller.get_hookimpls()]
    return found


def _integrity_problem(config, *, S=None, B_any=None):
    """Why the framework is not what the run started with, or None."""
    if S["problems"]:
        return S["problems"][0]
    now = S["framework"]()
    for key, value in S["framework_at_start"].items():
        if key in now and now[key] != value:
            return "the solution changed " + ".".join(key)
    before = S["hooks_at_start"]
    for name, impls in S["hookimpls"](config).items():
        known = {entry[0] for entry in before.get(name, [])}
        for impl_id, function_id, function in impls:
            if impl_id in known:
                if (impl_id, function_id) not in {(e[0], e[1]) for e in before[name]}:
                    return "the solution replaced a hook of " + name
                continue
            filename = S["code_file"](function)
            if filename is None or not S["is_trusted"](filename):
                return "the solution registered a hook for " + name
    for name, impls in before.items():
        still = {entry[0] for entry in S["hookimpls"](config).get(name, [])}
        if B_any(entry[0] not in still for entry in impls):
            return "the solution removed a hook of " + name
    return None


def _item_problem(item, *, S=None, B_getattr=None, B_id=None, B_type=None, B_vars=None):
    known = S["items"].get(B_id(item))
    if known is None:
        return "a test the harness did not collect ran: " + S["str"](B_getattr(item, "nodeid", "?"))
    kind, function, runtest = known
    if B_type(item) is not kind or B_getattr(item, "obj", None) is not function or B_type(item).runtest is not runtest or "runtest" in B_vars(item):
        return "the solution replaced the test " + item.nodeid
    return None


# ---- pytest's hooks (module-level: pytest registers this module as the plugin) ----------------------

@pytest.hookimpl(tryfirst=True)
def pytest_collection(session, *, S=None, B_dict=None, B_sys=None):
    """The baseline, after every plugin configured itself and before any test module (and so the solution) is imported."""
    if S is None:
        return
    S["config"].append(session.config)
    S["modules_at_start"] = B_dict(B_sys.modules)
    S["framework_at_start"] = S["framework"]()
    S["hooks_at_start"] = S["hookimpls"](session.config)


def pytest_collection_finish(session, *, S=None, B_getattr=None, B_id=None, B_type=None):
    if S is None:
        return
    for item in session.items:
        S["items"][B_id(item)] = (B_type(item), B_getattr(item, "obj", None), B_type(item).runtest)


def pytest_runtest_logstart(nodeid, location, *, S=None):
    if S is None:
        return
    if S["untrusted_on_stack"](2) or S["current"]:
        S["problems"].append("a test was started out of turn: " + S["str"](nodeid))
        return
    S["current"].append(nodeid)


def pytest_runtest_logreport(report, *, S=None, B_Exception=None, B_float=None, B_getattr=None, B_int=None, B_str=None, B_type=None):
    if S is None:
        return
    if S["untrusted_on_stack"](2) or B_type(report) is not S["TestReport"]:
        S["problems"].append("a report the harness did not see made was sent")
        return
    nodeid = report.nodeid
    if not S["current"] or S["current"][0] != nodeid or not S["isinstance"](nodeid, B_str):
        S["problems"].append("a report for a test that was not running: " + S["str"](nodeid))
        return
    phases = S["results"].setdefault(nodeid, {})
    if not phases:
        S["order"].append(nodeid)
    when = report.when
    if when in phases or when not in ("setup", "call", "teardown"):
        S["problems"].append("a second report for " + nodeid)
        return
    outcome = report.outcome
    message = ""
    if outcome != "passed":
        try:
            message = S["str"](report.longreprtext)
        except B_Exception:
            message = outcome
    if outcome == "skipped" and B_getattr(report, "wasxfail", None) is not None:
        message = "expected to fail: " + S["str"](report.wasxfail)
    duration = report.duration
    phases[when] = (outcome if outcome in ("passed", "failed", "skipped") else "failed", message, B_int(duration * 1000) if B_type(duration) is B_float else 0)


def pytest_runtest_logfinish(nodeid, location, *, S=None):
    if S is None:
        return
    if S["current"] and S["current"][0] == nodeid:
        S["current"].pop()
    else:
        S["problems"].append("a test finished out of turn: " + S["str"](nodeid))


def pytest_runtest_setup(item, *, S=None):
    if S is None:
        return
    problem = S["item_problem"](item)
    if problem:
        S["problems"].append(problem)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus, *, S=None):
    if S is None or S["untrusted_on_stack"](2):
        return
    config = S["config"][0] if S["config"] else session.config
    S["emit"](S["integrity_problem"](config) or "")
    if session.exitstatus == 0:
        session.exitstatus = 1  # the sentinel failed: a finished graded run never exits 0



def _boot():
    key = _read_key()
    if key is None:
        return None
    import _pytest.assertion.rewrite as rewrite
    import _pytest.reports
    import posixpath
    import reprlib
    mac = _hashlib.hmac_new(key, b"", "sha256")
    del key
    nonce_mac = mac.copy()
    nonce_mac.update(SENTINEL_LABEL)
    project = os.path.realpath(os.environ.get("PIT_RUNNER_PROJECT", os.getcwd()))
    solution = {os.path.realpath(path) for path in _env_list("PIT_RUNNER_SOLUTION")}
    instructor = frozenset(_files_under(project) - solution)
    test_sources = set()
    for path in instructor:
        if path.endswith(".py"):
            status = os.stat(path)
            test_sources.add((status.st_dev, status.st_ino))
    here = os.path.dirname(os.path.realpath(__file__))
    roots = tuple(sorted({os.path.realpath(p) + os.sep for p in sys.path if p and os.path.isabs(p) and not os.path.realpath(p).startswith(project)} | {here + os.sep}))
    function_type = type(_boot)
    S = dict(
        mac=mac, nonce=nonce_mac.hexdigest()[:24], write=os.write, pid=os.getpid(), quote=_json.encode_basestring_ascii, int_text=int.__repr__,
        str=str, isinstance=isinstance, getframe=sys._getframe, stat=os.stat, fsdecode=os.fsdecode, realpath=posixpath.realpath,
        function_type=function_type, code_type=type(_boot.__code__), method_type=type(_read_key.__get__(1)), function_code=function_type.__dict__["__code__"],
        type_getattr=type.__getattribute__,
        slot_types=(type(object.__eq__), type((1).__eq__), type(len), type(str.join)),
        scalars=frozenset({bool, int, float, complex, str, bytes, type(None)}), builtin_values=frozenset(_BUILTIN_VALUES),
        cores=((bool, bool.__index__), (int, int.__index__), (float, float.__float__), (complex, complex.__complex__), (str, str.__str__),
               (bytes, bytes.__bytes__), (tuple, lambda v: tuple.__getitem__(v, slice(None))), (list, list.copy), (dict, dict.copy),
               (set, set.copy), (frozenset, frozenset.copy)),
        depth=_DEPTH, safe_repr=reprlib.repr, start_thread=_thread.start_new_thread,
        instructor=instructor, test_sources=frozenset(test_sources), roots=roots, compiled=set(), trusted_cache={},
        writable=tuple(os.path.realpath(p) for p in _env_list("PIT_RUNNER_WRITABLE")), proc_dev=os.stat("/proc/self").st_dev,
        write_flags=os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND,
        blocked_imports=_BLOCKED_IMPORTS, process_events=_PROCESS_EVENTS, file_events=_FILE_EVENTS, refused_events=_REFUSED_EVENTS,
        frame_attributes=_FRAME_ATTRIBUTES, code_attributes=_CODE_ATTRIBUTES, frame_readers=_FRAME_READERS,
        watched=frozenset({"pytest", "pluggy", "unittest.case", "pit_runner_pytest", "threading", "_thread"}), watched_prefixes=("_pytest.", "pluggy."),
        test_frameworks=("pytest", "_pytest", "pluggy"), modules_at_start={}, audited_attributes=_FRAME_ATTRIBUTES | _CODE_ATTRIBUTES,
        audited=_PROCESS_EVENTS | _FILE_EVENTS | _REFUSED_EVENTS | {"import", "open", "compile", "sys._getframe", "object.__getattr__", "object.__setattr__", "object.__delattr__"},
        TestReport=_pytest.reports.TestReport, busy=[], tainted=[], config=[], current=[], problems=[], emitted=[], results={}, order=[], items={},
    )
    S.update(
        ast={name: getattr(ast, name) for name in ("AST", "Assign", "Compare", "Attribute", "Name", "Load", "Call", "Constant", "Import", "alias", "copy_location", "fix_missing_locations")},
        operators={ast.Eq: "==", ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in"}, rewrite_asserts=rewrite.rewrite_asserts, unittest={},
    )
    functions = dict(
        is_trusted=_is_trusted, untrusted_on_stack=_untrusted_on_stack, frame_reader_allowed=_frame_reader_allowed, code_file=_code_file,
        code_of=_code_of, may_write=_may_write, existed_before=_existed_before, refusal=_refusal, suspect=_suspect, core=_core,
        clean=_clean, equal=_equal, within=_within, solution_type=_solution_type, sign=_sign, emit=_emit, address=_address,
        status_of=_status_of, framework=_framework, hookimpls=_hookimpls, integrity_problem=_integrity_problem, item_problem=_item_problem,
        rewrite_comparisons=_rewrite_comparisons,
    )
    S.update(functions)
    for function in (*functions.values(), *_HOOKS, compare, _audit, _start_thread, _rewrite_asserts):
        _give(function, S)
    # a pyc rewritten without these checks (an instructor's stale __pycache__) is not loaded
    rewrite.PYTEST_TAG += "-pit"
    rewrite.PYC_TAIL = "." + rewrite.PYTEST_TAG + rewrite.PYC_EXT
    rewrite.rewrite_asserts = _rewrite_asserts
    _checked_unittest(S)
    _thread.start_new_thread = _thread.start_new = threading._start_new_thread = _start_thread
    sys.addaudithook(_audit)
    # PYTHONSAFEPATH kept the working folder off the path until now; `python -m pytest` (not `-I`) puts it
    # first, so a test's `from calc import add` finds the solution as it does with the bare command
    if not sys.flags.isolated and os.path.basename(sys.argv[0] if sys.argv else "") == "__main__.py":
        sys.path.insert(0, os.getcwd())
    return S


def _builtins_of(function):
    """The values of a function's keyword-only `B_name` parameters: the builtins (and sys) as they were at start."""
    code = function.__code__
    names = code.co_varnames[code.co_argcount:code.co_argcount + code.co_kwonlyargcount]
    table = dict(vars(builtins), sys=sys)
    return {name: table[name[2:]] for name in names if name.startswith("B_")}


def _give(function, S):
    """Everything a function needs after start, in its keyword defaults: audited to read, unlike a closure or a global."""
    function.__kwdefaults__ = {"S": S, **_builtins_of(function)}


_HOOKS = (pytest_collection, pytest_collection_finish, pytest_runtest_logstart, pytest_runtest_logreport, pytest_runtest_logfinish, pytest_runtest_setup, pytest_sessionfinish)

if _boot() is None:
    # not a graded run (no key on fd 7): pytest runs as it would without the harness
    for _hook in _HOOKS:
        _hook.__kwdefaults__ = {name: None for name in _hook.__kwdefaults__}
