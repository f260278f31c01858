#!/usr/bin/env python3
"""Milliseconds for the authoring preview of a 30 KB lesson (issue 12: under 100 ms on the server).

The lesson is made of the shipped lessons' bodies (headings, tables, code, math, admonitions, links) up to the
size; each round calls `services.authoring.preview_lesson`, what `POST /author/<slug>/preview/<path>` runs: the
front matter checked, the body through the learner's renderer and sanitiser in the render worker pool. Every round
changes one character, so the render cache is not what is measured. Wall time includes the round trip to the
render worker; the CPU time of the same rendering in this process (`format_markdown`, no worker) is printed too,
since on a shared machine the wall time mostly measures the other jobs.

    .venv/bin/python bench/bench_preview.py                 # 30 KB, 30 rounds
    .venv/bin/python bench/bench_preview.py --size 60000 --rounds 50
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lms.content.render import format_markdown  # noqa: E402
from lms.services.authoring import preview_lesson, split_front_matter  # noqa: E402
from lms.services.courses import resolver_for  # noqa: E402


def lesson_of(size: int) -> str:
    bodies = []
    for path in sorted((ROOT / "courses").glob("*/lessons/*.md")):
        body, _ = split_front_matter(path.read_text(encoding="utf-8"))
        bodies.append(body)
    text = ""
    while len(text.encode()) < size:
        text += "\n\n".join(bodies)
    return "---\ntitle: 긴 강의\nminutes: 60\n---\n" + text.encode()[:size].decode("utf-8", "ignore")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=30_000, help="bytes of Markdown (default 30000)")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    text = lesson_of(args.size)
    preview_lesson("ai-first-steps-manufacturing", "lessons/99-long.md", text)  # start the render worker
    times = []
    for i in range(args.rounds):
        started = time.perf_counter()
        result = preview_lesson("ai-first-steps-manufacturing", "lessons/99-long.md", f"{text}\n{i}")
        times.append((time.perf_counter() - started) * 1000)
        assert "긴 강의" not in result.html and not result.problems
    times.sort()
    body, _ = split_front_matter(text)
    resolve = resolver_for("ai-first-steps-manufacturing", "lessons/99-long.md")
    cpu = []
    for i in range(args.rounds):
        started = time.process_time()
        format_markdown(f"{body}\n{i}", resolve)
        cpu.append((time.process_time() - started) * 1000)
    print(f"rendering alone, in process: median {statistics.median(cpu):.1f} ms of CPU")
    print(
        f"preview of {len(text.encode()):,} bytes, {args.rounds} rounds: median {statistics.median(times):.1f} ms, "
        f"p90 {times[int(len(times) * 0.9) - 1]:.1f} ms, max {times[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
