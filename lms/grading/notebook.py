"""nbgrader-compatible notebooks: validate a source notebook, make its release version, merge answers."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbformat import NotebookNode

BEGIN_SOLUTION = "BEGIN SOLUTION"
END_SOLUTION = "END SOLUTION"
BEGIN_HIDDEN = "BEGIN HIDDEN TESTS"
END_HIDDEN = "END HIDDEN TESTS"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
GRADE_ID_RE = re.compile(r"^[A-Za-z0-9_\-]+$")
# Real notebooks nest about 6 deep (cells, outputs, MIME bundles, widget state a little more).
MAX_NOTEBOOK_DEPTH = 100
CELL_TYPES = ("code", "markdown", "raw")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a notebook, shown as ``file: cell N: message`` (1-based cell, None: the file)."""

    file: str
    cell: int | None
    message: str

    def __str__(self) -> str:
        if self.cell is None:
            return f"{self.file}: {self.message}"
        return f"{self.file}: cell {self.cell}: {self.message}"


class NotebookFormatError(ValueError):
    """Raised when a notebook cannot be read, released or merged; carries the problems found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


# --- cell metadata


def nbgrader_meta(cell: dict[str, Any]) -> dict[str, Any]:
    """The cell's ``nbgrader`` metadata (an empty dict when absent or malformed)."""
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def is_solution(cell: dict[str, Any]) -> bool:
    return bool(nbgrader_meta(cell).get("solution", False))


def is_grade(cell: dict[str, Any]) -> bool:
    return bool(nbgrader_meta(cell).get("grade", False))


def is_task(cell: dict[str, Any]) -> bool:
    return bool(nbgrader_meta(cell).get("task", False))


def is_locked(cell: dict[str, Any]) -> bool:
    meta = nbgrader_meta(cell)
    # nbgrader locks test cells and task cells implicitly; solution cells are never locked.
    if is_solution(cell):
        return False
    return bool(meta.get("locked", False)) or is_grade(cell) or is_task(cell)


def grade_id(cell: dict[str, Any]) -> str | None:
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def cell_points(cell: dict[str, Any]) -> float:
    try:
        return float(nbgrader_meta(cell).get("points", 0) or 0)
    except (TypeError, ValueError):
        return 0.0


