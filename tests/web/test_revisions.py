"""A course's source as revisions: folder imports and browser edits in one chain, history, diff, restore,
publishing through the importer, and a byte-exact round trip of every shipped course."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.content.loader import course_files, find_course_dirs
from lms.models import Course, Item, ItemProgress, SourceRevision
from lms.services import authoring, learning, revisions
from lms.services.courses import import_courses

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "courses"
LESSON = "lessons/01-sensors.md"


def lesson_text(session, slug: str = "factory-basics", path: str = LESSON) -> str:
    return revisions.read(session, revisions.head(session, slug), path).decode()


def test_a_folder_import_is_the_published_revision(session):
    head = revisions.head(session, "factory-basics")
    assert head is not None and head.origin == "folder" and head.parent_id is None
    assert revisions.published(session, "factory-basics").id == head.id
    on_disk = {rel: path.read_bytes() for rel, path in course_files(FIXTURES / "factory-basics")}
    assert revisions.files_of(session, head) == on_disk


def test_recording_the_same_tree_adds_nothing(session):
    head = revisions.head(session, "factory-basics")
    same = revisions.record_revision(
        session, "factory-basics", {LESSON: revisions.read(session, head, LESSON)}, author_id=None, message="x"
    )
    assert same.id == head.id
    assert import_courses(session, FIXTURES).imported == []
    assert revisions.head(session, "factory-basics").id == head.id


def test_an_edit_is_a_revision_with_one_file_changed(actions, session):
    author = actions.user("author@example.com", role="instructor")
    before = revisions.head(session, "factory-basics")
    text = lesson_text(session).replace("센서", "센서 데이터", 1)
    after = authoring.save_file(session, "factory-basics", LESSON, text, author=author, message="용어 정리")
    assert after.parent_id == before.id and after.author_id == author.id and after.message == "용어 정리"
    changed = {p for p in after.tree.keys() | before.tree.keys() if after.tree.get(p) != before.tree.get(p)}
    assert changed == {LESSON}
    assert revisions.history(session, "factory-basics", LESSON)[:2] == [after, before]
    assert revisions.history(session, "factory-basics", "lessons/02-defects.md") == [before]
    diff = revisions.diff(session, before, after, LESSON)
    assert any(line.startswith("-") and "센서" in line for line in diff)
    assert any(line.startswith("+") and "센서 데이터" in line for line in diff)
    # The edit is a draft: the published revision and what learners see are unchanged.
    assert revisions.published(session, "factory-basics").id == before.id


def test_restore_is_a_new_revision(actions, session):
    author = actions.user("author@example.com", role="instructor")
    original = revisions.head(session, "factory-basics")
    old_text = lesson_text(session)
    authoring.save_file(session, "factory-basics", LESSON, old_text + "\n추가 문단\n", author=author, message="1")
    restored = revisions.restore(session, "factory-basics", LESSON, original, author_id=author.id, message="복원")
    assert restored.id > original.id and restored.parent_id is not None
    assert lesson_text(session) == old_text
    assert [r.message for r in revisions.history(session, "factory-basics", LESSON)[:2]] == ["복원", "1"]


def test_bad_front_matter_is_refused_with_its_line_and_nothing_is_saved(actions, session):
    author = actions.user("author@example.com", role="instructor")
    before = revisions.head(session, "factory-basics")
    broken = "---\ntitle: 센서\nminutes: [\n---\n본문\n"
    with pytest.raises(authoring.AuthoringError) as caught:
        authoring.save_file(session, "factory-basics", LESSON, broken, author=author, message="x")
    assert any(p.file.endswith(LESSON) and p.line >= 3 for p in caught.value.problems)
    assert revisions.head(session, "factory-basics").id == before.id
    # A link to a file that does not exist is refused the same way, by the loader.
    with pytest.raises(authoring.AuthoringError):
        authoring.save_file(
            session,
            "factory-basics",
            LESSON,
            lesson_text(session) + "\n[x](../nowhere.md)\n",
            author=author,
            message="x",
        )


def test_an_edit_based_on_an_old_revision_does_not_undo_a_newer_one(actions, session):
    author = actions.user("author@example.com", role="instructor")
    base = revisions.head(session, "factory-basics")
    text = lesson_text(session)
    authoring.save_file(session, "factory-basics", LESSON, text + "\n첫째\n", author=author, message="a")
    with pytest.raises(revisions.Conflict):
        authoring.save_file(
            session, "factory-basics", LESSON, text + "\n둘째\n", author=author, message="b", base_id=base.id
        )


def test_publishing_keeps_learners_progress_on_unchanged_items(actions, session):
    author = actions.user("author@example.com", role="instructor")
    learner = actions.user("learner@example.com")
    course = session.scalar(sa.select(Course).where(Course.slug == "factory-basics"))
    enrolment = learning.enrol(session, learner.id, course)
    sensors = session.scalar(sa.select(Item).where(Item.course_id == course.id, Item.slug == "01-sensors"))
    learning.complete_lesson(session, enrolment, sensors)
    progress_before = [
        (p.item_id, p.completed_at)
        for p in session.scalars(sa.select(ItemProgress).where(ItemProgress.user_id == learner.id))
    ]
    assert progress_before
    text = lesson_text(session) + "\n## 새 절\n\n새로 쓴 내용입니다.\n"
    draft = authoring.save_file(session, "factory-basics", LESSON, text, author=author, message="새 절")
    assert "새로 쓴 내용입니다" not in sensors.body_html
    authoring.publish(session, draft, author.id)
    session.refresh(sensors)
    assert "새로 쓴 내용입니다" in sensors.body_html and sensors.active
    assert revisions.published(session, "factory-basics").id == draft.id
    assert [
        (p.item_id, p.completed_at)
        for p in session.scalars(sa.select(ItemProgress).where(ItemProgress.user_id == learner.id))
    ] == progress_before
    # The folder has not changed since it was imported: start-up leaves the published browser edit alone.
    report = import_courses(session, FIXTURES)
    assert "factory-basics" in report.unchanged
    session.refresh(sensors)
    assert "새로 쓴 내용입니다" in sensors.body_html


def test_a_revision_that_does_not_import_is_not_published(actions, session):
    author = actions.user("author@example.com", role="instructor")
    published = revisions.published(session, "factory-basics")
    broken = revisions.record_revision(
        session, "factory-basics", {LESSON: b"no front matter"}, author_id=author.id, message="broken"
    )
    with pytest.raises(authoring.AuthoringError):
        authoring.publish(session, broken, author.id)
    assert revisions.published(session, "factory-basics").id == published.id


@pytest.mark.parametrize("path", ["../x.md", "/etc/passwd", "a/../b.md", ".git/config", "a\\b.md", "", "a//b"])
def test_paths_outside_the_course_are_refused(session, path):
    with pytest.raises(revisions.BadPath):
        revisions.record_revision(session, "factory-basics", {path: b"x"}, author_id=None, message="x")


@pytest.mark.parametrize("folder", find_course_dirs(ROOT / "courses"), ids=lambda p: p.name)
def test_export_then_import_of_a_shipped_course_is_byte_exact(session, tmp_path, folder):
    report = import_courses(session, folder)
    assert not report.errors, [str(p) for p in report.errors]
    revision = revisions.head(session, folder.name)
    archive = zipfile.ZipFile(io.BytesIO(revisions.export_zip(session, revision)))
    archive.extractall(tmp_path)
    exported = tmp_path / folder.name
    original = {rel: path.read_bytes() for rel, path in course_files(folder)}
    assert {rel: path.read_bytes() for rel, path in course_files(exported)} == original
    # ... and importing the export records no new revision: the same tree.
    import_courses(session, tmp_path, force=True)
    assert revisions.head(session, folder.name).id == revision.id
    assert session.scalar(sa.select(sa.func.count()).where(SourceRevision.course_slug == folder.name)) == 1
