"""Notebook exercises: drafts, submissions to run or grade, recording outcomes, and manual grading."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from ..content.kinds.exercise import Exercise
from ..content.render import highlight_python, render_markdown
from ..content.vocabulary import PENDING_STATUSES
from ..grading.display import outputs_html
from ..grading.grader import GradeItem, GradeResult, NotebookRun
from ..grading.notebook import (
    NotebookFormatError,
    cell_text,
    grade_id,
    is_solution,
    merge_submission,
    read_notebook,
    schema_problems,
    solution_text,
)
from ..models import Course, Enrolment, ExerciseDraft, Item, ManualGrade, Role, Submission, User, utcnow
from .courses import course_files
from .learning import enrolment_for, progress_row, recompute, record, visit
from .teaching import taught_course_ids, teaches

# Grade statuses an instructor settles: written answers, and tests whose run showed tampering ("needs review").
WAITING_FOR_INSTRUCTOR = ("manual", "review")
MAX_ANSWER_CHARS = 100_000
# An uploaded notebook keeps its outputs (plots) until it is merged; more than this is not a learner's answer.
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
# A job not finished by then lost its worker (a restart, a crash): the learner may retry it.
STALE_AFTER = timedelta(minutes=5)


class UploadError(ValueError):
    """An uploaded file that cannot be used as a submission; the message is a translatable code, `detail` says
    what is wrong in the file (untranslated, from the notebook checks)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail[:200]


def answer_cells(item: Item) -> list[dict[str, Any]]:
    return [c for c in item.data.get("cells", []) if c["editable"]]


def model_answers(item: Item) -> dict[str, tuple[str, str]]:
    """The instructor's solution of each answer cell, by grade_id: (cell type, text without the markers)."""
    cells = item.data.get("notebook", {}).get("cells", [])
    answers: dict[str, tuple[str, str]] = {}
    for cell in cells:
        gid = grade_id(cell)
        if is_solution(cell) and gid is not None:  # the import refuses a solution cell without a grade_id
            answers[gid] = (cell.get("cell_type", "code"), solution_text(cell_text(cell)))
    return answers


def draft_answers(session: orm.Session, user_id: int, item: Item) -> dict[str, str]:
    """The learner's saved answers by grade_id, else the release version's starting text."""
    answers = {c["grade_id"]: c["source"] for c in answer_cells(item)}
    draft = session.scalar(
        sa.select(ExerciseDraft).where(ExerciseDraft.user_id == user_id, ExerciseDraft.item_id == item.id)
    )
    if draft is not None:
        answers.update({k: v for k, v in draft.answers.items() if k in answers})
    return answers


def save_draft(session: orm.Session, user_id: int, item: Item, answers: dict[str, str]) -> dict[str, str]:
    known = {c["grade_id"] for c in answer_cells(item)}
    clean = {k: str(v)[:MAX_ANSWER_CHARS] for k, v in answers.items() if k in known}
    draft = session.scalar(
        sa.select(ExerciseDraft).where(ExerciseDraft.user_id == user_id, ExerciseDraft.item_id == item.id)
    )
    if draft is None:
        draft = ExerciseDraft(user_id=user_id, item_id=item.id, answers={})
        session.add(draft)
    draft.answers = {**draft.answers, **clean}
    draft.updated_at = utcnow()
    return draft.answers


def answers_of(notebook: dict[str, Any]) -> dict[str, str]:
    """The answers in a submitted notebook, by grade_id (a malformed notebook stored earlier gives none)."""
    found = {}
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict):
            continue
        gid = grade_id(cell)
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if gid and is_solution(cell) and isinstance(source, str):
            found[gid] = source
    return found


def exercise_files(session: orm.Session, item: Item, *, public_only: bool) -> dict[str, bytes]:
    """The files the exercise reads (its data), found at import: never the whole course folder; with `public_only`,
    never what only its hidden tests read."""
    return course_files(session, item.course_id, item.data.get("files") or [], public_only=public_only)


def notebook_with_answers(item: Item, answers: dict[str, str]) -> dict[str, Any]:
    """The release notebook with the learner's answers in its solution cells."""
    notebook = copy.deepcopy(item.data["release"])
    for cell in notebook["cells"]:
        gid = grade_id(cell)
        if is_solution(cell) and gid in answers:
            cell["source"] = answers[gid]
    return notebook


