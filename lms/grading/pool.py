"""A pool of warm sandboxes: started by its owner (the app, a CLI command, a queue worker), kept ``size`` deep with
the scientific stack imported, one sandbox per run, closed by its owner. No pool exists unless someone makes one."""

from __future__ import annotations

import base64
import collections
import hashlib
import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Literal

from lms.grading.isolation import (
    PROJECT_ROOT,
    Isolation,
    check_isolation,
    describe,
    detect_isolation,
)
from lms.grading.protocol import (
    END,
    EXIT_OUTPUT_LIMIT,
    CellRun,
    CellSpec,
    Died,
    Limits,
    RunStatus,
    SandboxError,
    SandboxRun,
    cell_message,
    cell_result,
    job_message,
    limit_error,
)
from lms.grading.sandbox import Host, Sandbox

log = logging.getLogger(__name__)

# Imported by every sandbox before it is handed out, so a learner's first `import pandas` costs nothing. A module
# that is not installed is skipped (the worker says so on its diagnostics stream).
DEFAULT_PRELOAD = (
    "numpy",
    "pandas",
    "matplotlib",
    "matplotlib.pyplot",
    "scipy",
    "scipy.ndimage",
    "scipy.signal",
    "scipy.stats",
    "sklearn",
    "sklearn.linear_model",
    "sklearn.model_selection",
    "sklearn.metrics",
    "sklearn.preprocessing",
)
_UID_BASE = 61000  # when the grader runs as root each sandbox gets its own unprivileged uid from this range
_UID_SPAN = 4096

State = Literal["new", "starting", "ready", "refused", "closed"]


