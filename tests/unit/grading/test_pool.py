"""The pool's life cycle: nothing starts until its owner asks; a warm-up in the background leaves live sandboxes."""

from __future__ import annotations

import time

import pytest

from lms.grading.pool import DEFAULT_PRELOAD, SandboxPool
from lms.grading.protocol import CellSpec, SandboxError


def test_a_new_pool_starts_nothing() -> None:
    pool = SandboxPool(size=2, start=False)
    try:
        assert pool.state == "new" and pool.error is None
        assert not pool._idle
    finally:
        pool.close()


def test_warming_in_the_background_leaves_live_sandboxes_that_run() -> None:
    pool = SandboxPool(size=1, start=False, preload=())
    try:
        pool.warm_in_background()
        deadline = time.monotonic() + 60
        while not (pool.state == "ready" and pool._idle) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pool.state == "ready" and pool._idle
        time.sleep(1)  # the warm-up thread is done starting: its sandboxes must outlive that
        assert all(s.alive() for s in list(pool._idle))
        result = pool.run([CellSpec(0, "print(6 * 7)")])
        assert result.status == "ok" and result.cells[0].outputs[0]["text"].strip() == "42"
    finally:
        pool.close()


def test_a_closed_pool_refuses_to_run() -> None:
    pool = SandboxPool(size=0, start=False)
    pool.close()
    assert pool.state == "closed"
    with pytest.raises(SandboxError):
        pool.run([CellSpec(0, "1")])


def test_scipy_is_preloaded_with_the_scientific_stack() -> None:
    assert {"scipy", "scipy.ndimage", "scipy.signal", "scipy.stats"} <= set(DEFAULT_PRELOAD)