def read_upload(item: Item, raw: bytes, filename: str = "upload.ipynb") -> tuple[dict[str, Any], list[str]]:
    """Parse an uploaded .ipynb; returns it and the grade_ids of answer cells that could not be found.

    Everything is checked before anything is stored (size, JSON, nesting, nbformat schema and the cell types the
    pages and the grader read), so a stored submission can always be shown and graded.
    """
    if len(raw) > MAX_UPLOAD_BYTES:
        raise UploadError("upload.too_large")
    if not raw.strip():
        raise UploadError("upload.empty")
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise UploadError("upload.invalid", f"{filename}: nested too deeply") from None
    except ValueError:  # not UTF-8, not JSON
        raise UploadError("upload.not_a_notebook") from None
    if not isinstance(data, dict) or ("cells" not in data and "worksheets" not in data):
        raise UploadError("upload.not_a_notebook")
    try:
        notebook = read_notebook(data, filename)
        problems = schema_problems(notebook, filename)
        if problems:
            raise NotebookFormatError(problems)
        _, missing = merge_submission(item.data["notebook"], notebook)
    except NotebookFormatError as exc:
        raise UploadError("upload.invalid", str(exc.problems[0])) from None
    return json.loads(json.dumps(notebook)), missing


def submit(
    session: orm.Session, enrolment: Enrolment, item: Item, notebook: dict[str, Any], *, kind: str, origin: str
) -> Submission:
    """Store a notebook to be run or graded (status "queued"); the caller commits, then enqueues it."""
    submission = Submission(
        user_id=enrolment.user_id,
        item_id=item.id,
        course_id=item.course_id,
        kind=kind,
        origin=origin,
        notebook=notebook,
        status="queued",
    )
    session.add(submission)
    visit(session, enrolment, item)
    session.flush()
    return submission


def retry(session: orm.Session, submission: Submission) -> None:
    submission.status, submission.error, submission.result = "queued", None, None
    submission.started_at, submission.finished_at = utcnow(), None  # the retry's own clock for staleness


@dataclass
class Job:
    """What a worker needs to run one submission, read in one short transaction."""

    submission_id: int
    kind: str
    source: dict[str, Any]
    notebook: dict[str, Any]
    files: dict[str, bytes]
    cwd: str


def start(session: orm.Session, submission_id: int) -> Job | None:
    """Mark a queued submission as running and gather its inputs; None if it is not queued any more."""
    submission = session.get(Submission, submission_id)
    if submission is None or submission.status != "queued":
        return None
    item = session.get_one(Item, submission.item_id)
    submission.status, submission.started_at, submission.tries = "running", utcnow(), submission.tries + 1
    files = exercise_files(session, item, public_only=False)
    return Job(submission.id, submission.kind, item.data["notebook"], submission.notebook, files, item.data["cwd"])


def fail(session: orm.Session, submission_id: int, code: str) -> None:
    submission = session.get(Submission, submission_id)
    if submission is not None and submission.status in PENDING_STATUSES:
        submission.status, submission.error, submission.finished_at = "error", code, utcnow()


def finish(session: orm.Session, submission_id: int, outcome: GradeResult | NotebookRun) -> Submission:
    """Store a run's or a grading's outcome; a grading also updates progress and the course's completion."""
    submission = session.get_one(Submission, submission_id)
    submission.result = outcome.to_dict()
    submission.status, submission.finished_at = "done", utcnow()
    if isinstance(outcome, GradeResult):
        submission.points, submission.max_points = outcome.points, outcome.max_points
        submission.score = _percent(outcome.points, outcome.max_points)
        submission.final = outcome.final
        session.flush()
        update_progress(session, submission)
    return submission


def _percent(points: float, max_points: float) -> float:
    return round(100.0 * points / max_points, 1) if max_points else 0.0


