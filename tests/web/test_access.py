"""Who may see and do what."""

import re
from dataclasses import dataclass
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask import Flask

from lms.grading.grader import GradeItem, GradeResult
from lms.models import Base, Course, Item
from lms.services import exercises, learning, revisions, teaching
from tests.conftest import FIXTURES as FIXTURE_ROOT

FIXTURES = FIXTURE_ROOT / "courses"

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


# -- The access matrix: every rule of `app.url_map` x every role, against one table of what each role gets ----------
#
# A new route fails `test_every_route_has_a_declared_access` until it is added to ACCESS below. Each role then
# requests it (URL arguments from real rows: the notebook course, its exercise, another learner's submission, a
# bystander account) and must get exactly the declared outcome: the page with its content, or the log-in redirect,
# the enrolment redirect, 403 or 404. A request that is refused (or that only redirects) must leave every table of
# the database as it was.

ROLES = ["anonymous", "learner", "outsider", "other_instructor", "course_instructor", "org_manager", "admin"]
SIGNED_IN = ROLES[1:]
NOT_ENROLLED = ["outsider", "other_instructor", "course_instructor", "org_manager", "admin"]
NOT_ADMIN = ["learner", "outsider", "other_instructor", "course_instructor", "org_manager"]


@dataclass(frozen=True)
class Page:
    """200 (or `status`) with `text` in the body; `writes`: a request allowed to change the database."""

    text: str
    status: int = 200
    writes: bool = False
    absent: str = ""  # what this role must not see on it


@dataclass(frozen=True)
class Redirect:
    """A redirect whose target starts with `to` (`{slug}`: the URL's course)."""

    to: str
    writes: bool = False


LOGIN = Redirect("/auth/login?next=")
NEED_ENROL = Redirect("/courses/{slug}?need=enrol")
FORBIDDEN = Page("접근 권한이 없습니다", 403)
NOT_FOUND = Page("페이지를 찾을 수 없습니다", 404)
OWNER = "owner@example.com"  # the other learner whose submission the URLs name


def public(outcome: Page | Redirect) -> dict[str, Page | Redirect]:
    return dict.fromkeys(ROLES, outcome)


def signed_in(outcome: Page | Redirect) -> dict[str, Page | Redirect]:
    return {"anonymous": LOGIN, **dict.fromkeys(SIGNED_IN, outcome)}


def guests(outcome: Page) -> dict[str, Page | Redirect]:
    return {"anonymous": outcome, **dict.fromkeys(SIGNED_IN, Redirect("/me/"))}


def enrolled(outcome: Page | Redirect, others: Page | Redirect = NEED_ENROL) -> dict[str, Page | Redirect]:
    """Learners enrolled in the URL's course; everyone else signed in is sent to enrol (instructors and admins
    included: teaching a course is not taking it)."""
    return {"anonymous": LOGIN, "learner": outcome, **dict.fromkeys(NOT_ENROLLED, others)}


def admins(outcome: Page | Redirect) -> dict[str, Page | Redirect]:
    return {"anonymous": LOGIN, **dict.fromkeys(NOT_ADMIN, FORBIDDEN), "admin": outcome}


def course_instructors(outcome: Page | Redirect) -> dict[str, Page | Redirect]:
    """The course's instructors and admins; an instructor of another course does not learn that it exists."""
    return {
        "anonymous": LOGIN,
        **dict.fromkeys(["learner", "outsider", "org_manager"], FORBIDDEN),
        "other_instructor": NOT_FOUND,
        "course_instructor": outcome,
        "admin": outcome,
    }


