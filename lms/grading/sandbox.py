"""One sandboxed interpreter: started under the host's isolation, ready once its libraries are imported, serves
one job over the worker protocol, then is destroyed with everything it started."""

from __future__ import annotations

import collections
import logging
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lms.grading.isolation import (
    SANDBOX_HOME,
    WORKER,
    Isolation,
    bwrap_argv,
    kill_uid,
    python_roots,
    unshare_prefix,
)
from lms.grading.protocol import Died, Limits, Replies, SandboxError, encode

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Host:
    """What every sandbox of a pool shares: the interpreter, the isolation in force, the modules to preload, the
    folders to hide and matplotlib's font cache."""

    python: str
    isolation: Isolation
    preload: tuple[str, ...]
    limits: Limits
    hide: tuple[str, ...]
    mplcache: str | None


class Sandbox:
    """A started interpreter: ready once its libraries are imported; runs one job, then is destroyed."""

    def __init__(
        self, host: Host, uid: int | None, on_destroy: Callable[[int | None], None] = lambda uid: None
    ) -> None:
        self.host = host
        self.uid = uid
        self._on_destroy = on_destroy
        self.hostdir: str | None = None
        self.started = time.monotonic()
        self._replies = Replies()
        self._diag: collections.deque[bytes] = collections.deque(maxlen=64)
        self._destroyed = False
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready = False
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "BAEUM_PRELOAD": ",".join(host.preload),
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        if uid is not None:
            env["BAEUM_SANDBOX_UID"] = str(uid)
        if host.isolation == "bwrap":
            self.root = SANDBOX_HOME
            env.update(
                HOME=SANDBOX_HOME,
                TMPDIR="/tmp",
                MPLCONFIGDIR="/tmp/.mpl",
                IPYTHONDIR="/tmp/.ipython",
                BAEUM_SANDBOX_PIDNS="1",
            )
            if host.mplcache:
                env["BAEUM_MPL_CACHE"] = "/opt/baeum/mplcache"
            argv = bwrap_argv(host.python, host.mplcache, host.limits, os.geteuid() == 0)
            for key, value in env.items():
                argv += ["--setenv", key, value]
            argv += [host.python, "-I", "-B", "/opt/baeum/worker.py"]
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
            if host.mplcache:
                env["BAEUM_MPL_CACHE"] = host.mplcache
            # The worker runs from a copy: the project it lives in is hidden (unshare) or unreadable (rlimits).
            worker = os.path.join(self.hostdir, "worker.py")
            shutil.copyfile(WORKER, worker)
            os.chmod(worker, 0o644)
            argv = [host.python, "-I", "-B", worker]
            if host.isolation == "unshare":
                env["BAEUM_SANDBOX_PIDNS"] = "1"
                keep = [*python_roots(host.python), self.hostdir, *([host.mplcache] if host.mplcache else [])]
                argv = unshare_prefix(keep, host.hide) + argv
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

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def diagnostics(self) -> str:
        return b"".join(self._diag)[-4000:].decode(errors="replace")

    def send(self, obj: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(encode(obj))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise Died("the sandbox closed its input") from exc

    def recv(self, deadline: float, max_line: int, expect: set[str], nonce: str | None = None) -> dict[str, Any]:
        """The next reply of a type in ``expect`` (and with ``nonce``); raises TimeoutError, OverflowError or Died."""
        while True:
            msg = self._replies.next(expect, nonce)
            if msg is not None:
                return msg
            if self._replies.pending() > max_line:
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
                    raise Died("the sandbox closed its output")
                self._replies.feed(chunk)

    def wait_ready(self, timeout: float) -> None:
        if self.ready:
            return
        try:
            self.recv(time.monotonic() + timeout, 1 << 20, {"ready"})
        except (TimeoutError, Died, OverflowError) as exc:
            detail = self.diagnostics()
            self.destroy()
            raise SandboxError(f"the sandbox did not start ({type(exc).__name__}): {detail}") from exc
        self.ready = True

    def exit_detail(self) -> tuple[int | None, str]:
        """The signal that stopped the worker (if any) and a line for the logs."""
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return None, "still running"
        if code < 0:
            return -code, f"killed by signal {-code}"
        if code > 128 and self.host.isolation == "bwrap":
            return code - 128, f"killed by signal {code - 128}"
        return None, f"exit status {code}"

    def destroy(self) -> None:
        if self._destroyed:
            return
        self._destroyed = True
        proc = self.proc
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
        if self.uid is not None and self.host.isolation != "bwrap":
            kill_uid(self.uid)
        if self.hostdir:
            shutil.rmtree(self.hostdir, ignore_errors=True)
        self._on_destroy(self.uid)
