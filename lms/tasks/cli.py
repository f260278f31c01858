"""Command-line tools: `flask setup`, `flask import-courses`, `flask create-admin`, `flask serve`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import ScriptInfo, pass_script_info, with_appcontext
from flask.helpers import get_debug_flag
from werkzeug.serving import WSGIRequestHandler, is_running_from_reloader, run_simple

from ..content.kinds.exercise import Exercise
from ..grading.grader import grade_notebook
from ..grading.notebook import NotebookFormatError, read_notebook
from ..grading.protocol import SandboxError
from ..models import Course, Item, Role
from ..services.accounts import EmailTaken, create_user, find_user_by_email, is_weak_password, reset_password
from ..services.courses import course_files, import_courses
from ..web.extensions import db
from .jobs import create_pool, grading_pool, warm_grading
from .setup import print_demo_accounts, setup_database


def init_app(app: Flask) -> None:
    app.cli.add_command(setup_command)
    app.cli.add_command(import_courses_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(reset_password_command)
    app.cli.add_command(grade_command)
    app.cli.add_command(grading_worker_command)
    app.cli.add_command(serve_command)


@click.command("setup")
@with_appcontext
@click.option("--demo/--no-demo", default=None, help="Create the demo accounts (default: on the embedded setup).")
def setup_command(demo: bool | None) -> None:
    """Migrate the database to head, import the shipped courses, create demo accounts."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    report, accounts = setup_database(app, demo=demo)
    for problem in report.problems:
        click.echo(str(problem), err=True)
    click.echo(
        f"courses: {len(report.imported)} imported, {len(report.unchanged)} unchanged, {len(report.failed)} failed"
    )
    if accounts:
        print_demo_accounts(app, accounts)
    if report.errors:
        sys.exit(1)


@click.command("import-courses")
@with_appcontext
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Import even the courses whose files have not changed.")
def import_courses_command(path: Path | None, force: bool) -> None:
    """Import a folder of courses (default: the shipped courses/); exits 1 if any file has a problem."""
    root = path or Path(current_app.config["COURSES_PATH"])
    report = import_courses(db.session, root, force=force)
    db.session.commit()
    for problem in report.problems:
        click.echo(str(problem), err=True)
    for slug in report.imported:
        click.echo(f"imported  {slug}")
    for slug in report.unchanged:
        click.echo(f"unchanged {slug}")
    for slug in report.failed:
        click.echo(f"FAILED    {slug}", err=True)
    if report.errors:
        sys.exit(1)


@click.command("create-admin")
@with_appcontext
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option()
def create_admin_command(email: str, name: str, password: str) -> None:
    """Create an administrator account for real use."""
    if len(password) < 8:
        raise click.BadParameter("at least 8 characters", param_hint="password")
    if is_weak_password(password, email):
        raise click.BadParameter("a common or easily guessed password; choose another", param_hint="password")
    try:
        user = create_user(db.session, name=name, email=email, password=password, role=Role.ADMIN)
    except EmailTaken:
        raise click.ClickException(f"an account with {email} exists already") from None
    db.session.commit()
    click.echo(f"admin {user.email} created")


@click.command("reset-password")
@with_appcontext
@click.option("--email", prompt=True)
def reset_password_command(email: str) -> None:
    """Give an account a new random password and sign it out on every device; prints the password."""
    user = find_user_by_email(db.session, email)
    if user is None:
        raise click.ClickException(f"no account with {email}")
    temporary = reset_password(db.session, user)
    db.session.commit()
    click.echo(f"new password for {user.email}: {temporary}")


@click.command("grade")
@with_appcontext
@click.argument("course_slug")
@click.argument("exercise_id")
@click.argument("submission", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the whole result as JSON.")
def grade_command(course_slug: str, exercise_id: str, submission: Path, as_json: bool) -> None:
    """Grade a notebook file against a course's exercise, in the sandbox, without storing anything."""
    item = db.session.scalar(
        sa.select(Item)
        .join(Course)
        .where(Course.slug == course_slug, Item.slug == exercise_id, Item.kind == Exercise.name)
    )
    if item is None:
        raise click.ClickException(f"no exercise {exercise_id!r} in course {course_slug!r}")
    try:
        notebook = read_notebook(submission.read_bytes(), submission.name)
    except NotebookFormatError as exc:
        raise click.ClickException(str(exc)) from None
    files = course_files(db.session, item.course_id, public_only=False)
    pool = create_pool(current_app, size=0)  # the app's settings; one sandbox, started for this submission
    try:
        pool.start()  # refuses when BAEUM_GRADING_REQUIRE_ISOLATION is set and bubblewrap does not work
        result = grade_notebook(item.data["notebook"], notebook, files, cwd=item.data["cwd"], pool=pool)
    except SandboxError as exc:
        raise click.ClickException(f"grading refused: {exc}") from None
    finally:
        pool.close()
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    for g in result.grades:
        points = "pending" if g.points is None else f"{g.points:g}"
        line = f"{g.grade_id:<28} {points:>7} / {g.max_points:g}  {g.status}"
        if g.error:
            line += f"  {g.error['ename']}: {g.error['evalue']}"
        click.echo(line)
    if result.missing:
        click.echo(f"missing answer cells: {', '.join(result.missing)}")
    summary = f"{result.status}; {result.isolation}; {result.duration_s:.2f}s"
    click.echo(f"total {result.points:g} / {result.max_points:g}  ({summary})")


@click.command("grading-worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def grading_worker_command(burst: bool) -> None:
    """Run a grading worker on the Redis queue (BAEUM_GRADING_QUEUE=rq, REDIS_URL)."""
    from redis import Redis
    from rq import Queue, SimpleWorker
    from rq.job import Job

    from .jobs import RQQueue

    url = current_app.config["REDIS_URL"]
    if not url:
        raise click.ClickException("REDIS_URL is not set")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    pool = grading_pool(app)  # the jobs this worker runs grade in it
    try:
        pool.start()
        click.echo(f"grading worker: {pool.report()}")
    except SandboxError as exc:
        raise click.ClickException(f"grading refused: {exc}") from None

    class AppWorker(SimpleWorker):
        def execute_job(self, job: Job, queue: Queue) -> None:
            with app.app_context():
                return super().execute_job(job, queue)

    try:
        AppWorker([RQQueue.name], connection=Redis.from_url(url)).work(burst=burst)
    finally:
        pool.close()


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, without the server's and Python's versions in the `Server` header."""

    def version_string(self) -> str:
        return "Baeum"


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@pass_script_info
def serve_command(info: ScriptInfo, host: str, port: int) -> None:
    """Serve with Werkzeug's development server (threaded, as `flask run`), naming no software versions; with
    `flask --debug serve`, the debugger and the reloader too (`./run.sh --debug`).

    For development only; `./run.sh` and production serve with gunicorn (gunicorn.conf.py)."""
    debug = get_debug_flag()
    app = info.load_app()
    if not debug or is_running_from_reloader():  # the reloader's parent only watches files: no sandboxes there
        warm_grading(app)
    run_simple(
        host,
        port,
        app,
        threaded=True,
        request_handler=QuietRequestHandler,
        use_reloader=debug,
        use_debugger=debug,
    )