def update_progress(session: orm.Session, submission: Submission) -> None:
    """Derive the item's summary from all graded submissions, then the enrolment's progress."""
    item = session.get_one(Item, submission.item_id)
    row = progress_row(session, submission.user_id, item)
    graded = (
        Submission.user_id == submission.user_id,
        Submission.item_id == item.id,
        Submission.kind == "grade",
        Submission.status == "done",
    )
    count, best = session.execute(
        sa.select(sa.func.count(Submission.id), sa.func.max(Submission.score)).where(*graded)
    ).one()
    last = session.scalar(sa.select(Submission.score).where(*graded).order_by(Submission.id.desc()).limit(1))
    row.attempts, row.best_score, row.last_score = count, best, last
    row.passed = Exercise.passed(row.best_score, item.data)
    passed = Exercise.passed(submission.score, item.data)
    row.completed_at = row.completed_at or utcnow()
    row.updated_at = utcnow()
    record(
        session,
        submission.user_id,
        item.course_id,
        "passed" if passed else "failed",
        item.id,
        score=submission.score,
        success=passed,
    )
    session.flush()
    enrolment = enrolment_for(session, submission.user_id, item.course_id)
    if enrolment is not None:
        recompute(session, enrolment)


def _stale(user_id: int, item_id: int) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        Submission.user_id == user_id,
        Submission.item_id == item_id,
        Submission.status.in_(PENDING_STATUSES),
        sa.func.coalesce(Submission.started_at, Submission.created_at) < utcnow() - STALE_AFTER,
    )


def in_flight(session: orm.Session, user_id: int) -> int:
    """How many of the learner's submissions (any exercise) wait for or are in grading; lost jobs do not count."""
    since = utcnow() - STALE_AFTER
    return (
        session.scalar(
            sa.select(sa.func.count()).where(
                Submission.user_id == user_id,
                Submission.status.in_(PENDING_STATUSES),
                sa.func.coalesce(Submission.started_at, Submission.created_at) >= since,
            )
        )
        or 0
    )


def has_stale(session: orm.Session, user_id: int, item_id: int) -> bool:
    return session.scalar(sa.select(sa.exists().where(*_stale(user_id, item_id)))) or False


