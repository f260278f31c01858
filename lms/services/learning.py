"""The learner's journey: enrol, visit items, record time, complete lessons, submit quizzes, derive progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy import orm

from ..content.kinds import scored_kinds
from ..content.kinds.exercise import Exercise
from ..content.kinds.quiz import Quiz
from ..content.quiz import QuizResult
from ..content.spec import CompletionRule
from ..models import Course, CourseModule, Enrolment, Item, ItemProgress, LearningRecord, QuizAttempt, utcnow

# Time on task is what the server's clock shows between a learner's consecutive events in a course (a page view, a
# heartbeat the open page sends each minute while visible, a submission), counted to the item of the later event. A
# silence longer than this means the learner was away; it counts this much at most.
MAX_SECONDS_BETWEEN_EVENTS = 5 * 60


def record(
    session: orm.Session,
    user_id: int,
    course_id: int,
    verb: str,
    item_id: int | None = None,
    *,
    score: float | None = None,
    success: bool | None = None,
    duration: int | None = None,
) -> None:
    """Append one statement to the learning record."""
    session.add(
        LearningRecord(
            user_id=user_id,
            course_id=course_id,
            item_id=item_id,
            verb=verb,
            score=score,
            success=success,
            duration_seconds=duration,
        )
    )


def enrolment_for(session: orm.Session, user_id: int, course_id: int) -> Enrolment | None:
    return session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user_id, Enrolment.course_id == course_id))


def enrol(session: orm.Session, user_id: int, course: Course) -> Enrolment:
    """Enrol the learner (idempotent)."""
    enrolment = enrolment_for(session, user_id, course.id)
    if enrolment is None:
        enrolment = Enrolment(user_id=user_id, course_id=course.id, course=course)
        session.add(enrolment)
        record(session, user_id, course.id, "registered")
        session.flush()
    return enrolment


def active_items(course_id: int) -> sa.Select[Item]:
    return sa.select(Item).where(Item.course_id == course_id, Item.active).order_by(Item.position)


def course_items(session: orm.Session, course_id: int) -> list[Item]:
    """The course's items in outline order (retired ones left out)."""
    return list(session.scalars(active_items(course_id)))


def active_item(session: orm.Session, course_id: int, item_slug: str) -> Item | None:
    """The course's item named `item_slug`, unless retired."""
    return session.scalar(sa.select(Item).where(Item.course_id == course_id, Item.slug == item_slug, Item.active))


def item_by_id(session: orm.Session, item_id: int) -> Item | None:
    return session.get(Item, item_id)


def learner_count(session: orm.Session, course_id: int) -> int:
    """How many learners are enrolled in the course."""
    return session.scalar(sa.select(sa.func.count(Enrolment.id)).where(Enrolment.course_id == course_id)) or 0


def enrolments_by_course(session: orm.Session, user_id: int) -> dict[int, Enrolment]:
    """The learner's enrolments, by course id (the catalog marks the courses one takes)."""
    return {e.course_id: e for e in session.scalars(sa.select(Enrolment).where(Enrolment.user_id == user_id))}


# The course and the learner's enrolment in one read, as plain values; built once with bound parameters, so
# SQLAlchemy's statement cache compiles it once per dialect; over the tables' columns, so it runs as a Core statement.
_course, _enrolment = Course.__table__, Enrolment.__table__
_COURSE_AND_ENROLMENT = (
    sa.select(
        _course.c.id,
        _course.c.slug,
        _course.c.title,
        _course.c.content_hash,
        _enrolment.c.id.label("enrolment_id"),
        _enrolment.c.progress,
        _enrolment.c.completed_at,
        _enrolment.c.last_item_id,
        _enrolment.c.last_activity_at,
    )
    .outerjoin(
        _enrolment,
        sa.and_(_enrolment.c.course_id == _course.c.id, _enrolment.c.user_id == sa.bindparam("user_id")),
    )
    .where(_course.c.slug == sa.bindparam("slug"), _course.c.published)
)