def cell_text(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


# --- reading


def read_notebook(
    nb_or_bytes: NotebookNode | dict[str, Any] | bytes | str, filename: str = "notebook.ipynb"
) -> NotebookNode:
    """Parse and upgrade a notebook to nbformat v4; raise NotebookFormatError when it is not a notebook.

    What comes back has the shape the rest of this module relies on (`structure_problems`): a list of cells, each
    an object with a known type, text source and object metadata. Deep nesting is refused before anything walks it.
    """
    try:
        if isinstance(nb_or_bytes, (bytes, bytearray)):
            nb_or_bytes = nb_or_bytes.decode("utf-8")
        data = json.loads(nb_or_bytes) if isinstance(nb_or_bytes, str) else nb_or_bytes
        if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
            raise ValueError("no cells")
        if nested_deeper_than(data, MAX_NOTEBOOK_DEPTH):
            raise ValueError(f"nested more than {MAX_NOTEBOOK_DEPTH} levels deep")
        import nbformat  # here, not at the top: its JSON-schema stack is not needed by pages that never read one

        nb = nbformat.from_dict(data)  # new containers: the caller's data is never changed
        nb = nbformat.convert(nb, 4)
    except RecursionError as exc:
        raise NotebookFormatError([Problem(filename, None, "not a valid notebook: nested too deeply")]) from exc
    except (UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError) as exc:
        message = f"not a valid notebook (nbformat v4): {str(exc)[:200]}"
        raise NotebookFormatError([Problem(filename, None, message)]) from exc
    problems = structure_problems(nb, filename)
    if problems:
        raise NotebookFormatError(problems)
    return nb


def nested_deeper_than(data: Any, limit: int) -> bool:
    """Whether JSON-like data nests lists and objects more than `limit` deep (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return False


def structure_problems(nb: dict[str, Any], filename: str) -> list[Problem]:
    """The shape every reader of a notebook relies on: cells a list of objects with a known `cell_type`, `source`
    text (or a list of text), object `metadata` (and nbgrader metadata an object), code `outputs` a list."""
    if not isinstance(nb.get("metadata", {}), dict):
        return [Problem(filename, None, "the notebook's 'metadata' must be an object")]
    cells = nb.get("cells")
    if not isinstance(cells, list):
        return [Problem(filename, None, "'cells' must be a list of cells")]
    problems: list[Problem] = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            problems.append(Problem(filename, number, "a cell must be an object"))
        elif cell.get("cell_type") not in CELL_TYPES:
            problems.append(Problem(filename, number, "'cell_type' must be code, markdown or raw"))
        elif not _is_text(cell.get("source", "")):
            problems.append(Problem(filename, number, "'source' must be text or a list of text"))
        elif not isinstance(cell.get("metadata", {}), dict):
            problems.append(Problem(filename, number, "'metadata' must be an object"))
        elif cell.get("metadata", {}).get("nbgrader") not in (None, {}) and not isinstance(
            cell["metadata"]["nbgrader"], dict
        ):
            problems.append(Problem(filename, number, "nbgrader metadata must be an object"))
        elif cell["cell_type"] == "code" and not isinstance(cell.get("outputs", []), list):
            problems.append(Problem(filename, number, "'outputs' must be a list"))
        if len(problems) >= 20:
            break
    return problems


def _is_text(value: Any) -> bool:
    return isinstance(value, str) or isinstance(value, list) and all(isinstance(v, str) for v in value)


def schema_problems(nb: NotebookNode, filename: str) -> list[Problem]:
    """What nbformat's own JSON schema finds wrong (at most 20 problems)."""
    import nbformat.validator

    problems: list[Problem] = []
    try:
        validator = nbformat.validator.get_validator(4, nb.get("nbformat_minor", 4))
    except Exception:  # pragma: no cover - very old nbformat
        validator = None
    if validator is None:
        return problems
    for err in validator.iter_errors(nb):
        path = list(err.absolute_path) if hasattr(err, "absolute_path") else []
        cell = path[1] + 1 if len(path) > 1 and path[0] == "cells" and isinstance(path[1], int) else None
        problems.append(Problem(filename, cell, f"not valid nbformat: {err.message}"))
        if len(problems) >= 20:
            break
    return problems


# --- markers


def _marker_problems(text: str, begin: str, end: str, what: str) -> tuple[bool, list[str]]:
    """Return (has_region, messages) for the BEGIN/END markers of one kind in a cell's text."""
    messages: list[str] = []
    inside = False
    found = False
    for lineno, line in enumerate(text.split("\n"), start=1):
        if begin in line:
            found = True
            if inside:
                messages.append(f"line {lineno}: nested '### {begin}' (the previous one has no '### {end}')")
            inside = True
        elif end in line:
            if not inside:
                messages.append(f"line {lineno}: '### {end}' without a '### {begin}'")
            inside = False
    if inside:
        messages.append(f"'### {begin}' without its '### {end}' ({what})")
    return found, messages


def validate_notebook(nb_or_bytes: NotebookNode | dict[str, Any] | bytes | str, filename: str) -> list[Problem]:
    """Check an instructor's source notebook against nbgrader's conventions; an empty list means it is fine.

    Problems are in cell order; a notebook that is not nbformat v4 yields one problem for the file.
    """
    try:
        nb = read_notebook(nb_or_bytes, filename)
    except NotebookFormatError as exc:
        return exc.problems
    problems = schema_problems(nb, filename)
    cells = nb.get("cells")
    if not isinstance(cells, list) or not all(isinstance(c, dict) and "cell_type" in c for c in cells):
        return problems or [Problem(filename, None, "not a valid notebook (nbformat v4): bad cells")]
    seen_ids: dict[str, int] = {}
    for number, cell in enumerate(cells, start=1):

        def report(message: str, number: int = number) -> None:
            problems.append(Problem(filename, number, message))

        raw_meta = (cell.get("metadata") or {}).get("nbgrader")
        if raw_meta is not None and not isinstance(raw_meta, dict):
            report("nbgrader metadata must be an object")
            continue
        meta = nbgrader_meta(cell)
        text = cell_text(cell)
        solution, grade, task = is_solution(cell), is_grade(cell), is_task(cell)
        gid = meta.get("grade_id")
        if meta and (solution or grade or task or meta.get("locked")):
            if not gid:
                report(
                    "missing grade_id on a "
                    + ("solution" if solution else "graded" if grade else "task" if task else "locked")
                    + " cell"
                )
            elif not isinstance(gid, str) or not GRADE_ID_RE.match(gid):
                report(f"grade_id {gid!r} may only contain letters, digits, '_' and '-'")
            elif gid in seen_ids:
                report(f"duplicate grade_id '{gid}' (also used by cell {seen_ids[gid]})")
            else:
                seen_ids[gid] = number
        if grade:
            if "points" not in meta:
                report(f"graded cell '{gid}' has no points")
            else:
                try:
                    if float(meta["points"]) < 0:
                        report(f"graded cell '{gid}' has negative points")
                except (TypeError, ValueError):
                    report(f"graded cell '{gid}' has points that are not a number: {meta['points']!r}")
            if cell.cell_type != "code" and not solution:
                report(f"Markdown graded cell '{gid}' must also be a solution cell (a manually graded answer)")
        elif task:
            if cell.cell_type != "markdown":
                report("a task cell must be a Markdown cell")
            if solution:
                report("a task cell cannot also be a solution cell")
        elif meta.get("points") not in (None, 0, 0.0, "0"):
            report(f"points on a cell that is not graded ({meta.get('points')!r}); set grade to true or remove them")
        if solution and meta.get("locked"):
            report(f"solution cell '{gid}' is locked; learners could not answer it")

        has_solution, messages = _marker_problems(text, BEGIN_SOLUTION, END_SOLUTION, "solution region")
        for message in messages:
            report(message)
        if has_solution and not solution:
            report("'### BEGIN SOLUTION' in a cell that is not a solution cell (set nbgrader solution to true)")
        has_hidden, messages = _marker_problems(text, BEGIN_HIDDEN, END_HIDDEN, "hidden tests")
        for message in messages:
            report(message)
        if has_hidden and not (grade and not solution):
            report("hidden tests outside a graded test cell (they would not be removed safely)")
        if cell.cell_type == "raw" and (solution or grade):
            report("a raw cell cannot be a solution or graded cell")
    return problems


# --- release


def _replace_regions(text: str, begin: str, end: str, stub: str | None) -> tuple[str, bool]:
    """Replace each BEGIN..END region (markers included) by ``stub``, indented like BEGIN, or drop it."""
    out: list[str] = []
    inside = False
    replaced = False
    for line in text.split("\n"):
        if begin in line:
            if not inside and stub is not None:
                indent = re.match(r"\s*", line).group(0)  # type: ignore[union-attr]
                out.extend(indent + s for s in stub.split("\n"))
            inside = True
            replaced = True
        elif end in line:
            inside = False
        elif not inside:
            out.append(line)
    # An unterminated region is dropped to its end: nothing after a BEGIN marker can leak.
    return "\n".join(out), replaced


def visible_test_text(text: str) -> str:
    """A test cell's text as learners receive it: hidden tests removed."""
    visible, _ = _replace_regions(text, BEGIN_HIDDEN, END_HIDDEN, None)
    return visible


def solution_text(text: str) -> str:
    """A solution cell's text as the instructor wrote it, for whoever grades by hand: the solution markers removed,
    everything between them kept (the model answer and, in written answers, its rubric)."""
    return "\n".join(line for line in text.split("\n") if BEGIN_SOLUTION not in line and END_SOLUTION not in line)


def release_notebook(nb: NotebookNode | dict[str, Any] | bytes | str, filename: str = "notebook.ipynb") -> NotebookNode:
    """The learner's version: solutions replaced by stubs, hidden tests removed, outputs cleared, metadata
    kept.

    Any text between BEGIN and END markers goes, in every cell type; an unterminated region goes to the end.
    """
    released = read_notebook(nb, filename)
    for cell in released.cells:
        text = cell_text(cell)
        stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
        text, replaced = _replace_regions(text, BEGIN_SOLUTION, END_SOLUTION, stub)
        if is_solution(cell) and not replaced:
            text = stub
        text, _ = _replace_regions(text, BEGIN_HIDDEN, END_HIDDEN, None)
        # Markers in odd spellings (e.g. a lone END) must not survive either.
        lines = [ln for ln in text.split("\n") if not any(m in ln for m in (END_SOLUTION, END_HIDDEN))]
        cell.source = "\n".join(lines)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if is_solution(cell):
            cell.pop("attachments", None)
        cell.metadata.pop("execution", None)
    return released


# --- merge


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def merge_submission(
    source_nb: NotebookNode | dict[str, Any] | bytes | str,
    submitted_nb: NotebookNode | dict[str, Any] | bytes | str,
) -> tuple[NotebookNode, list[str]]:
    """Put a learner's answers into the source notebook; return it and the grade_ids of missing answers.

    Everything but the answer text comes from the source (tests, hidden tests, locked and plain cells, order,
    metadata), so a submission can never change a test. The answer for a source solution cell is found by:

    1. ``grade_id``: the submitted cell whose ``nbgrader.grade_id`` equals it (any position, any order);
    2. position: if the submission carries no ``grade_id`` at all (the editor dropped the metadata) and has
       the same number of cells as the source, the submitted cell at the same index;
    3. unchanged text: otherwise, the first cell of the same type that follows, in the submission, the nearest
       preceding source cell whose release text appears unchanged in the submission (an anchor such as the
       exercise's prompt), provided that cell is not itself an unchanged instructor cell nor already taken.

    An answer found by none of these is reported missing and its source cell receives the release stub, so the
    notebook still runs and the answer earns nothing.
    """
    source = read_notebook(source_nb, "source.ipynb")
    submitted = read_notebook(submitted_nb, "submission.ipynb")
    release = release_notebook(source)
    sub_cells = list(submitted.cells)
    by_id: dict[str, int] = {}
    for i, cell in enumerate(sub_cells):
        gid = grade_id(cell)
        if gid is not None and gid not in by_id:
            by_id[gid] = i

    taken: set[int] = set()
    answers: dict[int, int] = {}  # source cell index -> submitted cell index
    solution_idx = [i for i, c in enumerate(source.cells) if is_solution(c)]
    for i in solution_idx:
        gid = grade_id(source.cells[i])
        j = by_id.get(gid) if gid else None
        if j is not None and sub_cells[j].cell_type == source.cells[i].cell_type:
            answers[i] = j
            taken.add(j)

    unresolved = [i for i in solution_idx if i not in answers]
    if unresolved and not by_id and len(sub_cells) == len(source.cells):
        for i in unresolved:
            if sub_cells[i].cell_type == source.cells[i].cell_type:
                answers[i] = i
                taken.add(i)
        unresolved = [i for i in solution_idx if i not in answers]

    if unresolved:
        fixed_texts = {_norm(cell_text(c)) for k, c in enumerate(release.cells) if k not in solution_idx}
        fixed_texts.discard("")
        sub_norm = [_norm(cell_text(c)) for c in sub_cells]
        anchors: dict[str, list[int]] = {}
        for j, t in enumerate(sub_norm):
            if t in fixed_texts:
                anchors.setdefault(t, []).append(j)
        for i in unresolved:
            start = 0
            for k in range(i - 1, -1, -1):
                if k in solution_idx:
                    continue
                t = _norm(cell_text(release.cells[k]))
                if t in anchors:
                    start = anchors[t][0] + 1
                    break
            for j in range(start, len(sub_cells)):
                if sub_norm[j] in fixed_texts:
                    break  # reached the next unchanged instructor cell: the answer is not here
                if j in taken or grade_id(sub_cells[j]) is not None:
                    continue
                if sub_cells[j].cell_type == source.cells[i].cell_type:
                    answers[i] = j
                    taken.add(j)
                    break

    merged = copy.deepcopy(source)
    missing: list[str] = []
    for i in solution_idx:
        cell = merged.cells[i]
        if i in answers:
            cell.source = cell_text(sub_cells[answers[i]])
        else:
            cell.source = release.cells[i].source
            missing.append(grade_id(cell) or f"cell-{i + 1}")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    for cell in merged.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return merged, missing


def answer_unchanged(released_cell: dict[str, Any], merged_cell: dict[str, Any]) -> bool:
    """True when a learner left an answer cell as the release gave it (nbgrader's checksum rule)."""
    return _norm(cell_text(released_cell)) == _norm(cell_text(merged_cell))


def iter_graded(nb: NotebookNode) -> Iterable[tuple[int, NotebookNode]]:
    """(index, cell) of every cell that carries points: tests, graded answers and tasks."""
    for i, cell in enumerate(nb.cells):
        if is_grade(cell) or is_task(cell):
            yield i, cell
