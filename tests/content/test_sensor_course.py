"""Checks the course "설비 센서 데이터로 불량 예측하기" (courses/sensor-defect-prediction).

The data generator reproduces the shipped data byte for byte; every exercise's source notebook passes all
its own visible and hidden tests; a crude release of it (solution regions replaced by
``raise NotImplementedError()``, nothing else stripped) fails every graded test cell; lessons, quizzes and
links are well formed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from tests.content.notebooks import execute, release_notebook

COURSE = Path(__file__).resolve().parents[2] / "courses" / "sensor-defect-prediction"
EXERCISES = sorted((COURSE / "exercises").glob("*.ipynb"))
LESSON_NAMES = [
    "01-plant-csv.md",
    "02-cleaning-missing-outliers.md",
    "03-explore-shift-machine.md",
    "04-time-window-features.md",
    "05-class-imbalance.md",
    "06-training-cross-validation.md",
    "07-precision-recall-cost.md",
    "08-threshold.md",
    "09-leakage-drift.md",
    "10-handover.md",
]
LESSONS = [COURSE / "lessons" / name for name in LESSON_NAMES]
QUIZZES = sorted((COURSE / "quizzes").glob("*.yml"))
MARKDOWN_FILES = [*LESSONS, COURSE / "overview.md", COURSE / "data" / "README.md"]

SOLUTION_REGION = re.compile(r"^([ \t]*)### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[^\n]*", re.M | re.S)
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
EXTERNAL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//|#)")


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _errored(cell) -> bool:
    return any(out.get("output_type") == "error" for out in cell.get("outputs", []))


def _outside_fences(text: str):
    in_fence = False
    for number, line in enumerate(text.split("\n"), start=1):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if not in_fence:
            yield number, line


def _front_matter(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{path.name}: no front matter"
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


# -- data -------------------------------------------------------------------------------------------


def test_data_generator_reproduces_the_shipped_data(tmp_path):
    subprocess.run([sys.executable, str(COURSE / "tools" / "make_data.py"), str(tmp_path)], check=True)
    for name in ("sensor_log.csv", "maintenance_log.csv"):
        assert (tmp_path / name).read_bytes() == (COURSE / "data" / name).read_bytes(), f"{name} differs"


def test_data_is_small_and_has_the_promised_structure():
    import pandas as pd

    path = COURSE / "data" / "sensor_log.csv"
    assert path.stat().st_size < 2 * 1024 * 1024
    df = pd.read_csv(path, parse_dates=["timestamp"])
    assert sorted(df["machine"].unique()) == ["CNC-01", "CNC-02", "CNC-03", "CNC-04"]
    assert sorted(df["shift"].unique()) == ["A", "B", "C"]
    assert (df["timestamp"].max() - df["timestamp"].min()).days >= 21
    assert 0.02 < df["defect"].mean() < 0.05
    assert df.isna().any().any() and (df["coolant_pressure_bar"] == "ERR").any()
    assert (df["spindle_temp_c"] == 999.9).any() and df.duplicated().any()


# -- exercises --------------------------------------------------------------------------------------


def test_there_are_three_exercises_with_a_manually_graded_answer():
    assert len(EXERCISES) >= 3
    manual = [
        cell
        for path in EXERCISES
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "markdown" and _nbgrader(cell).get("solution") and _nbgrader(cell).get("grade")
    ]
    assert manual, "at least one manually graded written answer"


def test_every_written_answer_carries_a_marking_rubric():
    """nbgrader shows the solution text of a manually graded cell as the model answer; its rubric follows it."""
    for path in EXERCISES:
        for cell in nbformat.read(path, as_version=4).cells:
            meta = _nbgrader(cell)
            if cell.cell_type == "markdown" and meta.get("solution") and meta.get("grade"):
                solution = cell.source.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]
                model_answer, _, rubric = solution.partition("**채점 기준**")
                assert model_answer.strip() and rubric.strip(), f"{path.name}: {meta['grade_id']} has no rubric"
                assert f"({meta['points']}점)" in rubric.splitlines()[0], f"{path.name}: rubric points differ"


def test_python3_kernel_runs_this_interpreter():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; print(sys.prefix)")])
    execute(nb, COURSE / "exercises")
    assert nb.cells[0].outputs[0]["text"].strip() == sys.prefix, "the python3 kernelspec points elsewhere"


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_exercise_metadata_follows_nbgrader(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    ids = [_nbgrader(c)["grade_id"] for c in nb.cells if _nbgrader(c)]
    assert len(ids) == len(set(ids)), "grade_id must be unique"
    graded_tests = 0
    for cell in nb.cells:
        meta = _nbgrader(cell)
        assert meta, "every cell carries nbgrader metadata"
        assert meta["schema_version"] == 3
        if meta["grade"]:
            assert meta["points"] > 0
        if meta["solution"] and cell.cell_type == "code":
            assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        if meta["grade"] and not meta["solution"]:
            graded_tests += 1
            assert cell.cell_type == "code" and meta["locked"]
            assert "### BEGIN HIDDEN TESTS" in cell.source and "### END HIDDEN TESTS" in cell.source
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, "source notebooks are stored without outputs"
        else:
            for _, line in _outside_fences(cell.source):
                for match in LINK.finditer(line):
                    target = match.group(3).split("#")[0]
                    if target and not EXTERNAL.match(target):
                        assert (path.parent / target).is_file(), f"{path.name}: missing link target {target}"
    assert graded_tests >= 3
    assert "../data/sensor_log.csv" in "".join(c.source for c in nb.cells)


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_source_notebook_passes_its_own_tests(path):
    nb = execute(
        nbformat.read(path, as_version=4), COURSE / "exercises"
    )  # raises CellExecutionError on the first failure
    assert not any(_errored(cell) for cell in nb.cells)


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_release_fails_the_graded_tests(path):
    released = release_notebook(nbformat.read(path, as_version=4))
    assert "### BEGIN SOLUTION" not in "".join(c.source for c in released.cells)
    nb = execute(released, COURSE / "exercises", allow_errors=True)
    graded = [c for c in nb.cells if _nbgrader(c).get("grade") and not _nbgrader(c).get("solution")]
    passed = [_nbgrader(c)["grade_id"] for c in graded if not _errored(c)]
    assert not passed, f"graded test cells that pass without a solution: {passed}"


# -- lessons, quizzes, manifest -----------------------------------------------------------------------


def test_manifest_lists_every_lesson_quiz_and_exercise():
    manifest = yaml.safe_load((COURSE / "course.yml").read_text(encoding="utf-8"))
    assert manifest["track"] == "machine-learning" and manifest["industry"] == "manufacturing"
    assert manifest["licence"] == "CC BY-SA 4.0"
    items = [i if isinstance(i, str) else i["path"] for m in manifest["outline"] for i in m["items"]]
    expected = [f"lessons/{n}" for n in LESSON_NAMES]
    expected += [f"exercises/{p.name}" for p in EXERCISES] + [f"quizzes/{p.name}" for p in QUIZZES]
    assert sorted(items) == sorted(expected)
    for exercise in EXERCISES:  # an exercise comes after the lessons it practises
        lessons_before = items[: items.index(f"exercises/{exercise.name}")]
        assert any(i.startswith("lessons/") for i in lessons_before)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_has_front_matter_summary_and_check_questions(path):
    meta, body = _front_matter(path)
    assert meta["title"] and isinstance(meta["minutes"], int) and len(meta["objectives"]) >= 2
    assert "## 요약" in body and "## 확인 문제" in body
    assert "```python" in body
    assert "합성" in body, "say that the data is synthetic"


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=lambda p: p.name)
def test_relative_links_and_images_exist(path):
    for number, line in _outside_fences(path.read_text(encoding="utf-8")):
        for match in LINK.finditer(line):
            is_image, alt, target = match.groups()
            if is_image:
                assert alt.strip(), f"{path.name}:{number}: image without alt text"
            target = target.split("#")[0]
            if target and not EXTERNAL.match(target):
                assert (path.parent / target).is_file(), f"{path.name}:{number}: missing {target}"


@pytest.mark.parametrize("path", QUIZZES, ids=lambda p: p.name)
def test_quiz_questions_have_an_answer_and_an_explanation(path):
    quiz = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert quiz["title"] and quiz["minutes"]
    for q in quiz["questions"]:
        assert str(q.get("explanation", "")).strip(), f"{q.get('id')}: no explanation"
        if q["type"] == "short":
            assert q["answers"]
        else:
            correct = sum(1 for o in q["options"] if o.get("correct") is True)
            assert correct == 1 if q["type"] == "single" else correct >= 1


def test_course_loads_without_problems():
    loader = pytest.importorskip("lms.content.loader")
    result = loader.load_course(COURSE)
    assert [str(p) for p in result.problems] == []
    assert result.course is not None and len(result.course.items) == 17
