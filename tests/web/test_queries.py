"""Hot pages issue a bounded number of SQL queries, whatever the course size."""

import shutil
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from lms.services.courses import import_courses
from lms.web.extensions import db

FIXTURES = Path(__file__).parents[1] / "fixtures"


@contextmanager
def count_queries(app):
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN")):
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def _course_with_lessons(tmp_path, session, n: int, slug: str) -> None:
    folder = tmp_path / slug
    shutil.copytree(FIXTURES / "courses" / "factory-basics", folder)
    body = "---\ntitle: 추가 강의 {i}\nminutes: 5\n---\n\n추가 내용 {i}\n"
    items = []
    for i in range(n):
        (folder / "lessons" / f"x{i:03d}.md").write_text(body.format(i=i), encoding="utf-8")
        items.append(f"      - lessons/x{i:03d}.md\n")
    manifest = folder / "course.yml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace(
            "      - lessons/02-defects.md\n", "      - lessons/02-defects.md\n" + "".join(items)
        ),
        encoding="utf-8",
    )
    report = import_courses(session, tmp_path)
    assert slug in report.imported, [str(p) for p in report.problems]
    session.commit()


def _queries_for(app, actions, client, slug: str) -> dict[str, int]:
    actions.post(f"/courses/{slug}/enrol")
    for item in ("01-sensors", "x000"):
        actions.post(f"/courses/{slug}/items/{item}/complete")
    counts = {}
    for name, path in {
        "lesson": f"/courses/{slug}/items/02-defects",
        "quiz": f"/courses/{slug}/items/check",
        "course": f"/courses/{slug}",
        "dashboard": "/me/",
        "catalog": "/courses/",
    }.items():
        with count_queries(app) as statements:
            assert client.get(path).status_code == 200
        counts[name] = len(statements)
    return counts


def test_query_count_does_not_grow_with_the_course(app, actions, client, session, tmp_path):
    actions.login_as("learner")
    _course_with_lessons(tmp_path / "small", session, 2, "small-course")
    _course_with_lessons(tmp_path / "big", session, 60, "big-course")
    small = _queries_for(app, actions, client, "small-course")
    big = _queries_for(app, actions, client, "big-course")
    assert small == big, (small, big)
    assert max(big.values()) <= 10, big
