"""Sandboxed cell runner: a standalone script started by lms.grading.sandbox, used for exactly one job."""

# This file runs as a script inside the sandbox (it cannot import lms: the project is not visible there).
# Protocol, one JSON object per line: the worker writes {"type": "ready"} on its reply pipe once the common
# libraries are imported; the parent sends {"type": "job"} (files, limits), then {"type": "cell"} requests one
# at a time, each with a fresh nonce that the reply must echo; {"type": "end"} or EOF ends the job. Exit status 3
# means the notebook printed more than the output limit.
#
# The verdict is kept out of the learner code's reach:
# - Learner code and tests never run on the main thread. Each cell runs on a fresh thread whose bottom frame is a
#   small runner from a namespace of its own, so walking frames up from learner code reaches no harness state;
#   Python signal handlers (which receive the main thread's frame) cannot be installed from other threads.
# - The main thread keeps the nonce and its state in local variables, calls nothing the learner can replace
#   (functions are bound before learner code runs, its builtins are a private copy) and reads what the runners
#   report only as plain values.
# - An audit hook (PEP 578: it cannot be removed) refuses new audit hooks, other threads' frames, the garbage
#   collector's object lists, tracing, /proc/*/mem, ctypes, code objects built (code.replace, marshal) by learner
#   code and replacing a function's code; while a test runs also frames and new processes. Each refusal sends the
#   submission to an instructor.
# - A test runs only once every thread and process the learner started is gone (read from /proc through
#   functions bound before learner code ran), in a namespace of its own (names it defines never reach later
#   cells) with pristine builtins; the modules tests use are compared with a snapshot taken before learner code
#   ran, before and after each test and after each call of a learner function: anything changed is restored and
#   the submission goes to an instructor ("review") instead of being scored.

from __future__ import annotations

import os
import sys

_REQ_FD = os.dup(0)
_REP_FD = os.dup(1)
_PID = os.getpid()
_devnull = os.open(os.devnull, os.O_RDWR)
os.dup2(_devnull, 0)
os.dup2(2, 1)  # raw writes to fd 1 (C code, subprocesses) go to the parent's diagnostics pipe, never the replies

_uid = os.environ.pop("BAEUM_SANDBOX_UID", "")
if _uid and os.getuid() == 0:
    os.setgroups([])
    os.setgid(int(_uid))
    os.setuid(int(_uid))
if os.getuid() == 0 and os.environ.get("BAEUM_SANDBOX_ALLOW_ROOT") != "1":
    # The parent only ever starts us as root inside a user namespace of bubblewrap; anything else is a mistake.
    print("refusing to run learner code as root", file=sys.stderr)
    os._exit(78)

import _json  # noqa: E402
import _thread  # noqa: E402
import ast  # noqa: E402
import base64  # noqa: E402
import builtins  # noqa: E402
import faulthandler  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402

faulthandler.enable(file=sys.__stderr__)
signal.signal(signal.SIGINT, signal.SIG_IGN)  # _thread.interrupt_main() from learner code does nothing

# --- preload

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ["MPLBACKEND"] = "Agg"
_mplcache = os.environ.pop("BAEUM_MPL_CACHE", "")
_mpldir = os.environ.get("MPLCONFIGDIR", "")
if _mplcache and _mpldir and os.path.isdir(_mplcache):
    os.makedirs(_mpldir, exist_ok=True)
    for _name in os.listdir(_mplcache):
        if _name.startswith("fontlist"):
            shutil.copy(os.path.join(_mplcache, _name), os.path.join(_mpldir, _name))

for _mod in filter(None, os.environ.pop("BAEUM_PRELOAD", "").split(",")):
    try:
        __import__(_mod)
    except Exception as _exc:  # a missing optional library must not stop grading
        print(f"preload {_mod}: {_exc!r}", file=sys.__stderr__)

if "matplotlib" in sys.modules:  # Korean labels need a Hangul font (Debian: fonts-nanum) when the host has one
    try:
        from matplotlib import font_manager, rcParams

        _names = {f.name for f in font_manager.fontManager.ttflist}
        for _font in ("NanumGothic", "Noto Sans CJK KR", "Noto Sans KR", "Malgun Gothic", "UnDotum"):
            if _font in _names:
                rcParams["font.sans-serif"] = [_font, *rcParams["font.sans-serif"]]
                rcParams["axes.unicode_minus"] = False
                break
    except Exception as _exc:
        print(f"fonts: {_exc!r}", file=sys.__stderr__)


