"""The grading queue and the app's sandbox pool: jobs run in-process by default, or on RQ workers when Redis is
configured.

The app makes its pool from its config at start-up (``app.extensions["baeum.grading"]``), starts nothing until a
server warms it (``warm_grading``) or a job needs it, and closes it at exit. A job reads its inputs in one short
transaction, runs the notebook in the sandbox outside any transaction, then stores the outcome in another; whatever
goes wrong ends in a clear "error" state the learner can retry.
"""

from __future__ import annotations

import atexit
import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from flask import Flask, current_app

from ..grading.grader import GradeResult, NotebookRun, grade_notebook, run_notebook
from ..grading.pool import SandboxPool
from ..grading.protocol import Limits, SandboxError
from ..services import exercises
from ..web.extensions import db

log = logging.getLogger(__name__)


class Queue(Protocol):
    def enqueue(self, submission_id: int) -> None: ...


def process_submission(submission_id: int) -> None:
    """Run or grade one submission; call inside an app context (any worker)."""
    session = db.session
    job = exercises.start(session, submission_id)
    session.commit()
    if job is None:
        return
    pool = grading_pool(current_app)
    try:
        pool.start()  # at once when warm; refuses when this host cannot grade safely
    except SandboxError as exc:
        log.error("grading refused: %s", exc)
        exercises.fail(session, submission_id, "job.no_isolation")
        session.commit()
        return
    if current_app.config["GRADING_REQUIRE_ISOLATION"] and pool.isolation != "bwrap":
        log.error("grading refused: BAEUM_GRADING_REQUIRE_ISOLATION is set but %s", pool.report())
        exercises.fail(session, submission_id, "job.no_isolation")
        session.commit()
        return
    outcome: GradeResult | NotebookRun
    try:
        if job.kind == "grade":
            outcome = grade_notebook(job.source, job.notebook, job.files, cwd=job.cwd, pool=pool)
        else:
            outcome = run_notebook(job.notebook, job.files, cwd=job.cwd, pool=pool, source_nb=job.source)
    except Exception:
        log.exception("grading job %s failed", submission_id)
        session.rollback()
        exercises.fail(session, submission_id, "job.failed")
        session.commit()
        return
    exercises.finish(session, submission_id, outcome)
    session.commit()
    log.info("submission %s: %s in %.2fs (%s)", submission_id, outcome.status, outcome.duration_s, outcome.isolation)


class EagerQueue:
    """Runs the job at once, in the caller's thread (the CLI and tests)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def enqueue(self, submission_id: int) -> None:
        with self.app.app_context():
            process_submission(submission_id)


class ThreadQueue:
    """In-process workers: the embedded default, needing nothing else."""

    def __init__(self, app: Flask, workers: int) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grader")
        self.futures: list[Future[None]] = []

    def enqueue(self, submission_id: int) -> None:
        self.futures = [f for f in self.futures if not f.done()]
        self.futures.append(self.executor.submit(self._run, submission_id))

    def _run(self, submission_id: int) -> None:
        with self.app.app_context():
            try:
                process_submission(submission_id)
            except Exception:  # the database itself failed; leave a clear state if we can
                log.exception("grading job %s crashed", submission_id)
                db.session.rollback()
                exercises.fail(db.session, submission_id, "job.failed")
                db.session.commit()

    def wait(self, timeout: float = 60) -> None:
        for future in list(self.futures):
            future.result(timeout=timeout)


class RQQueue:
    """A Redis queue; `flask grading-worker` runs workers, on this machine or others."""

    name = "baeum-grading"

    def __init__(self, redis_url: str) -> None:
        from redis import Redis
        from rq import Queue as RedisQueue

        self.queue = RedisQueue(self.name, connection=Redis.from_url(redis_url))

    def enqueue(self, submission_id: int) -> None:
        self.queue.enqueue(process_submission, submission_id, job_timeout=600, result_ttl=0)


EXTENSION = "baeum.grading"


def pool_settings(app: Flask) -> dict[str, Any]:
    """The grading sandbox's settings for every path that grades (web, CLI, RQ worker): warm sandboxes kept, limits,
    the isolation to use, the weakest allowed, and the folders learner code must never see (instance, courses, the
    SQLite database's)."""
    hide = [app.instance_path, app.config["COURSES_PATH"]]
    url = app.config.get("SQLALCHEMY_ENGINES", {}).get("default", "")
    if isinstance(url, str) and url.startswith("sqlite:///"):
        hide.append(os.path.dirname(url.removeprefix("sqlite:///")))
    return {
        "size": app.config["GRADING_POOL_SIZE"],
        "limits": Limits(**(app.config.get("GRADING_LIMITS") or {})),
        "isolation": app.config["GRADING_ISOLATION"],
        "require": "bwrap" if app.config["GRADING_REQUIRE_ISOLATION"] else None,
        "hide": [h for h in hide if h],
    }


def create_pool(app: Flask, **overrides: Any) -> SandboxPool:
    """A pool made from the app's config, not started (``overrides`` e.g. ``size=0`` for a one-off command)."""
    return SandboxPool(**{**pool_settings(app), **overrides}, start=False)


def grading_pool(app: Flask) -> SandboxPool:
    """The app's sandbox pool."""
    pool: SandboxPool = app.extensions[EXTENSION]
    return pool


def warm_grading(app: Flask) -> None:
    """Start the app's pool in the background, so the first Run after start-up is not cold; the servers call it
    once they serve (gunicorn's post_worker_init hook, `flask serve`). An RQ queue grades elsewhere: nothing to do."""
    if app.config["GRADING_QUEUE"] != "rq":
        grading_pool(app).warm_in_background()


def init_app(app: Flask) -> None:
    pool = create_pool(app)
    app.extensions[EXTENSION] = pool
    atexit.register(pool.close)  # idle sandboxes end with the process (they also die with it: --die-with-parent)
    mode = app.config["GRADING_QUEUE"]
    if mode == "rq":
        queue: Queue = RQQueue(app.config["REDIS_URL"])
    elif mode == "eager":
        queue = EagerQueue(app)
    else:
        queue = ThreadQueue(app, app.config["GRADING_WORKERS"])
    app.extensions["grading_queue"] = queue


def enqueue(submission_id: int) -> None:
    current_app.extensions["grading_queue"].enqueue(submission_id)