class SandboxPool:
    """Keeps ``size`` sandboxes started and warm (libraries imported); each serves one run, then is destroyed.

    Nothing happens until :meth:`start` (called by ``start=True``, :meth:`warm_in_background` or the first run):
    it finds the isolation this host offers, refuses one weaker than ``require``, and fills the pool. Thread-safe:
    any number of grading threads may call :meth:`run` at once. The owner calls :meth:`close`.
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
        start: bool = True,
    ) -> None:
        self.python = python or sys.executable
        self.size = size
        self.preload = tuple(preload)
        self.limits = limits or Limits()
        self.startup_timeout = startup_timeout
        self.hide = tuple(os.path.realpath(h) for h in (*hide, PROJECT_ROOT))
        self.require = require
        self._wanted = isolation
        self._host: Host | None = None
        self._error: SandboxError | None = None
        self._state: State = "new"
        # Learner code never runs as root, nor where it could read the project or the instance folder.
        self.drop_uid = os.geteuid() == 0
        self._lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._idle: collections.deque[Sandbox] = collections.deque()
        self._closed = threading.Event()
        self._uids: set[int] = set()
        self._next_uid = secrets.randbelow(_UID_SPAN)
        if start:
            self.start()

    # --- life cycle

    def start(self) -> None:
        """Find and check the isolation, prepare the shared caches and fill the pool; at once when already done.
        Raises SandboxError (every time after the first) when this host cannot grade safely."""
        with self._start_lock:
            if self._state == "closed":
                raise SandboxError("the sandbox pool is closed")
            if self._error is not None:
                raise self._error
            if self._host is None:
                with self._lock:
                    if self._state == "closed":
                        raise SandboxError("the sandbox pool is closed")
                    self._state = "starting"
                try:
                    self._host = self._prepare()
                except SandboxError as exc:
                    self._error, self._state = exc, "refused"
                    raise
                log.info("grading sandbox: %s", self.report())
                with self._lock:
                    if self._state == "starting":
                        self._state = "ready"
        self._fill()

    def _prepare(self) -> Host:
        isolation: Isolation = detect_isolation(self.python) if self._wanted == "auto" else self._wanted
        check_isolation(isolation, self.require, self.python, self.hide)
        mplcache = _matplotlib_cache(self.python) if any("matplotlib" in m for m in self.preload) else None
        return Host(self.python, isolation, self.preload, self.limits, self.hide, mplcache)

    def warm_in_background(self) -> threading.Thread:
        """Start the pool in a daemon thread, so the first run after start-up finds a warm sandbox; a refusal is
        logged (and given again to every run)."""

        def warm() -> None:
            try:
                self.start()
            except SandboxError as exc:
                log.error("grading refused: %s", exc)
            except Exception:
                log.exception("the grading sandbox pool failed to start")
            # bubblewrap's --die-with-parent follows the *thread* that started a sandbox (PR_SET_PDEATHSIG): this
            # thread stays until the pool closes, or the sandboxes it started would be killed as it ends.
            self._closed.wait()

        thread = threading.Thread(target=warm, name="sandbox-warm-up", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        """Stop the idle sandboxes; runs already going finish, and nothing new starts."""
        with self._lock:
            self._state = "closed"
            idle, self._idle = list(self._idle), collections.deque()
        self._closed.set()
        for sandbox in idle:
            sandbox.destroy()

    # --- what the pool says about itself, without starting anything

    @property
    def state(self) -> State:
        return self._state

    @property
    def error(self) -> SandboxError | None:
        """Why this host refuses to grade, once the pool tried to start."""
        return self._error

    @property
    def isolation(self) -> Isolation:
        """The isolation in force (starts the pool if needed)."""
        return self._started_host().isolation

    def report(self) -> str:
        """One line for the logs and the admin page saying which isolation is in force (starts the pool if needed)."""
        return describe(self._started_host().isolation)

    def _started_host(self) -> Host:
        if self._host is None:
            self.start()
        assert self._host is not None
        return self._host

    # --- sandboxes

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

    def _new(self) -> Sandbox:
        return Sandbox(self._started_host(), self._take_uid(), self._release_uid)

    def _fill(self) -> None:
        while True:
            with self._lock:
                if self._state == "closed" or len(self._idle) >= self.size:
                    return
            sandbox = self._new()
            with self._lock:
                keep = self._state != "closed"
                if keep:
                    self._idle.append(sandbox)
            if not keep:  # closed while this one started
                sandbox.destroy()
                return

    def acquire(self) -> Sandbox:
        """A ready sandbox, never used before; the pool starts a replacement at once."""
        self.start()
        with self._lock:
            if self._state == "closed":
                raise SandboxError("the sandbox pool is closed")
            sandbox = self._idle.popleft() if self._idle else None
        if sandbox is None:
            sandbox = self._new()
        self._fill()
        if not sandbox.alive():  # died while idle (e.g. killed by an operator): take a fresh one
            sandbox.destroy()
            sandbox = self._new()
        try:
            sandbox.wait_ready(self.startup_timeout)
        except SandboxError as exc:
            # It died before running anything of the learner's (seen under heavy load): one fresh try, logged.
            log.warning("a sandbox failed to start, starting another: %s", exc)
            sandbox = self._new()
            sandbox.wait_ready(self.startup_timeout)
        return sandbox

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
            payload = {rel: base64.b64encode(data).decode() for rel, data in (files or {}).items()}
            sandbox.send(job_message(sandbox.root, cwd, payload, limits))
            msg = sandbox.recv(deadline, limits.max_reply, {"job-ready", "job-error"})
            if msg["type"] == "job-error":
                raise Died(f"job setup failed: {msg.get('error')}")
            for spec in cells:
                nonce = secrets.token_hex(16)
                sandbox.send(cell_message(spec, nonce))
                msg = sandbox.recv(deadline, limits.max_reply, {"cell", "output-limit"}, nonce)
                if msg["type"] == "output-limit":
                    status = "output-limit"
                    results[spec.index] = CellRun(spec.index, "error", error=limit_error("output-limit"))
                    break
                results[spec.index] = cell = cell_result(spec, msg)
                review.extend(f"cell {spec.index + 1}: {r}" for r in cell.review)
                if msg.get("memory_error") and status == "ok":
                    status = "memory-limit"
            sandbox.send(END)
        except TimeoutError:
            status, detail = "timeout", "wall-clock limit reached"
        except OverflowError:
            status, detail = "output-limit", "reply larger than the output limit"
        except Died as exc:
            signo, why = sandbox.exit_detail()
            detail = f"{exc}; {why}"
            if sandbox.proc is not None and sandbox.proc.returncode == EXIT_OUTPUT_LIMIT:
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
                    running.error = limit_error(status)
                    running.outputs = [{"output_type": "error", **running.error, "traceback": []}]
        cells_run = [results[c.index] for c in cells]
        return SandboxRun(status, cells_run, self.isolation, time.monotonic() - started, detail, review)


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
    found: list[str] = []
    for root in ("/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.local/share/fonts")):
        for folder, _dirs, names in os.walk(root):
            found.extend(os.path.join(folder, n) for n in names if n.lower().endswith((".ttf", ".otf", ".ttc", ".afm")))
    return sorted(found)