def _warm_up() -> None:
    """Pay the libraries' first-use costs (font loading, lazy imports) before a learner is waiting."""
    try:
        if "pandas" in sys.modules:
            pd = sys.modules["pandas"]
            df = pd.read_csv(io.StringIO("d,k,v\n2024-01-02,가,1\n2024-02-03,나,2\n"), parse_dates=["d"])
            df.groupby(df["d"].dt.month)["v"].mean()
            df.groupby("k")["v"].sum().sort_values().to_frame()._repr_html_()
        if "matplotlib.pyplot" in sys.modules:
            plt = sys.modules["matplotlib.pyplot"]
            fig, ax = plt.subplots(figsize=(2, 2))
            ax.bar(["가", "b"], [1, 2])
            ax.set_ylabel("금액")
            fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")
            plt.close("all")
    except Exception as exc:
        print(f"warm-up: {exc!r}", file=sys.__stderr__)


_warm_up()

from IPython.core.displaypub import DisplayPublisher  # noqa: E402
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402

# The modules tests call into (assert helpers, comparisons): imported now so that they are in the snapshot.
_PROTECTED_MODULES = (
    "builtins",
    "math",
    "cmath",
    "operator",
    "numpy",
    "numpy.testing",
    "numpy.testing._private.utils",
    "numpy._core.numeric",
    "numpy._core.fromnumeric",
    "numpy.core.numeric",
    "numpy.core.fromnumeric",
    "pandas",
    "pandas.testing",
    "pandas._testing",
    "pandas._testing.asserters",
    "pandas.core.dtypes.missing",
    "ast",
)
for _mod in _PROTECTED_MODULES[4:]:
    if _mod.split(".")[0] in sys.modules:
        try:  # noqa: SIM105 - an alias may be missing in this library version
            __import__(_mod)
        except Exception:
            pass

# Learner-visible objects (streams, display, get_ipython) live in a namespace of their own: their functions'
# globals lead to output buffers only, never to the harness.
_FACADE = r"""
import base64, io, json, os, sys

MIME_KEEP = ("text/plain", "text/html", "text/markdown", "text/latex", "image/png", "image/jpeg",
             "image/svg+xml", "application/json")


class State:
    outputs = []
    total = 0
    limit = 2 << 20


def account(n):
    State.total += n
    if State.total > State.limit:
        os._exit(3)


class Stream(io.TextIOBase):
    def __init__(self, name):
        self.name = name

    def writable(self):
        return True

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        if not s:
            return 0
        account(len(s))
        outs = State.outputs
        if outs and outs[-1].get("output_type") == "stream" and outs[-1]["name"] == self.name:
            outs[-1]["text"] += s
        else:
            outs.append({"output_type": "stream", "name": self.name, "text": s})
        return len(s)

    def flush(self):
        pass

    def isatty(self):
        return False


stdout, stderr = Stream("stdout"), Stream("stderr")


def mime_bundle(data):
    bundle = {}
    for key in MIME_KEEP:
        if key in data:
            value = data[key]
            if isinstance(value, bytes):
                value = base64.b64encode(value).decode()
            elif not isinstance(value, str):
                value = json.dumps(value) if key == "application/json" else str(value)
            bundle[key] = value
    account(sum(len(v) for v in bundle.values()))
    return bundle


def make_publisher(base):
    class Publisher(base):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            bundle = mime_bundle(data or {})
            if bundle:
                State.outputs.append({"output_type": "display_data", "data": bundle, "metadata": {}})

        def clear_output(self, wait=False):
            State.outputs[:] = [o for o in State.outputs if o.get("output_type") == "error"]

    return Publisher


def flush_figures():
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    try:
        for num in plt.get_fignums():
            fig = plt.figure(num)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", bbox_inches="tight")
            png = base64.b64encode(buf.getvalue()).decode()
            account(len(png))
            State.outputs.append({"output_type": "display_data", "metadata": {},
                                  "data": {"image/png": png, "text/plain": repr(fig)}})
        plt.close("all")
    except Exception as exc:  # a broken figure is the learner's error, shown as text
        stderr.write(f"could not draw the figure: {exc!r}\n")
        plt.close("all")


def setup(limit_left=None):
    State.outputs = []
    sys.stdout, sys.stderr = stdout, stderr
"""
_facade: dict = {"__name__": "baeum_output"}
exec(compile(_FACADE, "<baeum-output>", "exec"), _facade)

