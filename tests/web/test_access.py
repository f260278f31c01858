"""Who may see and do what."""

import pytest
import sqlalchemy as sa

from lms.models import Course, Item
from lms.services import learning

PROTECTED_GET = [
    "/me/",
    "/admin/",
    "/admin/users",
    "/courses/factory-basics/continue",
    "/courses/factory-basics/items/01-sensors",
    "/courses/factory-basics/items/check",
]
PROTECTED_POST = [
    "/courses/factory-basics/enrol",
    "/courses/factory-basics/items/01-sensors/complete",
    "/courses/factory-basics/items/01-sensors/time",
    "/courses/factory-basics/items/check/quiz",
    "/auth/logout",
]


@pytest.mark.parametrize("path", PROTECTED_GET)
def test_anonymous_is_sent_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


@pytest.mark.parametrize("path", PROTECTED_POST)
def test_anonymous_cannot_post(actions, path):
    response = actions.post(path)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/admin/", "/admin/users"])
@pytest.mark.parametrize("role", ["learner", "instructor", "org_manager"])
def test_only_admins_reach_admin_pages(actions, client, path, role):
    actions.login_as(role)
    response = client.get(path)
    assert response.status_code == 403
    assert "접근 권한이 없습니다" in response.get_data(as_text=True)


def test_admin_sees_figures_and_changes_a_role(actions, client, session):
    other = actions.user("someone@example.com")
    actions.login_as("admin")
    page = client.get("/admin/").get_data(as_text=True)
    assert "공장 데이터 기초" in page and "강좌별 수강·수료" in page
    users = client.get("/admin/users?q=someone").get_data(as_text=True)
    assert "<td>someone@example.com</td>" in users and "<td>admin@example.com</td>" not in users
    response = actions.post(f"/admin/users/{other.id}/role", {"role": "instructor"})
    assert response.status_code == 302
    session.refresh(other)
    assert other.role == "instructor"


def test_public_pages_are_public(client):
    assert "공장 데이터 기초" in client.get("/courses/factory-basics").get_data(as_text=True)
    assert client.get("/courses/factory-basics/files/images/flow.svg").status_code == 200


def test_items_need_enrolment(actions, client):
    actions.login_as("learner")
    response = client.get("/courses/factory-basics/items/01-sensors")
    assert response.status_code == 302 and response.headers["Location"].endswith("/courses/factory-basics?need=enrol")
    assert "수강 신청을 하면 강의를 볼 수 있습니다." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_learner_cannot_open_another_learners_quiz_attempt(actions, client, session):
    course = session.scalar(sa.select(Course).where(Course.slug == "factory-basics"))
    quiz = session.scalar(sa.select(Item).where(Item.course_id == course.id, Item.slug == "check"))
    owner = actions.user("owner@example.com")
    attempt = learning.submit_quiz(session, learning.enrol(session, owner.id, course), quiz, {"q1": ["0"]})
    session.commit()
    actions.login_as("learner", "snoop@example.com")
    actions.post("/courses/factory-basics/enrol")
    response = client.get(f"/courses/factory-basics/items/check?attempt={attempt.id}")
    assert response.status_code == 404


def test_unknown_pages_use_the_site_layout(client):
    response = client.get("/courses/no-such-course")
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and "페이지를 찾을 수 없습니다" in page and "강좌 둘러보기" in page
