"""Builders for hostile course folders (path escapes, YAML bombs) shared by the unit and web tests."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MANIFEST = """\
title: {title}
summary: 요약
track: foundations
industry: food
level: beginner
audience: [sme]
licence: CC BY 4.0
{extra}outline:
  - title: 1부
    items:
{items}"""

# Ten aliases per level, nine levels: 10**9 strings once expanded, from a few hundred bytes.
BILLION_LAUGHS = "\n".join(
    ['lol1: &lol1 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"lol{n}: &lol{n} [{', '.join([f'*lol{n - 1}'] * 10)}]" for n in range(2, 10)]
)
# One big sequence named five thousand times: 25 million nodes once expanded.
HUGE_ALIASES = "big: &big [" + ", ".join(["0"] * 5000) + "]\nmany: [" + ", ".join(["*big"] * 5000) + "]"


def deep(n: int = 20_000) -> str:
    """A flow sequence nested `n` deep."""
    return "[" * n + "]" * n


def lesson(body: str = "본문입니다.", front: str = "") -> str:
    return f"---\ntitle: 강의\nminutes: 5\n{front}---\n\n{body}\n"


def write_course(
    root: Path,
    slug: str,
    files: dict[str, str | bytes] | None = None,
    *,
    items: tuple[str, ...] = ("lessons/01-a.md",),
    extra: str = "",
    title: str = "과정",
) -> Path:
    """A course folder under `root`: a manifest listing `items`, a plain lesson for each missing one, and `files`."""
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    listed = "".join(f"      - {item}\n" for item in items)
    files = {"course.yml": MANIFEST.format(title=title, extra=extra, items=listed), **(files or {})}
    for item in items:
        files.setdefault(item, lesson())
    for rel, content in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def notebook(*code: str, markdown: str = "# 실습") -> str:
    """A minimal nbgrader source notebook whose code cells are `code`."""
    cells = [{"cell_type": "markdown", "metadata": {}, "source": markdown}]
    cells += [
        {"cell_type": "code", "metadata": {}, "source": text, "outputs": [], "execution_count": None} for text in code
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 4})


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail instead of hanging: raise TimeoutError in the main thread after `seconds`."""

    def expire(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def graded_notebook(visible: str, hidden: str) -> str:
    """A source notebook with a solution cell and a graded test cell whose hidden part is `hidden`."""
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# 실습"},
        {"cell_type": "code", "metadata": {}, "source": visible, "outputs": [], "execution_count": None},
        {
            "cell_type": "code",
            "metadata": {"nbgrader": {"solution": True, "grade": False, "grade_id": "answer", "locked": False}},
            "source": "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION",
            "outputs": [],
            "execution_count": None,
        },
        {
            "cell_type": "code",
            "metadata": {"nbgrader": {"grade": True, "grade_id": "test", "points": 1, "solution": False}},
            "source": f"assert answer\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS",
            "outputs": [],
            "execution_count": None,
        },
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 4})
