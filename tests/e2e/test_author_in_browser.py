"""In a real browser: an instructor creates a course, writes a lesson with the live preview (under the CSP, no
violation), saves and publishes it, and a learner sees it."""

from __future__ import annotations

import pytest
from flask import Flask

from lms.services.accounts import create_user
from lms.web.extensions import db

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
expect = sync_api.expect

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sample}`);
});
"""


@pytest.fixture(scope="module")
def people(e2e_app: Flask) -> None:
    with e2e_app.app_context():
        for role in ("learner", "instructor"):
            create_user(db.session, name=f"{role} 박", email=f"author-{role}@example.com", password=PASSWORD, role=role)
        db.session.commit()


def log_in(page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("이메일", exact=True).fill(email)
    page.get_by_label("비밀번호", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="로그인").last.click()
    expect(page.get_by_role("heading", name="내 학습", level=1)).to_be_visible()


def test_an_instructor_writes_publishes_and_a_learner_reads(people, context, page):
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(page, "author-instructor@example.com")
    page.get_by_role("link", name="강좌 만들기").first.click()
    page.get_by_role("link", name="새 강좌 만들기").click()
    page.get_by_label("강좌 제목").fill("브라우저에서 만든 강좌")
    page.get_by_label("주소 이름 (slug)").fill("browser-made")
    page.get_by_label("한두 문장 소개").fill("브라우저에서 쓰고 게시한 강좌입니다.")
    page.get_by_label("중소기업 재직자").check()
    page.get_by_role("button", name="강좌 만들기").click()
    expect(page.get_by_role("heading", name="강의 편집: lessons/01-intro.md", level=1)).to_be_visible()

    editor = page.get_by_label("내용 (Markdown)")
    editor.fill("---\ntitle: 첫 강의\nminutes: 5\n---\n\n# 첫 강의\n\n미리 보기로 확인한 **굵은 글씨**와 $x^2$\n")
    preview = page.locator("#preview")
    expect(preview.locator("strong")).to_have_text("굵은 글씨")
    expect(preview.locator("math")).to_have_count(1)
    editor.press("End")
    editor.type("<script>alert('x')</script>")
    expect(preview).to_contain_text("미리 보기로 확인한")
    editor.fill("---\ntitle: 첫 강의\nminutes: 5\n---\n\n# 첫 강의\n\n학습자가 읽을 본문입니다.\n")
    expect(preview).to_contain_text("학습자가 읽을 본문입니다.")
    page.get_by_label("변경 설명").fill("첫 본문")
    page.get_by_role("button", name="저장 (새 판)").click()
    expect(page.get_by_text("저장했습니다")).to_be_visible()

    page.get_by_role("link", name="브라우저에서 만든 강좌").click()
    page.get_by_role("button", name="게시하기").click()
    expect(page.get_by_text("게시했습니다")).to_be_visible()
    assert page.evaluate("window.__violations") == []

    learner = context.browser.new_context(base_url=page.url.split("/author")[0], locale="ko-KR")
    try:
        reader = learner.new_page()
        log_in(reader, "author-learner@example.com")
        reader.goto("/courses/browser-made")
        reader.get_by_role("button", name="수강 신청하기").click()
        expect(reader.locator(".lesson-body")).to_contain_text("학습자가 읽을 본문입니다.")
    finally:
        learner.close()
