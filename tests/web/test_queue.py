"""The grading queue's real workers: in-process threads (the default) and RQ on Redis (when REDIS_URL is set)."""

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.models import Course, Item, Submission
from lms.services import exercises, learning
from lms.services.accounts import create_user
from lms.services.courses import import_courses
from lms.web.extensions import db
from tests.conftest import FIXTURES, make_app, reset_database
from tests.web.test_exercises import SOLUTIONS


def _app_with_submission(tmp_path: Path, **config: object):
    app = make_app(f"sqlite:///{tmp_path / 'queue.sqlite3'}", **config)
    reset_database(app)
    with app.app_context():
        import_courses(db.session, FIXTURES / "courses")
        user = create_user(db.session, name="큐", email="queue@example.com", password="password123")
        course = db.session.scalar(sa.select(Course).where(Course.slug == "notebook-lab"))
        item = db.session.scalar(sa.select(Item).where(Item.course_id == course.id, Item.slug == "sales"))
        enrolment = learning.enrol(db.session, user.id, course)
        notebook = exercises.notebook_with_answers(item, SOLUTIONS)
        ids = [
            exercises.submit(db.session, enrolment, item, notebook, kind="grade", origin="browser").id for _ in range(2)
        ]
        db.session.commit()
    return app, ids


def _outcomes(app, ids):
    with app.app_context():
        return [(s.status, s.points) for s in db.session.scalars(sa.select(Submission).where(Submission.id.in_(ids)))]


def test_in_process_workers_grade_in_the_background(tmp_path):
    app, ids = _app_with_submission(tmp_path, GRADING_QUEUE="thread")
    queue = app.extensions["grading_queue"]
    for submission_id in ids:
        queue.enqueue(submission_id)
    queue.wait(timeout=120)
    assert _outcomes(app, ids) == [("done", 5.0), ("done", 5.0)]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it in its PostgreSQL pass)")
def test_rq_workers_grade_from_redis(tmp_path):
    from redis import Redis
    from rq import Queue

    app, ids = _app_with_submission(tmp_path, GRADING_QUEUE="rq", REDIS_URL=os.environ["REDIS_URL"])
    Queue("baeum-grading", connection=Redis.from_url(os.environ["REDIS_URL"])).empty()
    for submission_id in ids:
        with app.app_context():
            app.extensions["grading_queue"].enqueue(submission_id)
    assert _outcomes(app, ids) == [("queued", None), ("queued", None)]
    result = app.test_cli_runner().invoke(args=["grading-worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert _outcomes(app, ids) == [("done", 5.0), ("done", 5.0)]


def test_the_app_owns_a_pool_that_the_admin_page_never_starts(app, actions, client, monkeypatch):
    from lms.tasks import jobs

    fresh = make_app(app.config["SQLALCHEMY_ENGINES"]["default"])
    assert jobs.grading_pool(fresh).state == "new"  # made from the config at start-up, nothing started
    assert jobs.grading_pool(fresh).size == fresh.config["GRADING_POOL_SIZE"]
    jobs.grading_pool(fresh).close()

    pool = jobs.create_pool(app)
    monkeypatch.setitem(app.extensions, jobs.EXTENSION, pool)
    actions.login_as("admin")
    page = client.get("/admin/").get_data(as_text=True)
    assert pool.state == "new" and not pool._idle
    assert "채점 환경을 아직 시작하지 않았습니다" in page