_shell = InteractiveShell.instance()
_shell.display_pub = _facade["make_publisher"](DisplayPublisher)(shell=_shell)
_facade["shell"] = _shell
exec("def get_ipython():\n    return shell\n\ndef _no_magic(line=''):\n    return None\n", _facade)
_shell.register_magic_function(_facade["_no_magic"], "line", "matplotlib")  # figures are always captured
if "matplotlib.pyplot" in sys.modules:
    exec("def show(*args, **kwargs):\n    flush_figures()\n", _facade)
    sys.modules["matplotlib.pyplot"].show = _facade["show"]

_user = types.ModuleType("__main__", "the learner's notebook")
_user.__dict__["__builtins__"] = builtins
_user.__dict__["get_ipython"] = _facade["get_ipython"]
_user.__dict__["display"] = __import__("IPython.display", fromlist=["display"]).display
sys.modules["__main__"] = _user
_shell.user_module = _user
_shell.user_ns = _user.__dict__

# --- runners: the bottom frame of every thread that runs learner code or a test

_RUNNERS = r"""
def describe(exc, cells_only):
    try:
        ename = type(exc).__name__
    except BaseException:
        ename = "Error"
    try:
        evalue = str(exc)
    except BaseException:
        evalue = "<exception could not be shown>"
    lines = []
    if cells_only:
        try:
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<cell-")]
            if frames:
                lines.append("Traceback (most recent call last):\n")
                lines.extend(traceback.format_list(frames))
            lines.extend(traceback.format_exception_only(type(exc), exc))
        except BaseException:
            lines = []
    return (ename, evalue[:2000], lines)


def run_cell(source, name, ns, box, done, facade):
    box.append(("sentinel", set_sentinel()))  # released by the interpreter once this thread is gone
    try:
        facade["setup"]()
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)
        try:
            if MAGIC.search(source):
                source = facade["shell"].input_transformer_manager.transform_cell(source)
            tree = ast.parse(source, name, "exec")
            last = None
            if tree.body and isinstance(tree.body[-1], ast.Expr) and not source.rstrip().endswith(";"):
                last = compile(ast.Expression(tree.body.pop().value), name, "eval")
            exec(compile(tree, name, "exec"), ns)
            value = eval(last, ns) if last is not None else None
            if value is not None:
                ns["_"] = value
                data, _md = facade["shell"].display_formatter.format(value)
                bundle = facade["mime_bundle"](data)
                if bundle:
                    facade["State"].outputs.append(
                        {"output_type": "execute_result", "data": bundle, "metadata": {}, "execution_count": None})
            box.append(("ok", None))
        except BaseException as exc:
            box.append(("error", describe(exc, True), isinstance(exc, MemoryError)))
            del exc
        facade["flush_figures"]()
        box.append(("outputs", facade["State"].outputs))
    finally:
        done.release()
"""

