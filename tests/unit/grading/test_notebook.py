"""Validation, release and merge of nbgrader-style notebooks (no sandbox needed)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from lms.grading.notebook import (
    CODE_STUB,
    TEXT_STUB,
    Problem,
    merge_submission,
    release_notebook,
    validate_notebook,
)


def meta(gid: str, **flags: object) -> dict:
    base = {"grade": False, "solution": False, "locked": False, "grade_id": gid, "schema_version": 3}
    base.update(flags)
    return {"nbgrader": base}


def secret_notebook() -> nbformat.NotebookNode:
    """Solutions and hidden tests in every cell type and position."""
    return new_notebook(
        cells=[
            new_markdown_cell("Intro", metadata=meta("intro", locked=True)),
            new_code_cell(
                "def f(x):\n    ### BEGIN SOLUTION\n    return x * 42  # SECRET-A\n    ### END SOLUTION\n\nf(1)",
                metadata=meta("f", solution=True),
            ),
            new_code_cell("x = 1  # SECRET-B", metadata=meta("whole", solution=True)),
            new_code_cell(
                "assert f(1) == 42\n### BEGIN HIDDEN TESTS\nassert f(2) == 84  # SECRET-C\n"
                "### END HIDDEN TESTS\nprint('visible')",
                metadata=meta("t", grade=True, points=2),
            ),
            new_markdown_cell(
                "Explain.\n### BEGIN SOLUTION\nBecause SECRET-D.\n### END SOLUTION",
                metadata=meta("md", solution=True, grade=True, points=1),
            ),
            new_markdown_cell("SECRET-E whole answer", metadata=meta("md2", solution=True, grade=True, points=1)),
            new_raw_cell("raw\n### BEGIN SOLUTION\nSECRET-F\n### END SOLUTION", metadata=meta("raw", solution=True)),
            new_code_cell("y = 2\n    ### BEGIN SOLUTION\ny = 'SECRET-G'", metadata=meta("open", solution=True)),
        ]
    )


def test_release_removes_every_solution_and_hidden_test() -> None:
    nb = secret_notebook()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="SECRET-OUT")]
            cell.execution_count = 3
    released = release_notebook(nb)
    text = json.dumps(released)
    for marker in ("SECRET", "BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"):
        assert marker not in text
    cells = released.cells
    assert cells[1].source == f"def f(x):\n    {CODE_STUB.replace(chr(10), chr(10) + '    ')}\n\nf(1)"
    assert cells[2].source == CODE_STUB
    assert cells[3].source == "assert f(1) == 42\nprint('visible')"
    assert cells[4].source == f"Explain.\n{TEXT_STUB}"
    assert cells[5].source == TEXT_STUB
    assert all(c.outputs == [] and c.execution_count is None for c in cells if c.cell_type == "code")
    # nbgrader metadata is kept so nbgrader and learners' editors still know the cells.
    assert [c.metadata.get("nbgrader", {}).get("grade_id") for c in cells] == [
        "intro",
        "f",
        "whole",
        "t",
        "md",
        "md2",
        "raw",
        "open",
    ]
    assert nbformat.validate(released) is None


def test_release_of_nbgrader_example_matches_nbgrader(notebooks: Path) -> None:
    released = release_notebook((notebooks / "nbgrader_ps1_problem1.ipynb").read_bytes())
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in released.cells}
    assert by_id["squares"].source.endswith('    """\n    # YOUR CODE HERE\n    raise NotImplementedError()')
    assert by_id["sum_of_squares_equation"].source == "YOUR ANSWER HERE"
    assert by_id["sum_of_squares_application"].source == CODE_STUB
    assert "Part E" in by_id["cell-938593c4a215c6cc"].source  # task cells are instructions, kept


def test_valid_notebooks_have_no_problems(notebooks: Path) -> None:
    for name in ("nbgrader_ps1_problem1.ipynb", "pandas_sales.ipynb", "hostile_base.ipynb"):
        assert validate_notebook((notebooks / name).read_bytes(), name) == []


def test_validation_messages(notebooks: Path) -> None:
    problems = validate_notebook((notebooks / "invalid_source.ipynb").read_bytes(), "ex/invalid.ipynb")
    messages = [str(p) for p in problems]
    assert messages == [
        "ex/invalid.ipynb: cell 1: '### BEGIN SOLUTION' without its '### END SOLUTION' (solution region)",
        "ex/invalid.ipynb: cell 2: duplicate grade_id 'f' (also used by cell 1)",
        "ex/invalid.ipynb: cell 3: hidden tests outside a graded test cell (they would not be removed safely)",
        "ex/invalid.ipynb: cell 4: missing grade_id on a graded cell",
        "ex/invalid.ipynb: cell 5: points on a cell that is not graded (3); set grade to true or remove them",
        "ex/invalid.ipynb: cell 6: '### BEGIN SOLUTION' in a cell that is not a solution cell "
        "(set nbgrader solution to true)",
    ]


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"{not json", "bad.ipynb: not a valid notebook (nbformat v4)"),
        (b'{"cells": "nope", "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "bad.ipynb"),
        (b"[]", "bad.ipynb: not a valid notebook"),
    ],
)
def test_not_a_notebook(data: bytes, expected: str) -> None:
    problems = validate_notebook(data, "bad.ipynb")
    assert problems and str(problems[0]).startswith(expected)


