"""Run untrusted notebook cells in single-use sandboxed interpreters (bubblewrap, unshare or rlimits)."""

from __future__ import annotations

import base64
import collections
import hashlib
import json
import logging
import os
import secrets
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)

Isolation = Literal["bwrap", "unshare", "rlimits"]
CellKind = Literal["code", "test"]
RunStatus = Literal["ok", "timeout", "crashed", "output-limit", "memory-limit"]

WORKER = Path(__file__).with_name("_worker.py")
DEFAULT_PRELOAD = (
    "numpy",
    "pandas",
    "matplotlib",
    "matplotlib.pyplot",
    "sklearn",
    "sklearn.linear_model",
    "sklearn.model_selection",
    "sklearn.metrics",
    "sklearn.preprocessing",
)
SANDBOX_HOME = "/home/learner"
# The checkout this library runs from: never visible to learner code (the platform adds its instance folder,
# course folder and database folder through ``hide``).
PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
# Shared writable places and home folders, hidden behind empty file systems outside bubblewrap too.
_HIDE_ALWAYS = ("/tmp", "/var/tmp", "/dev/shm", "/root", "/home")
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap)"
)
_UID_BASE = 61000  # when the grader runs as root each sandbox gets its own unprivileged uid from this range
_UID_SPAN = 4096
# Files never copied from a data directory into a sandbox: notebooks (sources, hidden tests), quizzes with
# their answers, lessons, manifests, and anything hidden.
_DATA_EXCLUDED_SUFFIXES = (".ipynb", ".yml", ".yaml", ".md", ".pyc")


_EXIT_OUTPUT_LIMIT = 3  # the worker's exit status when the notebook printed more than allowed


class SandboxError(RuntimeError):
    """The sandbox could not be started (misconfigured host), as opposed to a learner's code failing in it."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one run. Memory is counted on top of the preloaded libraries."""

    wall_s: float = 30.0
    cpu_s: int = 20
    memory_mb: int = 1024
    nproc: int = 64  # processes and threads
    nofile: int = 256
    fsize_mb: int = 32  # largest file the notebook may write
    disk_mb: int = 128  # size of the private temporary file systems (bwrap)
    output_kb: int = 2048  # everything the notebook prints or displays, images included
    data_mb: int = 64  # the course data files copied in

    def for_worker(self) -> dict[str, int]:
        return {
            "cpu_s": self.cpu_s,
            "memory_bytes": self.memory_mb << 20,
            "nproc": self.nproc,
            "nofile": self.nofile,
            "fsize_bytes": self.fsize_mb << 20,
            "output_bytes": self.output_kb << 10,
        }


@dataclass(frozen=True)
class CellSpec:
    """A code cell to run: ``test`` cells run guarded and report only the error type and message."""

    index: int
    code: str
    kind: CellKind = "code"
    # Names a test cell's visible part assigns: they reach the notebook's later cells (an instructor may compute
    # ``feat = add_features(df)`` in a test for the next answer); a hidden part's names stay with the tests.
    export: tuple[str, ...] = ()


@dataclass
class CellRun:
    """What one cell did: status ``ok``, ``error`` or ``not-run``; nbformat-shaped outputs."""

    index: int
    status: str
    outputs: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    duration_s: float = 0.0
    review: list[str] = field(default_factory=list)  # why an instructor must look at it (tampering detected)


@dataclass
class SandboxRun:
    """The outcome of running a list of cells in one sandbox."""

    status: RunStatus
    cells: list[CellRun]
    isolation: str
    duration_s: float
    detail: str = ""  # for the logs: exit status, diagnostics tail
    review: list[str] = field(default_factory=list)  # tampering detected while tests ran: not to be scored


# --- host detection


def _python_roots(python: str) -> list[str]:
    roots = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    exe = os.path.realpath(python)
    roots.add(os.path.dirname(os.path.dirname(exe)))
    roots.add(os.path.abspath(os.path.dirname(os.path.dirname(python))))
    # Drop roots already inside another one, and the system directories bound anyway.
    ordered = sorted(r for r in roots if r not in ("/", "/usr", "/usr/local") and not r.startswith("/usr/"))
    result: list[str] = []
    for r in ordered:
        if not any(r.startswith(p.rstrip("/") + "/") for p in result):
            result.append(r)
    return result