_TEST_RUNNER = r'''
MISSING = object()


def same(get, keys, values):
    return all(map(is_, map(get, keys, repeat(MISSING)), values))


def restore(get, keys, values, put, label, changed):
    for key, value in zip(keys, values):
        if get(key, MISSING) is not value:
            put(key, value)
            changed.append(label + key)


def check(snapshot, quick=False):
    """Restore every snapshot entry found changed; returns what was changed. ``quick``: the modules' own names
    and the helper modules' table (after each call of an answer's function), not the whole table and classes."""
    modules, dicts, classes = snapshot
    changed = []
    for label, d, keys, values in dicts:
        if not same(d.get, keys, values):
            restore(d.get, keys, values, d.__setitem__, label + ".", changed)
    live = modules[0]
    keys, values = modules[2] if quick else modules[1]
    if not same(live.get, keys, values):
        restore(live.get, keys, values, live.__setitem__, "sys.modules:", changed)
    if quick:
        return changed
    for cls, keys, values in classes:
        d = cls.__dict__
        label = cls.__module__ + "." + cls.__qualname__ + "."
        if not same(d.get, keys, values):
            restore(d.get, keys, values, lambda k, v, c=cls: type.__setattr__(c, k, v), label, changed)
        if len(d) != len(keys):  # an attribute added to a library class shadows what it inherits
            known = set(keys)
            for key in [k for k in d if k not in known]:
                type.__delattr__(cls, key)
                changed.append(label + key)
    return changed


def guarded(fn, snapshot, review):
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            review.extend(check(snapshot, True))
    call.__wrapped__ = fn
    call.__baeum_guard__ = True
    call.__name__ = getattr(fn, "__name__", "call")
    call.__doc__ = getattr(fn, "__doc__", None)
    return call


def stored_names(tree):
    """Names a test assigns or deletes."""
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}


def run_test(source, export, ns, carry, clean_builtins, drop, snapshot, box, done):
    box.append(("sentinel", set_sentinel()))
    """Run a test in a namespace of its own; a test that rebinds or deletes the answer's names (nbgrader's
    "does it use squares()?" idiom) runs in the notebook's namespace instead, restored afterwards."""
    try:
        review = check(snapshot)
        try:
            tree = compile(source, "<test>", "exec", ast.PyCF_ONLY_AST)
            code = compile(tree, "<test>", "exec")
        except SyntaxError as exc:
            box.append(("test", ("SyntaxError", str(exc.msg), []), review))
            return
        shared = any(name in ns and not name.startswith("__") for name in stored_names(tree))
        pre = dict(ns)
        tns = ns if shared else dict(ns)
        for key in drop:
            tns.pop(key, None)
        for key, value in list(tns.items()):
            if type(value) is FunctionType and value.__code__.co_filename.startswith("<cell-"):
                tns[key] = guarded(value, snapshot, review)
        tns.update(carry)
        tns["__builtins__"] = dict(clean_builtins)
        before = dict(tns)
        try:
            exec(code, tns)
            error = None
        except BaseException as exc:
            error = describe(exc, False)
            del exc
        for key, value in list(tns.items()):
            if type(key) is str and key != "__builtins__" and before.get(key, MISSING) is not value:
                carry[key] = value
        if shared:
            ns.clear()
            ns.update(pre)
        for key in export:
            if key in carry:
                value = carry.pop(key)
                ns[key] = value.__wrapped__ if getattr(value, "__baeum_guard__", False) else value
        review.extend(check(snapshot))
        box.append(("test", error, review))
    except BaseException as exc:
        box.append(("harness-error", repr(exc)[:500]))
    finally:
        done.release()
'''


def _namespace(source: str, name: str, **extra: object) -> dict:
    ns: dict = {"__builtins__": dict(builtins.__dict__), "__name__": name}
    ns.update(extra)
    exec(compile(source, f"<{name}>", "exec"), ns)
    return ns


_learner_runner = _namespace(
    _RUNNERS,
    "baeum-runner",
    traceback=__import__("traceback"),
    linecache=__import__("linecache"),
    ast=ast,
    set_sentinel=_thread._set_sentinel,
    MAGIC=re.compile(r"^\s*[%!]|\?\s*$", re.M),
)["run_cell"]
_test_ns = _namespace(
    _RUNNERS + _TEST_RUNNER,
    "baeum-test-runner",
    traceback=__import__("traceback"),
    linecache=__import__("linecache"),
    FunctionType=types.FunctionType,
    ast=ast,
    is_=__import__("operator").is_,
    set_sentinel=_thread._set_sentinel,
    repeat=__import__("itertools").repeat,
)
_test_runner = _test_ns["run_test"]

# Frames pandas, matplotlib and logging take to word their warnings, and namedtuple and typing to name a module
# (pandas' itertuples makes a namedtuple; libraries imported late make TypeVars): allowed while a test runs,
# for the frame these functions take or hand out.
_FRAME_USERS = (
    ("pandas.util._exceptions", "find_stack_level"),
    ("matplotlib._api", "warn_external"),
    ("logging", "Logger.findCaller"),
    ("collections", "namedtuple"),
    ("typing", "_caller"),  # the module that makes a TypeVar or checks a Protocol
)


