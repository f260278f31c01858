"""How a grading run becomes points: passed, failed, not run, cut short, sent for review, manual and missing answers.

`score_run` is the scoring rule alone: these tests give it the run a sandbox would report (real `SandboxRun` and
`CellRun` records with chosen outcomes), so they pin the rules in milliseconds; tests/unit/grading runs the real
sandbox end to end.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lms.grading import notebook as nbg
from lms.grading.grader import GradeResult, exercise_files, grading_cells, score_run
from lms.grading.protocol import CellRun, SandboxRun

SOURCE = json.loads(
    (Path(__file__).parents[1] / "fixtures/courses/notebook-lab/exercises/sales.ipynb").read_text("utf-8")
)
# The fixture's graded cells: tests at 4 (2 points), 6 (2) and 8 (1); a written answer at 9 (1, graded by hand).
TESTS = {4: "test_total_by_region", 6: "test_monthly_mean", 8: "test_plot_regions"}


class Outcome:
    """What the sandbox reports: every cell "ok" unless `cells` says otherwise (index -> status, error)."""

    def __init__(self, cells=None, status="ok", review=()):
        self.cells = cells or {}
        self.status = status
        self.review = list(review)

    def run(self, merged) -> SandboxRun:
        cells = []
        for spec in grading_cells(merged):
            status, error = self.cells.get(spec.index, ("ok", None))
            outputs = [{"output_type": "stream", "name": "stdout", "text": f"cell {spec.index}\n"}]
            cells.append(CellRun(spec.index, status, outputs, error))
        return SandboxRun(self.status, cells, "none", 0.25, "", self.review)


def grade(outcome: Outcome, submitted=None, source=SOURCE) -> GradeResult:
    source = nbg.read_notebook(source, "source.ipynb")
    merged, missing = nbg.merge_submission(source, submitted if submitted is not None else source)
    return score_run(source, merged, missing, outcome.run(merged))


def by_id(result: GradeResult) -> dict[str, tuple]:
    return {g.grade_id: (g.kind, g.status, g.points, g.max_points, g.message_code) for g in result.grades}


def test_each_grade_names_its_cell():
    assert [(g.grade_id, g.index) for g in grade(Outcome()).grades] == [
        ("test_total_by_region", 4),
        ("test_monthly_mean", 6),
        ("test_plot_regions", 8),
        ("explain_choice", 9),
    ]


def test_passing_tests_earn_their_points_and_a_written_answer_waits():
    result = grade(Outcome())
    assert by_id(result) == {
        "test_total_by_region": ("test", "passed", 2.0, 2.0, "grade.passed"),
        "test_monthly_mean": ("test", "passed", 2.0, 2.0, "grade.passed"),
        "test_plot_regions": ("test", "passed", 1.0, 1.0, "grade.passed"),
        "explain_choice": ("answer", "manual", None, 1.0, "grade.manual_pending"),
    }
    assert (result.points, result.max_points, result.auto_max_points) == (5.0, 6.0, 5.0)
    assert (result.manual_pending_points, result.final, result.status, result.message_code) == (
        1.0,
        False,
        "ok",
        "grading.ok",
    )


def test_a_failing_test_earns_nothing_and_shows_only_its_error():
    error = {"ename": "AssertionError", "evalue": "합계가 다릅니다", "traceback": ["hidden test source"]}
    result = grade(Outcome({6: ("error", error)}))
    failed = result.by_grade_id()["test_monthly_mean"]
    assert (failed.status, failed.points, failed.message_code) == ("failed", 0.0, "grade.failed")
    assert failed.error == {"ename": "AssertionError", "evalue": "합계가 다릅니다"}
    assert result.points == 3.0 and result.max_points == 6.0


def test_a_test_that_did_not_run_earns_nothing():
    result = grade(Outcome({4: ("not-run", None)}))
    item = result.by_grade_id()["test_total_by_region"]
    assert (item.status, item.points, item.error, item.message_code) == ("error", 0.0, None, "grade.not_run")
    assert result.points == 3.0


@pytest.mark.parametrize("ename", ["TimeoutError", "SandboxCrashed", "OutputLimitExceeded"])
def test_a_test_stopped_by_a_limit_is_not_run(ename):
    result = grade(Outcome({4: ("error", {"ename": ename})}, status="crashed"))
    item = result.by_grade_id()["test_total_by_region"]
    assert (item.status, item.points, item.error) == ("error", 0.0, {"ename": ename, "evalue": ""})
    assert result.message_code == "grading.crashed"


def test_a_failure_without_details_still_says_it_failed():
    result = grade(Outcome({4: ("error", None), 6: ("error", {"ename": "ValueError"})}))
    grades = result.by_grade_id()
    assert grades["test_total_by_region"].error == {"ename": "Error", "evalue": ""}
    assert grades["test_monthly_mean"].error == {"ename": "ValueError", "evalue": ""}
    assert result.points == 1.0


def test_a_task_cell_waits_for_an_instructor():
    source = json.loads(json.dumps(SOURCE))
    task = {"grade": False, "grade_id": "task_plan", "locked": True, "points": 3, "solution": False, "task": True}
    source["cells"].append(
        {"cell_type": "markdown", "metadata": {"nbgrader": {**task, "schema_version": 3}}, "source": "계획을 세우세요."}
    )
    result = grade(Outcome(), source=source)
    assert by_id(result)["task_plan"] == ("task", "manual", None, 3.0, "grade.manual_pending")
    assert (result.points, result.max_points, result.manual_pending_points) == (5.0, 9.0, 4.0)


def test_only_the_files_the_exercise_names_reach_the_sandbox():
    files = {"data/sales.csv": b"region,amount\n", "notes/solutions.md": b"answers", "data/other.csv": b"x"}
    source = nbg.read_notebook(SOURCE, "source.ipynb")
    assert exercise_files(source, "exercises", files) == {"data/sales.csv": b"region,amount\n"}
    assert exercise_files(source, "", files) == {}  # from the course's top folder "../data/sales.csv" is outside


def test_a_run_cut_short_marks_the_test_not_run_rather_than_failed():
    timeout = {"ename": "TimeoutError", "evalue": "30 s"}
    result = grade(Outcome({8: ("error", timeout)}, status="timeout"))
    item = result.by_grade_id()["test_plot_regions"]
    assert (item.status, item.points, item.error) == ("error", 0.0, {"ename": "TimeoutError", "evalue": "30 s"})
    assert result.message_code == "grading.timeout" and result.points == 4.0
    # The same error while the run as a whole went fine is the test's own failure.
    assert grade(Outcome({8: ("error", timeout)})).by_grade_id()["test_plot_regions"].status == "failed"
    # ... and so is one with a traceback: the learner's code raised it.
    traced = {**timeout, "traceback": ["..."]}
    result = grade(Outcome({8: ("error", traced)}, status="timeout"))
    assert result.by_grade_id()["test_plot_regions"].status == "failed"


def test_signs_of_tampering_send_every_test_to_an_instructor():
    result = grade(Outcome(review=["the verdict was touched"]))
    tests = [g for g in result.grades if g.kind == "test"]
    assert {(g.status, g.points, g.message_code) for g in tests} == {("review", None, "grade.needs_review")}
    assert (result.points, result.manual_pending_points, result.final) == (0.0, 6.0, False)
    assert result.review == ["the verdict was touched"]


def test_an_answer_that_defines_how_it_compares_is_reviewed():
    submitted = json.loads(json.dumps(SOURCE))
    cell = next(c for c in submitted["cells"] if c["metadata"]["nbgrader"]["grade_id"] == "total_by_region")
    cell["source"] = "class Any:\n    def __eq__(self, other):\n        return True\nresult = Any()\n"
    result = grade(Outcome(), submitted)
    assert result.review == ["the answer defines __eq__"]
    assert all(g.status == "review" for g in result.grades if g.kind == "test")


def test_the_release_version_earns_nothing_for_its_written_answer():
    release = nbg.release_notebook(nbg.read_notebook(SOURCE, "source.ipynb"))
    result = grade(Outcome({i: ("error", {"ename": "NotImplementedError", "evalue": ""}) for i in TESTS}), release)
    assert by_id(result)["explain_choice"] == ("answer", "missing", 0.0, 1.0, "grade.missing_answer")
    assert (result.points, result.max_points, result.manual_pending_points, result.final) == (0.0, 6.0, 0.0, True)


def test_test_cells_run_hidden_and_their_outputs_are_never_returned():
    result = grade(Outcome())
    kinds = {spec.index: spec.kind for spec in grading_cells(nbg.read_notebook(SOURCE, "source.ipynb"))}
    assert {i for i, kind in kinds.items() if kind == "test"} == set(TESTS)
    # Every other code cell is shown with its outputs, answers by their grade_id.
    assert [(c.index, c.grade_id, c.status, c.outputs[0]["text"]) for c in result.cells] == [
        (1, "imports", "ok", "cell 1\n"),
        (2, "load", "ok", "cell 2\n"),
        (3, "total_by_region", "ok", "cell 3\n"),
        (5, "monthly_mean", "ok", "cell 5\n"),
        (7, "plot_regions", "ok", "cell 7\n"),
    ]
    assert (result.missing, result.isolation, result.duration_s) == ([], "none", 0.25)
    assert GradeResult.from_dict(result.to_dict()) == result