def expire_stale(session: orm.Session, user_id: int, item_id: int) -> None:
    """Jobs whose worker vanished end in a clear error the learner can retry."""
    session.execute(
        sa.update(Submission)
        .where(*_stale(user_id, item_id))
        .values(status="error", error="job.lost", finished_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )


def submissions_for(session: orm.Session, user_id: int, item_id: int, kind: str = "grade") -> list[Submission]:
    return list(
        session.scalars(
            sa.select(Submission)
            .where(Submission.user_id == user_id, Submission.item_id == item_id, Submission.kind == kind)
            .order_by(Submission.id.desc())
        )
    )


def latest_submission(session: orm.Session, user_id: int, item_id: int) -> Submission | None:
    """The learner's newest submission of the exercise (a run or a grading)."""
    return session.scalar(
        sa.select(Submission)
        .where(Submission.user_id == user_id, Submission.item_id == item_id)
        .order_by(Submission.id.desc())
        .limit(1)
    )


def own_submission(session: orm.Session, user_id: int, item_id: int, submission_id: int) -> Submission | None:
    """One of the learner's submissions of this exercise; None for anyone else's or another exercise's."""
    submission = session.get(Submission, submission_id)
    if submission is None or submission.user_id != user_id or submission.item_id != item_id:
        return None
    return submission


def shown_results(shown: Submission | None) -> dict[str, Any]:
    """Results of the shown submission prepared for the page: outputs by cell, grades by grade_id."""
    outputs: dict[int, str] = {}
    grades = {}
    outcome: GradeResult | NotebookRun | None = None
    if shown is not None and shown.status == "done" and shown.result:
        outcome = GradeResult.from_dict(shown.result) if shown.kind == "grade" else NotebookRun.from_dict(shown.result)
        outputs = {c.index: outputs_html(c.outputs) for c in outcome.cells}
        if isinstance(outcome, GradeResult):
            grades = outcome.by_grade_id()
    return {"outputs": outputs, "grades": grades, "outcome": outcome}


@dataclass(frozen=True)
class GradingSheet:
    """What an instructor grading a submission reads, as safe HTML: the learner's answer and the model answer (with
    its rubric) of each item waiting for them, by grade_id, and for a run sent for review every answer's code."""

    answers: dict[str, str]
    models: dict[str, str]
    review_code: list[str]


def _shown(cell_type: str, text: str) -> str:
    return render_markdown(text) if cell_type == "markdown" else highlight_python(text)


def grading_sheet(submission: Submission, item: Item, waiting: list[GradeItem], *, review: bool) -> GradingSheet:
    cells = {grade_id(c): c for c in submission.notebook.get("cells", []) if grade_id(c)}
    solutions = model_answers(item)
    answers, models = {}, {}
    for g in waiting:
        cell = cells.get(g.grade_id, {})
        answers[g.grade_id] = _shown(cell.get("cell_type", "code"), cell_text(cell))
        if g.grade_id in solutions:  # the model answer and its rubric, beside the learner's answer
            models[g.grade_id] = _shown(*solutions[g.grade_id])
    # A test sent for review is judged on the learner's code: show every answer cell once, above the form.
    review_code = (
        [
            highlight_python(cell_text(c))
            for c in submission.notebook.get("cells", [])
            if c.get("cell_type") == "code" and is_solution(c)
        ]
        if review
        else []
    )
    return GradingSheet(answers, models, review_code)


def manual_grades(session: orm.Session, submission_id: int) -> dict[str, ManualGrade]:
    rows = session.scalars(sa.select(ManualGrade).where(ManualGrade.submission_id == submission_id))
    return {row.grade_id: row for row in rows}


def pending_manual(session: orm.Session, grader_id: int, role: str) -> sa.Select[Submission]:
    """Graded submissions that still wait for an instructor, oldest first: of the courses the grader teaches
    (every course for an admin)."""
    query = (
        sa.select(Submission)
        .where(Submission.kind == "grade", Submission.status == "done", sa.not_(Submission.final))
        .order_by(Submission.id)
    )
    if role != Role.ADMIN:
        query = query.where(Submission.course_id.in_(taught_course_ids(grader_id)))
    return query


def pending_manual_page(
    session: orm.Session, grader_id: int, role: str, *, page: int, per_page: int
) -> tuple[list[sa.Row], int]:
    """One page of `pending_manual` as rows for the grader's list (submission id and time, learner's name and
    e-mail, item and course titles, points), and how many wait in all."""
    pending = pending_manual(session, grader_id, role)
    total = session.scalar(sa.select(sa.func.count()).select_from(pending.subquery())) or 0
    rows = session.execute(
        pending.with_only_columns(
            Submission.id,
            Submission.created_at,
            User.name,
            User.email,
            Item.title,
            Course.title,
            Submission.points,
            Submission.max_points,
        )
        .join(User, User.id == Submission.user_id)
        .join(Item, Item.id == Submission.item_id)
        .join(Course, Course.id == Submission.course_id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), total


def submission_to_grade(session: orm.Session, submission_id: int, grader_id: int, role: str) -> Submission | None:
    """A graded submission of a course the grader teaches, else None (whether it exists elsewhere stays unsaid)."""
    submission = session.get(Submission, submission_id)
    if submission is None or submission.kind != "grade" or submission.status != "done":
        return None
    if not teaches(session, grader_id, role, submission.course_id):
        return None
    return submission


class ManualGradeError(ValueError):
    pass


def grade_manually(
    session: orm.Session, submission: Submission, grader_id: int, grades: dict[str, tuple[float, str]]
) -> Submission:
    """Record an instructor's points and comments; the submission's total is final once every manual cell is
    graded. Points must lie between 0 and the cell's maximum."""
    result = GradeResult.from_dict(submission.result or {})
    manual = {g.grade_id: g for g in result.grades if g.status in WAITING_FOR_INSTRUCTOR}
    existing = manual_grades(session, submission.id)
    for gid, (points, comment) in grades.items():
        if gid not in manual:
            raise ManualGradeError(gid)
        if not 0 <= points <= manual[gid].max_points:
            raise ManualGradeError(gid)
        row = existing.get(gid) or ManualGrade(submission_id=submission.id, grade_id=gid, points=0.0)
        row.points, row.comment, row.grader_id, row.graded_at = float(points), comment.strip(), grader_id, utcnow()
        session.add(row)
        existing[gid] = row
    manual_points = sum(row.points for gid, row in existing.items() if gid in manual)
    submission.points = result.points + manual_points
    submission.score = _percent(submission.points, submission.max_points or result.max_points)
    submission.final = all(gid in existing for gid in manual)
    session.flush()
    update_progress(session, submission)
    return submission