def _bwrap_argv(python: str, mplcache: str | None, limits: Limits, root: bool) -> list[str]:
    bwrap = shutil.which("bwrap") or "bwrap"
    argv = [
        bwrap,
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "baeum-sandbox",
        "--cap-drop",
        "ALL",
    ]
    if root:
        # Privileged bwrap keeps only these two capabilities; the worker uses them once to drop to its uid.
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        argv += ["--unshare-user", "--uid", "1000", "--gid", "1000"]
    argv += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = "/" + name
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    for path in ("/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime"):
        argv += ["--ro-bind-try", path, path]
    made: set[str] = {"/", "/usr", "/etc", "/opt", "/tmp", "/home"}
    argv += ["--perms", "0755", "--dir", "/etc", "--perms", "0755", "--dir", "/opt"]
    # The writable tmpfs mounts come before the read-only binds: the Python runtime may itself live under /tmp
    # or /home (a checkout there), and a later tmpfs would hide it.
    size = str(limits.disk_mb << 20)
    argv += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--perms",
        "1777",
        "--size",
        size,
        "--tmpfs",
        "/dev/shm",
        "--perms",
        "1777",
        "--size",
        size,
        "--tmpfs",
        "/tmp",
        "--perms",
        "0755",
        "--dir",
        "/home",
        "--perms",
        "1777",
        "--size",
        size,
        "--tmpfs",
        SANDBOX_HOME,
    ]
    binds = [(r, r) for r in _python_roots(python)] + [(str(WORKER), "/opt/baeum/worker.py")]
    if mplcache:
        binds.append((mplcache, "/opt/baeum/mplcache"))
    for src, dest in binds:
        parts = Path(dest).parent.parts
        for depth in range(2, len(parts) + 1):
            parent = str(Path(*parts[:depth]))
            if parent not in made and not parent.startswith("/usr/"):
                argv += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        argv += ["--ro-bind", src, dest]
    argv += ["--chdir", SANDBOX_HOME, "--clearenv"]
    return argv


