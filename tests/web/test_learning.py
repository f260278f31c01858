"""Taking a course: enrol, read, mark complete, time on task, quizzes, progress and completion."""

import re
from datetime import timedelta

import sqlalchemy as sa

from lms.learn import pagecache
from lms.models import Enrolment, Item, ItemProgress, LearningRecord, QuizAttempt, utcnow
from lms.services import learning
from tests.conftest import PASSWORD

COURSE = "/courses/factory-basics"


def enrol(actions, email="learner@example.com"):
    user = actions.login_as("learner", email)
    response = actions.post(f"{COURSE}/enrol")
    assert response.status_code == 302 and response.headers["Location"] == f"{COURSE}/items/01-sensors"
    return user


def test_enrolling_twice_keeps_one_enrolment(actions, session):
    user = enrol(actions)
    actions.post(f"{COURSE}/enrol")
    assert session.scalar(sa.select(sa.func.count(Enrolment.id)).where(Enrolment.user_id == user.id)) == 1


def test_lesson_page_renders_safely(actions, client):
    enrol(actions)
    page = client.get(f"{COURSE}/items/01-sensors").get_data(as_text=True)
    assert '<h1 id="센서란">' in page
    assert "<table>" in page and '<div class="admonition tip">' in page and "<math" in page
    assert 'class="footnote-ref"' in page and '<span class="n">pd</span>' in page
    assert 'src="/courses/factory-basics/files/images/flow.svg"' in page
    assert 'href="/courses/factory-basics/files/data/sample.csv"' in page
    assert 'href="/courses/factory-basics/items/02-defects"' in page
    assert "<script>alert" not in page and "onerror" not in page and "javascript:" not in page
    assert "설비 센서의 종류를 설명할 수 있습니다." in page  # objectives
    assert 'rel="next" href="/courses/factory-basics/items/02-defects"' in page


def test_course_files_are_served(actions, client):
    image = client.get(f"{COURSE}/files/images/flow.svg")
    assert image.status_code == 200 and image.mimetype == "image/svg+xml" and b"<svg" in image.data
    assert "sandbox" in image.headers["Content-Security-Policy"]
    data = client.get(f"{COURSE}/files/data/sample.csv")
    assert data.status_code == 200 and "attachment" in data.headers["Content-Disposition"]
    assert data.data.startswith(b"timestamp,machine")
    assert client.get(f"{COURSE}/files/course.yml").status_code == 404
    assert client.get(f"{COURSE}/files/../../secret_key").status_code == 404
    assert (
        client.get(f"{COURSE}/files/images/flow.svg", headers={"If-None-Match": image.headers["ETag"]}).status_code
        == 304
    )


def test_mark_complete_is_idempotent_and_moves_progress(actions, client, session):
    user = enrol(actions)
    actions.post(f"{COURSE}/items/01-sensors/complete")
    actions.post(f"{COURSE}/items/01-sensors/complete")
    rows = session.scalars(sa.select(ItemProgress).where(ItemProgress.user_id == user.id)).all()
    assert len(rows) == 1 and rows[0].completed_at is not None
    records = session.scalars(
        sa.select(LearningRecord.verb).where(LearningRecord.user_id == user.id, LearningRecord.verb == "completed")
    ).all()
    assert records == ["completed"]
    enrolment = session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user.id))
    assert enrolment.progress == 25  # 1 of 4 required items (the optional lesson does not count)
    page = client.get("/me/").get_data(as_text=True)
    assert '<progress class="progress" max="100" value="25"' in page and "진도율 25%" in page


def test_complete_and_go_to_next(actions):
    enrol(actions)
    response = actions.post(f"{COURSE}/items/01-sensors/complete", {"go": "next"})
    assert response.headers["Location"] == f"{COURSE}/items/02-defects"


def step_back(session, user_id: int, seconds: int) -> None:
    """Let `seconds` pass on the server's clock since the learner's last event."""
    enrolment = session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user_id))
    enrolment.last_activity_at -= timedelta(seconds=seconds)
    session.commit()


def counted(actions, item="01-sensors", **data) -> int:
    return actions.post(f"{COURSE}/items/{item}/time", data).get_json()["counted"]


