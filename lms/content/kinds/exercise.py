"""A notebook exercise: an nbgrader-style `.ipynb`; the learner gets its release version, hidden tests grade it in
the sandbox, and it passes at `baeum.pass_score` of the notebook's metadata."""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from ...grading.notebook import (
    NotebookFormatError,
    cell_points,
    cell_text,
    grade_id,
    is_grade,
    is_solution,
    is_task,
    read_notebook,
    release_notebook,
    validate_notebook,
)
from ..render import highlight_python, render_markdown
from ..spec import MAX_NOTEBOOK_BYTES, ItemSpec
from ..vocabulary import DEFAULT_PASS_SCORE, N_
from .base import ItemKind, StoredItem, register

if TYPE_CHECKING:
    from ..loader import CourseReader
    from ..render import LinkResolver


@register
class Exercise(ItemKind):
    name = "exercise"
    suffixes = (".ipynb",)
    label = N_("실습")
    template = "learn/exercise.html"
    page = "exercise"
    scored = True
    order = 30

    @classmethod
    def load(cls, reader: CourseReader, rel: str, slug: str) -> ItemSpec | None:
        raw = reader.read_bytes(rel, MAX_NOTEBOOK_BYTES)
        if raw is None:
            reader.error(rel, 1, f"file is too large (at most {MAX_NOTEBOOK_BYTES // 1024 // 1024} MiB)")
            return None
        problems = validate_notebook(raw, rel)
        for problem in problems:
            reader.cell_error(rel, problem.cell, problem.message)
        if problems:
            return None
        try:
            nb = read_notebook(raw, rel)
        except NotebookFormatError as exc:
            for problem in exc.problems:
                reader.cell_error(rel, problem.cell, problem.message)
            return None
        from_meta = nb.metadata.get("baeum") if isinstance(nb.metadata, dict) else None
        from_meta = from_meta if isinstance(from_meta, dict) else {}
        title = str(from_meta.get("title") or _first_heading(nb) or "")
        minutes = from_meta.get("minutes", 30)
        pass_score = from_meta.get("pass_score", DEFAULT_PASS_SCORE)
        if isinstance(pass_score, bool) or not isinstance(pass_score, int | float) or not 0 <= pass_score <= 100:
            reader.error(rel, 1, "metadata baeum.pass_score must be a number from 0 to 100")
            pass_score = DEFAULT_PASS_SCORE
        return ItemSpec(
            slug=slug,
            kind=cls.name,
            path=rel,
            title=title,
            minutes=reader.minutes(minutes, rel, 1),
            pass_score=int(pass_score),
            notebook=json.loads(json.dumps(nb)),
            files=reader.notebook_files(rel, nb),
        )

    @classmethod
    def store(cls, spec: ItemSpec, resolve: LinkResolver) -> StoredItem:
        data = exercise_data(spec.notebook or {}, spec.path, resolve)
        data["files"] = spec.files  # the course files the exercise reads: what its sandbox needs
        data["pass_score"] = spec.pass_score
        return StoredItem(data=data)


def exercise_data(source: dict[str, Any], path: str, resolve: LinkResolver) -> dict[str, Any]:
    """What the platform keeps of a notebook exercise: the source (server-side only), the learner's release
    version, and the release's cells prepared for the exercise page."""
    release = release_notebook(source, path)
    cells = []
    for index, cell in enumerate(release.cells):
        text = cell_text(cell)
        entry: dict[str, Any] = {
            "index": index,
            "type": cell.cell_type,
            "grade_id": grade_id(cell),
            "editable": is_solution(cell),
            "graded": is_grade(cell) or is_task(cell),
            "points": cell_points(cell),
            "source": text if is_solution(cell) else "",
        }
        if cell.cell_type == "markdown" and not is_solution(cell):
            entry["html"] = render_markdown(text, resolve)
        elif cell.cell_type == "code" and not is_solution(cell):
            entry["html"] = highlight_python(text)
        elif cell.cell_type == "raw":
            continue
        cells.append(entry)
    return {
        "notebook": source,
        "release": json.loads(json.dumps(release)),
        "cells": cells,
        "points": sum(cell_points(c) for c in release.cells if is_grade(c) or is_task(c)),
        "cwd": str(PurePosixPath(path).parent),
    }


def _first_heading(nb: Any) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell_text(cell).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return None
