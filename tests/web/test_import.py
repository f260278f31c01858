"""Importing course folders: transactional per course, incremental by content hash, stable item identity."""

import shutil
from pathlib import Path

import sqlalchemy as sa

from lms.models import Course, CourseAsset, Item, ItemProgress, SearchDoc
from lms.services.courses import import_courses

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_broken_courses_are_reported_and_the_valid_one_is_imported(session):
    report = import_courses(session, FIXTURES / "broken-courses")
    assert report.imported == ["good-one"]
    assert sorted(report.failed) == ["bad-links", "bad-yaml"]
    assert any(str(p).startswith("bad-yaml/course.yml:7:") for p in report.errors)
    slugs = set(session.scalars(sa.select(Course.slug)))
    assert "good-one" in slugs and "bad-links" not in slugs and "bad-yaml" not in slugs
    assert session.scalar(sa.select(sa.func.count(Item.id)).join(Course).where(Course.slug == "bad-links")) == 0


def test_import_is_incremental_and_keeps_item_identity(session, tmp_path):
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses" / "factory-basics", root / "copy-course")
    first = import_courses(session, root)
    assert first.imported == ["copy-course"]
    assert import_courses(session, root).unchanged == ["copy-course"]

    course = session.scalar(sa.select(Course).where(Course.slug == "copy-course"))
    ids = dict(session.execute(sa.select(Item.slug, Item.id).where(Item.course_id == course.id)).all())
    session.add(ItemProgress(user_id=_user(session), item_id=ids["02-defects"], course_id=course.id))
    session.flush()

    lesson = root / "copy-course" / "lessons" / "02-defects.md"
    lesson.write_text(
        lesson.read_text(encoding="utf-8").replace("불량률을 낮추려면", "불량률을 줄이려면"), encoding="utf-8"
    )
    manifest = root / "copy-course" / "course.yml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("      - lessons/03-models.md\n", ""), encoding="utf-8"
    )
    second = import_courses(session, root)
    assert second.imported == ["copy-course"]
    items = {i.slug: i for i in session.scalars(sa.select(Item).where(Item.course_id == course.id))}
    assert items["02-defects"].id == ids["02-defects"] and "줄이려면" in items["02-defects"].body_html
    assert items["03-models"].active is False  # retired, records kept
    assert (
        session.scalar(sa.select(sa.func.count(ItemProgress.id)).where(ItemProgress.item_id == ids["02-defects"])) == 1
    )
    titles = set(session.scalars(sa.select(SearchDoc.title).where(SearchDoc.course_id == course.id)))
    assert "예측 모델 맛보기" not in titles and "불량과 불량률" in titles


def test_a_course_that_breaks_later_keeps_its_previous_version(session, tmp_path):
    root = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses" / "factory-basics", root / "will-break")
    import_courses(session, root)
    (root / "will-break" / "quizzes" / "check.yml").write_text("title: [unclosed\n", encoding="utf-8")
    report = import_courses(session, root)
    assert report.failed == ["will-break"]
    assert [str(p) for p in report.errors] == [
        "will-break/quizzes/check.yml:2: YAML: expected ',' or ']', but got '<stream end>'"
    ] or report.errors[0].file == "will-break/quizzes/check.yml"
    course = session.scalar(sa.select(Course).where(Course.slug == "will-break"))
    assert session.scalar(sa.select(sa.func.count(Item.id)).where(Item.course_id == course.id, Item.active)) == 5
    assert session.scalar(sa.select(sa.func.count(CourseAsset.id)).where(CourseAsset.course_id == course.id)) == 2


def test_cli_reports_file_and_line_and_exits_non_zero(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-courses", str(FIXTURES / "broken-courses")])
    assert result.exit_code == 1
    assert "bad-links/lessons/01-intro.md:8: link target not found: ../images/nope.png" in result.output
    assert "imported  good-one" in result.output and "FAILED    bad-yaml" in result.output


def test_cli_succeeds_on_valid_courses(app, session):
    result = app.test_cli_runner().invoke(args=["import-courses", str(FIXTURES / "courses")])
    assert result.exit_code == 0, result.output
    assert "unchanged factory-basics" in result.output


def _user(session) -> int:
    from lms.services.accounts import create_user

    return create_user(session, name="n", email="import@example.com", password="password123").id
