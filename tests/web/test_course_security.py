"""Hostile courses and uploads through the web: nothing outside a course or unpublished is served, start-up comes up."""

import io
import json
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.models import Course, CourseAsset, Item, Submission
from lms.services.courses import import_courses
from lms.web.extensions import db
from tests.conftest import make_app
from tests.hostile_courses import BILLION_LAUGHS, deep, graded_notebook, lesson, notebook, within, write_course
from tests.unit.test_course_paths import QUIZ_WITH_ANSWERS

SECRET = "TOP-SECRET-SIGNING-KEY"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "secret_key").write_text(SECRET, encoding="utf-8")
    return folder


def _published(root: Path) -> Path:
    return write_course(
        root,
        "pub",
        {
            "lessons/01-a.md": lesson("![흐름](../images/flow.svg) [자료](../data/used.csv)"),
            "images/flow.svg": "<svg/>",
            "data/used.csv": "a\n1\n",
            "data/unused.csv": "b\n2\n",
            "quizzes/old.yml": QUIZ_WITH_ANSWERS,
            "quizzes/now.yml": QUIZ_WITH_ANSWERS,
            "notes/solutions.md": "정답: 42",
            "exercises/ex.ipynb": notebook("x = 1  # 정답 코드"),
        },
        items=("lessons/01-a.md", "quizzes/now.yml", "exercises/ex.ipynb"),
    )


def test_only_published_files_are_served_to_anyone(session, client, tmp_path):
    root = tmp_path / "courses"
    _published(root)
    report = import_courses(session, root)
    assert report.imported == ["pub"], [str(p) for p in report.problems]
    assert client.get("/courses/pub/files/images/flow.svg").data == b"<svg/>"
    assert client.get("/courses/pub/files/data/used.csv").data == b"a\n1\n"
    for path in (
        "quizzes/old.yml",
        "quizzes/now.yml",
        "notes/solutions.md",
        "data/unused.csv",
        "exercises/ex.ipynb",
        "course.yml",
        "lessons/01-a.md",
    ):
        response = client.get(f"/courses/pub/files/{path}")
        assert response.status_code == 404 and b"correct" not in response.data and "정답".encode() not in response.data
    stored = set(session.scalars(sa.select(CourseAsset.path).join(Course).where(Course.slug == "pub")))
    assert stored == {"images/flow.svg", "data/used.csv"}


def test_what_only_hidden_tests_read_is_given_to_grading_but_never_served(session, client, tmp_path):
    root = tmp_path / "courses"
    code = graded_notebook("open('../data/input.csv')", "assert open('../data/expected.csv').read() == '42'")
    write_course(
        root,
        "hid",
        {"exercises/ex.ipynb": code, "data/input.csv": "1", "data/expected.csv": "42"},
        items=("exercises/ex.ipynb",),
    )
    assert import_courses(session, root).imported == ["hid"]
    assert client.get("/courses/hid/files/data/input.csv").data == b"1"
    assert client.get("/courses/hid/files/data/expected.csv").status_code == 404
    query = sa.select(CourseAsset.path, CourseAsset.public).join(Course).where(Course.slug == "hid")
    rows = {path: public for path, public in session.execute(query)}
    assert rows == {"data/input.csv": True, "data/expected.csv": False}
    item = session.scalar(sa.select(Item).join(Course).where(Course.slug == "hid"))
    assert item.data["files"] == ["data/expected.csv", "data/input.csv"]


def test_a_course_with_a_symlink_outside_is_not_imported_and_leaks_nothing(session, client, tmp_path, outside):
    root = tmp_path / "courses"
    folder = write_course(root, "sym", {"lessons/01-a.md": lesson("[키](../data/secret.csv)")})
    (folder / "data").mkdir()
    os.symlink(outside / "secret_key", folder / "data" / "secret.csv")
    write_course(root, "healthy")
    report = import_courses(session, root)
    assert report.imported == ["healthy"] and report.failed == ["sym"]
    assert "sym/data/secret.csv:1: " in "\n".join(str(p) for p in report.errors)
    assert client.get("/courses/sym/files/data/secret.csv").status_code == 404
    contents = session.scalars(sa.select(CourseAsset.content)).all()
    assert not any(SECRET.encode() in c for c in contents)