# endpoint, method -> (URL arguments other than the defaults of `arguments()`, form data, role -> outcome)
ACCESS: dict[tuple[str, str], tuple[dict[str, str], dict[str, str], dict[str, Page | Redirect]]] = {
    ("static", "GET"): ({}, {}, public(Page("body"))),
    ("main.index", "GET"): ({}, {}, {"anonymous": Redirect("/courses/"), **dict.fromkeys(SIGNED_IN, Redirect("/me/"))}),
    ("main.set_language", "POST"): ({}, {"lang": "ko"}, public(Redirect("/courses/"))),
    ("catalog.index", "GET"): ({}, {}, public(Page("노트북 실습실"))),
    ("catalog.course", "GET"): ({}, {}, public(Page("노트북 실습실"))),
    ("learn.asset", "GET"): ({"slug": "factory-basics", "path": "images/flow.svg"}, {}, public(Page("<svg"))),
    ("auth.login", "GET"): ({}, {}, guests(Page("<h1>로그인</h1>"))),
    ("auth.login", "POST"): ({}, {"email": OWNER, "password": "wrong"}, guests(Page("올바르지 않습니다", 422))),
    ("auth.register", "GET"): ({}, {}, guests(Page("<h1>회원가입</h1>"))),
    ("auth.register", "POST"): ({}, {"email": "new@example.com"}, guests(Page("<h1>회원가입</h1>", 422))),
    ("auth.password", "GET"): ({}, {}, signed_in(Page("<h1>비밀번호 변경</h1>"))),
    ("auth.password", "POST"): ({}, {"current": "wrong"}, signed_in(Page("<h1>비밀번호 변경</h1>", 422))),
    ("auth.logout", "POST"): ({}, {}, signed_in(Redirect("/courses/", writes=True))),
    ("dashboard.index", "GET"): ({}, {}, signed_in(Page('page-title">내 학습<'))),
    ("catalog.enrol", "POST"): ({}, {}, signed_in(Redirect("/courses/notebook-lab/items/", writes=True))),
    ("learn.resume", "GET"): ({}, {}, enrolled(Redirect("/courses/notebook-lab/items/"))),
    ("learn.item", "GET"): ({}, {}, enrolled(Page("매출 데이터 분석", absent="BEGIN SOLUTION"))),
    ("learn.complete", "POST"): (
        {"item_slug": "01-intro"},
        {},
        enrolled(Redirect("/courses/notebook-lab/items/01-intro", writes=True)),
    ),
    ("learn.time_spent", "POST"): ({}, {}, enrolled(Page('"counted"', writes=True), others=NOT_FOUND)),
    ("learn.submit_quiz", "POST"): (
        {"slug": "factory-basics", "item_slug": "check"},
        {"q-q1": "0"},
        enrolled(Redirect("/courses/factory-basics/items/check?attempt=", writes=True)),
    ),
    ("learn.download", "GET"): ({}, {}, enrolled(Page("notebook-lab/exercises/sales.ipynb"))),
    ("learn.save_draft", "POST"): ({}, {"cell-total_by_region": "x = 1"}, enrolled(Page('"saved"', writes=True))),
    ("learn.submit", "POST"): (
        {},
        {"cell-total_by_region": "x = 1", "action": "run"},
        enrolled(Redirect("/courses/notebook-lab/items/sales?submission=", writes=True)),
    ),
    ("learn.upload", "POST"): ({}, {}, enrolled(Redirect("/courses/notebook-lab/items/sales"))),
    # Another learner's submission: not found even for a learner of the course.
    ("learn.submission_status", "GET"): ({}, {}, enrolled(NOT_FOUND)),
    ("learn.retry", "POST"): ({}, {}, enrolled(NOT_FOUND)),
    ("teach.index", "GET"): (
        {},
        {},
        {
            **course_instructors(Page(OWNER)),
            "other_instructor": Page("채점을 기다리는 제출물이 없습니다.", absent=OWNER),
        },
    ),
    ("teach.grade", "GET"): ({}, {}, course_instructors(Page(OWNER))),
    ("teach.grade", "POST"): ({}, {"points-explain_choice": "1"}, course_instructors(Redirect("/teach/", writes=True))),
    ("admin.index", "GET"): ({}, {}, admins(Page("강좌별 수강·수료"))),
    ("admin.users", "GET"): ({}, {}, admins(Page("bystander@example.com"))),
    ("admin.set_role", "POST"): ({}, {"role": "instructor"}, admins(Redirect("/admin/users", writes=True))),
    ("admin.instructors", "GET"): ({}, {}, admins(Page("강사 관리: 노트북 실습실"))),
    ("admin.add_instructor", "POST"): (
        {},
        {"email": "other-instructor@example.com"},
        admins(Redirect("/admin/courses/{course_id}/instructors", writes=True)),
    ),
    ("admin.remove_instructor", "POST"): (
        {},
        {},
        admins(Redirect("/admin/courses/{course_id}/instructors", writes=True)),
    ),
}
LESSON_PATH = "lessons/01-intro.md"
EDITED_LESSON = (FIXTURES / "notebook-lab" / LESSON_PATH).read_text(encoding="utf-8") + "\n고친 문단입니다.\n"
INSTRUCTORS = ["other_instructor", "course_instructor", "admin"]
NOT_INSTRUCTORS = ["learner", "outsider", "org_manager"]