def test_more_validation_rules() -> None:
    nb = new_notebook(
        cells=[
            new_code_cell("pass", metadata=meta("a b", solution=True)),
            new_markdown_cell("x", metadata=meta("md", grade=True, points=1)),
            new_code_cell("pass", metadata=meta("t", grade=True)),
            new_code_cell("pass", metadata=meta("s", solution=True, locked=True)),
            new_code_cell("x\n### END HIDDEN TESTS", metadata=meta("u", grade=True, points=1)),
        ]
    )
    messages = [p.message for p in validate_notebook(nb, "n.ipynb")]
    assert "grade_id 'a b' may only contain letters, digits, '_' and '-'" in messages
    assert "Markdown graded cell 'md' must also be a solution cell (a manually graded answer)" in messages
    assert "graded cell 't' has no points" in messages
    assert "solution cell 's' is locked; learners could not answer it" in messages
    assert "line 2: '### END HIDDEN TESTS' without a '### BEGIN HIDDEN TESTS'" in messages
    assert str(Problem("a.ipynb", None, "m")) == "a.ipynb: m"


# --- merge


def answered(release: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    sub = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in sub.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return sub


def test_merge_takes_answers_by_grade_id_and_tests_from_source(notebooks: Path) -> None:
    source = nbformat.reads((notebooks / "pandas_sales.ipynb").read_text(), 4)
    sub = answered(release_notebook(source), {"total_by_region": "def total_by_region(df):\n    return 1"})
    for cell in sub.cells:  # a learner who edits a test and a locked cell gains nothing
        if cell.metadata["nbgrader"]["grade_id"] in ("test_total_by_region", "load"):
            cell.source = "pass"
    sub.cells.reverse()
    merged, missing = merge_submission(source, sub)
    assert missing == []
    assert [c.source for c in merged.cells if not c.metadata["nbgrader"]["solution"]] == [
        c.source for c in source.cells if not c.metadata["nbgrader"]["solution"]
    ]
    assert merged.cells[3].source == "def total_by_region(df):\n    return 1"
    assert "BEGIN HIDDEN TESTS" in merged.cells[4].source


def test_merge_without_metadata_by_position(notebooks: Path) -> None:
    source = nbformat.reads((notebooks / "nbgrader_ps1_problem1.ipynb").read_text(), 4)
    sub = answered(release_notebook(source), {"squares": "def squares(n):\n    return 'mine'"})
    for cell in sub.cells:
        cell.metadata = {}
    merged, missing = merge_submission(source, sub)
    assert missing == []
    assert merged.cells[2].source == "def squares(n):\n    return 'mine'"
    assert merged.cells[2].metadata["nbgrader"]["grade_id"] == "squares"


def test_merge_without_metadata_by_unchanged_text(notebooks: Path) -> None:
    source = nbformat.reads((notebooks / "nbgrader_ps1_problem1.ipynb").read_text(), 4)
    sub = answered(
        release_notebook(source),
        {
            "squares": "def squares(n):\n    return 'mine'",
            "sum_of_squares": "def sum_of_squares(n):\n    return 0",
        },
    )
    for cell in sub.cells:
        cell.metadata = {}
    # The learner's editor also added a scratch cell and deleted the Part D answer cell.
    sub.cells.insert(0, new_code_cell("print('scratch')"))
    del sub.cells[17]
    merged, missing = merge_submission(source, sub)
    assert merged.cells[2].source == "def squares(n):\n    return 'mine'"
    assert merged.cells[8].source == "def sum_of_squares(n):\n    return 0"
    assert missing == ["sum_of_squares_application"]
    assert merged.cells[16].source == CODE_STUB


def test_merge_reports_missing_answers(notebooks: Path) -> None:
    source = nbformat.reads((notebooks / "hostile_base.ipynb").read_text(), 4)
    sub = release_notebook(source)
    sub.cells = [c for c in sub.cells if c.metadata["nbgrader"]["grade_id"] != "add"]
    merged, missing = merge_submission(source, sub)
    assert missing == ["add"]
    assert merged.cells[1].source == release_notebook(source).cells[1].source
