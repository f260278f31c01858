"""Command-line tools: `flask setup`, `flask import-courses`, `flask create-admin`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app

from .content.importer import import_courses
from .extensions import db
from .models import Role
from .services.accounts import EmailTaken, create_user
from .setup import print_demo_accounts, setup_database


def init_app(app: Flask) -> None:
    app.cli.add_command(setup_command)
    app.cli.add_command(import_courses_command)
    app.cli.add_command(create_admin_command)


@click.command("setup")
@click.option("--demo/--no-demo", default=None, help="Create the demo accounts (default: on the embedded setup).")
def setup_command(demo: bool | None) -> None:
    """Migrate the database to head, import the shipped courses, create demo accounts."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    report, accounts = setup_database(app, demo=demo)
    for problem in report.problems:
        click.echo(str(problem), err=True)
    click.echo(f"courses: {len(report.imported)} imported, {len(report.unchanged)} unchanged, {len(report.failed)} failed")
    if accounts:
        print_demo_accounts(app, accounts)
    if report.errors:
        sys.exit(1)


@click.command("import-courses")
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
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option()
def create_admin_command(email: str, name: str, password: str) -> None:
    """Create an administrator account for real use."""
    if len(password) < 8:
        raise click.BadParameter("at least 8 characters", param_hint="password")
    try:
        create_user(db.session, name=name, email=email, password=password, role=Role.ADMIN)
    except EmailTaken:
        raise click.ClickException(f"an account with {email} exists already") from None
    db.session.commit()
    click.echo(f"admin {email} created")
