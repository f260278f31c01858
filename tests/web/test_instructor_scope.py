"""Instructors see and grade only the courses they teach; admins link instructors to courses."""

import shutil

import pytest
import sqlalchemy as sa

from lms.models import Course, CourseInstructor, Submission
from lms.services import teaching
from lms.services.courses import import_courses
from tests.conftest import FIXTURES
from tests.web.test_exercises import COURSE, SOLUTIONS, submit


@pytest.fixture
def waiting(actions, session):
    """A learner's submission in the notebook-lab course waiting for manual grading."""
    learner = actions.login_as("learner", "waiting@example.com")
    actions.post(f"{COURSE}/enrol")
    submit(actions, SOLUTIONS)
    actions.logout()
    return session.scalar(sa.select(Submission).where(Submission.user_id == learner.id))


def course_id(session, slug: str) -> int:
    return session.scalar(sa.select(Course.id).where(Course.slug == slug))


def test_an_instructor_of_another_course_sees_and_grades_nothing(actions, client, session, waiting):
    actions.login_as("instructor", "other-teacher@example.com")
    queue = client.get("/teach/").get_data(as_text=True)
    assert "waiting@example.com" not in queue and "노트북 실습실" not in queue
    assert "채점을 기다리는 제출물이 없습니다." in queue
    page = client.get(f"/teach/submissions/{waiting.id}")
    assert page.status_code == 404 and "waiting@example.com" not in page.get_data(as_text=True)
    response = actions.post(f"/teach/submissions/{waiting.id}", {"points-explain_choice": "1"})
    assert response.status_code == 404
    session.refresh(waiting)
    assert not waiting.final and waiting.points == 5.0


def test_the_manifest_links_its_instructor_by_e_mail(actions, client, session, waiting):
    # tests/fixtures/courses/notebook-lab/course.yml lists instructor@example.com.
    teacher = actions.login_as("instructor", "instructor@example.com")
    links = session.scalars(sa.select(CourseInstructor).where(CourseInstructor.user_id == teacher.id)).all()
    assert [(link.course_id, link.source) for link in links] == [(course_id(session, "notebook-lab"), "manifest")]
    queue = client.get("/teach/").get_data(as_text=True)
    assert "waiting@example.com" in queue and "노트북 실습실" in queue
    assert client.get(f"/teach/submissions/{waiting.id}").status_code == 200


def test_admins_see_every_course(actions, client, waiting):
    actions.login_as("admin")
    assert "waiting@example.com" in client.get("/teach/").get_data(as_text=True)


def test_an_admin_adds_and_removes_an_instructor(actions, client, session, waiting):
    teacher = actions.user("new-teacher@example.com", role="instructor", name="새강사")
    actions.user("plain-learner@example.com", role="learner")
    actions.login_as("admin")
    lab = course_id(session, "notebook-lab")
    page = client.get(f"/admin/courses/{lab}/instructors").get_data(as_text=True)
    assert "노트북 실습실" in page and "new-teacher@example.com" not in page
    refused = actions.post(f"/admin/courses/{lab}/instructors", {"email": "plain-learner@example.com"})
    assert "강사 역할의 계정만" in client.get(refused.headers["Location"]).get_data(as_text=True)
    unknown = actions.post(f"/admin/courses/{lab}/instructors", {"email": "nobody@example.com"})
    assert "그 이메일의 계정이 없습니다." in client.get(unknown.headers["Location"]).get_data(as_text=True)
    actions.post(f"/admin/courses/{lab}/instructors", {"email": "New-Teacher@example.com"})
    page = client.get(f"/admin/courses/{lab}/instructors").get_data(as_text=True)
    assert "new-teacher@example.com" in page
    actions.logout()
    actions.login("new-teacher@example.com")
    assert "waiting@example.com" in client.get("/teach/").get_data(as_text=True)
    actions.logout()
    actions.login("admin@example.com")
    actions.post(f"/admin/courses/{lab}/instructors/{teacher.id}/remove")
    assert "new-teacher@example.com" not in client.get(f"/admin/courses/{lab}/instructors").get_data(as_text=True)
    actions.logout()
    actions.login("new-teacher@example.com")
    assert "waiting@example.com" not in client.get("/teach/").get_data(as_text=True)
    assert client.get(f"/teach/submissions/{waiting.id}").status_code == 404


@pytest.mark.parametrize("role", ["learner", "instructor", "org_manager"])
def test_only_admins_manage_course_instructors(actions, client, session, role):
    actions.login_as(role)
    lab = course_id(session, "notebook-lab")
    assert client.get(f"/admin/courses/{lab}/instructors").status_code == 403
    assert actions.post(f"/admin/courses/{lab}/instructors", {"email": f"{role}@example.com"}).status_code == 403


def test_import_links_existing_accounts_and_follows_the_manifest(actions, session, tmp_path):
    manifest_teacher = actions.user("lead@example.com", role="instructor")
    admin_teacher = actions.user("helper@example.com", role="instructor")
    folder = tmp_path / "lab-copy"
    shutil.copytree(FIXTURES / "courses" / "notebook-lab", folder)
    manifest = folder / "course.yml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("instructor@example.com", "Lead@Example.com"), encoding="utf-8"
    )
    assert "lab-copy" in import_courses(session, tmp_path).imported
    course = session.scalar(sa.select(Course).where(Course.slug == "lab-copy"))
    teaching.add_instructor(session, course, admin_teacher)
    session.commit()

    def linked() -> dict[int, str]:
        rows = session.execute(
            sa.select(CourseInstructor.user_id, CourseInstructor.source).where(CourseInstructor.course_id == course.id)
        )
        return dict(rows.all())

    assert linked() == {manifest_teacher.id: "manifest", admin_teacher.id: "admin"}
    # The manifest no longer names the lead: that link goes, the admin's stays.
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("    email: Lead@Example.com\n", ""), "utf-8")
    assert "lab-copy" in import_courses(session, tmp_path).imported
    session.commit()
    assert linked() == {admin_teacher.id: "admin"}