def test_time_on_task_comes_from_the_servers_clock_not_the_beacon(actions, client, session):
    user = enrol(actions)
    client.get(f"{COURSE}/items/01-sensors")
    # Ten forged beacons claiming 999999 seconds each, a moment after opening a one-minute lesson.
    total = sum(counted(actions, seconds="999999") for _ in range(10))
    assert total <= 5
    step_back(session, user.id, 90)
    assert 89 <= counted(actions, seconds="1") <= 95  # what the server saw pass, whatever the page says
    assert counted(actions) <= 2  # an immediate second report adds (almost) nothing
    row = session.scalar(sa.select(ItemProgress).where(ItemProgress.user_id == user.id))
    assert 89 <= row.seconds <= 100 and row.completed_at is None
    durations = session.scalars(
        sa.select(LearningRecord.duration_seconds).where(
            LearningRecord.user_id == user.id, LearningRecord.verb == "experienced"
        )
    ).all()
    assert sum(durations) == row.seconds
    page = client.get(f"{COURSE}/items/01-sensors").get_data(as_text=True)
    assert re.search(r"학습 시간 [12]분<", page)  # a minute and a half, not hours


def test_a_long_silence_counts_at_most_the_cap(actions, client, session):
    user = enrol(actions)
    client.get(f"{COURSE}/items/01-sensors")
    step_back(session, user.id, 3 * 3600)
    assert counted(actions) == learning.MAX_SECONDS_BETWEEN_EVENTS


def test_coming_back_to_a_hidden_tab_counts_nothing(actions, client, session):
    user = enrol(actions)
    client.get(f"{COURSE}/items/01-sensors")
    step_back(session, user.id, 600)
    assert counted(actions, event="resume") == 0
    step_back(session, user.id, 30)
    assert 29 <= counted(actions) <= 35


def test_time_reports_for_unknown_items_or_without_enrolment_are_refused(actions, client):
    actions.login_as("learner")
    assert actions.post(f"{COURSE}/items/01-sensors/time").status_code == 404
    actions.post(f"{COURSE}/enrol")
    assert actions.post(f"{COURSE}/items/no-such-item/time").status_code == 404


def test_continue_goes_to_the_first_unfinished_item(actions, client):
    enrol(actions)
    actions.post(f"{COURSE}/items/01-sensors/complete")
    actions.post(f"{COURSE}/items/03-models/complete")
    assert client.get(f"{COURSE}/continue").headers["Location"] == f"{COURSE}/items/02-defects"


def test_quiz_answers_never_reach_the_browser_before_submission(actions, client):
    enrol(actions)
    page = client.get(f"{COURSE}/items/check").get_data(as_text=True)
    assert "진동" in page and "회사 로고 색상" in page
    assert "불량률(defect rate)입니다." not in page  # explanation
    assert "correct" not in page.split('<form class="quiz-form"')[1].split("</form>")[0]
    assert "defect rate" not in page


def test_quiz_submission_grades_explains_and_counts(actions, client, session):
    user = enrol(actions)
    response = actions.post(f"{COURSE}/items/check/quiz", {"q-q1": "0", "q-q2": ["0", "2"], "q-q3": "불량률"})
    assert response.status_code == 302 and "attempt=" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "채점 결과: 66.7점" in page  # 2 of 3 points
    assert "✗ 오답" in page and page.count("✓ 정답") == 2
    assert "회전 설비의 <strong>진동</strong>은 고장 전조를 잘 보여 줍니다." in page
    attempt = session.scalar(sa.select(QuizAttempt).where(QuizAttempt.user_id == user.id))
    assert attempt.answers == {"q1": ["0"], "q2": ["0", "2"], "q3": ["불량률"]} and attempt.score == 66.7
    enrolment = session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user.id))
    assert enrolment.progress == 25 and enrolment.score == 66.7


def test_empty_quiz_submission_is_refused_with_a_message(actions, client, session):
    user = enrol(actions)
    response = actions.post(f"{COURSE}/items/check/quiz", {})
    assert response.status_code == 302
    assert "답을 하나 이상 선택하거나 입력한 뒤 제출해 주세요." in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert session.scalar(sa.select(sa.func.count(QuizAttempt.id)).where(QuizAttempt.user_id == user.id)) == 0


def test_completion_when_the_rule_holds(actions, client, session):
    user = enrol(actions)
    for lesson in ("01-sensors", "02-defects"):
        actions.post(f"{COURSE}/items/{lesson}/complete")
    low = actions.post(f"{COURSE}/items/check/quiz", {"q-q1": "1"})  # 0 points: progress 75 %, score 0
    assert low.status_code == 302
    enrolment = session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user.id))
    assert enrolment.completed_at is None
    actions.post(f"{COURSE}/items/03-models/complete")  # progress 100 %, score still 0
    session.refresh(enrolment)
    assert enrolment.progress == 100 and enrolment.completed_at is None
    actions.post(f"{COURSE}/items/check/quiz", {"q-q1": "0", "q-q2": ["0", "1"], "q-q3": "defect rate"})
    session.refresh(enrolment)
    assert enrolment.score == 100.0 and enrolment.completed_at is not None
    page = client.get("/me/").get_data(as_text=True)
    assert "수료한 강좌" in page and "100점" in page
    assert "축하합니다! &#39;공장 데이터 기초&#39; 과정을 수료했습니다." in page
    assert page.index("수료한 강좌") < page.rindex("공장 데이터 기초")


