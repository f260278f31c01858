"""Checks the course "생성형 AI 업무 활용" (courses/genai-at-work): its files, links and exercise.

The exercise's source notebook must pass all its own tests, and a crude release of it (solutions replaced by
``raise NotImplementedError()``, hidden tests removed) must fail its graded test cells.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
import yaml

from tests.content.notebooks import execute, release_notebook

COURSE = Path(__file__).resolve().parents[2] / "courses" / "genai-at-work"
EXERCISES = sorted((COURSE / "exercises").glob("*.ipynb"))
LESSONS = sorted((COURSE / "lessons").glob("*.md"))
QUIZZES = sorted((COURSE / "quizzes").glob("*.yml"))
SVGS = sorted((COURSE / "images").glob("*.svg"))
MARKDOWN_FILES = [*LESSONS, COURSE / "overview.md", COURSE / "data" / "README.md"]

SOLUTION_REGION = re.compile(r"^([ \t]*)### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[^\n]*", re.M | re.S)
HIDDEN_REGION = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)
# Markdown links and images: [text](target), ![alt](target); absolute URLs and anchors are skipped.
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _front_matter(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{path.name}: no front matter"
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


def test_there_is_an_exercise():
    assert EXERCISES, "the course ships at least one notebook exercise"


def test_every_written_answer_carries_a_marking_rubric():
    for path in EXERCISES:
        for cell in nbformat.read(path, as_version=4).cells:
            meta = _nbgrader(cell)
            if cell.cell_type == "markdown" and meta.get("solution") and meta.get("grade"):
                model_answer, _, rubric = cell.source.partition("**채점 기준**")
                assert "### BEGIN SOLUTION" in model_answer and "### END SOLUTION" in rubric, meta["grade_id"]
                assert f"({meta['points']}점)" in rubric.splitlines()[0], meta["grade_id"]


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_source_notebook_passes_its_own_tests(path):
    nb = nbformat.read(path, as_version=4)
    execute(nb, COURSE / "exercises", allow_errors=False)  # raises CellExecutionError on the first failing cell


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_release_version_fails_graded_tests(path):
    released = release_notebook(nbformat.read(path, as_version=4))
    assert not any("### BEGIN SOLUTION" in c.source or "HIDDEN TESTS" in c.source for c in released.cells)
    execute(released, COURSE / "exercises", allow_errors=True)
    graded = [c for c in released.cells if c.cell_type == "code" and _nbgrader(c).get("grade")]
    failed = [c for c in graded if any(o.get("output_type") == "error" for o in c.outputs)]
    assert graded
    assert len(failed) == len(graded), "every graded test cell should fail without the solutions"


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_nbgrader_metadata(path):
    nb = nbformat.read(path, as_version=4)
    ids = [_nbgrader(c)["grade_id"] for c in nb.cells if _nbgrader(c)]
    assert len(ids) == len(set(ids)), "grade_id must be unique"
    manual = 0
    for cell in nb.cells:
        meta = _nbgrader(cell)
        assert meta, "every cell carries nbgrader metadata"
        assert meta["schema_version"] == 3
        assert {"grade", "solution", "locked", "grade_id"} <= meta.keys()
        if meta["grade"]:
            assert meta["points"] > 0
        if meta["solution"]:
            assert not meta["locked"]
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        if meta["grade"] and not meta["solution"]:
            assert meta["locked"] and cell.cell_type == "code"
        if meta["grade"] and meta["solution"] and cell.cell_type == "markdown":
            manual += 1
        if "HIDDEN TESTS" in cell.source:
            assert meta["grade"] and not meta["solution"]
    assert manual >= 1, "at least one manually graded written answer"
    assert any("### BEGIN HIDDEN TESTS" in c.source for c in nb.cells)


def test_manifest_and_outline():
    course = yaml.safe_load((COURSE / "course.yml").read_text(encoding="utf-8"))
    for key in ("title", "summary", "track", "industry", "level", "audience", "licence", "outline"):
        assert course.get(key), key
    assert (course["track"], course["industry"], course["level"]) == ("generative-ai", "office", "beginner")
    assert set(course["audience"]) == {"sme", "startup", "student"}
    assert course["licence"] == "CC BY-SA 4.0"
    assert (COURSE / course["overview"]).is_file()
    items = [i if isinstance(i, str) else i["path"] for module in course["outline"] for i in module["items"]]
    for item in items:
        assert (COURSE / item).is_file(), item
    stems = [Path(i).stem for i in items]
    assert len(stems) == len(set(stems)), "item identities are unique"
    shipped = {p.relative_to(COURSE).as_posix() for p in [*LESSONS, *QUIZZES, *EXERCISES]}
    assert shipped == set(items), "every lesson, quiz and exercise is in the outline"
    assert len(LESSONS) >= 6 and len(QUIZZES) >= 2


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_structure(path):
    meta, body = _front_matter(path)
    assert meta["title"] and meta["minutes"] > 0 and meta["objectives"]
    for heading in ("## 요약", "## 확인 문제"):
        assert heading in body, f"{path.name}: missing {heading}"
    # the platform shows the front matter's objectives above the lesson; the body must not repeat them
    assert "## 학습 목표" not in body, f"{path.name}: objectives repeated in the body"


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=lambda p: p.name)
def test_relative_links_and_images_exist(path):
    in_fence = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        if in_fence:
            continue
        for bang, text, target in LINK.findall(line):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            assert (path.parent / target.split("#")[0]).exists(), f"{path.name}:{number}: {target}"
            if bang:
                assert text.strip(), f"{path.name}:{number}: image without alt text"


@pytest.mark.parametrize("path", QUIZZES, ids=lambda p: p.name)
def test_quiz(path):
    quiz = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert quiz["title"] and quiz["minutes"] > 0
    questions = quiz["questions"]
    assert 5 <= len(questions) <= 10
    assert {q["type"] for q in questions} == {"single", "multiple", "short"}
    ids = [q.get("id", f"q{n}") for n, q in enumerate(questions, start=1)]
    assert len(ids) == len(set(ids))
    for q in questions:
        assert q["prompt"].strip() and q["explanation"].strip()
        if q["type"] == "short":
            assert q["answers"] and all(str(a).strip() for a in q["answers"])
            continue
        correct = [o for o in q["options"] if o.get("correct")]
        assert len(q["options"]) >= 2
        assert len(correct) == 1 if q["type"] == "single" else len(correct) >= 1, q["prompt"]


@pytest.mark.parametrize("path", SVGS, ids=lambda p: p.name)
def test_svg(path):
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    tags = {el.tag.split("}")[-1].lower() for el in root.iter()}
    assert "script" not in tags and "foreignobject" not in tags
    assert "title" in tags, "an accessible <title>"
    for el in root.iter():
        assert not any(name.lower().startswith("on") for name in el.attrib), f"event handler in {path.name}"


def test_there_are_diagrams():
    assert len(SVGS) >= 2


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_platform_grader_gives_the_solution_full_points(path):
    """The same checks through the platform's sandboxed grader, as a learner's submission is graded."""
    grader = pytest.importorskip("lms.grading.grader")
    sandbox = pytest.importorskip("lms.grading.pool")
    nbg = pytest.importorskip("lms.grading.notebook")
    source = nbformat.read(path, as_version=4)
    assert nbg.validate_notebook(source, path.name) == []
    pool = sandbox.SandboxPool(size=1)
    try:
        full = grader.grade_notebook(source, source, COURSE, cwd="exercises", pool=pool)
        tests = [g for g in full.grades if g.kind == "test"]
        assert full.status == "ok" and tests
        assert all(g.status == "passed" for g in tests), [(g.grade_id, g.error) for g in tests]
        assert full.points == full.auto_max_points > 0
        assert full.manual_pending_points > 0, "the written answer awaits an instructor"
        release = nbg.release_notebook(source)
        released = grader.grade_notebook(source, release, COURSE, cwd="exercises", pool=pool)
        assert released.points == 0
    finally:
        pool.close()
