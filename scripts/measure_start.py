"""What one web process costs at start: create_app()'s time (wall and CPU) and resident memory, against a bare Flask
app, and which heavy libraries it loaded. Usage: .venv/bin/python scripts/measure_start.py [--bare]

Runs without the auto-setup (as a gunicorn worker under ./run.sh does) and with a throw-away instance folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("nbformat", "jsonschema", "kiwipiepy", "numpy", "pandas", "matplotlib", "scipy", "sklearn", "markdown",
         "pygments", "latex2mathml", "yaml", "alembic", "redis", "rq")  # fmt: skip


def rss_mb() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") >> 20


def main() -> None:
    os.environ["BAEUM_AUTO_SETUP"] = "0"
    os.environ.setdefault("BAEUM_INSTANCE_PATH", tempfile.mkdtemp(prefix="baeum-measure-"))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    wall, cpu = time.perf_counter(), time.process_time()
    if "--bare" in sys.argv:
        from flask import Flask

        Flask(__name__)
        what = "bare Flask app"
    else:
        from lms.factory import create_app

        create_app()
        what = "create_app()"
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    heavy = [m for m in HEAVY if m in sys.modules]
    print(f"{what}: {wall:.2f} s wall, {cpu:.2f} s CPU, {rss_mb()} MB resident; heavy libraries: {heavy or 'none'}")


if __name__ == "__main__":
    main()
