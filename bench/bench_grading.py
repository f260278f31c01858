"""Benchmark: our sandboxed grader against `nbgrader autograde` on the same 10-cell pandas notebook.

Needs nbgrader for the comparison (`pip install nbgrader`); by default the script creates a separate virtual
environment for it under /tmp/baeum-bench-venv (with numpy, pandas and matplotlib) on first run, so the
project's own environment is untouched. Nothing is installed at import time.

    .venv/bin/python bench/bench_grading.py [--submissions 20] [--nbgrader-runs 5] [--no-nbgrader]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "notebooks"
NOTEBOOK = FIXTURES / "pandas_sales.ipynb"
DATA = FIXTURES / "data" / "sales.csv"
BENCH_VENV = Path("/tmp/baeum-bench-venv")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def ours(submissions: int, pause: float) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    import nbformat

    from lms.grading.grader import grade_notebook
    from lms.grading.pool import SandboxPool

    source = nbformat.reads(NOTEBOOK.read_text(), 4)
    files = {"data/sales.csv": DATA.read_bytes()}
    pool = SandboxPool(size=2)
    print(f"isolation: {pool.report()}")
    # Latency as a learner sees it: one submission at a time, with the pool refilling between them
    # (a realistic pace; the pool's warm interpreters are what make it fast).
    grade_notebook(source, source, files, pool=pool)  # warm-up
    latencies = []
    for _ in range(submissions):
        time.sleep(pause)  # submissions arrive at this pace; the pool refills in between
        started = time.perf_counter()
        result = grade_notebook(source, source, files, pool=pool)
        latencies.append(time.perf_counter() - started)
        assert result.status == "ok" and result.points == result.auto_max_points, result.to_dict()
    # Throughput: 2 workers grading back to back, as fast as the pool can start interpreters.
    count = max(submissions, 20)
    queue = list(range(count))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                queue.pop()
            assert grade_notebook(source, source, files, pool=pool).status == "ok"

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    pool.close()
    return {
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
        "mean": statistics.mean(latencies),
        "throughput": count / elapsed,
        "n": float(submissions),
    }


def platform(submissions: int, pause: float) -> dict[str, float]:
    """End to end through the platform: a learner's submission stored, queued on the in-process workers, graded
    in the sandbox, its result and the learner's progress stored; timed until the stored status says done."""
    import os

    sys.path.insert(0, str(ROOT))
    workdir = Path(tempfile.mkdtemp(prefix="baeum-bench-grading-"))
    os.environ.update(
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        BAEUM_COURSES=str(ROOT / "tests" / "fixtures" / "courses"),
        BAEUM_DEMO_ACCOUNTS="0",
        BAEUM_GRADING_QUEUE="thread",
        SECRET_KEY="bench",
    )
    import sqlalchemy as sa

    from lms.factory import create_app
    from lms.models import Course, Item, Submission
    from lms.services import accounts, exercises, learning
    from lms.web.extensions import db

    app = create_app()
    with app.app_context():
        user = accounts.create_user(db.session, name="bench", email="bench@example.com", password="bench-password")
        course = db.session.execute(sa.select(Course).where(Course.slug == "notebook-lab")).scalar_one()
        item = db.session.execute(sa.select(Item).where(Item.course_id == course.id, Item.slug == "sales")).scalar_one()
        enrolment = learning.enrol(db.session, user.id, course)
        db.session.commit()
        source = item.data["notebook"]
    queue = app.extensions["grading_queue"]

    def submit_and_wait() -> float:
        started = time.perf_counter()
        with app.app_context():
            enrolment_row = db.session.merge(enrolment)
            item_row = db.session.get_one(Item, item.id)
            submission = exercises.submit(db.session, enrolment_row, item_row, source, kind="grade", origin="browser")
            db.session.commit()
            submission_id = submission.id
        queue.enqueue(submission_id)
        while True:
            with app.app_context():
                status = db.session.scalar(sa.select(Submission.status).where(Submission.id == submission_id))
            if status in ("done", "error"):
                assert status == "done"
                return time.perf_counter() - started
            time.sleep(0.005)

    submit_and_wait()  # warm-up: the pool starts
    latencies = []
    for _ in range(submissions):
        time.sleep(pause)
        latencies.append(submit_and_wait())
    shutil.rmtree(workdir, ignore_errors=True)
    return {"p50": statistics.median(latencies), "p95": percentile(latencies, 0.95), "n": float(submissions)}