def _frame_users() -> set:
    codes = set()
    for modname, qualname in _FRAME_USERS:
        obj = sys.modules.get(modname)
        for part in qualname.split("."):
            obj = getattr(obj, part, None)
        code = getattr(obj, "__code__", None)
        if code is not None:
            codes.add(code)
    return codes


def _pairs(items: object) -> tuple:
    keys, values = [], []
    for key, value in items:  # type: ignore[attr-defined]
        keys.append(key)
        values.append(value)
    return tuple(keys), tuple(values)


# The library classes whose methods tests call on results (``df.equals``, ``series.sum``), with their bases.
_PROTECTED_CLASSES = (("pandas", "DataFrame"), ("pandas", "Series"), ("pandas", "Index"))


def _snapshot() -> tuple:
    """What tests rely on, as it was before learner code ran: module table, helper modules, their classes; the
    helper modules' functions are marked so that the audit hook refuses changing their defaults."""
    live = sys.modules
    protected = tuple((n, live[n]) for n in _PROTECTED_MODULES if n in live)
    modules = (live, _pairs(live.items()), _pairs(protected))
    dicts = []
    for name, mod in protected:
        d = mod.__dict__
        dicts.append((name, d, *_pairs(d.items())))
        for value in d.values():
            if type(value) is types.FunctionType:
                _PROTECTED_FUNCTIONS.add(value)
    classes = []
    seen: set = set()
    for modname, attr in _PROTECTED_CLASSES:
        top = getattr(live.get(modname), attr, None)
        for cls in getattr(top, "__mro__", ()):
            if cls in seen or not cls.__flags__ & (1 << 9):  # Py_TPFLAGS_HEAPTYPE: only Python classes change
                continue
            seen.add(cls)
            classes.append((cls, *_pairs(cls.__dict__.items())))
            for value in cls.__dict__.values():
                if type(value) is types.FunctionType:
                    _PROTECTED_FUNCTIONS.add(value)
    return modules, tuple(dicts), tuple(classes)


# --- the audit hook

_ALWAYS_DENY = (
    "sys._current_frames",
    "sys.settrace",
    "sys.setprofile",
    "gc.get_",
    "sys.monitoring.register_callback",
    "sys.remote_exec",
    "cpython.remote_debugger",
    "cpython._PySys_ClearAuditHooks",
)
_TEST_DENY = (
    "subprocess.",
    "os.fork",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.system",
    "os.kill",
    "os.killpg",
    "os.forkpty",
    "pty.",
)
_CODE_EVENTS = frozenset({"code.__new__", "marshal.loads", "marshal.load"})
_FRAME_ATTRS = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
_CODE_ATTRS = frozenset({"__code__", "__defaults__", "__kwdefaults__"})
_PROTECTED_FUNCTIONS: set = set()  # the helper modules' functions: their defaults must not change either


