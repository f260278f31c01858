"""Grading correct, partly correct and wrong answers in the sandbox; the Run button; the result's shape."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from lms.grading.grader import GradeResult, NotebookRun, grade_notebook, run_notebook
from lms.grading.notebook import release_notebook
from lms.grading.pool import SandboxPool


@pytest.fixture(scope="module")
def sales(notebooks: Path) -> tuple[nbformat.NotebookNode, dict[str, bytes]]:
    source = nbformat.reads((notebooks / "pandas_sales.ipynb").read_text(), 4)
    return source, {"data/sales.csv": (notebooks / "data" / "sales.csv").read_bytes()}


def with_answers(nb: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    sub = release_notebook(nb)
    for cell in sub.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return sub


def test_solution_earns_full_points(sales: tuple, pool: SandboxPool) -> None:
    source, files = sales
    result = grade_notebook(source, source, files, pool=pool)
    assert result.status == "ok" and result.message_code == "grading.ok"
    assert result.points == 5 and result.auto_max_points == 5 and result.max_points == 6
    assert result.manual_pending_points == 1 and not result.final
    grades = result.by_grade_id()
    assert {g: grades[g].status for g in grades} == {
        "test_total_by_region": "passed",
        "test_monthly_mean": "passed",
        "test_plot_regions": "passed",
        "explain_choice": "manual",
    }
    cells = {c.grade_id: c for c in result.cells}
    assert "text/html" in cells["load"].outputs[0]["data"]  # the DataFrame's table
    figure = cells["plot_regions"].outputs
    assert [o["output_type"] for o in figure] == ["display_data"]  # no font warning: Hangul labels render
    assert figure[0]["data"]["image/png"]
    assert not any(c.grade_id and c.grade_id.startswith("test_") for c in result.cells)


def test_release_earns_nothing(sales: tuple, pool: SandboxPool) -> None:
    source, files = sales
    result = grade_notebook(source, release_notebook(source), files, pool=pool)
    assert result.status == "ok" and result.points == 0
    grades = result.by_grade_id()
    assert grades["test_total_by_region"].error == {"ename": "NotImplementedError", "evalue": ""}
    assert grades["explain_choice"].status == "missing" and grades["explain_choice"].points == 0
    assert result.final  # nothing to grade by hand: the Markdown answer is the unchanged stub


def test_partly_correct_answer(sales: tuple, pool: SandboxPool) -> None:
    source, files = sales
    sub = with_answers(
        source,
        {
            "total_by_region": 'def total_by_region(df):\n    return df.groupby("region")["amount"].sum()\n',
            "monthly_mean": 'def monthly_mean(df):\n    return df.groupby(df["date"].dt.month)["amount"].mean()',
            "explain_choice": "서울에 배정합니다.",
        },
    )
    result = grade_notebook(source, sub, files, pool=pool)
    grades = result.by_grade_id()
    assert grades["test_monthly_mean"].status == "passed"
    # Not sorted: the visible test passes by luck or not, the hidden one must fail with its message only.
    failed = grades["test_total_by_region"]
    assert failed.status == "failed" and failed.points == 0
    assert failed.error is not None and set(failed.error) == {"ename", "evalue"}
    assert failed.error["ename"] == "AssertionError"
    assert grades["test_plot_regions"].status == "failed"
    assert grades["explain_choice"].status == "manual" and grades["explain_choice"].points is None
    assert result.points == 2
    assert "BEGIN HIDDEN" not in json.dumps(result.to_dict())


def test_wrong_answer_and_learner_traceback(sales: tuple, pool: SandboxPool) -> None:
    source, files = sales
    sub = with_answers(
        source, {"total_by_region": "def total_by_region(df):\n    return df['nope']\n\ntotal_by_region(df)"}
    )
    result = grade_notebook(source, sub, files, pool=pool)
    cell = next(c for c in result.cells if c.grade_id == "total_by_region")
    error = cell.outputs[-1]
    assert cell.status == "error" and error["ename"] == "KeyError"
    tb = "".join(error["traceback"])
    assert "<cell-4>" in tb and "site-packages" not in tb  # the learner's own frames only
    assert result.by_grade_id()["test_total_by_region"].error["ename"] == "KeyError"


def test_nbgrader_documentation_example_grades_unchanged(notebooks: Path, pool: SandboxPool) -> None:
    source = (notebooks / "nbgrader_ps1_problem1.ipynb").read_bytes()
    solved = grade_notebook(source, source, pool=pool)
    assert solved.status == "ok"
    assert solved.points == 3 and solved.auto_max_points == 3 and solved.max_points == 10
    statuses = {g.grade_id: g.status for g in solved.grades}
    assert statuses == {
        "correct_squares": "passed",
        "squares_invalid_input": "passed",
        "correct_sum_of_squares": "passed",
        "sum_of_squares_uses_squares": "passed",
        "sum_of_squares_equation": "manual",
        "sum_of_squares_application": "manual",
        "cell-938593c4a215c6cc": "manual",
    }
    outputs = {c.index: c.outputs for c in solved.cells}
    assert outputs[4][0]["data"]["text/plain"] == "[1, 4, 9, 16, 25, 36, 49, 64, 81, 100]"
    released = grade_notebook(source, release_notebook(source), pool=pool)
    assert released.points == 0 and released.manual_pending_points == 4  # only the task cell waits


def test_result_round_trips_through_json(sales: tuple, pool: SandboxPool) -> None:
    source, files = sales
    result = grade_notebook(source, source, files, pool=pool)
    again = GradeResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result


def test_run_notebook_runs_the_learners_notebook(sales: tuple, pool: SandboxPool) -> None:
    source, files = sales
    sub = with_answers(source, {"total_by_region": "print('hello')\nraise ValueError('mine')"})
    run = run_notebook(sub, files, pool=pool)
    assert run.status == "ok"
    by_index = {c.index: c for c in run.cells}
    assert by_index[3].outputs[0] == {"output_type": "stream", "name": "stdout", "text": "hello\n"}
    assert by_index[3].outputs[1]["ename"] == "ValueError"
    assert by_index[4].status == "error"  # the visible test runs too, as in Jupyter
    assert NotebookRun.from_dict(json.loads(json.dumps(run.to_dict()))) == run


def test_data_files_under_course_relative_paths(tmp_path: Path, pool: SandboxPool) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("a\n1\n")
    (tmp_path / "quiz.yml").write_text("answers: [secret]")
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "ex.ipynb").write_text("{}")
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import os\nprint(open('../data/x.csv').read().strip(), sorted(os.listdir('..')),\n"
                "      os.path.exists('ex.ipynb'))"
            )
        ]
    )
    run = run_notebook(nb, tmp_path, cwd="exercises", pool=pool)
    assert run.cells[0].outputs[0]["text"] == "a\n1 ['data', 'exercises'] False\n"


def test_only_the_files_an_exercise_names_reach_the_sandbox(tmp_path: Path, pool: SandboxPool) -> None:
    files = {
        "data/x.csv": b"a\n1\n",
        "data/docs/a.txt": b"A",
        "data/docs/b.txt": b"B",
        "data/docs/README.md": b"readme",
        "data/other.csv": b"other",
        "extra/y.bin": b"Y",
        "notes/solutions.md": b"the answers",
        "notes/answers.txt": b"the answers",
        "secret.txt": b"secret",
        "images/plot.png": b"png",
    }
    listing = (
        "import os\nfound = []\nfor folder, _dirs, names in os.walk('..'):\n"
        "    found += [os.path.relpath(os.path.join(folder, n), '..') for n in names]\nprint(sorted(found))"
    )
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("See [the chart](../images/plot.png)."),
            nbformat.v4.new_code_cell("import pandas as pd\ndf = pd.read_csv('../data/x.csv')\nDOCS = '../data/docs'"),
            nbformat.v4.new_code_cell(listing),
        ],
        metadata={"baeum": {"files": ["../extra/y.bin"]}},
    )
    run = run_notebook(nb, files, cwd="exercises", pool=pool, source_nb=nb)
    shown = run.cells[-1].outputs[0]["text"]
    assert shown == str(["data/docs/a.txt", "data/docs/b.txt", "data/x.csv", "extra/y.bin", "images/plot.png"]) + "\n"
