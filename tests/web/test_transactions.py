"""SQLite's transaction rule (README, "SQLite transactions"): requests that change things, jobs and commands take the
write lock when they begin, so two read-then-write transactions queue instead of failing with "database is locked";
page views (GET) never take it, so they neither wait for a writer nor hold one up."""

import threading
import time

import pytest
import sqlalchemy as sa

from lms.web.extensions import db
from tests.conftest import make_app


@pytest.fixture
def sqlite_app(tmp_path):
    """An app on a SQLite file of its own (whatever DATABASE_URL the suite runs on), with one table to count in."""
    scratch = make_app(f"sqlite:///{tmp_path / 'transactions.sqlite3'}")
    with scratch.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (n INTEGER NOT NULL)")
    return scratch


def _counts(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.text("SELECT n FROM counter ORDER BY n")))


def test_two_requests_that_read_then_write_queue_instead_of_failing(sqlite_app):
    first_has_read, second_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def request_that_counts(before_writing: threading.Event | None, after: threading.Event) -> None:
        try:
            with sqlite_app.test_request_context("/", method="POST"):
                seen = db.session.scalar(sa.text("SELECT count(*) FROM counter"))  # read ...
                if before_writing is not None:
                    # Give the other request time to write and commit in between, as it could if this one had
                    # not taken the write lock at its first statement.
                    before_writing.set()
                    second_done.wait(0.5)
                db.session.execute(sa.text("INSERT INTO counter (n) VALUES (:n)"), {"n": seen})  # ... then write
                db.session.commit()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            after.set()

    first = threading.Thread(target=request_that_counts, args=(first_has_read, threading.Event()))
    first.start()
    assert first_has_read.wait(10)
    second = threading.Thread(target=request_that_counts, args=(None, second_done))
    second.start()
    first.join(20)
    second.join(20)
    assert not errors, errors  # neither failed with "database is locked"
    assert _counts(sqlite_app) == [0, 1]  # and the second read what the first wrote: they ran one after the other


def test_a_page_view_neither_waits_for_a_writer_nor_holds_one_up(sqlite_app):
    with sqlite_app.app_context():
        engine = db.engine
    with engine.connect() as writer:
        holding = writer.begin()  # a job or command: holds the write lock until it ends
        writer.exec_driver_sql("INSERT INTO counter (n) VALUES (7)")
        started = time.monotonic()
        with sqlite_app.test_request_context("/", method="GET"):
            assert db.session.scalar(sa.text("SELECT count(*) FROM counter")) == 0  # committed data only
            waited = time.monotonic() - started
            holding.commit()
            # The page view's read is still open: a writer gets the lock at once all the same.
            started = time.monotonic()
            with engine.begin() as other:
                other.exec_driver_sql("INSERT INTO counter (n) VALUES (8)")
            writer_waited = time.monotonic() - started
    assert waited < 1 and writer_waited < 1  # busy_timeout is 5 s: a lock taken or waited for would show
    assert _counts(sqlite_app) == [7, 8]


def test_a_page_view_is_served_while_another_process_writes(app):
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("a rule of the SQLite setup")
    with engine.connect() as writer:
        writer.begin()  # holds the write lock; rolled back when the connection closes
        started = time.monotonic()
        response = app.test_client().get("/courses/")
        waited = time.monotonic() - started
    assert response.status_code == 200 and waited < 2