def _probe(argv: list[str], env: dict[str, str]) -> bool:
    try:
        proc = subprocess.run(
            argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=20, start_new_session=True
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    if proc.returncode != 0:
        log.info("sandbox probe %s failed: %s", argv[0], proc.stderr.decode(errors="replace")[-500:])
    return proc.returncode == 0 and proc.stdout.strip() == b"ok"


def detect_isolation(python: str | None = None) -> Isolation:
    """The strongest isolation that works on this host: bwrap, else unshare, else rlimits only."""
    python = python or sys.executable
    check = [
        python,
        "-I",
        "-S",
        "-c",
        "import socket,os\ntry:\n socket.create_connection(('1.1.1.1',53),1)\nexcept OSError:\n print('ok')",
    ]
    if shutil.which("bwrap") and _probe(_bwrap_argv(python, None, Limits(), os.geteuid() == 0) + check, {}):
        return "bwrap"
    if shutil.which("unshare") and _probe(_unshare_prefix(_python_roots(python)) + check, {}):
        return "unshare"
    return "rlimits"


def _unshare_prefix(keep: Iterable[str] = (), hide: Iterable[str] = ()) -> list[str]:
    """``unshare`` with private pid, network, ipc, uts and mount namespaces: empty file systems over ``hide`` (and
    the project, home folders and shared temporary folders), with the ``keep`` paths mounted back where they were.
    As root, the worker then drops to its sandbox uid; otherwise a second user namespace maps us to uid 1000."""
    root = os.geteuid() == 0
    argv = [
        shutil.which("unshare") or "unshare",
        "--fork",
        "--pid",
        "--mount-proc",
        "--kill-child",
        "--net",
        "--ipc",
        "--uts",
        "--mount",
        "--propagation",
        "private",
    ]
    if not root:
        argv += ["--user", "--map-root-user"]
    keep = [os.path.realpath(k) for k in keep if os.path.exists(k)]
    hidden: list[str] = []
    for path in sorted({os.path.realpath(h) for h in [*hide, PROJECT_ROOT, *_HIDE_ALWAYS] if os.path.isdir(h)}):
        if not any(path == h or path.startswith(h.rstrip("/") + "/") for h in hidden):
            hidden.append(path)
    q = shlex.quote
    lines = ["set -e", "mount -t tmpfs -o mode=0700,size=1m tmpfs /mnt"]
    for i, path in enumerate(keep):
        make = f"mkdir -p /mnt/{i}" if os.path.isdir(path) else f"touch /mnt/{i}"
        lines += [make, f"mount --bind {q(path)} /mnt/{i}"]
    lines += [f"mount -t tmpfs -o mode=0755,size=16m tmpfs {q(h)}" for h in hidden]
    for i, path in enumerate(keep):
        make = f"mkdir -p {q(path)}" if os.path.isdir(path) else f"mkdir -p {q(os.path.dirname(path))}; touch {q(path)}"
        lines += [make, f"mount --move /mnt/{i} {q(path)}"]
    lines.append("umount /mnt")
    if not root:
        lines.append('exec unshare --user --map-user=1000 --map-group=1000 -- "$@"')
    else:
        lines.append('exec "$@"')
    return [*argv, "--", "/bin/sh", "-c", "\n".join(lines), "baeum-sandbox"]


_DESCRIPTIONS = {
    "bwrap": "bubblewrap: private network, pid, ipc and uts namespaces{user}; read-only Python runtime; "
    "only a private tmpfs is writable; no view of the project, database or other submissions",
    "unshare": "unshare: private network, pid, ipc, uts and mount namespaces{user}; empty file systems over the "
    "project, the instance and course folders, home folders and shared temporary folders; the rest of the host "
    "file system is visible read-only by file permissions (install bubblewrap for full file-system isolation)",
    "rlimits": "resource limits, a new session and a separate unprivileged uid only: no namespaces; the project, "
    "instance and course folders are unreadable to that uid by their permissions; the network is reachable "
    "(install bubblewrap)",
}


# --- one sandbox


class _Died(Exception):
    pass


class _Sandbox:
    """A started interpreter: ready once its libraries are imported; runs one job, then is destroyed."""

    def __init__(self, pool: SandboxPool, uid: int | None) -> None:
        self.pool = pool
        self.uid = uid
        self.hostdir: str | None = None
        self.started = time.monotonic()
        self._buf = bytearray()
        self._diag: collections.deque[bytes] = collections.deque(maxlen=64)
        self.ready = False
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "BAEUM_PRELOAD": ",".join(pool.preload),
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        if uid is not None:
            env["BAEUM_SANDBOX_UID"] = str(uid)
        if pool.isolation == "bwrap":
            self.root = SANDBOX_HOME
            env.update(
                HOME=SANDBOX_HOME,
                TMPDIR="/tmp",
                MPLCONFIGDIR="/tmp/.mpl",
                IPYTHONDIR="/tmp/.ipython",
                BAEUM_SANDBOX_PIDNS="1",
            )
            if pool.mplcache:
                env["BAEUM_MPL_CACHE"] = "/opt/baeum/mplcache"
            argv = _bwrap_argv(pool.python, pool.mplcache, pool.limits, os.geteuid() == 0)
            for key, value in env.items():
                argv += ["--setenv", key, value]
            argv += [pool.python, "-I", "-B", "/opt/baeum/worker.py"]
            popen_env: dict[str, str] = {}
            cwd = None
        else:
            self.hostdir = tempfile.mkdtemp(prefix="baeum-sandbox-")
            self.root = os.path.join(self.hostdir, "work")
            for sub in ("work", "tmp"):
                os.makedirs(os.path.join(self.hostdir, sub))
            if uid is not None:
                for sub in ("", "work", "tmp"):
                    os.chown(os.path.join(self.hostdir, sub), uid, uid)
            os.chmod(self.hostdir, 0o711)
            env.update(
                HOME=self.root,
                TMPDIR=os.path.join(self.hostdir, "tmp"),
                MPLCONFIGDIR=os.path.join(self.hostdir, "tmp", ".mpl"),
                IPYTHONDIR=os.path.join(self.hostdir, "tmp", ".ipython"),
            )
            if pool.mplcache:
                env["BAEUM_MPL_CACHE"] = pool.mplcache
            # The worker runs from a copy: the project it lives in is hidden (unshare) or unreadable (rlimits).
            worker = os.path.join(self.hostdir, "worker.py")
            shutil.copyfile(WORKER, worker)
            os.chmod(worker, 0o644)
            argv = [pool.python, "-I", "-B", worker]
            if pool.isolation == "unshare":
                env["BAEUM_SANDBOX_PIDNS"] = "1"
                keep = [*_python_roots(pool.python), self.hostdir, *([pool.mplcache] if pool.mplcache else [])]
                argv = _unshare_prefix(keep, pool.hide) + argv
            popen_env = env
            cwd = self.root
        try:
            self.proc = subprocess.Popen(
                argv,
                env=popen_env,
                cwd=cwd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            self.destroy()
            raise SandboxError(f"cannot start the sandbox: {exc}") from exc
        assert self.proc.stdout is not None and self.proc.stderr is not None
        log.debug("sandbox %s started (uid %s)", self.proc.pid, uid)
        self._out = self.proc.stdout.fileno()
        os.set_blocking(self._out, False)
        threading.Thread(target=self._drain, args=(self.proc.stderr,), daemon=True).start()

    def _drain(self, stream: Any) -> None:
        try:
            while chunk := stream.read1(65536):
                self._diag.append(chunk[-4096:])
        except (OSError, ValueError):
            pass

    def diagnostics(self) -> str:
        return b"".join(self._diag)[-4000:].decode(errors="replace")

    def send(self, obj: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(obj).encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise _Died("the sandbox closed its input") from exc

    def recv(self, deadline: float, max_line: int, expect: set[str], nonce: str | None = None) -> dict[str, Any]:
        """The next reply of a type in ``expect`` (and with ``nonce``); raises TimeoutError or _Died."""
        while True:
            while b"\n" in self._buf:
                line, _, rest = bytes(self._buf).partition(b"\n")
                self._buf[:] = rest
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(msg, dict) or msg.get("type") not in expect:
                    continue
                if nonce is not None and msg.get("nonce") != nonce:
                    continue  # a forged or stale message: only the current request's nonce counts
                return msg
            if len(self._buf) > max_line:
                raise OverflowError("reply too large")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self._out], [], [], min(remaining, 1.0))
            if ready:
                try:
                    chunk = os.read(self._out, 1 << 20)
                except BlockingIOError:
                    continue
                if not chunk:
                    raise _Died("the sandbox closed its output")
                self._buf.extend(chunk)

    def wait_ready(self, timeout: float) -> None:
        if self.ready:
            return
        try:
            self.recv(time.monotonic() + timeout, 1 << 20, {"ready"})
        except (TimeoutError, _Died, OverflowError) as exc:
            detail = self.diagnostics()
            self.destroy()
            raise SandboxError(f"the sandbox did not start ({type(exc).__name__}): {detail}") from exc
        self.ready = True

    def exit_detail(self) -> tuple[int | None, str]:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return None, "still running"
        if code < 0:
            return -code, f"killed by signal {-code}"
        if code > 128 and self.pool.isolation == "bwrap":
            return code - 128, f"killed by signal {code - 128}"
        return None, f"exit status {code}"

    def destroy(self) -> None:
        if getattr(self, "_destroyed", False):
            return
        self._destroyed = True
        proc = getattr(self, "proc", None)
        if proc is not None:
            log.debug("sandbox %s destroyed (uid %s, exit %s)", proc.pid, self.uid, proc.poll())
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log.error("sandbox %s did not die", proc.pid)
            for stream in (proc.stdin, proc.stdout):
                try:
                    if stream is not None:
                        stream.close()
                except OSError:
                    pass
        if self.uid is not None and self.pool.isolation != "bwrap":
            _kill_uid(self.uid)
        if self.hostdir:
            shutil.rmtree(self.hostdir, ignore_errors=True)
        self.pool._release_uid(self.uid)


def _world_readable(path: str) -> bool:
    """True when every directory down to ``path`` can be entered by any user."""
    current = Path(path)
    for part in [current, *current.parents]:
        try:
            if not part.stat().st_mode & 0o001:
                return False
        except OSError:
            return False
    return True


def _kill_uid(uid: int) -> None:
    """Without a pid namespace, a daemon that left the session is found by its sandbox-only uid."""
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    os.kill(int(name), signal.SIGKILL)
            except OSError:
                pass


# --- the pool


class SandboxPool:
    """Keeps ``size`` sandboxes started and warm (libraries imported); each serves one run, then is destroyed.

    Thread-safe: any number of grading threads may call :meth:`run` at once.
    """

    def __init__(
        self,
        size: int = 2,
        *,
        isolation: Isolation | Literal["auto"] = "auto",
        require: Isolation | None = None,
        python: str | None = None,
        preload: Iterable[str] = DEFAULT_PRELOAD,
        limits: Limits | None = None,
        startup_timeout: float = 60.0,
        hide: Iterable[str] = (),
    ) -> None:
        self.python = python or sys.executable
        self.size = size
        self.preload = tuple(preload)
        self.limits = limits or Limits()
        self.startup_timeout = startup_timeout
        self.hide = tuple(os.path.realpath(h) for h in (*hide, PROJECT_ROOT))
        self.isolation: Isolation = detect_isolation(self.python) if isolation == "auto" else isolation
        order = ["rlimits", "unshare", "bwrap"]
        if require is not None and order.index(self.isolation) < order.index(require):
            raise SandboxError(
                f"grading requires {require} isolation, but only {self.isolation} works here: {INSTALL_HINT}"
            )
        self.mplcache = _matplotlib_cache(self.python) if any("matplotlib" in m for m in self.preload) else None
        # Learner code never runs as root, nor where it could read the project or the instance folder.
        self.drop_uid = os.geteuid() == 0
        self._check_fallback()
        self._lock = threading.Lock()
        self._idle: collections.deque[_Sandbox] = collections.deque()
        self._uids: set[int] = set()
        self._next_uid = secrets.randbelow(_UID_SPAN)
        self._closed = False
        log.info("grading sandbox: %s", self.report())
        self._fill()

    def _check_fallback(self) -> None:
        """Refuse a weaker isolation that would run learner code as root or within sight of the hidden folders."""
        runtime = _python_roots(self.python)
        if self.isolation == "unshare" and self.drop_uid:
            # The sandbox uid reads the runtime where unshare mounts it back: its own folder must be readable.
            closed = [r for r in runtime if os.stat(r).st_mode & 0o005 != 0o005]
            if closed:
                raise SandboxError(
                    f"the Python runtime ({', '.join(closed)}) is not readable by other users, so unshare "
                    f"isolation would need root: {INSTALL_HINT}, or make it world-readable"
                )
        elif self.isolation == "rlimits":
            if not self.drop_uid:
                raise SandboxError(
                    "without namespaces, learner code would run as this user and could read the project and "
                    f"the instance folder: {INSTALL_HINT}"
                )
            closed = [r for r in runtime if not _world_readable(r)]
            visible = [h for h in self.hide if os.path.exists(h) and _world_readable(h)]
            if closed or visible:
                raise SandboxError(
                    "without namespaces the sandbox uid "
                    + (f"cannot read the Python runtime ({', '.join(closed)})" if closed else "")
                    + (" and " if closed and visible else "")
                    + (f"could read {', '.join(visible)}" if visible else "")
                    + f": {INSTALL_HINT}"
                )

    def report(self) -> str:
        root = os.geteuid() == 0
        user = ", a separate unprivileged uid per sandbox" if root else ", a private user namespace (uid 1000)"
        text = _DESCRIPTIONS[self.isolation].format(user=user if self.isolation != "rlimits" else "")
        return (
            f"{self.isolation}: {text}; limits on CPU time, wall time, memory, processes, open files, file "
            f"size and output; one fresh interpreter per run"
        )

    def _take_uid(self) -> int | None:
        if not self.drop_uid:
            return None
        with self._lock:
            for _ in range(_UID_SPAN):
                uid = _UID_BASE + self._next_uid
                self._next_uid = (self._next_uid + 1) % _UID_SPAN
                if uid not in self._uids:
                    self._uids.add(uid)
                    return uid
        raise SandboxError("no free sandbox uid")

    def _release_uid(self, uid: int | None) -> None:
        if uid is not None:
            with self._lock:
                self._uids.discard(uid)

    def _fill(self) -> None:
        while True:
            with self._lock:
                if self._closed or len(self._idle) >= self.size:
                    return
            sandbox = _Sandbox(self, self._take_uid())
            with self._lock:
                self._idle.append(sandbox)

    def acquire(self) -> _Sandbox:
        """A ready sandbox, never used before; the pool starts a replacement at once."""
        with self._lock:
            if self._closed:
                raise SandboxError("the sandbox pool is closed")
            sandbox = self._idle.popleft() if self._idle else None
        if sandbox is None:
            sandbox = _Sandbox(self, self._take_uid())
        self._fill()
        if sandbox.proc.poll() is not None:  # died while idle (e.g. killed by an operator): take a fresh one
            sandbox.destroy()
            sandbox = _Sandbox(self, self._take_uid())
        try:
            sandbox.wait_ready(self.startup_timeout)
        except SandboxError as exc:
            # It died before running anything of the learner's (seen under heavy load): one fresh try, logged.
            log.warning("a sandbox failed to start, starting another: %s", exc)
            sandbox = _Sandbox(self, self._take_uid())
            sandbox.wait_ready(self.startup_timeout)
        return sandbox

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = list(self._idle), collections.deque()
        for sandbox in idle:
            sandbox.destroy()

    def run(
        self,
        cells: list[CellSpec],
        files: Mapping[str, bytes] | None = None,
        limits: Limits | None = None,
        cwd: str = "",
    ) -> SandboxRun:
        """Run ``cells`` top to bottom in a fresh sandbox whose working directory holds ``files``."""
        limits = limits or self.limits
        started = time.monotonic()
        results = {c.index: CellRun(c.index, "not-run") for c in cells}
        status: RunStatus = "ok"
        detail = ""
        review: list[str] = []
        sandbox = self.acquire()
        try:
            deadline = time.monotonic() + limits.wall_s
            max_line = (limits.output_kb << 11) + (1 << 20)
            payload = {rel: base64.b64encode(data).decode() for rel, data in (files or {}).items()}
            sandbox.send(
                {
                    "type": "job",
                    "root": sandbox.root,
                    "cwd": cwd,
                    "files": payload,
                    "limits": limits.for_worker(),
                }
            )
            msg = sandbox.recv(deadline, max_line, {"job-ready", "job-error"})
            if msg["type"] == "job-error":
                raise _Died(f"job setup failed: {msg.get('error')}")
            for spec in cells:
                nonce = secrets.token_hex(16)
                sandbox.send(
                    {
                        "type": "cell",
                        "index": spec.index,
                        "kind": spec.kind,
                        "code": spec.code,
                        "export": list(spec.export),
                        "nonce": nonce,
                    }
                )
                msg = sandbox.recv(deadline, max_line, {"cell", "output-limit"}, nonce)
                if msg["type"] == "output-limit":
                    status = "output-limit"
                    results[spec.index] = CellRun(spec.index, "error", error=_limit_error("output-limit"))
                    break
                flags = [str(r) for r in msg.get("review") or []]
                results[spec.index] = CellRun(
                    spec.index,
                    "ok" if msg.get("ok") else "error",
                    outputs=list(msg.get("outputs") or []),
                    error=msg.get("error"),
                    duration_s=float(msg.get("duration") or 0.0),
                    review=flags,
                )
                review.extend(f"cell {spec.index + 1}: {r}" for r in flags)
                if msg.get("memory_error") and status == "ok":
                    status = "memory-limit"
            sandbox.send({"type": "end"})
        except TimeoutError:
            status, detail = "timeout", "wall-clock limit reached"
        except OverflowError:
            status, detail = "output-limit", "reply larger than the output limit"
        except _Died as exc:
            signo, why = sandbox.exit_detail()
            detail = f"{exc}; {why}"
            if sandbox.proc.returncode == _EXIT_OUTPUT_LIMIT:
                status = "output-limit"
            else:
                status = "timeout" if signo == signal.SIGXCPU else "crashed"
        finally:
            sandbox.destroy()
        if status != "ok":
            diag = sandbox.diagnostics()
            if diag:
                detail = f"{detail}\n{diag}" if detail else diag
            if status in ("timeout", "crashed", "output-limit"):
                # The first cell without a reply is the one that was running when the sandbox stopped.
                running = next((results[c.index] for c in cells if results[c.index].status == "not-run"), None)
                if running is not None:
                    running.status = "error"
                    running.error = _limit_error(status)
                    running.outputs = [{"output_type": "error", **running.error, "traceback": []}]
        cells_run = [results[c.index] for c in cells]
        return SandboxRun(status, cells_run, self.isolation, time.monotonic() - started, detail, review)


def _limit_error(status: str) -> dict[str, Any]:
    names = {
        "timeout": ("TimeoutError", "the notebook ran out of time (wall-clock or CPU limit)"),
        "crashed": ("SandboxCrashed", "the Python interpreter stopped unexpectedly"),
        "output-limit": ("OutputLimitExceeded", "the notebook printed more output than allowed"),
        "memory-limit": ("MemoryError", "the notebook used more memory than allowed"),
    }
    ename, evalue = names.get(status, ("Error", status))
    return {"ename": ename, "evalue": evalue}


def _matplotlib_cache(python: str) -> str | None:
    """Build matplotlib's font cache once per host, Python and set of installed fonts, so sandboxes do not rebuild it
    at start (and a font installed later, such as a Hangul one, is picked up instead of hidden by an old cache)."""
    key = "\n".join([os.path.realpath(python), *_font_files()]).encode()
    digest = hashlib.sha256(key).hexdigest()[:12]
    path = os.path.join(tempfile.gettempdir(), f"baeum-mplcache-{os.geteuid()}-{digest}")
    if os.path.isdir(path) and any(n.startswith("fontlist") for n in os.listdir(path)):
        return path
    os.makedirs(path, mode=0o755, exist_ok=True)
    os.chmod(path, 0o755)
    try:
        subprocess.run(
            [python, "-I", "-c", "import matplotlib.font_manager"],
            env={"MPLCONFIGDIR": path, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    for name in os.listdir(path):
        os.chmod(os.path.join(path, name), 0o644)
    return path if any(n.startswith("fontlist") for n in os.listdir(path)) else None


def _font_files() -> list[str]:
    """The font files matplotlib would find on this host, as sorted paths."""
    found = []
    for root in ("/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.local/share/fonts")):
        for folder, _dirs, names in os.walk(root):
            found.extend(os.path.join(folder, n) for n in names if n.lower().endswith((".ttf", ".otf", ".ttc", ".afm")))
    return sorted(found)


# --- data files and the default pool


def collect_files(
    data: str | os.PathLike[str] | Mapping[str, bytes | str | os.PathLike[str]] | None, limit_mb: int = 64
) -> dict[str, bytes]:
    """The files to copy into a sandbox, by course-relative path.

    A mapping is taken as it is (values are bytes or host paths). A directory is walked, skipping hidden files
    and anything that may hold answers: notebooks, YAML (quizzes, manifests) and Markdown.
    """
    files: dict[str, bytes] = {}
    if data is None:
        return files
    if isinstance(data, Mapping):
        for rel, value in data.items():
            files[_safe_rel(rel)] = value if isinstance(value, bytes) else Path(value).read_bytes()
    else:
        base = Path(data)
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(base)
            if (
                not path.is_file()
                or any(p.startswith(".") for p in rel.parts)
                or path.suffix.lower() in _DATA_EXCLUDED_SUFFIXES
                or path.is_symlink()
            ):
                continue
            files[rel.as_posix()] = path.read_bytes()
    total = sum(len(v) for v in files.values())
    if total > limit_mb << 20:
        raise ValueError(f"data files total {total >> 20} MB, more than the {limit_mb} MB allowed")
    return files


def _safe_rel(rel: str) -> str:
    norm = os.path.normpath(str(rel)).replace(os.sep, "/")
    if norm.startswith(("/", "../")) or norm in ("..", ".") or "\x00" in norm:
        raise ValueError(f"not a relative path inside the course: {rel!r}")
    return norm


_default_pool: SandboxPool | None = None
_default_lock = threading.Lock()
_default_settings: dict[str, Any] = {}


def set_defaults(**kwargs: Any) -> None:
    """Settings of the default pool, started on first use: ``isolation`` (auto, bwrap, unshare, rlimits),
    ``require`` (the weakest isolation allowed, e.g. "bwrap"), ``hide`` (folders learner code must never see)."""
    global _default_pool
    with _default_lock:
        _default_settings.clear()
        _default_settings.update(kwargs)
        old, _default_pool = _default_pool, None
    if old is not None:
        old.close()


def configure(**kwargs: Any) -> SandboxPool:
    """Replace the default pool (e.g. ``configure(size=4, require="bwrap")``); the old one is closed."""
    global _default_pool
    with _default_lock:
        old, _default_pool = _default_pool, SandboxPool(**kwargs)
    if old is not None:
        old.close()
    return _default_pool


def default_pool() -> SandboxPool:
    """The process-wide pool, started on first use with ``min(2, cpu count)`` warm sandboxes."""
    global _default_pool
    with _default_lock:
        if _default_pool is None:
            _default_pool = SandboxPool(size=min(2, os.cpu_count() or 1), **_default_settings)
        return _default_pool


def isolation_report() -> str:
    """One line for the logs and the admin page saying which isolation is in force."""
    return default_pool().report()


def shutdown() -> None:
    """Stop the default pool's idle sandboxes (call at process exit)."""
    global _default_pool
    with _default_lock:
        pool, _default_pool = _default_pool, None
    if pool is not None:
        pool.close()