def course_with_enrolment(session: orm.Session, slug: str, user_id: int) -> sa.Row | None:
    """The learning pages' first read: the published course named `slug` and the learner's enrolment in it, as one
    row of plain values (`enrolment_id` is None when not enrolled); None when there is no such course."""
    return session.execute(_COURSE_AND_ENROLMENT, {"slug": slug, "user_id": user_id}).first()


def progress_by_item(session: orm.Session, user_id: int, course_id: int) -> dict[int, ItemProgress]:
    rows = session.scalars(
        sa.select(ItemProgress).where(ItemProgress.user_id == user_id, ItemProgress.course_id == course_id)
    )
    return {row.item_id: row for row in rows}


def progress_row(session: orm.Session, user_id: int, item: Item) -> ItemProgress:
    """The learner's summary row for an item, created when missing."""
    row = session.scalar(
        sa.select(ItemProgress).where(ItemProgress.user_id == user_id, ItemProgress.item_id == item.id)
    )
    if row is None:
        row = ItemProgress(user_id=user_id, item_id=item.id, course_id=item.course_id)
        session.add(row)
    return row


def visit(session: orm.Session, enrolment: Enrolment, item: Item | OutlineItem) -> None:
    """Remember where the learner is, so 'continue' brings them back."""
    enrolment.last_item_id = item.id
    enrolment.last_activity_at = utcnow()


