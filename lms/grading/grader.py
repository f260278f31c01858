"""Grade a learner's notebook against the instructor's source in a sandbox; run notebooks (Run button)."""

from __future__ import annotations

import ast
import os
import posixpath
import re
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from lms.grading import notebook as nbg
from lms.grading.files import collect_files
from lms.grading.pool import SandboxPool
from lms.grading.protocol import CellSpec, Limits, SandboxRun

if TYPE_CHECKING:
    from nbformat import NotebookNode

DataFiles = str | os.PathLike[str] | Mapping[str, bytes | str | os.PathLike[str]] | None

# Message codes are stable identifiers the web layer translates (Korean by default); never shown raw.
RUN_MESSAGES = {
    "ok": "grading.ok",
    "timeout": "grading.timeout",
    "crashed": "grading.crashed",
    "output-limit": "grading.output_limit",
    "memory-limit": "grading.memory_limit",
}
GRADE_MESSAGES = {
    "passed": "grade.passed",
    "failed": "grade.failed",
    "error": "grade.not_run",
    "manual": "grade.manual_pending",
    "missing": "grade.missing_answer",
    "review": "grade.needs_review",
}
# Methods through which an answer's objects can make a test's comparison or check succeed whatever they hold.
_ASSERTION_DUNDERS = frozenset(
    {
        *("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__len__", "__contains__"),
        *("__abs__", "__round__", "__float__", "__int__", "__index__", "__instancecheck__", "__subclasscheck__"),
        *("__array__", "__array_ufunc__", "__array_function__", "__getattr__", "__getattribute__", "__class__"),
    }
)

# Ways to read and write the interpreter's memory without ctypes (which the sandbox refuses): a NumPy array over a
# raw address (``__array_interface__``, ``__array_struct__``), strides past an array's end (``as_strided``).
# Inside one interpreter nothing can prevent or see their use, so an answer that names one goes to an instructor.
_MEMORY_PRIMITIVES = frozenset(
    {"__array_interface__", "__array_struct__", "as_strided", "stride_tricks", "ctypeslib", "ctypes", "cffi"}
)


@dataclass
class GradeItem:
    """The grade of one graded cell.

    kind: ``test`` (autograded test cell), ``answer`` (graded answer cell, code or Markdown, graded by hand
    as in nbgrader) or ``task``. status: passed / failed / error (could not run) / manual (awaits an
    instructor) / missing (no answer) / review (a test whose outcome cannot be trusted: the run showed signs of
    tampering, so an instructor grades it like a manual cell). ``points`` is None while an instructor's grade
    is pending.
    """

    grade_id: str
    index: int  # 0-based position of the cell in the source notebook
    kind: str
    points: float | None
    max_points: float
    status: str
    message_code: str
    error: dict[str, str] | None = None  # {"ename", "evalue"} only: never a test's source or traceback


@dataclass
class CellResult:
    """A learner-visible code cell's outputs (nbformat output dicts) after the run."""

    index: int  # 0-based position in the notebook that was run
    grade_id: str | None
    status: str  # ok / error / not-run
    outputs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class GradeResult:
    """Everything a grading run produced; JSON-serialisable with :meth:`to_dict` / :meth:`from_dict`."""

    status: str  # ok / timeout / crashed / output-limit / memory-limit
    message_code: str
    points: float  # earned so far (autograded, plus 0 for unanswered manual cells)
    max_points: float  # of every graded cell, manual ones included
    auto_max_points: float
    manual_pending_points: float  # max points still waiting for an instructor
    final: bool  # True when nothing waits for manual grading
    grades: list[GradeItem]
    cells: list[CellResult]
    missing: list[str]  # grade_ids of answer cells not found in the submission
    isolation: str
    duration_s: float
    detail: str = ""  # for logs only (exit status, diagnostics); do not show learners
    review: list[str] = field(default_factory=list)  # why the tests go to an instructor (instructors only)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GradeResult:
        values = dict(data)
        values["grades"] = [GradeItem(**g) for g in values.get("grades", [])]
        values["cells"] = [CellResult(**c) for c in values.get("cells", [])]
        return cls(**values)

    def by_grade_id(self) -> dict[str, GradeItem]:
        return {g.grade_id: g for g in self.grades}


