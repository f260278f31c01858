#!/usr/bin/env python3
"""Where a lesson page's time goes: in-process, single-threaded, same setup as bench_lesson.py (no gunicorn).

Builds the real app on a fresh temporary SQLite database and instance folder, logs in as the demo learner,
enrols, then requests the lesson page N times through the test client and prints: mean time per request for
the lesson and for a trivial hello route registered the same way as in the bench, the SQL statements one
lesson request issues, and a cProfile summary (cumulative and own time).

    .venv/bin/python bench/profile_lesson.py [-n 300] [--item 07-risks-costs-and-support] [--sql] [--top 35]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]*)"')


def csrf_token(page: str) -> str:
    """The form's CSRF token in an HTML page."""
    match = CSRF.search(page)
    if match is None:
        raise SystemExit("no CSRF token in the page")
    return match.group(1)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", type=int, default=300, help="requests per route")
    p.add_argument("--course", default="ai-first-steps-manufacturing")
    p.add_argument("--item", default="07-risks-costs-and-support")
    p.add_argument("--top", type=int, default=35, help="rows of each cProfile table (0: timings only, no profile)")
    p.add_argument("--rounds", type=int, default=1, help="timing rounds per route (the best is kept)")
    p.add_argument("--sql", action="store_true", help="print each SQL statement of one lesson request")
    p.add_argument(
        "--pyinstrument",
        action="store_true",
        help="sample with pyinstrument (if importable) instead of cProfile",
    )
    args = p.parse_args()

    work = Path(tempfile.mkdtemp(prefix="baeum-profile-"))
    try:
        shutil.copytree(ROOT / "courses", work / "courses")
        (work / "instance").mkdir()
        os.environ.update(
            DATABASE_URL=f"sqlite:///{work / 'bench.sqlite3'}",
            BAEUM_COURSES=str(work / "courses"),
            BAEUM_DEMO_PASSWORD="bench-learner-pw",
            BAEUM_AUTO_SETUP="1",
            BAEUM_DEMO_ACCOUNTS="1",
            SECRET_KEY="profile-secret",
            BAEUM_INSTANCE_PATH=str(work / "instance"),
        )
        os.environ.pop("REDIS_URL", None)
        return run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    import sqlalchemy as sa

    import lms.factory
    from lms.web.extensions import db

    app = lms.factory.create_app()

    @app.get("/bench-hello")
    def bench_hello() -> str:
        return "Hello, World!"

    client = app.test_client()
    page = client.get("/auth/login").text
    resp = client.post(
        "/auth/login",
        data={
            "csrf_token": csrf_token(page),
            "email": "learner@demo.baeum.kr",
            "password": "bench-learner-pw",
        },
    )
    assert resp.status_code == 302, resp.status_code
    page = client.get(f"/courses/{args.course}").text
    client.post(f"/courses/{args.course}/enrol", data={"csrf_token": csrf_token(page)})
    url = f"/courses/{args.course}/items/{args.item}"
    resp = client.get(url)
    assert resp.status_code == 200 and b"lesson-body" in resp.data, resp.status_code
    print(f"lesson {url}: {len(resp.data)} bytes of HTML")

    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    client.get(url)
    sa.event.remove(engine, "before_cursor_execute", record)
    print(f"\nSQL statements per lesson request: {len(statements)}")
    kinds = Counter(s.split()[0].upper() for s in statements)
    print("  by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    if args.sql:
        for s in statements:
            print("  - " + " ".join(s.split())[:220])

    best: dict[str, float] = {}
    for path, name in (("/bench-hello", "hello"), (url, "lesson")):
        for _ in range(20):
            client.get(path)
        for _ in range(args.rounds):
            start, cpu = time.perf_counter(), time.process_time()
            for _ in range(args.n):
                client.get(path)
            ms = (time.perf_counter() - start) / args.n * 1000
            cpu_ms = (time.process_time() - cpu) / args.n * 1000
            best[name] = min(best.get(name, cpu_ms), cpu_ms)
            print(
                f"{name:<7} {ms:7.2f} ms wall, {cpu_ms:7.2f} ms CPU per request in-process"
                f" ({1000 / ms:5.0f}/s on one thread)"
            )
    print(
        f"best CPU per request: hello {best['hello']:.3f} ms, lesson {best['lesson']:.3f} ms,"
        f" ratio {best['hello'] / best['lesson']:.1%}"
    )
    if args.top <= 0:
        return 0

    if args.pyinstrument:
        # not a project dependency: pip install --target DIR pyinstrument, then PYTHONPATH=DIR
        from pyinstrument import Profiler

        sampler = Profiler(interval=0.0005)
        sampler.start()
        for _ in range(args.n):
            client.get(url)
        sampler.stop()
        print(f"\n=== pyinstrument, {args.n} lesson requests ===")
        print(sampler.output_text(unicode=True, color=False, show_all=False))
        return 0

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.n):
        client.get(url)
    profiler.disable()
    for sort in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort)
        stats.print_stats(args.top)
        text = out.getvalue()
        print(f"\n=== cProfile of {args.n} lesson requests, by {sort} ===")
        print(text[text.find("   ncalls") :].rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
