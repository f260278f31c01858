"""Shared fixtures: one app and schema per run, each test inside a transaction that is rolled back."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import flask_babel
import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient

from lms.factory import create_app
from lms.services.accounts import create_user
from lms.services.courses import import_courses
from lms.tasks import jobs
from lms.web.extensions import alembic, db

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    # The tests' apps keep their instance files (secret key, demo passwords) in a folder of their own, never in the
    # developer's instance/ next to the platform they run with ./run.sh.
    os.environ["BAEUM_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="baeum-test-instance-")


PASSWORD = "correct horse battery"


def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """PostgreSQL when DATABASE_URL says so (CI), else a fresh SQLite file."""
    url = os.environ.get("DATABASE_URL")
    if url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        return _database_of_its_own(url, worker) if worker else url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def _database_of_its_own(url: str, worker: str) -> str:
    """Under pytest-xdist each worker gets a database of its own on the same server (``test`` -> ``test_gw0``)."""
    base = sa.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def make_app(url: str, **overrides: object) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_ENGINES": {"default": url},
        "AUTO_SETUP": False,
        "DEMO_ACCOUNTS": False,
        "COURSES_PATH": str(FIXTURES / "courses"),
        "RATELIMIT_LOGIN": "1000 per minute",
        "GRADING_QUEUE": "eager",
    }
    config.update(overrides)
    app = create_app(config)
    # Tests keep one app context open around many requests, so `g` outlives a request; make Flask-Babel pick the
    # locale afresh for each request as it does in production, where every request has its own context.
    app.before_request(flask_babel.refresh)
    # ... and so the session outlives a request too: make each request read current rows, as a fresh session does.
    app.before_request(lambda: db.session.expire_all())
    # ... and Flask-Login (the signed-in user) and Flask-WTF (the CSRF token) keep per-request values in `g`: make
    # each request find them from its own cookies, as in production.
    app.before_request(_forget_request_globals)
    return app


def _forget_request_globals() -> None:
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


def reset_database(app: Flask) -> None:
    """Empty the database, then migrate it from nothing to head."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            assert "test" in (engine.url.database or ""), "refusing to reset a database not named for tests"
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        alembic.upgrade()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = make_app(database_url(tmp_path_factory))
    reset_database(app)
    with app.app_context():
        report = import_courses(db.session, FIXTURES / "courses")
        assert not report.errors, [str(p) for p in report.errors]
        db.session.commit()
    yield app
    jobs.grading_pool(app).close()


@pytest.fixture
def session(app: Flask) -> Iterator[sa.orm.Session]:
    """The app's session, bound to a connection whose outer transaction is rolled back after the test."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        db.sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield db.session
        finally:
            db.session.close()
            outer.rollback()
            connection.close()
            db.sessionmaker.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")


@pytest.fixture
def client(app: Flask, session: sa.orm.Session) -> FlaskClient:
    return app.test_client()


class Actions:
    """Log in and post forms as a user would, with the CSRF token the page gave."""

    def __init__(self, client: FlaskClient, session: sa.orm.Session) -> None:
        self.client = client
        self.session = session

    def csrf(self, path: str = "/courses/") -> str:
        page = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        assert match, "no CSRF token on " + path
        return match.group(1)

    def post(self, path: str, data: dict | None = None, **kwargs: object):
        return self.client.post(path, data={"csrf_token": self.csrf(), **(data or {})}, **kwargs)

    def user(self, email: str = "learner@example.com", role: str = "learner", name: str = "홍길동"):
        user = create_user(self.session, name=name, email=email, password=PASSWORD, role=role)
        self.session.commit()
        return user

    def login(self, email: str = "learner@example.com", password: str = PASSWORD):
        return self.post("/auth/login", {"email": email, "password": password})

    def login_as(self, role: str = "learner", email: str | None = None):
        user = self.user(email or f"{role}@example.com", role=role)
        response = self.login(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    def logout(self):
        return self.post("/auth/logout")


@pytest.fixture
def actions(client: FlaskClient, session: sa.orm.Session) -> Actions:
    return Actions(client, session)