def ensure_nbgrader() -> Path:
    python = BENCH_VENV / "bin" / "python"
    if python.exists() and subprocess.run([python, "-c", "import nbgrader"], capture_output=True).returncode == 0:
        return python
    print(f"creating {BENCH_VENV} with nbgrader (once) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "nbgrader", "pandas", "numpy", "matplotlib", "ipykernel"],
        check=True,
    )
    return python


def nbgrader(runs: int) -> dict[str, float]:
    python = ensure_nbgrader()
    version = subprocess.run(
        [python, "-c", "import nbgrader; print(nbgrader.__version__)"], capture_output=True, text=True
    ).stdout.strip()
    print(f"nbgrader {version} from {BENCH_VENV}")
    work = Path(tempfile.mkdtemp(prefix="baeum-bench-nbgrader-"))
    try:
        course = work / "course"
        (course / "source" / "ps").mkdir(parents=True)
        shutil.copy(NOTEBOOK, course / "source" / "ps" / "sales.ipynb")
        (course / "source" / "ps" / "data").mkdir()
        shutil.copy(DATA, course / "source" / "ps" / "data" / "sales.csv")
        (course / "nbgrader_config.py").write_text(
            "c = get_config()\nc.CourseDirectory.course_id = 'bench'\n"
            "c.CourseDirectory.db_assignments = [dict(name='ps')]\n"
            "c.CourseDirectory.db_students = [dict(id='s%d' % i) for i in range(100)]\n"
            "c.Exchange.root = '/tmp/baeum-bench-exchange'\n"
        )
        env = {"PATH": f"{python.parent}:/usr/bin:/bin", "HOME": str(work)}
        nbg = [str(python), "-m", "nbgrader"]
        subprocess.run(
            [*nbg, "generate_assignment", "ps", "--force"],
            cwd=course,
            check=True,
            capture_output=True,
            env=env,
        )
        times = []
        for i in range(runs):
            student = course / "submitted" / f"s{i}" / "ps"
            student.mkdir(parents=True)
            shutil.copy(NOTEBOOK, student / "sales.ipynb")  # the instructor's solution, as in ours
            (student / "data").mkdir()
            shutil.copy(DATA, student / "data" / "sales.csv")
            started = time.perf_counter()
            proc = subprocess.run(
                [*nbg, "autograde", "ps", "--student", f"s{i}", "--force"],
                cwd=course,
                capture_output=True,
                text=True,
                env=env,
            )
            times.append(time.perf_counter() - started)
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr[-2000:])
        scores = subprocess.run(
            [*nbg, "export", "--to", str(work / "grades.csv")],
            cwd=course,
            capture_output=True,
            text=True,
            env=env,
        )
        if scores.returncode == 0:
            print("nbgrader grades (first rows):", (work / "grades.csv").read_text().splitlines()[:2])
        return {
            "p50": statistics.median(times),
            "p95": percentile(times, 0.95),
            "mean": statistics.mean(times),
            "n": float(runs),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=20)
    parser.add_argument("--nbgrader-runs", type=int, default=5)
    parser.add_argument("--no-nbgrader", action="store_true")
    parser.add_argument("--pause", type=float, default=3.0, help="seconds between latency submissions")
    args = parser.parse_args()
    result: dict[str, Any] = {"ours": ours(args.submissions, args.pause)}
    o = result["ours"]
    print(
        f"ours:     p50 {o['p50']:.3f} s  p95 {o['p95']:.3f} s  mean {o['mean']:.3f} s  over {int(o['n'])} "
        f"submissions; throughput with 2 workers {o['throughput']:.2f} notebooks/s"
    )
    result["platform"] = e2e = platform(args.submissions, args.pause)
    print(
        f"platform: p50 {e2e['p50']:.3f} s  p95 {e2e['p95']:.3f} s  over {int(e2e['n'])} submissions, end to end "
        "(submission stored -> queued -> graded in the sandbox -> result and progress stored)"
    )
    if not args.no_nbgrader:
        result["nbgrader"] = n = nbgrader(args.nbgrader_runs)
        print(
            f"nbgrader: p50 {n['p50']:.3f} s  p95 {n['p95']:.3f} s  mean {n['mean']:.3f} s  "
            f"over {int(n['n'])} runs (nbgrader autograde, one submission per run)"
        )
        result["ratio_p50"] = n["p50"] / o["p50"]
        print(f"ratio (nbgrader p50 / ours p50): {result['ratio_p50']:.1f}x")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
