"""What the platform and a sandboxed worker say to each other: limits, cells to run, their results, and the
JSON-lines messages (one object a line; a reply counts only with the nonce of the request it answers)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

CellKind = Literal["code", "test"]
RunStatus = Literal["ok", "timeout", "crashed", "output-limit", "memory-limit"]

EXIT_OUTPUT_LIMIT = 3  # the worker's exit status when the notebook printed more than allowed


class SandboxError(RuntimeError):
    """The sandbox could not be started (misconfigured host), as opposed to a learner's code failing in it."""


class Died(Exception):
    """The worker stopped talking: it closed its pipes, refused a job, or was killed."""


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

    @property
    def max_reply(self) -> int:
        """The longest reply line accepted: the output limit, base64-encoded, with room for the envelope."""
        return (self.output_kb << 11) + (1 << 20)


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


# --- messages


def encode(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj).encode() + b"\n"


def job_message(root: str, cwd: str, files: dict[str, str], limits: Limits) -> dict[str, Any]:
    """Set up the run: the working folder, the data files (base64) and the limits."""
    return {"type": "job", "root": root, "cwd": cwd, "files": files, "limits": limits.for_worker()}


def cell_message(spec: CellSpec, nonce: str) -> dict[str, Any]:
    return {
        "type": "cell",
        "index": spec.index,
        "kind": spec.kind,
        "code": spec.code,
        "export": list(spec.export),
        "nonce": nonce,
    }


END = {"type": "end"}


def cell_result(spec: CellSpec, msg: dict[str, Any]) -> CellRun:
    """A ``cell`` reply as a CellRun."""
    return CellRun(
        spec.index,
        "ok" if msg.get("ok") else "error",
        outputs=list(msg.get("outputs") or []),
        error=msg.get("error"),
        duration_s=float(msg.get("duration") or 0.0),
        review=[str(r) for r in msg.get("review") or []],
    )


class Replies:
    """Splits the worker's output into messages; keeps only those of the expected types and nonce."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, chunk: bytes) -> None:
        self._buf.extend(chunk)

    def pending(self) -> int:
        return len(self._buf)

    def next(self, expect: set[str], nonce: str | None = None) -> dict[str, Any] | None:
        """The first complete message of a type in ``expect`` (and with ``nonce``), or None until one arrives."""
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
        return None


def limit_error(status: str) -> dict[str, Any]:
    """The error shown on the cell that was running when a limit stopped the sandbox."""
    names = {
        "timeout": ("TimeoutError", "the notebook ran out of time (wall-clock or CPU limit)"),
        "crashed": ("SandboxCrashed", "the Python interpreter stopped unexpectedly"),
        "output-limit": ("OutputLimitExceeded", "the notebook printed more output than allowed"),
        "memory-limit": ("MemoryError", "the notebook used more memory than allowed"),
    }
    ename, evalue = names.get(status, ("Error", status))
    return {"ename": ename, "evalue": evalue}