def test_an_overview_outside_the_course_is_never_shown(session, client, tmp_path, outside):
    root = tmp_path / "courses"
    write_course(root, "ov", extra=f"overview: {outside / 'secret_key'}\n")
    report = import_courses(session, root)
    assert report.failed == ["ov"]
    assert any(str(p).startswith("ov/course.yml:8: ") for p in report.errors)
    assert SECRET not in client.get("/courses/ov").get_data(as_text=True)
    assert not session.scalars(sa.select(Course).where(Course.overview_html.contains(SECRET))).all()


# -- notebook uploads ------------------------------------------------------------------------------------------------

COURSE = "/courses/notebook-lab"
ITEM = f"{COURSE}/items/sales"
SOURCE = json.loads(
    (Path(__file__).parents[1] / "fixtures/courses/notebook-lab/exercises/sales.ipynb").read_text("utf-8")
)


def _with(change) -> bytes:
    notebook = json.loads(json.dumps(SOURCE))
    change(notebook)
    return json.dumps(notebook).encode()


def _source_is_a_number(nb: dict) -> None:
    nb["cells"][1]["source"] = 42


def _cells_is_a_string(nb: dict) -> None:
    nb["cells"] = "cells"


def _cell_is_a_list(nb: dict) -> None:
    nb["cells"][1] = ["not", "a", "cell"]


def _metadata_is_a_list(nb: dict) -> None:
    nb["cells"][1]["metadata"] = ["x"]


HOSTILE_UPLOADS = {
    "deep-json": (b'{"cells": [], "metadata": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", "형식이 올바르지 않습니다"),
    "source-is-a-number": (_with(_source_is_a_number), "형식이 올바르지 않습니다"),
    "cells-is-a-string": (_with(_cells_is_a_string), "형식이 올바르지 않습니다"),
    "cell-is-a-list": (_with(_cell_is_a_list), "형식이 올바르지 않습니다"),
    "metadata-is-a-list": (_with(_metadata_is_a_list), "형식이 올바르지 않습니다"),
    "enormous": (b'{"cells": [], "x": "' + b"a" * (12 * 1024 * 1024) + b'"}', "너무 큽니다"),
}


@pytest.mark.parametrize("case", HOSTILE_UPLOADS)
def test_a_hostile_upload_gets_a_clear_message_and_nothing_is_stored(actions, client, session, case):
    raw, words = HOSTILE_UPLOADS[case]
    actions.login_as("learner")
    actions.post(f"{COURSE}/enrol")
    data = {"csrf_token": actions.csrf(), "notebook": (io.BytesIO(raw), "mine.ipynb")}
    with within(20):
        response = client.post(f"{ITEM}/upload", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and words in page.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count(Submission.id))) == 0


def test_a_malformed_submission_stored_earlier_does_not_break_the_page(actions, client, session):
    user = actions.login_as("learner")
    actions.post(f"{COURSE}/enrol")
    item = session.scalar(sa.select(Item).where(Item.slug == "sales"))
    for stored in ({"cells": "cells"}, {"cells": [["x"], {"cell_type": "code", "source": 42}]}, {"cells": None}):
        bad = Submission(user_id=user.id, item_id=item.id, course_id=item.course_id, kind="grade", origin="upload",
                         notebook=stored, status="error", error="job.failed")  # fmt: skip
        session.add(bad)
        session.commit()
        page = client.get(f"{ITEM}?submission={bad.id}")
        assert page.status_code == 200 and "매출" in page.get_data(as_text=True)


