"""Reading a notebook refuses what would make its readers fail: deep nesting, wrong types, not a notebook."""

from __future__ import annotations

import json

import pytest

from lms.grading.notebook import (
    NotebookFormatError,
    merge_submission,
    read_notebook,
    release_notebook,
    validate_notebook,
)
from tests.hostile_courses import graded_notebook

SOURCE = json.loads(graded_notebook("x = 1", "assert True"))


def _changed(change) -> dict:
    notebook = json.loads(json.dumps(SOURCE))
    change(notebook)
    return notebook


HOSTILE = {
    "deep-json-text": ('{"cells": [], "metadata": {"x": ' + "[" * 20_000 + "]" * 20_000 + "}}", "nested too deeply"),
    "deep-json-under-the-recursion-limit": (
        '{"cells": [], "metadata": {"x": ' + "[" * 500 + "]" * 500 + "}}",
        "nested more than 100 levels deep",
    ),
    "cells-is-a-string": (_changed(lambda nb: nb.update(cells="cells")), "'cells' must be a list of cells"),
    "source-is-a-number": (
        _changed(lambda nb: nb["cells"][1].update(source=42)),
        "cell 2: 'source' must be text or a list of text",
    ),
    "source-list-of-numbers": (
        _changed(lambda nb: nb["cells"][1].update(source=[1, 2])),
        "cell 2: 'source' must be text or a list of text",
    ),
    "cell-is-a-list": (_changed(lambda nb: nb["cells"].__setitem__(0, ["x"])), "cell 1: a cell must be an object"),
    "unknown-cell-type": (_changed(lambda nb: nb["cells"][0].update(cell_type="video")), "cell 1: 'cell_type'"),
    "metadata-is-a-list": (_changed(lambda nb: nb["cells"][2].update(metadata=["x"])), "cell 3: 'metadata'"),
    "outputs-is-a-string": (_changed(lambda nb: nb["cells"][1].update(outputs="x")), "cell 2: 'outputs'"),
    "notebook-metadata-is-a-string": (_changed(lambda nb: nb.update(metadata="x")), "'metadata' must be an object"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_malformed_notebook_is_one_clear_error(case):
    data, words = HOSTILE[case]
    with pytest.raises(NotebookFormatError) as error:
        read_notebook(data, "hostile.ipynb")
    assert words in str(error.value)
    problems = validate_notebook(data, "hostile.ipynb")
    assert problems and any(words in str(p) for p in problems)
    with pytest.raises(NotebookFormatError):
        merge_submission(SOURCE, data)
    with pytest.raises(NotebookFormatError):
        release_notebook(data)


def test_a_well_formed_notebook_reads_as_before_and_is_not_changed():
    before = json.dumps(SOURCE, sort_keys=True)
    nb = read_notebook(SOURCE)
    nb.cells[0].source = "changed"
    assert json.dumps(SOURCE, sort_keys=True) == before
    assert validate_notebook(SOURCE, "ok.ipynb") == []
