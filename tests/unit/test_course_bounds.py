"""YAML bombs, deep nesting and huge files: a bounded error with file:line, and the other courses still load."""

import json

import pytest

from lms.content.loader import load_courses
from lms.content.yamlio import YamlError, load_yaml
from tests.hostile_courses import BILLION_LAUGHS, HUGE_ALIASES, MANIFEST, deep, lesson, notebook, within, write_course

QUIZ = (
    "title: 퀴즈\nminutes: 5\n{extra}questions:\n"
    "  - type: short\n    prompt: 답은?\n    answers: [가]\n    explanation: 설명\n"
)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (BILLION_LAUGHS, 5, "expands to more than"),
        (HUGE_ALIASES, 2, "expands to more than"),
        (deep(), 1, "nested more than"),
        ("a:\n" + "  - " * 5000 + "x\n", 2, "nested more than"),
        ("key: " + "x" * 3_000_000, 1, "too large"),
        ("? [a, b]\n: c\n", 1, "cannot be a key"),
        ("n: " + "9" * 5000, 1, "YAML"),
    ],
    ids=["billion-laughs", "alias-to-huge-sequence", "deep-flow", "deep-block", "huge", "unhashable-key", "huge-int"],
)
def test_hostile_yaml_is_a_quick_error_with_its_line(text, line, words):
    with within(10), pytest.raises(YamlError) as error:
        load_yaml(text)
    assert error.value.line == line and words in error.value.message


def test_ordinary_anchors_and_merge_keys_still_work():
    data = load_yaml("base: &b {minutes: 5}\nitem:\n  <<: *b\n  title: t\nlist: [*b, *b]\n")
    assert data["item"] == {"minutes": 5, "title": "t"} and data["list"] == [{"minutes": 5}] * 2


def test_line_numbers_are_offset_once_even_for_shared_nodes():
    data = load_yaml("a: &a {x: 1}\nb: *a\n", first_line=10)
    assert data.line == 10 and data.key_lines == {"a": 10, "b": 11} and data["a"].line == 10


def _manifest(extra: str = "", title: str = "폭탄") -> str:
    return MANIFEST.format(title=title, extra=extra, items="      - lessons/01-a.md\n")


CASES = {
    "manifest-billion-laughs": ({"course.yml": BILLION_LAUGHS + "\n" + _manifest(title="*lol9")}, "course.yml:5:"),
    "manifest-outline-alias": (
        {"course.yml": BILLION_LAUGHS + "\n" + _manifest().replace("  - title: 1부", "  - title: *lol9", 1)},
        "course.yml:5:",
    ),
    "manifest-deep": ({"course.yml": _manifest(f"tags: {deep()}\n")}, "course.yml:8:"),
    "manifest-huge": ({"course.yml": _manifest("summary2: " + "가" * 1_500_000 + "\n")}, "course.yml:1:"),
    "front-matter-billion-laughs": ({"lessons/01-a.md": lesson(front=BILLION_LAUGHS + "\n")}, "lessons/01-a.md:8:"),
    "front-matter-huge-aliases": ({"lessons/01-a.md": lesson(front=HUGE_ALIASES + "\n")}, "lessons/01-a.md:5:"),
    "front-matter-deep": ({"lessons/01-a.md": lesson(front=f"tags: {deep()}\n")}, "lessons/01-a.md:4:"),
    "lesson-huge": ({"lessons/01-a.md": lesson("가나다라 " * 400_000)}, "lessons/01-a.md:1:"),
    "quiz-billion-laughs": ({"quizzes/q.yml": QUIZ.format(extra=BILLION_LAUGHS + "\n")}, "quizzes/q.yml:7:"),
    "quiz-huge-aliases": ({"quizzes/q.yml": QUIZ.format(extra=HUGE_ALIASES + "\n")}, "quizzes/q.yml:4:"),
    "quiz-deep": ({"quizzes/q.yml": QUIZ.format(extra=f"tags: {deep()}\n")}, "quizzes/q.yml:3:"),
    "notebook-deep-json": (
        {"exercises/ex.ipynb": notebook("x = 1")[:-1] + ', "deep": ' + "[" * 20_000 + "]" * 20_000 + "}"},
        "exercises/ex.ipynb:",
    ),
    "notebook-huge": ({"exercises/ex.ipynb": notebook("x = '" + "a" * 12_000_000 + "'")}, "exercises/ex.ipynb:"),
    "notebook-cells-string": (
        {"exercises/ex.ipynb": json.dumps({"cells": "x", "metadata": {}, "nbformat": 4, "nbformat_minor": 4})},
        "exercises/ex.ipynb:",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_course_is_reported_and_its_sibling_still_loads(tmp_path, case):
    files, where = CASES[case]
    items = ["lessons/01-a.md"]
    if any(f.startswith("quizzes/") for f in files):
        items.append("quizzes/q.yml")
    if any(f.startswith("exercises/") for f in files):
        items.append("exercises/ex.ipynb")
    root = tmp_path / "courses"
    write_course(root, "a-healthy", {"data/x.csv": "a\n1\n"})
    write_course(root, "bomb", files, items=tuple(items))
    write_course(root, "z-healthy")
    with within(20):
        results = {r.slug: r for r in load_courses(root)}
    assert results["a-healthy"].course is not None and results["z-healthy"].course is not None
    assert results["bomb"].course is None
    found = [str(p) for p in results["bomb"].errors]
    assert any(m.startswith(f"bomb/{where}") for m in found), found
    assert all(len(m) < 500 for m in found)


def test_a_huge_stray_file_is_not_read(tmp_path):
    root = tmp_path / "courses"
    folder = write_course(root, "stray")
    with open(folder / "huge.bin", "wb") as fh:
        fh.truncate(20 * 1024**3)  # sparse: 20 GiB that reading would take minutes for
    with within(10):
        results = load_courses(root)
    assert results[0].course is not None and results[0].course.assets == {}
