"""Sandboxed cell runner: a standalone script started by lms.grading.sandbox, used for exactly one job."""

# This file runs as a script inside the sandbox (it cannot import lms: the project is not visible there).
# Protocol, one JSON object per line: the worker writes {"type": "ready"} on its reply pipe once the common
# libraries are imported; the parent sends {"type": "job"} (files, limits), then {"type": "cell"} requests one
# at a time, each with a fresh nonce that the reply must echo; {"type": "end"} or EOF ends the job.

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

import ast  # noqa: E402
import base64  # noqa: E402
import builtins  # noqa: E402
import faulthandler  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import linecache  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import types  # noqa: E402

faulthandler.enable(file=sys.__stderr__)

_exec = builtins.exec
_eval = builtins.eval
_compile = builtins.compile
_write = os.write
_exit = os._exit
_getpid = os.getpid
_dumps = json.dumps
_settrace = sys.settrace
_setprofile = sys.setprofile
_BaseException = BaseException

# --- audit guard: learners may not add audit hooks; while a test cell runs, no tracing, frame walking of
# other threads, gc walking, ctypes or process spawning (the usual ways to tamper with a test's outcome).
_GUARD_DENY = (
    "ctypes.",
    "gc.get_",
    "sys._current_frames",
    "sys.settrace",
    "sys.setprofile",
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
    "sys.remote_exec",
    "cpython.remote_debugger",
)
_guard = [False]


def _audit(event: str, args: tuple, _guard: list = _guard, _deny: tuple = _GUARD_DENY) -> None:
    if event == "sys.addaudithook":
        raise RuntimeError("audit hooks are reserved by the grader")
    if _guard[0] and event.startswith(_deny):
        raise RuntimeError(f"{event} is not allowed while tests run")


sys.addaudithook(_audit)


def _reply(obj: dict) -> None:
    if _getpid() != _PID:  # a forked child must never speak for the worker
        _exit(0)
    data = (_dumps(obj) + "\n").encode()
    view = memoryview(data)
    while view:
        n = _write(_REP_FD, view)
        view = view[n:]


_rbuf = bytearray()


def _read_request() -> dict | None:
    while b"\n" not in _rbuf:
        chunk = os.read(_REQ_FD, 1 << 20)
        if not chunk:
            return None
        _rbuf.extend(chunk)
    line, _, rest = bytes(_rbuf).partition(b"\n")
    _rbuf[:] = rest
    return json.loads(line)


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

_MIME_KEEP = (
    "text/plain",
    "text/html",
    "text/markdown",
    "text/latex",
    "image/png",
    "image/jpeg",
    "image/svg+xml",
    "application/json",
)


class _State:
    reserve: bytearray | None = None
    outputs: list = []
    total = 0
    limit = 2 << 20
    nonce = ""
    memory_error = False


def _account(n: int) -> None:
    _State.total += n
    if _State.total > _State.limit:
        _reply({"type": "output-limit", "nonce": _State.nonce})
        _exit(3)


class _Stream(io.TextIOBase):
    def __init__(self, name: str) -> None:
        self.name = name

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:  # type: ignore[override]
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        if not s:
            return 0
        _account(len(s))
        outs = _State.outputs
        if outs and outs[-1].get("output_type") == "stream" and outs[-1]["name"] == self.name:
            outs[-1]["text"] += s
        else:
            outs.append({"output_type": "stream", "name": self.name, "text": s})
        return len(s)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


_stdout, _stderr = _Stream("stdout"), _Stream("stderr")


def _mime_bundle(data: dict) -> dict:
    bundle = {}
    for key in _MIME_KEEP:
        if key in data:
            value = data[key]
            if isinstance(value, bytes):
                value = base64.b64encode(value).decode()
            elif not isinstance(value, str):
                value = _dumps(value) if key == "application/json" else str(value)
            bundle[key] = value
    _account(sum(len(v) for v in bundle.values()))
    return bundle


class _Publisher(DisplayPublisher):
    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs) -> None:  # noqa: ANN001
        bundle = _mime_bundle(data or {})
        if bundle:
            _State.outputs.append({"output_type": "display_data", "data": bundle, "metadata": {}})

    def clear_output(self, wait: bool = False) -> None:
        _State.outputs[:] = [o for o in _State.outputs if o.get("output_type") == "error"]


_shell = InteractiveShell.instance()
_shell.display_pub = _Publisher(shell=_shell)
_format = _shell.display_formatter.format
_transform = _shell.input_transformer_manager.transform_cell
_shell.register_magic_function(lambda line="": None, "line", "matplotlib")  # figures are always captured


def _flush_figures() -> None:
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    try:
        for num in plt.get_fignums():
            fig = plt.figure(num)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", bbox_inches="tight")
            png = base64.b64encode(buf.getvalue()).decode()
            _account(len(png))
            _State.outputs.append(
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"image/png": png, "text/plain": repr(fig)},
                }
            )
        plt.close("all")
    except Exception as exc:  # a broken figure is the learner's error, shown as text
        _stderr.write(f"could not draw the figure: {exc!r}\n")
        plt.close("all")


if "matplotlib.pyplot" in sys.modules:
    sys.modules["matplotlib.pyplot"].show = lambda *a, **k: _flush_figures()