@dataclass
class NotebookRun:
    """The outputs of running a learner's notebook top to bottom (the Run button)."""

    status: str
    message_code: str
    cells: list[CellResult]
    isolation: str
    duration_s: float
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NotebookRun:
        values = dict(data)
        values["cells"] = [CellResult(**c) for c in values.get("cells", [])]
        return cls(**values)


def _visible_names(text: str) -> tuple[str, ...]:
    """Top-level names that a test cell's visible part (what learners see) assigns."""
    try:
        tree = ast.parse(nbg.visible_test_text(text))
    except SyntaxError:
        return ()
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)} | {
        node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)
    }
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
    return tuple(sorted(names))


def _specs(nb: NotebookNode, hide_tests: bool) -> list[CellSpec]:
    specs = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        text = nbg.cell_text(cell)
        if hide_tests and nbg.is_grade(cell) and not nbg.is_solution(cell):
            specs.append(CellSpec(i, text, "test", _visible_names(text)))
        else:
            specs.append(CellSpec(i, text))
    return specs


def _named(nb: NotebookNode) -> tuple[set[str], set[str]]:
    """What the solution cells name of the two risky sets: assertion-relevant special methods they define (``def``,
    assignment, a string for ``setattr``/``type()``) and memory primitives they use (any name, import or string)."""
    dunders: set[str] = set()
    memory: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code" or not nbg.is_solution(cell):
            continue
        try:
            tree = ast.parse(nbg.cell_text(cell))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                dunders.update({node.name} & _ASSERTION_DUNDERS)
            elif isinstance(node, ast.Name | ast.Attribute):
                name = node.id if isinstance(node, ast.Name) else node.attr
                if name in _ASSERTION_DUNDERS and isinstance(node.ctx, ast.Store):
                    dunders.add(name)
                names.append(name)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                dunders.update({node.value} & _ASSERTION_DUNDERS)
                names.extend(re.findall(r"\w+", node.value[:10_000]))
            elif isinstance(node, ast.Import | ast.ImportFrom):
                modules = [alias.name for alias in node.names]
                if isinstance(node, ast.ImportFrom) and node.module:
                    modules.append(node.module)
                names.extend(part for module in modules for part in module.split("."))
            memory.update(_MEMORY_PRIMITIVES.intersection(names))
    return dunders, memory


def answer_review(source: NotebookNode, merged: NotebookNode) -> list[str]:
    """Reasons to send a submission to an instructor that show in its text, where the instructor's solution shows
    none: an answer that defines how its objects compare or convert (``__eq__`` returning True passes any
    ``assert x == expected``), or that uses a way to write the interpreter's memory (which could rewrite a verdict
    in ways no check inside the interpreter can see)."""
    (source_dunders, source_memory), (dunders, memory) = _named(source), _named(merged)
    reasons = []
    if extra := sorted(dunders - source_dunders):
        reasons.append(f"the answer defines {', '.join(extra)}")
    if extra := sorted(memory - source_memory):
        reasons.append(f"the answer uses {', '.join(extra)}, which can write the grader's memory")
    return reasons


_QUOTED = re.compile(r"""(?:'([^'\n]{1,300})'|"([^"\n]{1,300})")""")
_LINK = re.compile(r"\]\(([^)\s]{1,300})\)|(?:src|href)=[\"']([^\"']{1,300})")
# Never copied, even when named: notebooks (sources with hidden tests), quizzes and manifests with their answers.
_NEVER_COPIED = (".ipynb", ".yml", ".yaml")
# Not copied from a named folder either: lessons and notes.
_NOT_FROM_FOLDERS = (*_NEVER_COPIED, ".md", ".pyc")


