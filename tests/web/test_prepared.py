"""PreparedRead returns what SQLAlchemy returns, on SQLite and PostgreSQL, whichever connection it runs on."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from lms.extensions import db
from lms.learn import _COURSE_AND_ENROLMENT
from lms.models import Course, User
from lms.prepared import PreparedRead
from lms.services import accounts, learning

COURSE = PreparedRead(
    sa.select(
        Course.id, Course.slug, Course.audience, Course.hours, Course.published, Course.imported_at, Course.completion
    ).where(Course.slug == sa.bindparam("slug"), Course.language == "ko")
)


def sqlalchemy_row(session: orm.Session, read: PreparedRead, **params: object) -> tuple | None:
    row = session.execute(read.statement, params).first()
    return tuple(row) if row is not None else None


def test_same_values_as_sqlalchemy_json_datetimes_booleans_and_literals(session):
    row = COURSE.first(session, slug="factory-basics")
    assert row is not None and row.slug == "factory-basics"
    assert tuple(row) == sqlalchemy_row(session, COURSE, slug="factory-basics")
    assert isinstance(row.audience, list) and isinstance(row.completion, dict)  # JSON decoded
    assert row.published is True and isinstance(row.hours, float)
    assert isinstance(row.imported_at, datetime) and row.imported_at.tzinfo is not None  # UTC, as the model says
    assert COURSE.first(session, slug="no-such-course") is None


def test_lesson_read_matches_and_sees_the_sessions_own_writes(session, actions):
    user = actions.user("reader@example.com")
    course = session.scalar(sa.select(Course).where(Course.slug == "factory-basics"))
    params = {"slug": "factory-basics", "user_id": user.id}
    before = _COURSE_AND_ENROLMENT.first(session, **params)
    assert before.enrolment_id is None and before.id == course.id

    enrolment = learning.enrol(session, user.id, course)  # flushed, not committed
    after = _COURSE_AND_ENROLMENT.first(session, **params)
    assert after.enrolment_id == enrolment.id
    assert tuple(after) == sqlalchemy_row(session, _COURSE_AND_ENROLMENT, **params)
    assert isinstance(after.last_activity_at, datetime) and after.last_activity_at.tzinfo is not None

    lifetime = timedelta(days=30)
    signed = accounts.start_sign_in(session, user, lifetime=lifetime)
    user.name = "새 이름"
    session.flush()
    assert accounts.identity(session, signed.get_id(), lifetime).name == "새 이름"
    assert accounts.identity(session, f"{user.id + 10_000}:{signed.sign_in}", lifetime) is None
    assert accounts.identity(session, f"{user.id}:not-the-key", lifetime) is None
    assert accounts.identity(session, f"{10**30}:{signed.sign_in}", lifetime) is None


def test_on_the_engine_pool_without_a_session_transaction(app):
    # The committed fixture courses, read the way a request's first query runs: no transaction begun yet.
    with app.app_context():
        with orm.Session(db.engine) as fresh:
            assert not fresh.in_transaction()
            row = COURSE.first(fresh, slug="factory-basics")
            assert not fresh.in_transaction()
            assert tuple(row) == sqlalchemy_row(fresh, COURSE, slug="factory-basics")

        statements: list[str] = []

        def listen(_conn, _cursor, statement, *_rest):  # noqa: ANN001, ANN202
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", listen)
        try:
            with orm.Session(db.engine) as fresh:
                assert COURSE.first(fresh, slug="factory-basics").slug == "factory-basics"
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listen)
        assert len(statements) == 1 and "FROM course" in statements[0]  # query logs and counts still see it


def test_statements_needing_bind_processing_are_refused(session):
    read = PreparedRead(sa.select(User.id).where(User.created_at > sa.bindparam("since", type_=User.created_at.type)))
    with pytest.raises(TypeError, match="since"):
        read.first(session, since=datetime(2026, 1, 1))