def instructors(outcome: Page | Redirect) -> dict[str, Page | Redirect]:
    """Any instructor and admins (pages not about one course)."""
    return {"anonymous": LOGIN, **dict.fromkeys(NOT_INSTRUCTORS, FORBIDDEN), **dict.fromkeys(INSTRUCTORS, outcome)}


ACCESS.update(
    {
        ("author.index", "GET"): (
            {},
            {},
            {
                **instructors(Page("노트북 실습실")),
                "other_instructor": Page("공장 데이터 기초", absent="노트북 실습실"),
            },
        ),
        ("author.new_course", "GET"): ({}, {}, instructors(Page("새 강좌 만들기"))),
        ("author.new_course", "POST"): ({}, {"title": "x"}, instructors(Page("새 강좌 만들기", 422))),
        ("author.course", "GET"): ({}, {}, course_instructors(Page("판 기록"))),
        ("author.edit", "GET"): ({"path": LESSON_PATH}, {}, course_instructors(Page("미리 보기"))),
        ("author.save", "POST"): (
            {"path": LESSON_PATH},
            {"text": EDITED_LESSON, "message": "문단 추가"},
            course_instructors(Redirect(f"/author/notebook-lab/files/{LESSON_PATH}", writes=True)),
        ),
        ("author.preview", "POST"): (
            {"path": LESSON_PATH},
            {"text": "---\ntitle: t\nminutes: 1\n---\n**굵게**"},
            course_instructors(Page("<strong>굵게</strong>")),
        ),
        ("author.history", "GET"): ({"path": LESSON_PATH}, {}, course_instructors(Page("파일 기록"))),
        ("author.diff", "GET"): ({"path": LESSON_PATH}, {}, course_instructors(Page("판 비교"))),
        ("author.restore", "POST"): (
            {"path": LESSON_PATH},
            {"revision": "{revision}"},
            course_instructors(Redirect(f"/author/notebook-lab/history/{LESSON_PATH}", writes=True)),
        ),
        ("author.publish", "POST"): (
            {},
            {"revision": "{revision}"},
            course_instructors(Redirect("/author/notebook-lab/", writes=True)),
        ),
        ("author.export", "GET"): ({}, {}, course_instructors(Page("notebook-lab/course.yml"))),
    }
)
# Asked last: they change who is enrolled or signed in.
LAST = [("catalog.enrol", "POST"), ("auth.logout", "POST")]


def routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def test_every_route_has_a_declared_access(app):
    undeclared = routes(app) - ACCESS.keys()
    assert not undeclared, f"classify these routes in ACCESS (tests/web/test_access.py): {sorted(undeclared)}"
    assert not ACCESS.keys() - routes(app), "ACCESS names routes that no longer exist"
    assert all(set(outcomes) == set(ROLES) for _, _, outcomes in ACCESS.values())


@dataclass
class World:
    """The rows the URLs name."""

    arguments: dict[str, str]
    users: dict[str, str]  # role -> e-mail