def exercise_files(source: NotebookNode, cwd: str, files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The course files an exercise may use: those its source notebook names by a relative path (a string in a
    code cell, a link in a Markdown cell) or lists in its metadata ``baeum.files``, relative to the notebook's
    folder ``cwd``. A named folder brings the files under it (but no Markdown). Nothing else of the course, so a
    ``notes/solutions.md`` never reaches a sandbox."""
    named: set[str] = set()
    listed = ((source.metadata or {}).get("baeum") or {}).get("files") or []
    named.update(str(p) for p in listed if isinstance(p, str))
    for cell in source.cells:
        text = nbg.cell_text(cell)
        pattern = _QUOTED if cell.cell_type == "code" else _LINK
        named.update(a or b for a, b in pattern.findall(text))
    chosen: dict[str, bytes] = {}
    for ref in named:
        ref = ref.split("#")[0].split("?")[0].strip()
        if not ref or ref.startswith(("/", "~")) or "://" in ref or "\x00" in ref:
            continue
        path = posixpath.normpath(posixpath.join(cwd or ".", ref))
        if path.startswith("../") or path in (".", ".."):
            continue
        if path in files:
            if not path.lower().endswith(_NEVER_COPIED):
                chosen[path] = files[path]
            continue
        prefix = path.rstrip("/") + "/"
        for rel, data in files.items():
            if rel.startswith(prefix) and not rel.lower().endswith(_NOT_FROM_FOLDERS):
                chosen[rel] = data
    return chosen


def _run(
    pool: SandboxPool | None,
    specs: list[CellSpec],
    data: DataFiles,
    limits: Limits | None,
    cwd: str,
    source: NotebookNode | None,
) -> SandboxRun:
    if pool is None:  # a caller without a pool of its own: one sandbox, started for this run
        one_shot = SandboxPool(size=0)
        try:
            return _run(one_shot, specs, data, limits, cwd, source)
        finally:
            one_shot.close()
    limits = limits or pool.limits
    files = collect_files(data, limits.data_mb)
    if source is not None:
        files = exercise_files(source, cwd, files)
    return pool.run(specs, files, limits, cwd)


def grade_notebook(
    source_nb: NotebookNode | dict[str, Any] | bytes | str,
    submitted_nb: NotebookNode | dict[str, Any] | bytes | str,
    data_dir_or_files: DataFiles = None,
    limits: Limits | None = None,
    *,
    cwd: str = "",
    pool: SandboxPool | None = None,
) -> GradeResult:
    """Merge the submission into the source, run it top to bottom in a fresh sandbox and score it.

    ``data_dir_or_files``: the course data (a directory, or a mapping of course-relative path to bytes or host
    path) copied into the sandbox; ``cwd``: the notebook's folder relative to the course (e.g. ``exercises``)
    so relative paths such as ``../data/x.csv`` resolve as in the course folder.
    """
    started = time.monotonic()
    source = nbg.read_notebook(source_nb, "source.ipynb")
    merged, missing = nbg.merge_submission(source, submitted_nb)
    run = _run(pool, grading_cells(merged), data_dir_or_files, limits, cwd, source)
    result = score_run(source, merged, missing, run)
    result.duration_s = time.monotonic() - started
    return result


def grading_cells(merged: NotebookNode) -> list[CellSpec]:
    """The cells a grading runs, in order: hidden tests included, and marked as tests."""
    return _specs(merged, hide_tests=True)


def score_run(source: NotebookNode, merged: NotebookNode, missing: list[str], run: SandboxRun) -> GradeResult:
    """The points a grading run earns (no sandbox here: the scoring rules alone).

    ``merged``/``missing``: the submission merged into the source (:func:`lms.grading.notebook.merge_submission`);
    ``run``: what the sandbox reported for :func:`grading_cells` of ``merged``."""
    release = nbg.release_notebook(source)
    by_index = {c.index: c for c in run.cells}
    review = [*run.review, *answer_review(source, merged)]

    grades: list[GradeItem] = []
    for i, cell in nbg.iter_graded(merged):
        gid = nbg.grade_id(cell) or f"cell-{i + 1}"
        max_points = nbg.cell_points(cell)
        if nbg.is_task(cell):
            grades.append(GradeItem(gid, i, "task", None, max_points, "manual", GRADE_MESSAGES["manual"]))
        elif nbg.is_solution(cell):
            if gid in missing or nbg.answer_unchanged(release.cells[i], cell):
                grades.append(GradeItem(gid, i, "answer", 0.0, max_points, "missing", GRADE_MESSAGES["missing"]))
            else:
                grades.append(GradeItem(gid, i, "answer", None, max_points, "manual", GRADE_MESSAGES["manual"]))
        else:
            ran = by_index.get(i)
            if ran is None or ran.status == "not-run":
                status, error = "error", None
            elif ran.status == "ok":
                status, error = "passed", None
            elif (
                ran.error
                and ran.error.get("ename") in ("TimeoutError", "SandboxCrashed", "OutputLimitExceeded")
                and run.status != "ok"
                and "traceback" not in ran.error
            ):
                status, error = "error", {"ename": ran.error["ename"], "evalue": ran.error.get("evalue", "")}
            else:
                status = "failed"
                error = {
                    "ename": str((ran.error or {}).get("ename", "Error")),
                    "evalue": str((ran.error or {}).get("evalue", "")),
                }
            points: float | None = max_points if status == "passed" else 0.0
            if review:
                status, points, error = "review", None, None
            grades.append(GradeItem(gid, i, "test", points, max_points, status, GRADE_MESSAGES[status], error))

    cells = []
    for spec_cell in run.cells:
        cell = merged.cells[spec_cell.index]
        if nbg.is_grade(cell) and not nbg.is_solution(cell):
            continue  # test cells: only their grade, never their outputs
        cells.append(CellResult(spec_cell.index, nbg.grade_id(cell), spec_cell.status, spec_cell.outputs))

    auto_max = sum(g.max_points for g in grades if g.kind == "test")
    pending = sum(g.max_points for g in grades if g.points is None)
    return GradeResult(
        status=run.status,
        message_code=RUN_MESSAGES[run.status],
        points=float(sum(g.points for g in grades if g.points is not None)),
        max_points=float(sum(g.max_points for g in grades)),
        auto_max_points=float(auto_max),
        manual_pending_points=float(pending),
        final=pending == 0,
        grades=grades,
        cells=cells,
        missing=missing,
        isolation=run.isolation,
        duration_s=run.duration_s,
        detail=run.detail,
        review=review,
    )


def run_notebook(
    nb: NotebookNode | dict[str, Any] | bytes | str,
    data_dir_or_files: DataFiles = None,
    limits: Limits | None = None,
    *,
    cwd: str = "",
    pool: SandboxPool | None = None,
    source_nb: NotebookNode | dict[str, Any] | bytes | str | None = None,
) -> NotebookRun:
    """Execute a learner's notebook as it is, top to bottom, in a fresh sandbox; return each cell's output.

    ``source_nb``: the exercise's source notebook, whose references choose the data files copied in (see
    :func:`exercise_files`); without it every data file given is copied."""
    started = time.monotonic()
    notebook = nbg.read_notebook(nb, "notebook.ipynb")
    source = nbg.read_notebook(source_nb, "source.ipynb") if source_nb is not None else None
    run = _run(pool, _specs(notebook, hide_tests=False), data_dir_or_files, limits, cwd, source)
    cells = [CellResult(c.index, nbg.grade_id(notebook.cells[c.index]), c.status, c.outputs) for c in run.cells]
    return NotebookRun(
        run.status, RUN_MESSAGES[run.status], cells, run.isolation, time.monotonic() - started, run.detail
    )