def test_attempt_history(actions, client):
    enrol(actions)
    actions.post(f"{COURSE}/items/check/quiz", {"q-q1": "1"})
    actions.post(f"{COURSE}/items/check/quiz", {"q-q1": "0"})
    page = client.get(f"{COURSE}/items/check").get_data(as_text=True)
    assert page.count("결과 보기") == 2


def test_dashboard_empty_state(actions, client):
    actions.login_as("learner")
    page = client.get("/me/").get_data(as_text=True)
    assert "아직 수강 중인 강좌가 없습니다." in page


def test_outline_shows_item_states(actions, client):
    enrol(actions)
    actions.post(f"{COURSE}/items/01-sensors/complete")
    page = client.get(f"{COURSE}/items/02-defects").get_data(as_text=True)
    outline = page.split('class="learn-outline"')[1].split("</nav>")[0]
    states = re.findall(r'class="state state-(\w+)"', outline)
    assert states[:2] == ["done", "todo"]


def test_cached_lesson_pages_are_never_shown_to_another_learner(actions, client):
    enrol(actions, "first@example.com")
    first = client.get(f"{COURSE}/items/02-defects").get_data(as_text=True)
    assert 'title="first@example.com"' in first
    actions.logout()
    actions.login_as("learner", "second@example.com")
    actions.post(f"{COURSE}/enrol")
    second = client.get(f"{COURSE}/items/02-defects").get_data(as_text=True)
    assert 'title="second@example.com"' in second and "first@example.com" not in second
    token = re.search(r'data-csrf="([^"]+)"', second).group(1)
    assert actions.post(f"{COURSE}/items/02-defects/time", {"seconds": "5", "csrf_token": token}).status_code == 200


def _outline_states(page: str) -> list[str]:
    outline = page.split('class="learn-outline"')[1].split("</nav>")[0]
    return re.findall(r'class="state state-(\w+)"', outline)


def test_the_lesson_page_shows_the_learners_progress_as_it_is_now(actions, client, session):
    # What a lesson page shows of the learner (progress, marks, the completion note) is read on every view: change
    # it behind the page's back, without any of the events that move the enrolment's clock, and the next view shows
    # it. (A page cache keyed on anything less than everything the page shows would serve the old page.)
    user = enrol(actions)
    before = client.get(f"{COURSE}/items/02-defects").get_data(as_text=True)
    assert _outline_states(before)[:2] == ["todo", "todo"]
    assert 'value="0"' in before and "학습 완료로 표시" in before and "badge-done" not in before

    enrolment = session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user.id))
    clock = enrolment.last_activity_at
    items = {i.slug: i for i in learning.outline(session, enrolment.course_id, enrolment.course.content_hash).items}
    done_at = utcnow() - timedelta(minutes=3)

    def mark_done(slug: str) -> None:
        session.add(
            ItemProgress(user_id=user.id, item_id=items[slug].id, course_id=enrolment.course_id, completed_at=done_at)
        )
        enrolment.last_activity_at = clock
        session.commit()

    mark_done("01-sensors")  # the outline's mark only
    page = client.get(f"{COURSE}/items/02-defects").get_data(as_text=True)
    assert _outline_states(page)[:2] == ["done", "todo"] and 'value="0"' in page

    mark_done("02-defects")  # this lesson's own completion note
    page = client.get(f"{COURSE}/items/02-defects").get_data(as_text=True)
    assert _outline_states(page)[:2] == ["done", "done"]
    assert "학습 완료로 표시" not in page and "done-note" in page

    enrolment.progress, enrolment.completed_at, enrolment.last_activity_at = 67, done_at, clock
    session.commit()
    page = client.get(f"{COURSE}/items/02-defects").get_data(as_text=True)
    assert 'value="67"' in page and "badge-done" in page  # the progress bar and the course's completion badge