def _make_hook(state: list, flags: list, allowed: set):
    get_ident = _thread.get_ident
    main = get_ident()
    getframe = sys._getframe
    realpath = os.path.realpath
    islink = os.path.islink
    basename = os.path.basename
    fspath = os.fspath
    function = types.FunctionType
    busy: set = set()

    def refuse(event: str) -> None:
        flags.append(event)
        raise RuntimeError(f"{event} is not allowed in the grader")

    def from_learner() -> bool:
        """Whether the code that called into ctypes (past ctypes' own Python layer) is the notebook's (synthetic
        file names) or a library's."""
        try:
            f = getframe(2)
        except ValueError:
            return True
        while f is not None and "/ctypes/" in f.f_code.co_filename:
            f = f.f_back
        return f is None or f.f_code.co_filename.startswith("<")

    def learner_code(depth: int = 2) -> bool:
        """Whether the Python code that raised the event is the notebook's or code it built (exec, compile), not
        the import system (whose frozen frames also have a synthetic file name)."""
        try:
            name = getframe(depth).f_code.co_filename
        except ValueError:
            return True
        return name.startswith("<") and not name.startswith("<frozen ")

    def hook(event: str, args: tuple) -> None:
        if event == "sys.addaudithook":
            raise RuntimeError("audit hooks are reserved by the grader")
        phase = state[0]
        if not phase:
            return
        # The frequent, harmless events leave at once (attribute reads that are not frames, plain files).
        if event == "object.__getattr__" and args[1] not in _FRAME_ATTRS:
            return
        if event == "open" and type(args[0]) is str and "mem" not in args[0] and not islink(args[0]):
            return
        tid = get_ident()
        if tid in busy:
            return
        busy.add(tid)
        try:
            if event.startswith(_ALWAYS_DENY):
                refuse(event)
            elif event == "open":
                path = args[0]
                if not isinstance(path, int):
                    path = fspath(path)
                    if isinstance(path, bytes):
                        path = path.decode(errors="replace")
                    if basename(path.rstrip("/")) == "mem" or basename(realpath(path)) == "mem":
                        refuse("open /proc/*/mem")
            elif event == "object.__setattr__":
                fn, name = args[0], args[1]
                if type(fn) is function and (
                    name == "__code__" or (name in _CODE_ATTRS and fn in _PROTECTED_FUNCTIONS)
                ):
                    refuse("replacing a function's " + name)
            elif event == "object.__getattr__":
                if args[1] in _FRAME_ATTRS and (tid == main or phase == 2):
                    refuse("frame access")
            elif event == "sys._getframe":
                # args[0] is the frame handed out; getframe(1) is the function that asked for it.
                if tid == main or (phase == 2 and args[0].f_code not in allowed and getframe(1).f_code not in allowed):
                    refuse("frame access")
            elif event.startswith("ctypes."):
                if tid == main or from_learner():
                    refuse("ctypes")
            elif event in _CODE_EVENTS:
                # Bytecode the learner wrote by hand (LOAD_CONST past the constants) reads and writes any memory.
                if learner_code():
                    refuse("building code objects")
            elif phase == 2 and event.startswith(_TEST_DENY):
                refuse(event)
        finally:
            busy.discard(tid)

    return hook


_phase = [0]  # 0: harness only; 1: learner code may run; 2: a test runs
_flags: list = []
sys.addaudithook(_make_hook(_phase, _flags, _frame_users()))

# --- the main thread: from here on it calls only functions bound now, with a private copy of the builtins

__builtins__ = dict(builtins.__dict__)  # functions defined below look names up here, not in the module

_bound = {
    "write": os.write,
    "read": os.read,
    "exit": os._exit,
    "getpid": os.getpid,
    "getuid": os.getuid,
    "listdir": os.listdir,
    "stat": os.stat,
    "kill": os.kill,
    "waitpid": os.waitpid,
    "start": _thread.start_new_thread,
    "lock": _thread.allocate_lock,
    "monotonic": time.monotonic,
    "sleep": time.sleep,
    "encode_str": _json.encode_basestring_ascii,
    "scan": json.JSONDecoder().scan_once,
    "compile": compile,
    "int_repr": int.__repr__,
    "SIGKILL": signal.SIGKILL,
    "WNOHANG": os.WNOHANG,
    "float_repr": float.__repr__,
}
_PIDNS = os.environ.get("BAEUM_SANDBOX_PIDNS") == "1"
_LockType = _thread.LockType
_OWN_UID = bool(_uid)  # a uid of this sandbox alone: its processes are ours
_BASELINE_TIDS: set = set()  # the main thread and any a library started while importing (read at start)


def _encode(value: object, depth: int = 0) -> str:
    """JSON for plain values only (exact types), so that encoding never runs code the learner provided."""
    t = type(value)
    if t is str:
        return _bound["encode_str"](value)
    if value is None:
        return "null"
    if t is bool:
        return "true" if value else "false"
    if t is int:
        return _bound["int_repr"](value)
    if t is float:
        text = _bound["float_repr"](value)
        return text if text not in ("nan", "inf", "-inf") else "null"
    if depth > 20:
        return "null"
    if t is list or t is tuple:
        return "[" + ",".join([_encode(v, depth + 1) for v in value]) + "]"
    if t is dict:
        return (
            "{" + ",".join([_encode(k) + ":" + _encode(v, depth + 1) for k, v in value.items() if type(k) is str]) + "}"
        )
    return "null"


def _reply(obj: dict) -> None:
    if _bound["getpid"]() != _PID:  # a forked child must never speak for the worker
        _bound["exit"](0)
    view = memoryview((_encode(obj) + "\n").encode())
    while view:
        n = _bound["write"](_REP_FD, view)
        view = view[n:]


