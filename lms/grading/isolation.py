"""How this host isolates a sandbox: detection of bubblewrap or unshare, their command lines, and the checks that
refuse a weaker isolation which would run learner code as root or within sight of the project."""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from lms.grading.protocol import Limits, SandboxError

log = logging.getLogger(__name__)

Isolation = Literal["bwrap", "unshare", "rlimits"]
ORDER: tuple[Isolation, ...] = ("rlimits", "unshare", "bwrap")  # weakest first

WORKER = Path(__file__).with_name("_worker.py")
SANDBOX_HOME = "/home/learner"
# The checkout this library runs from: never visible to learner code (the platform adds its instance folder,
# course folder and database folder through ``hide``).
PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
# Shared writable places and home folders, hidden behind empty file systems outside bubblewrap too.
HIDE_ALWAYS = ("/tmp", "/var/tmp", "/dev/shm", "/root", "/home")
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap)"
)

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


def describe(isolation: Isolation) -> str:
    """One line for the logs and the admin page saying which isolation is in force."""
    root = os.geteuid() == 0
    user = ", a separate unprivileged uid per sandbox" if root else ", a private user namespace (uid 1000)"
    text = _DESCRIPTIONS[isolation].format(user=user if isolation != "rlimits" else "")
    return (
        f"{isolation}: {text}; limits on CPU time, wall time, memory, processes, open files, file "
        f"size and output; one fresh interpreter per run"
    )


def python_roots(python: str) -> list[str]:
    """The folders of the Python runtime (and its virtual environment) a sandbox must be able to read."""
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


def bwrap_argv(python: str, mplcache: str | None, limits: Limits, root: bool) -> list[str]:
    """bubblewrap's command line up to the program: namespaces, a read-only runtime, private writable tmpfs."""
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
    binds = [(r, r) for r in python_roots(python)] + [(str(WORKER), "/opt/baeum/worker.py")]
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


def unshare_prefix(keep: Iterable[str] = (), hide: Iterable[str] = ()) -> list[str]:
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
    for path in sorted({os.path.realpath(h) for h in [*hide, PROJECT_ROOT, *HIDE_ALWAYS] if os.path.isdir(h)}):
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
    if shutil.which("bwrap") and _probe(bwrap_argv(python, None, Limits(), os.geteuid() == 0) + check, {}):
        return "bwrap"
    if shutil.which("unshare") and _probe(unshare_prefix(python_roots(python)) + check, {}):
        return "unshare"
    return "rlimits"


def check_isolation(isolation: Isolation, require: Isolation | None, python: str, hide: Iterable[str]) -> None:
    """Raise SandboxError when ``isolation`` is weaker than ``require``, or would run learner code as root or
    within sight of the ``hide`` folders (learner code never runs as root, nor where it could read the project
    or the instance folder)."""
    if require is not None and ORDER.index(isolation) < ORDER.index(require):
        raise SandboxError(f"grading requires {require} isolation, but only {isolation} works here: {INSTALL_HINT}")
    drop_uid = os.geteuid() == 0
    runtime = python_roots(python)
    if isolation == "unshare" and drop_uid:
        # The sandbox uid reads the runtime where unshare mounts it back: its own folder must be readable.
        closed = [r for r in runtime if os.stat(r).st_mode & 0o005 != 0o005]
        if closed:
            raise SandboxError(
                f"the Python runtime ({', '.join(closed)}) is not readable by other users, so unshare "
                f"isolation would need root: {INSTALL_HINT}, or make it world-readable"
            )
    elif isolation == "rlimits":
        if not drop_uid:
            raise SandboxError(
                "without namespaces, learner code would run as this user and could read the project and "
                f"the instance folder: {INSTALL_HINT}"
            )
        closed = [r for r in runtime if not world_readable(r)]
        visible = [h for h in hide if os.path.exists(h) and world_readable(h)]
        if closed or visible:
            raise SandboxError(
                "without namespaces the sandbox uid "
                + (f"cannot read the Python runtime ({', '.join(closed)})" if closed else "")
                + (" and " if closed and visible else "")
                + (f"could read {', '.join(visible)}" if visible else "")
                + f": {INSTALL_HINT}"
            )


def world_readable(path: str) -> bool:
    """True when every directory down to ``path`` can be entered by any user."""
    current = Path(path)
    for part in [current, *current.parents]:
        try:
            if not part.stat().st_mode & 0o001:
                return False
        except OSError:
            return False
    return True


def kill_uid(uid: int) -> None:
    """Without a pid namespace, a daemon that left the session is found by its sandbox-only uid."""
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    os.kill(int(name), signal.SIGKILL)
            except OSError:
                pass