def add_time(session: orm.Session, enrolment: Enrolment, item: Item, *, resume: bool = False) -> int:
    """Count the time since the learner's previous event in the course, by the server's clock and capped, to this
    item; returns the seconds counted. `resume` (the page became visible again) restarts the clock and counts
    nothing. Whatever a page claims, the counted time never exceeds the time that passed."""
    now = utcnow()
    since = enrolment.last_activity_at
    seconds = 0 if resume or since is None else int(min((now - since).total_seconds(), MAX_SECONDS_BETWEEN_EVENTS))
    # Move the clock only if nobody else moved it meanwhile: two reports of the same moment never both count it.
    # An UPDATE's result is a CursorResult, which Session.execute's signature does not say.
    moved = cast(
        "sa.CursorResult[Any]",
        session.execute(
            sa.update(Enrolment)
            .where(Enrolment.id == enrolment.id, Enrolment.last_activity_at == since)
            .values(last_activity_at=now, last_item_id=item.id)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    enrolment.last_activity_at, enrolment.last_item_id = now, item.id
    if not moved or seconds < 1:
        return 0
    row = progress_row(session, enrolment.user_id, item)
    row.seconds = (row.seconds or 0) + seconds
    row.updated_at = now
    record(session, enrolment.user_id, item.course_id, "experienced", item.id, duration=seconds)
    return seconds


def complete_lesson(session: orm.Session, enrolment: Enrolment, item: Item) -> bool:
    """Mark a lesson complete (idempotent); returns True the first time."""
    row = progress_row(session, enrolment.user_id, item)
    first = row.completed_at is None
    if first:
        row.completed_at = row.updated_at = utcnow()
        record(session, enrolment.user_id, item.course_id, "completed", item.id)
        session.flush()
        recompute(session, enrolment)
    visit(session, enrolment, item)
    return first


def submit_quiz(session: orm.Session, enrolment: Enrolment, item: Item, answers: dict[str, list[str]]) -> QuizAttempt:
    """Grade and store an attempt, then update the item's summary and the course's progress."""
    known = {q.id for q in Quiz.questions(item.data)}
    answers = {qid: [str(a)[:500] for a in given][:20] for qid, given in answers.items() if qid in known}
    result: QuizResult = Quiz.grade(item.data, answers)
    attempt = QuizAttempt(
        user_id=enrolment.user_id, item_id=item.id, answers=answers, score=result.score, result=result.to_dict()
    )
    session.add(attempt)
    passed = Quiz.passed(result.score, item.data)
    row = progress_row(session, enrolment.user_id, item)
    row.attempts = (row.attempts or 0) + 1
    row.last_score = result.score
    row.best_score = max(row.best_score or 0.0, result.score)
    row.passed = row.passed or passed
    row.completed_at = row.completed_at or utcnow()
    row.updated_at = utcnow()
    record(
        session,
        enrolment.user_id,
        item.course_id,
        "passed" if passed else "failed",
        item.id,
        score=result.score,
        success=passed,
    )
    session.flush()
    recompute(session, enrolment)
    visit(session, enrolment, item)
    return attempt


@dataclass
class CourseStanding:
    required: int
    done: int
    scored: int
    score: float | None
    exercises_open: int

    @property
    def progress(self) -> int:
        return round(100 * self.done / self.required) if self.required else 0


def standing(session: orm.Session, user_id: int, course: Course) -> CourseStanding:
    """Progress and score over the course's required items, in one aggregate query."""
    rule = CompletionRule.from_dict(course.completion)
    item_score = ItemProgress.last_score if rule.score == "last" else ItemProgress.best_score
    scored = Item.kind.in_(scored_kinds())
    row = session.execute(
        sa.select(
            sa.func.count(Item.id),
            sa.func.count(ItemProgress.completed_at),
            sa.func.count(sa.case((scored, Item.id))),
            sa.func.sum(sa.case((scored, sa.func.coalesce(item_score, 0.0)))),
            sa.func.count(
                sa.case(
                    (
                        sa.and_(Item.kind == Exercise.name, sa.not_(sa.func.coalesce(ItemProgress.passed, False))),
                        Item.id,
                    )
                )
            ),
        )
        .select_from(Item)
        .outerjoin(ItemProgress, sa.and_(ItemProgress.item_id == Item.id, ItemProgress.user_id == user_id))
        .where(Item.course_id == course.id, Item.active, Item.required)
    ).one()
    required, done, n_scored, score_sum, exercises_open = row
    score = round(float(score_sum or 0) / n_scored, 1) if n_scored else None
    return CourseStanding(required, done, n_scored, score, exercises_open)


def completion_holds(rule: CompletionRule, state: CourseStanding) -> bool:
    score_ok = state.score is None or state.score >= rule.min_score
    exercises_ok = not rule.require_exercises or state.exercises_open == 0
    return state.required > 0 and state.progress >= rule.min_progress and score_ok and exercises_ok


def recompute(session: orm.Session, enrolment: Enrolment) -> None:
    """Derive the enrolment's progress, score and completion from the item summaries."""
    course = enrolment.course
    state = standing(session, enrolment.user_id, course)
    enrolment.progress, enrolment.score = state.progress, state.score
    enrolment.last_activity_at = utcnow()
    if enrolment.completed_at is None and completion_holds(CompletionRule.from_dict(course.completion), state):
        enrolment.completed_at = utcnow()
        record(session, enrolment.user_id, course.id, "completed", score=state.score, success=True)


def next_item(session: orm.Session, enrolment: Enrolment) -> Item | None:
    """The first required item not done yet; else the last item visited; else the first item."""
    done = sa.select(ItemProgress.item_id).where(
        ItemProgress.user_id == enrolment.user_id, ItemProgress.completed_at.is_not(None)
    )
    item = session.scalar(active_items(enrolment.course_id).where(Item.required, Item.id.not_in(done)).limit(1))
    if item is None and enrolment.last_item_id is not None:
        item = session.get(Item, enrolment.last_item_id)
    return item or session.scalar(active_items(enrolment.course_id).limit(1))


def attempts_for(session: orm.Session, user_id: int, item_id: int) -> list[QuizAttempt]:
    return list(
        session.scalars(
            sa.select(QuizAttempt)
            .where(QuizAttempt.user_id == user_id, QuizAttempt.item_id == item_id)
            .order_by(QuizAttempt.submitted_at.desc(), QuizAttempt.id.desc())
        )
    )


def my_enrolments(session: orm.Session, user_id: int) -> list[Enrolment]:
    return list(
        session.scalars(
            sa.select(Enrolment).where(Enrolment.user_id == user_id).order_by(Enrolment.last_activity_at.desc())
        )
    )


# -- the learning pages' hot path: a course's outline is read once per content version, progress in one query --


@dataclass(frozen=True)
class OutlineItem:
    id: int
    slug: str
    title: str
    kind: str
    minutes: int
    required: bool
    module_id: int | None
    objectives: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutlineModule:
    id: int
    title: str
    items: tuple[OutlineItem, ...]


@dataclass(frozen=True)
class Outline:
    """A course's modules and active items in order; immutable, shared between requests."""

    modules: tuple[OutlineModule, ...]
    items: tuple[OutlineItem, ...]

    def find(self, slug: str) -> OutlineItem | None:
        return next((item for item in self.items if item.slug == slug), None)

    def neighbours(self, item: OutlineItem) -> tuple[OutlineItem | None, OutlineItem | None]:
        index = self.items.index(item)
        return (
            self.items[index - 1] if index else None,
            self.items[index + 1] if index + 1 < len(self.items) else None,
        )


_outlines: dict[tuple[int, str], Outline] = {}
_bodies: dict[tuple[int, str], str] = {}
_CACHE_LIMIT = 512


_Cached = TypeVar("_Cached")


def _remember(cache: dict[tuple[int, str], _Cached], key: tuple[int, str], value: _Cached) -> _Cached:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


def outline(session: orm.Session, course_id: int, content_hash: str) -> Outline:
    """The course's outline, cached per content version (an import changes the hash, so it is never stale)."""
    key = (course_id, content_hash)
    if key in _outlines:
        return _outlines[key]
    modules = session.execute(
        sa.select(CourseModule.id, CourseModule.title)
        .where(CourseModule.course_id == course_id)
        .order_by(CourseModule.position)
    ).all()
    rows = session.execute(
        sa.select(Item.id, Item.slug, Item.title, Item.kind, Item.minutes, Item.required, Item.module_id, Item.data)
        .where(Item.course_id == course_id, Item.active)
        .order_by(Item.position)
    ).all()
    items = tuple(
        OutlineItem(
            row.id,
            row.slug,
            row.title,
            row.kind,
            row.minutes,
            row.required,
            row.module_id,
            objectives=tuple(row.data.get("objectives") or ()),
        )
        for row in rows
    )
    built = Outline(
        tuple(OutlineModule(m.id, m.title, tuple(i for i in items if i.module_id == m.id)) for m in modules), items
    )
    return _remember(_outlines, key, built)


def lesson_body(session: orm.Session, item_id: int, content_hash: str) -> str:
    """A lesson's rendered HTML, cached per content version."""
    key = (item_id, content_hash)
    if key not in _bodies:
        _remember(_bodies, key, session.scalar(sa.select(Item.body_html).where(Item.id == item_id)) or "")
    return _bodies[key]


@dataclass(frozen=True)
class ItemState:
    completed_at: datetime | None
    seconds: int


# Every learning page reads it: over the table's columns (a Core statement), with bound parameters (compiled once).
_progress = ItemProgress.__table__
_ITEM_STATES = sa.select(_progress.c.item_id, _progress.c.completed_at, _progress.c.seconds).where(
    _progress.c.user_id == sa.bindparam("user_id"), _progress.c.course_id == sa.bindparam("course_id")
)


def item_states(session: orm.Session, user_id: int, course_id: int) -> dict[int, ItemState]:
    rows = session.execute(_ITEM_STATES, {"user_id": user_id, "course_id": course_id})
    return {item_id: ItemState(completed_at, seconds) for item_id, completed_at, seconds in rows}


VISIT_INTERVAL = timedelta(minutes=1)


def visit_is_news(enrolment: Enrolment | sa.Row, item_id: int) -> bool:
    """Whether a page view should be written: another item, or a while since the last activity."""
    return enrolment.last_item_id != item_id or enrolment.last_activity_at < utcnow() - VISIT_INTERVAL


def record_visit(session: orm.Session, enrolment_id: int, item_id: int) -> None:
    """`visit` for a page that read the enrolment as plain columns."""
    session.execute(
        sa.update(Enrolment).where(Enrolment.id == enrolment_id).values(last_item_id=item_id, last_activity_at=utcnow())
    )