_rbuf = bytearray()


def _read_request() -> dict | None:
    while b"\n" not in _rbuf:
        chunk = _bound["read"](_REQ_FD, 1 << 20)
        if not chunk:
            return None
        _rbuf.extend(chunk)
    line, _, rest = bytes(_rbuf).partition(b"\n")
    _rbuf[:] = rest
    return _bound["scan"](line.decode(), 0)[0]


def _others() -> list:
    """Threads of this process other than the main one, read from /proc (nothing the learner can patch)."""
    return [t for t in _bound["listdir"]("/proc/self/task") if t not in _BASELINE_TIDS]


def _strays() -> list:
    """Processes the learner left behind: all but us in a private pid namespace, else those of our own uid."""
    if not (_PIDNS or _OWN_UID):
        return []
    me, uid = _bound["getpid"](), _bound["getuid"]()
    found = []
    for name in _bound["listdir"]("/proc"):
        if name.isdigit() and int(name) not in (1, me) if _PIDNS else name.isdigit() and int(name) != me:
            try:
                if _bound["stat"]("/proc/" + name).st_uid == uid:
                    found.append(int(name))
            except OSError:
                pass
    return found


def _reap() -> None:
    try:
        while _bound["waitpid"](-1, _bound["WNOHANG"])[0] > 0:
            pass
    except ChildProcessError:
        pass


def _gone(box: list) -> None:
    """Wait (briefly) until the runner thread has ended: the interpreter releases its sentinel lock then."""
    for entry in box:
        if type(entry) is tuple and len(entry) == 2 and entry[0] == "sentinel" and type(entry[1]) is _LockType:
            entry[1].acquire(True, 1.0)
            return


def _quiet(timeout: float) -> list:
    """Wait until no learner thread or process is left; returns what is still there after ``timeout``."""
    deadline = _bound["monotonic"]() + timeout
    killed = False
    pause = 0.0002
    while True:
        _reap()
        procs = _strays()
        if procs and not killed:
            for pid in procs:
                try:  # noqa: SIM105 - contextlib is not among the functions bound for the main thread
                    _bound["kill"](pid, _bound["SIGKILL"])
                except OSError:
                    pass
            killed = True
        threads = _others()
        if not threads and not procs:
            return []
        if _bound["monotonic"]() > deadline:
            return [f"thread {t}" for t in threads] + [f"process {p}" for p in procs]
        _bound["sleep"](pause)
        pause = min(pause * 2, 0.02)


def _plain_outputs(outputs: object) -> list:
    """The learner's outputs as plain values: anything but exact dicts, lists and strings is dropped."""
    result = []
    if type(outputs) is not list:
        return result
    for out in outputs[:10000]:
        if type(out) is not dict:
            continue
        clean = {}
        for key, value in out.items():
            if type(key) is not str:
                continue
            if type(value) is str or value is None or type(value) is int:
                clean[key] = value
            elif type(value) is dict:
                clean[key] = {k: v for k, v in value.items() if type(k) is str and type(v) is str}
            elif type(value) is list:
                clean[key] = [v for v in value if type(v) is str]
        result.append(clean)
    return result


def _plain_error(error: object) -> dict:
    ename, evalue, lines = error if type(error) is tuple and len(error) == 3 else ("Error", "", [])
    return {
        "ename": ename if type(ename) is str else "Error",
        "evalue": evalue if type(evalue) is str else "",
        "traceback": [s for s in lines if type(s) is str] if type(lines) is list else [],
    }