# -- start-up --------------------------------------------------------------------------------------------------------


def test_start_up_comes_up_with_hostile_courses_present(tmp_path, outside):
    root = tmp_path / "courses"
    write_course(root, "bomb", {"lessons/01-a.md": lesson(front=BILLION_LAUGHS + "\n")})
    write_course(root, "deep", extra=f"tags: {deep()}\n")
    write_course(root, "huge", {"lessons/01-a.md": lesson("가" * 3_000_000)})
    sym = write_course(root, "sym")
    os.symlink(outside / "secret_key", sym / "leak.txt")
    write_course(root, "healthy")
    with within(120):
        app = make_app(f"sqlite:///{tmp_path / 'start.sqlite3'}", AUTO_SETUP=True, COURSES_PATH=str(root))
    with app.app_context():
        assert set(db.session.scalars(sa.select(Course.slug))) == {"healthy"}
    assert "과정" in app.test_client().get("/courses/healthy").get_data(as_text=True)


def test_lessons_that_would_take_minutes_to_render_import_with_the_rest(tmp_path):
    """Python-Markdown needs minutes for some texts ("=" lines, "> " nested): at their largest they still import,
    shown as text, and start-up comes up with every course."""
    from lms.content.loader import MAX_TEXT_BYTES

    root = tmp_path / "courses"
    size = MAX_TEXT_BYTES // 2 - 100
    floods = {"lessons/01-a.md": lesson("=\n" * size), "lessons/02-b.md": lesson("<i>끝</i>\n\n" + "> " * size)}
    write_course(root, "slow", floods, items=tuple(floods))
    write_course(root, "healthy")
    with within(120):
        app = make_app(f"sqlite:///{tmp_path / 'start.sqlite3'}", AUTO_SETUP=True, COURSES_PATH=str(root))
    with app.app_context():
        assert set(db.session.scalars(sa.select(Course.slug))) == {"slow", "healthy"}
        bodies = {item.slug: item.body_html for item in db.session.scalars(sa.select(Item))}
    assert bodies["01-a"].count("=") >= size and "<h1" not in bodies["01-a"]
    assert 'class="render-limit"' in bodies["02-b"] and "&lt;i&gt;끝&lt;/i&gt;\n\n&gt; &gt;" in bodies["02-b"]


def test_the_import_command_reports_a_hostile_course_as_file_line_and_imports_its_sibling(app, session, tmp_path):
    root = tmp_path / "courses"
    write_course(root, "bomb", {"lessons/01-a.md": lesson(front=BILLION_LAUGHS + "\n")})
    write_course(root, "healthy")
    with within(60):
        result = app.test_cli_runner().invoke(args=["import-courses", str(root)])
    assert result.exit_code == 1
    assert "bomb/lessons/01-a.md:8: YAML: expands to more than 100000 values (aliases expanded)" in result.output
    assert "imported  healthy" in result.output and "FAILED    bomb" in result.output


def test_a_file_that_fails_to_render_is_named_and_its_sibling_still_imports(session, tmp_path, monkeypatch):
    import lms.content.kinds.lesson as lesson_kind  # where a lesson's body is rendered on import

    root = tmp_path / "courses"
    write_course(root, "fragile", {"lessons/01-a.md": lesson("깨지는 본문")})
    write_course(root, "healthy")
    render = lesson_kind.render_markdown

    def failing(text: str, resolve):
        if "깨지는" in text:
            raise RecursionError("maximum recursion depth exceeded")
        return render(text, resolve)

    monkeypatch.setattr(lesson_kind, "render_markdown", failing)
    report = import_courses(session, root)
    assert report.imported == ["healthy"] and report.failed == ["fragile"]
    assert "fragile/lessons/01-a.md:1: could not be rendered: RecursionError" in "\n".join(map(str, report.errors))
    assert session.scalar(sa.select(Course).where(Course.slug == "fragile")) is None
