"""The Content-Security-Policy in a real headless Chromium: every kind of page works under it without a single
violation (math, quizzes, CodeMirror, the grading page, the admin), and script that got into a page anyway is
blocked (an inline script, an event handler, an inline style).

Set BAEUM_E2E_SCREENSHOTS=<folder> to keep a screenshot of each page.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from lms.grading.grader import CellResult, GradeItem, GradeResult
from lms.models import Course, Item, Submission
from lms.services import learning
from lms.services.accounts import create_user
from lms.web.extensions import db

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
Page = sync_api.Page
expect = sync_api.expect

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
SHOTS = os.environ.get("BAEUM_E2E_SCREENSHOTS")
# Records every CSP violation the page reports, from before its first script runs.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sample}`);
});
"""
INJECTED = (
    "<p>주입된 내용</p><script>window.__ran = 'inline'; alert('inline')</script>"
    "<img src=x onerror=\"window.__ran = 'handler'; alert('handler')\">"
    '<p id="styled" style="color: rgb(255, 0, 0)">빨간 글씨?</p>'
)


@pytest.fixture(scope="module")
def people(e2e_app: Flask) -> dict[str, int]:
    """A learner, an instructor and an admin; the learner enrolled with a written answer waiting for grading,
    and one lesson whose stored HTML was changed behind the sanitiser's back (as a bypass would)."""
    with e2e_app.app_context():
        ids = {}
        for role in ("learner", "instructor", "admin"):
            user = create_user(
                db.session, name=f"{role} 김", email=f"csp-{role}@example.com", password=PASSWORD, role=role
            )
            db.session.flush()
            ids[role] = user.id
        for slug in ("factory-basics", "notebook-lab"):
            course = db.session.scalar(sa.select(Course).where(Course.slug == slug))
            learning.enrol(db.session, ids["learner"], course)
        lab = db.session.scalar(sa.select(Course).where(Course.slug == "notebook-lab"))
        exercise = db.session.scalar(sa.select(Item).where(Item.course_id == lab.id, Item.kind == "exercise"))
        essay = next(c for c in exercise.data["cells"] if c.get("grade_id") == "explain_choice")
        plot = next(c for c in exercise.data["cells"] if c["type"] == "code")
        result = GradeResult(
            status="ok", message_code="grading.ok", points=0, max_points=1, auto_max_points=0,
            manual_pending_points=1, final=False,
            grades=[GradeItem(grade_id="explain_choice", index=essay["index"], kind="answer", points=None,
                              max_points=1, status="manual", message_code="grade.manual_pending")],
            cells=[CellResult(index=plot["index"], grade_id=None, status="ok", outputs=[
                {"output_type": "stream", "name": "stdout", "text": "안녕하세요\n"},
                {"output_type": "display_data", "data": {"image/png": TINY_PNG, "text/plain": "<Figure>"},
                 "metadata": {}},
            ])],
            missing=[], isolation="none", duration_s=0.1,
        )  # fmt: skip
        notebook = exercise.data["release"]
        for cell in notebook["cells"]:
            if cell["metadata"].get("nbgrader", {}).get("grade_id") == "explain_choice":
                cell["source"] = "서울에 배정합니다. 매출 합계 $\\sum_i a_i$ 가 가장 크기 때문입니다."
        submission = Submission(
            user_id=ids["learner"], item_id=exercise.id, course_id=lab.id, kind="grade", status="done",
            notebook=notebook, result=result.to_dict(), points=0, max_points=1, score=0,
        )  # fmt: skip
        db.session.add(submission)
        basics = db.session.scalar(sa.select(Course).where(Course.slug == "factory-basics"))
        extra = db.session.scalar(sa.select(Item).where(Item.course_id == basics.id, Item.slug == "04-extra"))
        extra.body_html = INJECTED
        basics.content_hash = "changed-behind-the-sanitiser"  # no process-wide cache may serve the old body
        db.session.commit()
        ids["submission"] = submission.id
        return ids


TINY_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)


@pytest.fixture
def guarded(browser: sync_api.Browser, live_server: str) -> Iterator[sync_api.BrowserContext]:
    context = browser.new_context(base_url=live_server, locale="ko-KR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    context.add_init_script(RECORD_VIOLATIONS)
    try:
        yield context
    finally:
        context.close()


def open_page(context: sync_api.BrowserContext) -> Page:
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    page.on("console", lambda m: _console(page, m))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))  # type: ignore[attr-defined]
    return page


def _console(page: Page, message: sync_api.ConsoleMessage) -> None:
    # The browser's own request for /favicon.ico (the site has none) is not the page's doing.
    if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
        page.console_errors.append(f"{message.text} {message.location.get('url')}")  # type: ignore[attr-defined]


def login(page: Page, role: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("이메일").fill(f"csp-{role}@example.com")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page.locator(".user-name")).to_be_visible()


def check(page: Page, path: str, name: str) -> None:
    """Open `path` and check that the page needed nothing the CSP forbids."""
    page.goto(path)
    page.wait_for_load_state("networkidle")
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)
    assert page.evaluate("window.__violations") == [], path
    assert page.console_errors == [], path  # type: ignore[attr-defined]
    assert page.dialogs == [], path  # type: ignore[attr-defined]


def test_every_kind_of_page_works_under_the_policy(people, guarded):
    page = open_page(guarded)
    check(page, "/courses/", "catalog")
    check(page, "/auth/login", "login")
    login(page, "learner")
    check(page, "/courses/factory-basics", "course")
    check(page, "/courses/factory-basics/items/01-sensors", "lesson-math")
    expect(page.locator(".lesson-body math").first).to_be_visible()
    assert page.locator(".lesson-body math").first.bounding_box()["height"] > 5  # laid out as MathML
    check(page, "/courses/factory-basics/items/check", "quiz")
    check(page, "/courses/notebook-lab/items/sales", "exercise")
    editor = page.locator(".CodeMirror").first
    expect(editor).to_be_visible()
    editor.click()
    page.keyboard.type("# CSP")
    expect(editor).to_contain_text("# CSP")
    check(page, f"/courses/notebook-lab/items/sales?submission={people['submission']}", "exercise-result")
    expect(page.locator(".nb-outputs img.out-image")).to_be_visible()  # a data: image, allowed by img-src
    check(page, "/me/", "dashboard")
    page.context.clear_cookies()
    login(page, "admin")
    check(page, "/teach/", "teach")
    check(page, f"/teach/submissions/{people['submission']}", "teach-grade")
    expect(page.locator(".answer math")).to_be_visible()
    check(page, "/admin/", "admin")
    check(page, "/admin/users", "admin-users")


def test_script_that_got_into_a_page_is_blocked(people, guarded):
    page = open_page(guarded)
    login(page, "learner")
    page.goto("/courses/factory-basics/items/04-extra")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("주입된 내용")).to_be_visible()
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert page.evaluate("window.__ran") is None
    violations = " | ".join(page.evaluate("window.__violations"))
    assert "script-src-elem inline" in violations and "script-src-attr inline" in violations, violations
    assert "style-src-attr inline" in violations, violations
    assert page.locator("#styled").evaluate("e => getComputedStyle(e).color") != "rgb(255, 0, 0)"