class _Harness:
    """The state of one job, held by the main thread only."""

    def __init__(self) -> None:
        self.ns = _user.__dict__
        self.carry: dict = {}
        self.clean_builtins = dict(builtins.__dict__)
        self.drop = tuple(k for k in self.clean_builtins if not k.startswith("__"))
        self.snapshot = _snapshot()
        _BASELINE_TIDS.update(_bound["listdir"]("/proc/self/task"))
        self.reserve: bytearray | None = None
        self.memory_error = False

    def run(self, req: dict) -> dict:
        kind, index, code = req["kind"], int(req["index"]), req["code"]
        started = _bound["monotonic"]()
        flagged = len(_flags)
        review: list = []
        box: list = []
        done = _bound["lock"]()
        done.acquire()
        error = None
        outputs: list = []
        if kind == "test":
            left = _quiet(1.0)
            if left:
                review.append("still running before a test: " + ", ".join(left))
            else:
                _phase[0] = 2
                export = tuple(n for n in req.get("export") or () if type(n) is str)
                args = (code, export, self.ns, self.carry, self.clean_builtins, self.drop, self.snapshot, box, done)
                _bound["start"](_test_runner, args)
                done.acquire()
                _gone(box)
                left = _quiet(2.0)
                _phase[0] = 1
                if left:
                    review.append("still running after a test: " + ", ".join(left))
                report = box[-1] if box else ("harness-error", "no report")
                if report[0] == "test":
                    _tag, err, found = report
                    review.extend(found)
                    if err is not None:
                        error = _plain_error(err)
                        del error["traceback"]
                else:
                    review.append("the test runner failed")
        else:
            _bound["start"](_learner_runner, (code, f"<cell-{index + 1}>", self.ns, box, done, _facade))
            done.acquire()
            _gone(box)
            for entry in box:
                if type(entry) is not tuple or not entry:
                    continue
                if entry[0] == "error" and len(entry) == 3:
                    error = _plain_error(entry[1])
                    if entry[2] is True:
                        self.memory_error = True
                        self.reserve = None
                elif entry[0] == "outputs" and len(entry) == 2:
                    outputs = _plain_outputs(entry[1])
            if error is not None:
                outputs.append({"output_type": "error", **error})
        review.extend(_flags[flagged:])
        if kind == "test" and review:
            error = error or {"ename": "NeedsReview", "evalue": ""}
        return {
            "type": "cell",
            "nonce": req["nonce"],
            "index": index,
            "ok": error is None and not review,
            "error": error,
            "outputs": outputs if kind != "test" else [],
            "memory_error": self.memory_error,
            "review": [r[:300] if type(r) is str else "?" for r in review[:20]],
            "duration": _bound["monotonic"]() - started,
        }


_RESERVE = 48 << 20


def _start_job(job: dict, harness: _Harness) -> None:
    limits = job.get("limits", {})
    root = job["root"]
    os.makedirs(root, exist_ok=True)
    for rel, b64 in job.get("files", {}).items():
        path = os.path.normpath(os.path.join(root, rel))
        if not path.startswith(root.rstrip("/") + "/"):
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(base64.b64decode(b64))
    cwd = os.path.normpath(os.path.join(root, job.get("cwd", "")))
    os.makedirs(cwd, exist_ok=True)
    os.chdir(cwd)
    _facade["State"].limit = int(limits.get("output_bytes", 2 << 20))
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime) + int(limits.get("cpu_s", 20))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    vm = 0
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                vm = int(line.split()[1]) * 1024
    mem = vm + int(limits.get("memory_bytes", 1 << 30)) + _RESERVE
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    harness.reserve = bytearray(_RESERVE)  # freed when the learner runs out of memory, so replies still fit
    fsize = int(limits.get("fsize_bytes", 32 << 20))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    nofile = int(limits.get("nofile", 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    nproc = int(limits.get("nproc", 64))
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write raises OSError instead of killing us


def _main() -> None:
    harness = _Harness()
    _reply({"type": "ready", "pid": _PID})
    job = _read_request()
    if job is None or job.get("type") != "job":
        return
    try:
        _start_job(job, harness)
    except Exception as exc:
        _reply({"type": "job-error", "error": repr(exc)})
        return
    _reply({"type": "job-ready"})
    _phase[0] = 1
    while True:
        req = _read_request()
        if req is None or req.get("type") != "cell":
            return
        try:
            _reply(harness.run(req))
        except MemoryError:
            harness.reserve = None
            _reply(
                {
                    "type": "cell",
                    "nonce": req.get("nonce"),
                    "index": req.get("index"),
                    "ok": False,
                    "error": {"ename": "MemoryError", "evalue": "out of memory"},
                    "outputs": [],
                    "memory_error": True,
                    "review": [],
                    "duration": 0.0,
                }
            )


_main()
_exit = os._exit
_exit(0)  # skip the learner's atexit handlers and buffered output