@pytest.fixture
def world(actions, session) -> World:
    lab = session.scalar(sa.select(Course).where(Course.slug == "notebook-lab"))
    basics = session.scalar(sa.select(Course).where(Course.slug == "factory-basics"))
    exercise = session.scalar(sa.select(Item).where(Item.course_id == lab.id, Item.slug == "sales"))
    owner = actions.user(OWNER)
    notebook = exercises.notebook_with_answers(exercise, {"explain_choice": "서쪽 창고가 가깝습니다."})
    submission = exercises.submit(
        session, learning.enrol(session, owner.id, lab), exercise, notebook, kind="grade", origin="browser"
    )
    waiting = GradeItem("explain_choice", 9, "answer", None, 1.0, "manual", "grade.manual_pending")
    passed = GradeItem("test_total_by_region", 4, "test", 2.0, 2.0, "passed", "grade.passed")
    exercises.finish(
        session,
        submission.id,
        GradeResult("ok", "grading.ok", 2.0, 3.0, 2.0, 1.0, False, [passed, waiting], [], [], "bwrap", 0.1),
    )
    bystander = actions.user("bystander@example.com")
    learner = actions.user("learner@example.com")
    for course in (lab, basics):
        learning.enrol(session, learner.id, course)
    actions.user("outsider@example.com")
    other = actions.user("other-instructor@example.com", role="instructor")
    teaching.add_instructor(session, basics, other)
    actions.user("instructor@example.com", role="instructor")  # the notebook course's manifest lists this address
    actions.user("manager@example.com", role="org_manager")
    admin = actions.user("admin@example.com", role="admin")
    teaching.add_instructor(session, lab, admin)
    session.commit()
    return World(
        arguments={
            "slug": "notebook-lab",
            "item_slug": "sales",
            "submission_id": str(submission.id),
            "course_id": str(lab.id),
            "user_id": str(bystander.id),
            "path": "data/sales.csv",
            "filename": "css/app.css",
            "revision": str(revisions.head(session, "notebook-lab").id),
        },
        users={
            "learner": "learner@example.com",
            "outsider": "outsider@example.com",
            "other_instructor": "other-instructor@example.com",
            "course_instructor": "instructor@example.com",
            "org_manager": "manager@example.com",
            "admin": "admin@example.com",
        },
    )


def snapshot(session) -> dict[str, list[tuple]]:
    """Every row of every table."""
    return {
        table.name: sorted(map(tuple, session.execute(sa.select(table)).all()), key=repr)
        for table in Base.metadata.sorted_tables
    }


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_access_table_declares(app, actions, client, session, world, role):
    if role != "anonymous":
        assert actions.login(world.users[role]).status_code == 302
    # Pages first, then the forms (a grading or an enrolment would change what the pages show), then LAST.
    walk = sorted(routes(app) - set(LAST), key=lambda route: (route[1] == "POST", route)) + LAST
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    failures = []
    for endpoint, method in walk:
        overrides, form, outcomes = ACCESS[endpoint, method]
        arguments = {**world.arguments, **overrides}
        url = build(rules[endpoint].rule, arguments)
        expected = outcomes[role]
        before = snapshot(session) if method == "POST" else None
        data = {"csrf_token": actions.csrf(), **{key: filled(value, arguments) for key, value in form.items()}}
        response = client.get(url) if method == "GET" else client.post(url, data=data)
        got = f"{method} {url} as {role}: {response.status_code} {response.headers.get('Location', '')}"
        if isinstance(expected, Redirect):
            target = expected.to.format(**arguments)
            if response.status_code != 302 or not response.headers["Location"].startswith(target):
                failures.append(f"{got}, expected a redirect to {target}")
        else:
            body = response.get_data(as_text=True) if response.mimetype != "application/zip" else repr(response.data)
            if response.status_code != expected.status or expected.text not in body:
                failures.append(f"{got}, expected {expected.status} with {expected.text!r}")
            elif expected.absent and expected.absent in body:
                failures.append(f"{got}: shows {expected.absent!r}")
        if before is not None and not expected.writes and snapshot(session) != before:
            failures.append(f"{got}: changed the database")
    assert not failures, "\n".join(failures)


def filled(value: str, arguments: dict[str, str]) -> str:
    """A form value; "{name}" stands for a row's id from the world (e.g. the course's newest revision)."""
    return arguments[value[1:-1]] if value.startswith("{") and value.endswith("}") else value


def build(rule: str, values: dict[str, str]) -> str:
    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", lambda m: quote(values[m.group(1)], safe="/"), rule)
