"""Fixtures of the grading tests: the fixture notebooks and one shared sandbox pool."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lms.grading.pool import SandboxPool  # noqa: E402
from lms.grading.protocol import Limits  # noqa: E402

NOTEBOOKS = ROOT / "tests" / "fixtures" / "notebooks"


@pytest.fixture(scope="session")
def notebooks() -> Path:
    return NOTEBOOKS


@pytest.fixture(scope="session")
def pool() -> Iterator[SandboxPool]:
    pool = SandboxPool(size=2)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def tight() -> Limits:
    """Small limits so that hostile notebooks are stopped quickly."""
    return Limits(wall_s=6, cpu_s=4, memory_mb=256, nproc=32, nofile=64, fsize_mb=4, disk_mb=32, output_kb=256)
