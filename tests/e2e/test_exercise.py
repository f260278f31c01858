"""The in-browser notebook exercise in a real headless Chromium, graded by the real in-process thread queue:
type code in the CodeMirror editors, autosave a draft, run the notebook, submit a wrong answer, fix it, resubmit."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
Locator = sync_api.Locator
Page = sync_api.Page
expect = sync_api.expect

pytestmark = pytest.mark.e2e

COURSE = "/courses/notebook-lab"
ITEM = f"{COURSE}/items/sales"
SOURCE = json.loads(
    (Path(__file__).parents[1] / "fixtures/courses/notebook-lab/exercises/sales.ipynb").read_text("utf-8")
)
# A job waits for the sandbox pool to start (the first one imports pandas, matplotlib, scikit-learn) and then
# runs the whole notebook: generous, but a passing run only waits as long as the grading takes.
GRADING_TIMEOUT = 45_000
# What only the source notebook holds: solutions, hidden tests and the model written answer. The learner never
# types any of these (the fix below sorts another way), so none may ever be in a page.
SECRETS = [
    "BEGIN SOLUTION",
    "END SOLUTION",
    "HIDDEN TESTS",
    "sort_values(ascending=False)",
    "result.sum() == df",
    "내림차순이어야 합니다",
    "assert_allclose",
    "매출 합계가 가장 큰 지역에 배정합니다",
]
WRONG_RETURN = 'return df.groupby("region")["amount"].sum()'  # right totals, but not largest first
FIX = ".sort_values()[::-1]"
WRITTEN_ANSWER = "서울 지역에 배정합니다. 매출 합계가 제일 크기 때문입니다."


@pytest.fixture(scope="module")
def e2e_config() -> dict[str, object]:
    """The live app grades on the real in-process thread queue (the tests' default queue is "eager")."""
    return {"GRADING_QUEUE": "thread", "GRADING_WORKERS": 2}


def solution(grade_id: str) -> str:
    cell = next(c for c in SOURCE["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    return "\n".join(line for line in source.split("\n") if "### " not in line)


def register(page: Page, name: str = "박실습") -> None:
    page.goto("/courses/")
    page.get_by_role("link", name="회원가입").click()
    page.get_by_label("이름", exact=True).fill(name)
    page.get_by_label("이메일", exact=True).fill(f"e2e-nb-{uuid.uuid4().hex[:10]}@example.com")
    page.get_by_label("비밀번호", exact=True).fill("correct horse battery")
    page.get_by_label("비밀번호 확인", exact=True).fill("correct horse battery")
    page.get_by_label("학습자 유형").select_option(label="중소기업 재직자")
    page.get_by_role("button", name="가입하기").click()
    expect(page.locator(".user-name")).to_contain_text(name)


def cell(page: Page, grade_id: str) -> Locator:
    """The notebook cell holding the answer editor of `grade_id`."""
    return page.locator(".nb-cell").filter(has=page.locator(f'textarea[name="cell-{grade_id}"]'))


def editor_value(page: Page, grade_id: str) -> str:
    return cell(page, grade_id).locator(".CodeMirror").evaluate("el => el.CodeMirror.getValue()")


def set_editor(page: Page, grade_id: str, text: str) -> None:
    """Replace an answer through the page's CodeMirror instance (for long code, where auto-indent would interfere)."""
    cell(page, grade_id).locator(".CodeMirror").evaluate("(el, text) => el.CodeMirror.setValue(text)", text)


def assert_no_secrets(page: Page) -> None:
    html = page.content()
    leaked = [secret for secret in SECRETS if secret in html]
    assert not leaked, f"source-only text reached the browser: {leaked}"


def wait_for_draft_saved(page: Page) -> None:
    expect(page.locator(".draft-status")).to_have_text("✓")


def test_notebook_in_the_browser_run_submit_fix_and_resubmit(page: Page) -> None:
    started = time.monotonic()
    register(page)
    page.goto(COURSE)
    page.get_by_role("button", name="수강 신청하기").click()
    expect(page.locator(".flash-success")).to_contain_text("수강 신청이 완료되었습니다")

    # The exercise: the released notebook only, one CodeMirror editor per answer cell (3 code + 1 written).
    page.goto(ITEM)
    expect(page.locator(".nb-answer .CodeMirror")).to_have_count(4)
    expect(cell(page, "total_by_region").locator(".CodeMirror")).to_contain_text("raise NotImplementedError()")
    expect(cell(page, "explain_choice").locator(".CodeMirror")).to_contain_text("YOUR ANSWER HERE")
    expect(page.locator("#cell-2 .nb-source")).to_contain_text("df.head()")  # a locked cell, shown as code
    expect(page.locator("#results .grade-summary")).to_have_count(0)
    assert_no_secrets(page)

    # Draft autosave: type the written answer for real, wait for the ✓, reload, and it is still there.
    written = cell(page, "explain_choice").locator(".CodeMirror")
    written.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(WRITTEN_ANSWER)
    expect(page.locator(".draft-status")).to_have_text("…")  # editing, not saved yet
    wait_for_draft_saved(page)
    page.reload()
    expect(written).to_contain_text(WRITTEN_ANSWER)
    assert editor_value(page, "explain_choice") == WRITTEN_ANSWER
    expect(page.locator("textarea[name='cell-explain_choice']")).to_have_value(WRITTEN_ANSWER)

    # The two other code answers, solved (set through CodeMirror: long multi-line code).
    set_editor(page, "monthly_mean", solution("monthly_mean"))
    set_editor(page, "plot_regions", solution("plot_regions"))

    # total_by_region typed for real, and wrong: the totals, not largest first. Replace the placeholder line.
    total = cell(page, "total_by_region").locator(".CodeMirror")
    total.locator(".CodeMirror-line", has_text="raise NotImplementedError()").click()
    page.keyboard.press("End")
    page.keyboard.press("Shift+Home")  # CodeMirror's smart Home: up to the indentation, which stays
    page.keyboard.type(WRONG_RETURN)
    assert f"\n    {WRONG_RETURN}\n" in editor_value(page, "total_by_region")
    assert "NotImplementedError" not in editor_value(page, "total_by_region")
    wait_for_draft_saved(page)

    # ▶ Run: the job runs on a grader thread; the page polls, then reloads with the outputs under their cells.
    page.get_by_role("button", name="▶ 실행").click()
    expect(page).to_have_url(re.compile(rf"{ITEM}\?submission=\d+#results$"))
    results = page.locator("#results")
    expect(results).to_contain_text("실행을 마쳤습니다.", timeout=GRADING_TIMEOUT)
    table = page.locator("#cell-2 .nb-outputs table.dataframe")  # df.head()
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(5)
    expect(table.locator("thead")).to_contain_text("region")
    expect(table.locator("thead")).to_contain_text("amount")
    series = cell(page, "total_by_region").locator(".nb-outputs pre.out-result")  # total_by_region(df)
    expect(series).to_contain_text("서울")
    expect(series).to_contain_text("17146")
    expect(series).to_contain_text("Name: amount")
    expect(cell(page, "plot_regions").locator(".nb-outputs img.out-image")).to_be_visible()  # the bar chart
    expect(results.locator(".grade-summary")).to_have_count(0)  # a run is not graded
    # The editors show the code that ran.
    assert WRONG_RETURN in editor_value(page, "total_by_region")
    assert editor_value(page, "explain_choice") == WRITTEN_ANSWER
    assert_no_secrets(page)

    # Submit the wrong answer: the visible test fails with its error, the other tests pass: a partial score.
    page.get_by_role("button", name="제출하고 채점").click()
    summary = page.locator(".grade-summary")
    expect(summary.locator("h2")).to_contain_text("채점 결과: 3 / 6점", timeout=GRADING_TIMEOUT)
    expect(summary).to_have_class(re.compile(r"\bfailed\b"))  # 50 % < 60 %
    failing = summary.locator("li.grade").filter(has_text="test_total_by_region")
    expect(failing).to_have_class(re.compile(r"\bgrade-failed\b"))
    expect(failing.locator("strong")).to_have_text("0 / 2")
    expect(failing.locator("pre.out-error")).to_contain_text("AssertionError")
    expect(summary.locator("li.grade-passed")).to_have_count(2)  # monthly_mean and plot_regions
    expect(page.locator(".nb-badge .grade-failed")).to_have_count(1)
    assert_no_secrets(page)

    # Fix it by typing at the end of the return line, and submit again: every automatic point.
    total.locator(".CodeMirror-line", has_text=WRONG_RETURN).click()
    page.keyboard.press("End")
    page.keyboard.type(FIX)
    assert f"{WRONG_RETURN}{FIX}\n" in editor_value(page, "total_by_region")
    page.get_by_role("button", name="제출하고 채점").click()
    expect(summary.locator("h2")).to_contain_text("채점 결과: 5 / 6점", timeout=GRADING_TIMEOUT)
    expect(summary).to_have_class(re.compile(r"\bpassed\b"))
    expect(summary).to_contain_text("서술형 답안은 강사가 채점하면 점수가 확정됩니다.")
    expect(summary.locator("li.grade-passed")).to_have_count(3)
    expect(summary.locator("li.grade-failed")).to_have_count(0)
    expect(summary.locator("li.grade").filter(has_text="explain_choice")).to_contain_text("강사 채점 대기")
    expect(summary.locator("pre.out-error")).to_have_count(0)
    assert f"{WRONG_RETURN}{FIX}" in editor_value(page, "total_by_region")

    # The history: both graded attempts (runs are not listed), the last one awaiting the instructor.
    rows = page.locator(".attempts tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("5 / 6 (채점 대기)")
    expect(rows.nth(1)).to_contain_text("3 / 6")
    assert_no_secrets(page)

    # Keep working after the result: the edit is autosaved and survives a reload of the result's address (it
    # used to come back as the submitted code, and the next keystroke then saved that over the draft).
    assert "?submission=" in page.url
    mean = cell(page, "monthly_mean").locator(".CodeMirror")
    mean.locator(".CodeMirror-line").last.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("# 1월~12월 평균")
    wait_for_draft_saved(page)
    page.reload()
    expect(mean).to_contain_text("# 1월~12월 평균")
    assert editor_value(page, "monthly_mean").startswith(solution("monthly_mean"))
    assert f"{WRONG_RETURN}{FIX}" in editor_value(page, "total_by_region")
    expect(summary.locator("h2")).to_contain_text("채점 결과: 5 / 6점")  # still the latest result
    assert page.problems.errors == [], page.problems.errors  # type: ignore[attr-defined]
    assert time.monotonic() - started < 120


def test_draft_status_never_claims_a_save_that_did_not_happen(page: Page) -> None:
    register(page, name="최초안")
    page.goto(COURSE)
    page.get_by_role("button", name="수강 신청하기").click()
    expect(page.locator(".flash-success")).to_contain_text("수강 신청이 완료되었습니다")
    page.goto(ITEM)
    written = cell(page, "explain_choice").locator(".CodeMirror")
    written.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("첫 초안")
    wait_for_draft_saved(page)

    # Signed out in another tab: the next save is answered by the login page, which is no save.
    other = page.context.new_page()
    other.goto("/courses/")
    other.locator(".site-header").get_by_role("button", name="로그아웃").click()
    expect(other.locator(".flash")).to_contain_text("로그아웃했습니다.")
    other.close()
    written.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" 그리고 더")
    expect(page.locator(".draft-status")).to_contain_text("저장하지 못했습니다")
