"""gunicorn's settings for Baeum (read by `./run.sh`, and by `gunicorn app:app` started in this folder).

Workers and threads come from the environment; the defaults suit the embedded SQLite database (a few processes,
one writer at a time). Each worker is a full app with its own in-process grading queue and sandbox pool, warmed in
the background as soon as the worker serves. The first-run setup (migrations, course import, demo accounts) runs
once before the workers start (`./run.sh` does it with `flask setup`), never once per worker.
"""

from __future__ import annotations

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("BAEUM_WEB_WORKERS", "2"))
threads = int(os.environ.get("BAEUM_WEB_THREADS", "4"))
worker_class = "gthread"
# Every worker keeps its own warm sandboxes (about 200 MB each with the scientific stack imported): one each unless
# BAEUM_GRADING_POOL_SIZE says otherwise, so two workers keep as many warm as one process did.
if workers > 1:
    os.environ.setdefault("BAEUM_GRADING_POOL_SIZE", "1")
timeout = int(os.environ.get("BAEUM_WEB_TIMEOUT", "60"))
graceful_timeout = 20
accesslog = os.environ.get("BAEUM_ACCESS_LOG") or None  # e.g. "-" for stdout
errorlog = "-"
# The app is made in each worker (not in the arbiter before forking): database connections, the grading queue's
# threads and the sandboxes belong to the process that uses them.
preload_app = False
# gunicorn 24+ opens a control socket in the home folder; nothing here uses it (older versions ignore the name).
control_socket_disable = True


def post_worker_init(worker) -> None:
    """Warm this worker's grading sandboxes in the background, so the first Run after start-up is not cold."""
    from lms.tasks.jobs import warm_grading

    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "extensions") and "baeum.grading" in app.extensions:
        warm_grading(app)


def worker_exit(server, worker) -> None:
    """Stop the worker's idle sandboxes as it leaves (atexit does too; they also die with their parent)."""
    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "extensions") and "baeum.grading" in app.extensions:
        app.extensions["baeum.grading"].close()
