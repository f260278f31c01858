"""Every isolation the sandbox may use keeps learner code off root and away from the instance and project folders;
a weaker one that cannot is refused, with a message saying how to get bubblewrap."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from lms.grading.isolation import PROJECT_ROOT, python_roots
from lms.grading.pool import SandboxPool
from lms.grading.protocol import CellSpec, Limits, SandboxError

PROBE = """
import os, json
found = {"uid": os.getuid(), "euid": os.geteuid(), "read": [], "listed": {}}
for path in PATHS:
    try:
        if os.path.isdir(path):
            found["listed"][path] = sorted(os.listdir(path))
        else:
            open(path, "rb").read()
            found["read"].append(path)
    except OSError:
        pass
print(json.dumps(found))
"""


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "secret_key").write_text("s3cret-key")
    (folder / "secret_key").chmod(0o600)
    (folder / "baeum.sqlite3").write_bytes(b"SQLite format 3\x00")
    return folder


@pytest.mark.parametrize("mode", ["bwrap", "unshare", "rlimits"])
def test_learner_code_is_not_root_and_sees_neither_instance_nor_project(mode: str, instance: Path) -> None:
    if mode in ("bwrap", "unshare") and not shutil.which(mode):
        pytest.skip(f"{mode} is not installed")
    try:
        pool = SandboxPool(size=1, isolation=mode, hide=[str(instance)])  # type: ignore[arg-type]
    except SandboxError as exc:
        # Refusing is the safe answer where this mode cannot hide them; the message says what to do.
        assert mode != "bwrap", exc
        assert "bubblewrap" in str(exc) and "apt-get install bubblewrap" in str(exc)
        return
    paths = [
        str(instance / "secret_key"),
        str(instance / "baeum.sqlite3"),
        str(instance),
        str(Path(PROJECT_ROOT) / "config.py"),
        str(Path(PROJECT_ROOT) / "lms" / "grading" / "_worker.py"),
        PROJECT_ROOT,
        str(Path(PROJECT_ROOT) / "courses"),
    ]
    try:
        run = pool.run([CellSpec(0, f"PATHS = {paths!r}\n" + PROBE)], limits=Limits(wall_s=30))
    finally:
        pool.close()
    assert run.status == "ok", run.detail
    found = json.loads(run.cells[0].outputs[0]["text"])
    assert found["uid"] != 0 and found["euid"] != 0
    assert found["read"] == []
    # Where the Python runtime lives inside the project (a .venv), only the folders leading to it are there.
    runtime = {
        Path(r).relative_to(PROJECT_ROOT).parts[0] for r in python_roots(sys.executable) if r.startswith(PROJECT_ROOT)
    }
    assert found["listed"] in ({}, {PROJECT_ROOT: sorted(runtime)}), found["listed"]
    assert mode in pool.report()


def test_required_isolation_is_enforced() -> None:
    if not shutil.which("unshare"):
        pytest.skip("unshare is not installed")
    with pytest.raises(SandboxError, match="requires bwrap isolation.*install bubblewrap"):
        SandboxPool(size=0, isolation="unshare", require="bwrap")
