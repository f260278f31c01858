"""The catalog's reads: published courses by address, filtered and paginated lists, search results with their courses
and items, and each course's enrolment figures for administrators."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import orm

from ..content.spec import LEVELS
from ..models import Course, Enrolment, Item
from ..search.index import SearchPage, search


def published_course(session: orm.Session, slug: str) -> Course | None:
    return session.scalar(sa.select(Course).where(Course.slug == slug, Course.published))


def course_by_slug(session: orm.Session, slug: str) -> Course | None:
    """Any course, published or not (authoring)."""
    return session.scalar(sa.select(Course).where(Course.slug == slug))


def course_by_id(session: orm.Session, course_id: int) -> Course | None:
    """Any course, published or not (administration)."""
    return session.get(Course, course_id)


def _where(chosen: Mapping[str, str]) -> list[sa.ColumnElement[bool]]:
    """Published courses matching the chosen filters (track, industry, level: equal; audience: one of the list)."""
    clauses: list[sa.ColumnElement[bool]] = [Course.published.is_(True)]
    for key, value in chosen.items():
        if key == "audience":
            clauses.append(sa.cast(Course.audience, sa.String).like(f'%"{value}"%'))
        else:
            clauses.append(getattr(Course, key) == value)
    return clauses


def list_courses(
    session: orm.Session, chosen: Mapping[str, str], *, page: int, per_page: int
) -> tuple[list[Course], int]:
    """One page of the published courses matching the filters, beginners' first, and how many match in all."""
    clauses = _where(chosen)
    total = session.scalar(sa.select(sa.func.count(Course.id)).where(*clauses)) or 0
    courses = session.scalars(
        sa.select(Course)
        .where(*clauses)
        .order_by(
            sa.case({level: n for n, level in enumerate(LEVELS)}, value=Course.level, else_=len(LEVELS)), Course.title
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(courses), total


@dataclass(frozen=True)
class Found:
    """A page of search results with the courses and items its hits name, by id."""

    results: SearchPage
    courses: dict[int, Course]
    items: dict[int, Item]


def search_catalog(session: orm.Session, query: str, chosen: Mapping[str, str], *, page: int, per_page: int) -> Found:
    results = search(session, query, course_filter=sa.and_(*_where(chosen)), page=page, per_page=per_page)
    course_ids = {h.course_id for h in results.hits}
    item_ids = {h.item_id for h in results.hits if h.item_id}
    courses = {c.id: c for c in session.scalars(sa.select(Course).where(Course.id.in_(course_ids)))}
    items = {i.id: i for i in session.scalars(sa.select(Item).where(Item.id.in_(item_ids)))}
    return Found(results, courses, items)


def completion_by_course(session: orm.Session) -> list[sa.Row]:
    """Every course with its learners: (Course, enrolled, completed, average progress), by title."""
    return list(
        session.execute(
            sa.select(
                Course,
                sa.func.count(Enrolment.id).label("enrolled"),
                sa.func.count(Enrolment.completed_at).label("completed"),
                sa.func.avg(Enrolment.progress).label("progress"),
            )
            .outerjoin(Enrolment, Enrolment.course_id == Course.id)
            .group_by(Course.id)
            .order_by(Course.title)
        ).all()
    )
