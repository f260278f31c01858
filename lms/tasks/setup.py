"""First-run setup: migrate the database, import the shipped courses, create the demo accounts."""

from __future__ import annotations

import fcntl
import sys
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask

from ..services.accounts import DemoAccount, ensure_demo_accounts
from ..services.courses import ImportReport, import_courses
from ..web.extensions import alembic, db


def setup_database(app: Flask, *, demo: bool | None = None) -> tuple[ImportReport, list[DemoAccount]]:
    """Bring the schema to head, import changed courses and create missing demo accounts; commits."""
    with app.app_context():  # its own context: Flask-Alembic holds its connection until the context ends
        alembic.upgrade()
    with app.app_context():
        report = import_courses(db.session, Path(app.config["COURSES_PATH"]))
        accounts: list[DemoAccount] = []
        if app.config["DEMO_ACCOUNTS"] if demo is None else demo:
            accounts = ensure_demo_accounts(db.session, app.config["DEMO_PASSWORD"])
        db.session.commit()
    return report, accounts


def auto_setup(app: Flask) -> None:
    """Run `setup_database` once per start, serialised between processes by a lock file."""
    lock_path = Path(app.instance_path) / "setup.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        report, accounts = setup_database(app)
    for problem in report.problems:
        app.logger.warning("%s", problem)
    if report.imported:
        app.logger.info("imported courses: %s", ", ".join(report.imported))
    if accounts:
        print_demo_accounts(app, accounts)


def print_demo_accounts(app: Flask, accounts: list[DemoAccount]) -> None:
    """Show the demo accounts' passwords once, and keep a copy readable only by the owner."""
    lines = [f"  {a.role:<12} {a.email:<28} {a.password}" for a in accounts]
    text = "Demo accounts (role, e-mail, password) / 데모 계정:\n" + "\n".join(lines) + "\n"
    print("\n" + text, file=sys.stderr, flush=True)
    path = Path(app.instance_path) / "demo-accounts.txt"
    with open(path, "a", encoding="utf-8") as fh:  # one block per creation, newest last (a new database adds one)
        fh.write(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n{text}")
    path.chmod(0o600)
