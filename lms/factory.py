"""The application factory: settings, extensions, blueprints, commands, the grading queue."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, has_request_context, request
from flask_babel import lazy_gettext as _l

from config import ROOT, Config, instance_path

from . import admin, auth, author, catalog, dashboard, learn, main, teach
from .services import accounts
from .tasks import cli, jobs
from .tasks.setup import auto_setup
from .web import errors, headers, register_converters, register_template_helpers
from .web.extensions import alembic, babel, csrf, db, limiter, login_manager, select_locale


class BaeumApp(Flask):
    """Flask, with coroutine functions run on an event loop of their own on the calling thread.

    Flask-SQLAlchemy-Lite registers a coroutine teardown (it closes async sessions, which we never open). Flask's
    default runs each coroutine through asgiref, which starts a thread and an event loop for it at the end of every
    request (0.4 ms of CPU, twice a bare request's). `async_to_sync` is Flask's documented place to change that;
    `asyncio.run` gives the coroutine a loop on this thread, in a copy of this thread's context (so it sees the app
    context), at less than half that cost (0.17 ms).
    """

    def async_to_sync(self, func: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            return asyncio.run(func(*args, **kwargs))

        return run


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = BaeumApp(
        __name__,
        instance_path=instance_path(),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(Config(app.instance_path))
    app.config.from_pyfile("settings.py", silent=True)
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    _configure_sqlite(app)
    alembic.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    headers.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("이 페이지를 보려면 로그인해 주세요.")
    login_manager.localize_callback = str  # the message in the visitor's language, as a plain string for the session
    login_manager.login_message_category = "info"
    # The session and remember-me cookies name a sign-in ("<user id>:<key>"); one that ended or grew too old
    # on the server is nobody, whatever the cookie says.
    login_manager.user_loader(
        lambda cookie_id: accounts.identity(db.session, cookie_id, app.config["REMEMBER_COOKIE_DURATION"])
    )

    register_converters(app)
    register_template_helpers(app)
    errors.init_app(app)
    for blueprint in (main.bp, auth.bp, catalog.bp, learn.bp, dashboard.bp, admin.bp, teach.bp, author.bp):
        app.register_blueprint(blueprint)
    cli.init_app(app)
    jobs.init_app(app)

    if app.config["AUTO_SETUP"]:
        auto_setup(app)
    return app


def _configure_sqlite(app: Flask) -> None:
    """SQLite in WAL mode with foreign keys on, and transactions SQLAlchemy controls (so savepoints work)."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # stop pysqlite from issuing its own BEGIN/COMMIT
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # A transaction that reads and then writes fails at once ("database is locked") when another connection
        # committed in between, whatever busy_timeout says. So requests that change things (POST...), jobs and
        # commands take the write lock up front (BEGIN IMMEDIATE) and queue on busy_timeout. Page views (GET) open
        # no transaction at all: each read sees committed data, and their rare best-effort write is a single
        # statement that commits by itself, waiting its turn like any writer. A deliberate rule, tested in
        # tests/web/test_transactions.py and described in README's design section.
        if not (has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
