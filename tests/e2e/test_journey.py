"""The learner's journey in a real headless Chromium: register, search in Korean, enrol, read a lesson, pass
the quiz, see the progress bar move; plus the language switcher, the keyboard and a phone-sized screen."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
Page = sync_api.Page
expect = sync_api.expect

pytestmark = pytest.mark.e2e

COURSE = "/courses/factory-basics"
COURSE_TITLE = "공장 데이터 기초"
# The fixture course has 4 required items (3 lessons + 1 quiz; lesson 04 is optional): one lesson and the quiz
# done is 2 of 4.
REQUIRED_ITEMS = 4
PHONE = {"width": 390, "height": 844}
TRANSLATIONS = Path(__file__).resolve().parents[2] / "lms" / "translations"


def register(page: Page, name: str = "김배움") -> str:
    """Register a new learner through the form, as a visitor would; returns the e-mail used."""
    email = f"e2e-{uuid.uuid4().hex[:10]}@example.com"
    page.goto("/courses/")
    page.get_by_role("link", name="회원가입").click()
    expect(page.get_by_role("heading", name="회원가입", level=1)).to_be_visible()
    page.get_by_label("이름", exact=True).fill(name)
    page.get_by_label("이메일", exact=True).fill(email)
    page.get_by_label("비밀번호", exact=True).fill("correct horse battery")
    page.get_by_label("비밀번호 확인", exact=True).fill("correct horse battery")
    page.get_by_label("학습자 유형").select_option(label="중소기업 재직자")
    page.get_by_label("소속 기관 (선택)").fill("배움정밀")
    page.get_by_role("button", name="가입하기").click()
    expect(page).to_have_url(re.compile(r"/courses/$"))
    expect(page.locator(".flash-success")).to_contain_text(f"가입을 환영합니다, {name}님!")
    expect(page.locator(".user-name")).to_contain_text(name)
    return email


def enrol_from_course_page(page: Page) -> None:
    page.get_by_role("button", name="수강 신청하기").click()
    expect(page).to_have_url(re.compile(rf"{COURSE}/items/01-sensors$"))
    expect(page.locator(".flash-success")).to_contain_text("수강 신청이 완료되었습니다")


def outline_progress(page: Page):
    return page.locator(".learn-outline").get_by_role("progressbar")


def test_learner_journey_from_registration_to_a_passed_quiz(page: Page) -> None:
    register(page)

    # Search in Korean as Koreans type it: 불량 finds the lesson that speaks of 불량률을 / 불량 예측.
    page.get_by_label("검색어").fill("불량")
    page.get_by_role("search").get_by_role("button", name="검색").click()
    expect(page).to_have_url(re.compile(r"/courses/\?q=%EB%B6%88%EB%9F%89"))
    expect(page.locator(".result-count")).to_contain_text("'불량' 검색 결과")
    lesson_hit = page.locator(".search-hit").filter(has=page.get_by_role("link", name="불량과 불량률", exact=True))
    expect(lesson_hit).to_have_count(1)
    expect(lesson_hit.locator(".hit-snippet mark").first).to_contain_text("불량")
    expect(lesson_hit.locator(".hit-snippet")).to_contain_text("낮추려면")

    # The course page, from the hit's course link; enrol.
    lesson_hit.get_by_role("link", name=COURSE_TITLE).click()
    expect(page).to_have_url(re.compile(rf"{COURSE}$"))
    expect(page.get_by_role("heading", name=COURSE_TITLE, level=1)).to_be_visible()
    expect(page.locator(".outline")).to_contain_text("확인 퀴즈")
    enrol_from_course_page(page)

    # The first lesson, rendered from Markdown and sanitised.
    expect(page.get_by_role("heading", name="설비 센서 이해하기", level=1)).to_be_visible()
    body = page.locator(".lesson-body")
    expect(body.locator("table")).to_have_count(1)
    expect(body.locator("table")).to_contain_text("mm/s")
    expect(body.locator(".admonition.tip")).to_contain_text("센서 값은 항상 단위와 함께 기록하세요.")
    expect(body.locator("math").first).to_be_attached()
    image = body.get_by_role("img", name="공정 흐름도")
    expect(image).to_be_visible()
    image.scroll_into_view_if_needed()  # loading="lazy"
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    expect(body.get_by_role("link", name="센서 데이터 내려받기")).to_have_attribute(
        "href", f"{COURSE}/files/data/sample.csv"
    )
    # The <script>, the onerror= and the javascript: link written in the lesson never run nor survive.
    expect(body.locator("script")).to_have_count(0)
    expect(body.locator("[onerror]")).to_have_count(0)
    expect(body.locator("a[href^='javascript:']")).to_have_count(0)
    assert page.problems.dialogs == [], page.problems.dialogs  # type: ignore[attr-defined]

    # Mark it complete: the state and the outline's progress bar move (1 of 4 required items = 25 %).
    expect(outline_progress(page)).to_have_attribute("value", "0")
    page.get_by_role("button", name="학습 완료로 표시").click()
    expect(page.locator(".done-note")).to_contain_text("학습 완료")
    expect(outline_progress(page)).to_have_attribute("value", str(round(100 * 1 / REQUIRED_ITEMS)))
    expect(page.locator(".learn-outline li.current .state-done")).to_be_attached()

    # The quiz: answers only in the form (graded on the server), all correct.
    page.locator(".learn-outline").get_by_role("link", name="확인 퀴즈").click()
    expect(page).to_have_url(re.compile(rf"{COURSE}/items/check$"))
    expect(page.locator(".question")).to_have_count(3)
    page_html = page.content()  # neither the answers nor the explanations reach the browser before submission
    assert "고장 전조" not in page_html and "is-correct" not in page_html and "defect rate" not in page_html
    page.locator("#question-q1").get_by_label("진동", exact=True).check()
    page.locator("#question-q2").get_by_label("온도", exact=True).check()
    page.locator("#question-q2").get_by_label("압력", exact=True).check()
    page.locator("#question-q3").get_by_role("textbox").fill("불량률")
    page.get_by_role("button", name="제출하고 채점하기").click()

    result = page.locator("#result")
    expect(page).to_have_url(re.compile(rf"{COURSE}/items/check\?attempt=\d+#result$"))
    expect(result.locator("#result-title")).to_contain_text("채점 결과: 100점")
    expect(result).to_contain_text("통과했습니다")
    expect(result.locator(".feedback-item.correct")).to_have_count(3)
    expect(result.locator(".explanation")).to_have_count(3)
    expect(result.locator(".explanation").nth(0)).to_contain_text("고장 전조")
    expect(result.locator(".explanation").nth(1)).to_contain_text("온도와 압력은 센서 값입니다.")
    expect(result.locator(".explanation").nth(2)).to_contain_text("불량률(defect rate)입니다.")
    expected = round(100 * 2 / REQUIRED_ITEMS)
    expect(outline_progress(page)).to_have_attribute("value", str(expected))

    # My learning: the course's progress bar has moved to 2 of 4 required items.
    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="내 학습").click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    bar = page.get_by_role("progressbar", name=f"{COURSE_TITLE} 진도율")
    expect(bar).to_have_attribute("value", str(expected))
    assert expected == 50 and int(bar.get_attribute("value") or 0) > 0
    enrolment = page.locator(".enrolment").filter(has=bar)
    expect(enrolment).to_contain_text("100점")
    expect(enrolment).to_contain_text("학습 중")


def test_lesson_page_fits_a_phone_screen(page: Page, tmp_path: Path) -> None:
    page.set_viewport_size(PHONE)
    register(page, name="이모바일")
    page.goto(COURSE)
    enrol_from_course_page(page)
    expect(page.get_by_role("heading", name="설비 센서 이해하기", level=1)).to_be_visible()
    expect(page.locator(".lesson-body table")).to_be_visible()
    sizes = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    shot = tmp_path / "lesson-phone.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0
    assert sizes["inner"] == PHONE["width"]
    assert sizes["scroll"] <= sizes["inner"], f"horizontal overflow on a phone: {sizes} (see {shot})"


def english_translation(text: str) -> str | None:
    """`text` in English if the catalogue is compiled and translates it, else None."""
    from babel.support import Translations

    translated = Translations.load(str(TRANSLATIONS), ["en"]).gettext(text)
    return translated if translated != text else None


def test_language_switcher_changes_the_interface_and_back(page: Page) -> None:
    page.goto("/courses/?level=beginner")
    html = page.locator("html")
    nav = page.get_by_role("navigation", name="주 메뉴")
    expect(html).to_have_attribute("lang", "ko")
    expect(nav.get_by_role("link", name="강좌 둘러보기")).to_be_visible()

    page.locator("#lang-select").select_option("en")
    page.locator(".lang-form").get_by_role("button").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/courses/\?level=beginner$"))  # back on the same page
    expect(page.locator("#lang-select")).to_have_value("en")
    browse = english_translation("강좌 둘러보기")
    if browse:  # the English catalogue is compiled: the interface is in English now
        header = page.locator(".site-header")
        expect(header.get_by_role("link", name=browse, exact=True)).to_be_visible()
        expect(page.locator("body")).not_to_contain_text("강좌 둘러보기")
        if button := english_translation("변경"):
            expect(page.locator(".lang-form").get_by_role("button")).to_have_text(button)

    page.locator("#lang-select").select_option("ko")
    page.locator(".lang-form").get_by_role("button").click()
    expect(html).to_have_attribute("lang", "ko")
    expect(page.locator("#lang-select")).to_have_value("ko")
    expect(nav.get_by_role("link", name="강좌 둘러보기")).to_be_visible()


def test_keyboard_only_search_from_the_catalog(page: Page) -> None:
    page.goto("/courses/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()  # the first stop skips to the content
    for _ in range(30):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == "q":
            break
        page.keyboard.press("Tab")
    search_box = page.get_by_label("검색어")
    expect(search_box).to_be_focused()
    page.keyboard.type("예측 모델")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/courses/\?q="))
    expect(page.locator(".result-count")).to_contain_text("'예측 모델' 검색 결과")
    # Both lessons that speak of prediction models are found (one writes 예측 모델, the other also 예측모델).
    expect(page.get_by_role("link", name="예측 모델 맛보기", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="불량과 불량률", exact=True)).to_be_visible()