def test_two_learners_on_the_same_lesson_each_see_their_own_progress(app, actions, client):
    enrol(actions, "ahead@example.com")
    actions.post(f"{COURSE}/items/01-sensors/complete")
    actions.post(f"{COURSE}/items/02-defects/complete")
    actions.user("behind@example.com")
    other = app.test_client()

    def post(path: str, data: dict) -> None:
        page = other.get("/courses/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        assert other.post(path, data={"csrf_token": token, **data}).status_code == 302

    post("/auth/login", {"email": "behind@example.com", "password": PASSWORD})
    post(f"{COURSE}/enrol", {})
    ahead = client.get(f"{COURSE}/items/02-defects").get_data(as_text=True)
    behind = other.get(f"{COURSE}/items/02-defects").get_data(as_text=True)
    assert _outline_states(ahead)[:2] == ["done", "done"] and "done-note" in ahead
    assert _outline_states(behind)[:2] == ["todo", "todo"] and "done-note" not in behind
    assert 'title="behind@example.com"' in behind and "ahead@example.com" not in behind


def _without_tokens(page: str) -> str:
    """The page without its CSRF tokens' values (each rendering signs the same secret with the time of day)."""
    return re.sub(r'(name="csrf_token" value=|data-csrf=)"[^"]*"', r'\1""', page)


def test_a_cached_lesson_page_is_the_page_rendered_afresh_whatever_changed(app, actions, client, session):
    # The page cache's contract (lms/learn/pagecache.py): change each thing the lesson page shows, one at a time;
    # the page served next must differ from the one before and equal the page rendered without the cache.
    user = enrol(actions)
    enrolment = session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user.id))
    course = enrolment.course
    items = {i.slug: i for i in learning.outline(session, course.id, course.content_hash).items}
    path = f"{COURSE}/items/02-defects"

    def progress(slug: str, **values: object) -> None:
        row = session.scalar(
            sa.select(ItemProgress).where(ItemProgress.user_id == user.id, ItemProgress.item_id == items[slug].id)
        )
        if row is None:
            row = ItemProgress(user_id=user.id, item_id=items[slug].id, course_id=course.id)
            session.add(row)
        for name, value in values.items():
            setattr(row, name, value)

    def csrf_secret() -> None:
        with client.session_transaction() as cookie_session:
            cookie_session["csrf_token"] = "a-new-secret-" + cookie_session["csrf_token"][:8]

    def content() -> None:
        item = session.get(Item, items["02-defects"].id)
        item.body_html = "<p>고친 본문</p>"
        course.content_hash = "changed-" + course.content_hash[:16]  # an import changes the hash with the content

    changes = {
        "an item's mark in the outline": lambda: progress("01-sensors", completed_at=utcnow()),
        "this lesson's completion note": lambda: progress("02-defects", completed_at=utcnow()),
        "time on task": lambda: progress("02-defects", seconds=600),
        "the course progress bar": lambda: setattr(enrolment, "progress", 42),
        "the completion badge": lambda: setattr(enrolment, "completed_at", utcnow()),
        "the learner's name": lambda: setattr(user, "name", "새이름"),
        "the learner's e-mail": lambda: setattr(user, "email", "renamed@example.com"),
        "the learner's role": lambda: setattr(user, "role", "instructor"),
        "the lesson's content": content,
    }
    client.get(path)  # shows (and so consumes) the enrolment's message
    for what, change in changes.items():
        before = _without_tokens(client.get(path).get_data(as_text=True))
        assert _without_tokens(client.get(path).get_data(as_text=True)) == before  # from the cache now
        clock = enrolment.last_activity_at
        change()
        enrolment.last_activity_at = clock  # none of these moves the learner's clock
        session.commit()
        served = _without_tokens(client.get(path).get_data(as_text=True))
        pagecache.clear()
        fresh = _without_tokens(client.get(path).get_data(as_text=True))
        assert served == fresh, what
        assert served != before, what
    # The forms' tokens: made from the session's CSRF secret, so a page served after it changed must carry tokens
    # the server takes.
    client.get(path)
    csrf_secret()
    token = re.search(r'data-csrf="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)
    assert client.post(f"{path}/time", data={"csrf_token": token}).status_code == 200
    # The language and the URL, which the templates read from the request.
    before = _without_tokens(client.get(path).get_data(as_text=True))
    assert _without_tokens(client.get(path + "?from=outline").get_data(as_text=True)) != before
    actions.post("/lang", {"lang": "en", "next": path})
    english = client.get(path).get_data(as_text=True)
    pagecache.clear()
    assert _without_tokens(english) == _without_tokens(client.get(path).get_data(as_text=True)) != before