_user = types.ModuleType("__main__", "the learner's notebook")
_user.__dict__["__builtins__"] = builtins
_user.__dict__["get_ipython"] = lambda: _shell
_user.__dict__["display"] = __import__("IPython.display", fromlist=["display"]).display
sys.modules["__main__"] = _user
_shell.user_module = _user
_shell.user_ns = _user.__dict__
_ns = _user.__dict__
_BUILTINS_SNAPSHOT = dict(builtins.__dict__)
# Names a learner could shadow at module level to change what a test's `except` or `isinstance` means.
_PROTECTED = {k for k, v in _BUILTINS_SNAPSHOT.items() if isinstance(v, type) and issubclass(v, BaseException)}
_PROTECTED |= {
    "isinstance",
    "issubclass",
    "type",
    "len",
    "repr",
    "str",
    "bool",
    "callable",
    "hasattr",
    "getattr",
    "id",
    "hash",
    "iter",
    "next",
    "object",
    "exec",
    "eval",
    "compile",
    "__import__",
}
_MAGIC = re.compile(r"^\s*[%!]|\?\s*$", re.M)


def _restore_builtins() -> None:
    d = builtins.__dict__
    for key in [k for k in d if k not in _BUILTINS_SNAPSHOT]:
        del d[key]
    for key, value in _BUILTINS_SNAPSHOT.items():
        if d.get(key, _restore_builtins) is not value:
            d[key] = value
    _ns["__builtins__"] = builtins
    for key in _PROTECTED:
        if key in _ns and _ns[key] is not _BUILTINS_SNAPSHOT.get(key):
            del _ns[key]


def _kill_strays() -> None:
    """In a private pid namespace: end every process the learner left behind before a test runs."""
    if os.environ.get("BAEUM_SANDBOX_PIDNS") != "1":
        return
    me, uid = _getpid(), os.getuid()
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) not in (1, me):
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    os.kill(int(name), signal.SIGKILL)
            except OSError:
                pass


def _run(code: str, filename: str, interactive: bool) -> object:
    if _MAGIC.search(code):
        code = _transform(code)
    tree = ast.parse(code, filename, "exec")
    last = None
    if interactive and tree.body and isinstance(tree.body[-1], ast.Expr) and not code.rstrip().endswith(";"):
        last = ast.Expression(tree.body.pop().value)
    _exec(_compile(tree, filename, "exec"), _ns)
    if last is not None:
        return _eval(_compile(last, filename, "eval"), _ns)
    return None


def _learner_traceback(exc: BaseException) -> list[str]:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<cell-")]
    lines = []
    if frames:
        lines.append("Traceback (most recent call last):\n")
        lines.extend(traceback.format_list(frames))
    lines.extend(traceback.format_exception_only(type(exc), exc))
    return lines


def _cell(req: dict) -> dict:
    kind, index, code = req["kind"], int(req["index"]), req["code"]
    _State.outputs = []
    _State.nonce = req["nonce"]
    sys.stdout, sys.stderr = _stdout, _stderr
    error = None
    started = time.monotonic()
    if kind == "test":
        filename = "<test>"
        _kill_strays()
        _restore_builtins()
        _settrace(None)
        _setprofile(None)
        _guard[0] = True
    else:
        filename = f"<cell-{index + 1}>"
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    try:
        value = _run(code, filename, interactive=kind != "test")
        if value is not None:
            _ns["_"] = value
            data, _md = _format(value)
            bundle = _mime_bundle(data)
            if bundle:
                _State.outputs.append(
                    {"output_type": "execute_result", "data": bundle, "metadata": {}, "execution_count": None}
                )
    except _BaseException as exc:  # SystemExit and KeyboardInterrupt too: the notebook goes on, like Jupyter
        _guard[0] = False
        _settrace(None)
        if isinstance(exc, MemoryError):
            _State.memory_error = True
            _State.reserve = None  # give the harness room to report
        try:
            evalue = str(exc)
        except _BaseException:
            evalue = "<exception could not be shown>"
        error = {"ename": type(exc).__name__, "evalue": evalue[:2000]}
        if kind != "test":
            try:
                error["traceback"] = _learner_traceback(exc)
            except _BaseException:
                error["traceback"] = []
        del exc
    finally:
        _guard[0] = False
        _settrace(None)
        sys.stdout, sys.stderr = _stdout, _stderr
    if kind != "test":
        _flush_figures()
    else:
        _State.outputs = []
        sys.modules.get("matplotlib.pyplot") and sys.modules["matplotlib.pyplot"].close("all")
    if error is not None and kind != "test":
        _State.outputs.append({"output_type": "error", **error})
    return {
        "type": "cell",
        "nonce": req["nonce"],
        "index": index,
        "ok": error is None,
        "error": error,
        "outputs": _State.outputs,
        "memory_error": _State.memory_error,
        "duration": time.monotonic() - started,
    }


_RESERVE = 48 << 20


def _start_job(job: dict) -> None:
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
    _State.limit = int(limits.get("output_bytes", 2 << 20))
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
    _State.reserve = bytearray(_RESERVE)  # freed when the learner runs out of memory, so replies still fit
    fsize = int(limits.get("fsize_bytes", 32 << 20))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    nofile = int(limits.get("nofile", 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    nproc = int(limits.get("nproc", 64))
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write raises OSError instead of killing us


def _main() -> None:
    _reply({"type": "ready", "pid": _PID})
    job = _read_request()
    if job is None or job.get("type") != "job":
        return
    try:
        _start_job(job)
    except Exception as exc:
        _reply({"type": "job-error", "error": repr(exc)})
        return
    _reply({"type": "job-ready"})
    while True:
        req = _read_request()
        if req is None or req.get("type") != "cell":
            return
        try:
            _reply(_cell(req))
        except MemoryError:
            _State.reserve = None
            _State.outputs = []
            _reply(
                {
                    "type": "cell",
                    "nonce": req.get("nonce"),
                    "index": req.get("index"),
                    "ok": False,
                    "error": {"ename": "MemoryError", "evalue": "out of memory"},
                    "outputs": [],
                    "memory_error": True,
                    "duration": 0.0,
                }
            )


_main()
_exit(0)  # skip the learner's atexit handlers and buffered output
