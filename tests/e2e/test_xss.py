"""The XSS corpus in every field that shows author or learner text, opened in headless Chromium as a visitor, a
learner, an instructor and an admin: no payload may run script (open a dialog) or load anything from elsewhere.

The pages are opened with the Content-Security-Policy bypassed, so that the sanitiser alone is what is tested; the
CSP (tests/e2e/test_csp.py) is the second wall. Each page carries every payload at once: one load per field and role.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import yaml
from flask import Flask

from lms.content.loader import load_course
from lms.grading.grader import CellResult, GradeItem, GradeResult, NotebookRun
from lms.models import CourseInstructor, Item, ManualGrade, Submission
from lms.services import learning
from lms.services.accounts import create_user
from lms.services.courses import store_course
from lms.web.extensions import db
from tests.xss_corpus import MARKDOWN_PAYLOADS, NOTEBOOK_OUTPUTS, document

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
Page = sync_api.Page
expect = sync_api.expect

pytestmark = pytest.mark.e2e

SLUG = "xss-lab"
COURSE = f"/courses/{SLUG}"
PASSWORD = "correct horse battery"
END = "끝까지 보입니다"  # the last paragraph of every Markdown field: nothing swallowed the rest
NAME = "<img src=x onerror=alert('name')><svg onload=alert('name2')>$\\text{<img src=x onerror=alert(3)>}$"
PLAIN = "<img src=x onerror=alert('plain')><script>alert('plain2')</script>"  # titles, summaries: plain text
MARKDOWN = document(END)
# Import checks that relative links lead to course files, and many payloads are such links: the files carry this
# marker where the corpus goes, and the corpus is put into the loaded course before it is stored (and rendered).
MARKER = "여기에-말뭉치"


def _cell(kind: str, source: str, grade_id: str, **nbgrader: object) -> dict:
    meta = {"grade": False, "solution": False, "locked": True, "schema_version": 3, "grade_id": grade_id, **nbgrader}
    cell = {"cell_type": kind, "metadata": {"nbgrader": meta}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def write_course(root: Path) -> None:
    """A course whose every text field carries the corpus (Markdown fields) or payloads (plain-text fields)."""
    folder = root / SLUG
    for sub in ("lessons", "quizzes", "exercises"):
        (folder / sub).mkdir(parents=True)
    manifest = {
        "title": f"XSS 실험실 {PLAIN}",
        "summary": f"요약 {PLAIN} {MARKDOWN[:300]}",
        "track": "foundations",
        "industry": "manufacturing",
        "level": "beginner",
        "audience": ["sme"],
        "language": "ko",
        "hours": 1,
        "licence": "CC BY-SA 4.0",
        "tags": [PLAIN],
        "instructors": [{"name": PLAIN, "title": PLAIN}],
        "prerequisites": [PLAIN],
        "overview": "overview.md",
        "outline": [
            {
                "title": f"1부 {PLAIN}",
                "items": ["lessons/01-hostile.md", "quizzes/hostile-quiz.yml", "exercises/hostile-notebook.ipynb"],
            }
        ],
    }
    (folder / "course.yml").write_text(yaml.safe_dump(manifest, allow_unicode=True), "utf-8")
    (folder / "overview.md").write_text(MARKER, "utf-8")
    front = yaml.safe_dump({"title": f"적대적 강의 {PLAIN}", "minutes": 5, "objectives": [PLAIN]}, allow_unicode=True)
    (folder / "lessons/01-hostile.md").write_text(f"---\n{front}---\n\n{MARKER}\n", "utf-8")
    quiz = {
        "title": f"적대적 퀴즈 {PLAIN}",
        "minutes": 5,
        "questions": [
            {
                "id": "q1",
                "type": "single",
                "prompt": MARKER,
                "options": [{"text": MARKER + "-inline", "correct": True}, {"text": MARKER}],
                "explanation": MARKER,
            }
        ],
    }
    (folder / "quizzes/hostile-quiz.yml").write_text(yaml.safe_dump(quiz, allow_unicode=True), "utf-8")
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 4,
        "metadata": {"baeum": {"title": f"적대적 실습 {PLAIN}", "minutes": 5}},
        "cells": [
            _cell("markdown", MARKER, "intro"),
            _cell("code", "x = 1\nx", "setup"),
            _cell(
                "markdown",
                "설명하세요.\n\n### BEGIN SOLUTION\n모범 답안\n### END SOLUTION",
                "essay",
                grade=True,
                solution=True,
                locked=False,
                points=1,
            ),
        ],
    }
    (folder / "exercises/hostile-notebook.ipynb").write_text(json.dumps(notebook, ensure_ascii=False), "utf-8")


def with_corpus(spec):
    """The loaded course with the corpus where the marker is (texts of the course, its items and notebook cells)."""

    def put(text: str) -> str:
        return text.replace(MARKER + "-inline", " ".join(MARKDOWN_PAYLOADS[:40])).replace(MARKER, MARKDOWN)

    spec.overview = put(spec.overview)
    for item in (i for m in spec.modules for i in m.items):
        item.body = put(item.body)
        for q in item.questions:
            q.prompt, q.explanation = put(q.prompt), put(q.explanation)
            for o in q.options:
                o.text = put(o.text)
        for cell in (item.notebook or {}).get("cells", []):
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = put(text)
    return spec


def _answer_notebook(item: Item) -> dict:
    release = json.loads(json.dumps(item.data["release"]))
    for cell in release["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "essay":
            cell["source"] = MARKDOWN  # the learner's written (Markdown) answer
    return release


@pytest.fixture(scope="module")
def hostile(e2e_app: Flask, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The hostile course imported; a learner (hostile display name), an instructor and an admin, all enrolled,
    each with a run whose outputs are the notebook payloads; the learner's written answer waits for grading and
    carries an instructor's hostile comment."""
    root = tmp_path_factory.mktemp("xss-courses")
    write_course(root)
    with e2e_app.app_context():
        loaded = load_course(root / SLUG)
        assert loaded.course is not None, [str(p) for p in loaded.problems]
        course = store_course(db.session, with_corpus(loaded.course))
        exercise = db.session.scalar(sa.select(Item).where(Item.course_id == course.id, Item.kind == "exercise"))
        code_index = next(c["index"] for c in exercise.data["cells"] if c["type"] == "code")
        essay_index = next(c["index"] for c in exercise.data["cells"] if c.get("grade_id") == "essay")
        outputs = [CellResult(index=code_index, grade_id="setup", status="ok", outputs=NOTEBOOK_OUTPUTS)]
        users = {}
        for role, name in (("learner", NAME), ("instructor", f"강사 {PLAIN}"), ("admin", f"관리자 {PLAIN}")):
            user = create_user(db.session, name=name, email=f"xss-{role}@example.com", password=PASSWORD, role=role)
            db.session.flush()
            learning.enrol(db.session, user.id, course)
            run = NotebookRun(status="ok", message_code="grading.ok", cells=outputs, isolation="none", duration_s=0.1)
            db.session.add(
                Submission(
                    user_id=user.id, item_id=exercise.id, course_id=course.id, kind="run", status="done",
                    notebook=exercise.data["release"], result=run.to_dict(),
                )
            )  # fmt: skip
            users[role] = user
        grade = GradeResult(
            status="ok", message_code="grading.ok", points=0, max_points=1, auto_max_points=0,
            manual_pending_points=1, final=False,
            grades=[GradeItem(grade_id="essay", index=essay_index, kind="answer", points=None, max_points=1,
                              status="manual", message_code="grade.manual_pending")],
            cells=outputs, missing=[], isolation="none", duration_s=0.1,
        )  # fmt: skip
        graded = Submission(
            user_id=users["learner"].id, item_id=exercise.id, course_id=course.id, kind="grade", status="done",
            notebook=_answer_notebook(exercise), result=grade.to_dict(), points=0, max_points=1, score=0,
        )  # fmt: skip
        db.session.add(CourseInstructor(course_id=course.id, user_id=users["instructor"].id))  # the grading page
        db.session.add(graded)
        db.session.flush()
        db.session.add(
            ManualGrade(submission_id=graded.id, grade_id="essay", points=0.5, comment=MARKDOWN,
                        grader_id=users["instructor"].id)
        )  # fmt: skip
        db.session.commit()
        return {"graded": graded.id, "learner": users["learner"].id}


@pytest.fixture
def unguarded(browser: sync_api.Browser, live_server: str) -> Iterator[sync_api.BrowserContext]:
    """A browser profile that ignores the Content-Security-Policy: only the sanitiser stands between a payload and
    the page. Any request to another host (a tracking image, a form, a frame) fails the test."""
    context = browser.new_context(base_url=live_server, bypass_csp=True, locale="ko-KR")
    context.set_default_timeout(10_000)
    foreign: list[str] = []
    context.on("request", lambda r: foreign.append(r.url) if urlsplit(r.url).hostname != "127.0.0.1" else None)
    try:
        yield context
    finally:
        context.close()
    assert not foreign, f"requests to other hosts: {foreign}"


def open_page(context: sync_api.BrowserContext) -> Page:
    page = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.problems = (dialogs, errors)  # type: ignore[attr-defined]
    return page


def visit(page: Page, path: str, markdown_fields: int = 0) -> None:
    """Open `path`, let lazy images and autofocus happen, and check that no payload ran; `markdown_fields` counts
    the Markdown fields that must show through to their last paragraph."""
    page.goto(path)
    page.wait_for_load_state("load")
    # Load every lazy image now (an onerror payload fires when its image fails), and give handlers time to run.
    page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(200)
    dialogs, errors = page.problems  # type: ignore[attr-defined]
    assert not dialogs, f"{path}: a payload ran: {dialogs}"
    assert not errors, f"{path}: script errors: {errors}"
    assert page.locator("script:not([src])").count() == 0, path
    handlers = "[onerror], [onload], [onclick], [onfocus], [onmouseover], [ontoggle], [onbegin], [onstart]"
    assert page.locator(handlers).count() == 0, path
    # (CodeMirror styles its own elements from script, which the CSP allows; content may carry no style.)
    assert page.locator(":is(.prose, .nb-outputs, .comment, .card, .facts, .user-name) [style]").count() == 0, path
    if markdown_fields:
        assert page.get_by_text(END).count() >= markdown_fields, f"{path}: a field was cut short"
        assert page.locator("math").count() > 0, f"{path}: math no longer renders"


def login(page: Page, role: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("이메일").fill(f"xss-{role}@example.com")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page.locator(".user-name")).to_be_visible()


def course_pages(page: Page) -> None:
    visit(page, "/courses/")
    visit(page, "/courses/?q=실험실")
    visit(page, COURSE, markdown_fields=1)  # overview


def learning_pages(page: Page) -> None:
    course_pages(page)
    visit(page, f"{COURSE}/items/01-hostile", markdown_fields=1)
    visit(page, f"{COURSE}/items/hostile-quiz", markdown_fields=2)  # prompt, the long option
    page.locator(".quiz-form input[type=radio]").first.check()
    page.locator(".quiz-form button[type=submit]").click()
    expect(page.locator("#result")).to_be_visible()
    visit(page, page.url.split("#")[0], markdown_fields=3)  # the result: prompt, option, explanation
    # The exercise: the notebook's Markdown cell, and the outputs of the latest run or attempt.
    visit(page, f"{COURSE}/items/hostile-notebook", markdown_fields=1)
    expect(page.locator(".nb-outputs .out").first).to_be_visible()
    visit(page, "/me/")


def test_the_corpus_runs_nowhere_for_a_visitor(hostile, unguarded):
    course_pages(open_page(unguarded))


def test_the_corpus_runs_nowhere_for_the_learner(hostile, unguarded):
    page = open_page(unguarded)
    login(page, "learner")
    learning_pages(page)
    # The graded attempt: the notebook's Markdown cell, the run's outputs and the instructor's comment.
    visit(page, f"{COURSE}/items/hostile-notebook?submission={hostile['graded']}", markdown_fields=1)
    expect(page.locator(".nb-outputs .out").first).to_be_visible()
    expect(page.locator(".comment")).to_contain_text("onerror")  # the comment is plain text, shown escaped
    expect(page.locator(".CodeMirror").first).to_be_visible()


def test_the_corpus_runs_nowhere_for_the_instructor(hostile, unguarded):
    page = open_page(unguarded)
    login(page, "instructor")
    learning_pages(page)
    visit(page, "/teach/")
    visit(page, f"/teach/submissions/{hostile['graded']}", markdown_fields=1)  # the learner's written answer
    expect(page.locator(".answer math").first).to_be_attached()


def test_the_corpus_runs_nowhere_for_the_admin(hostile, unguarded):
    page = open_page(unguarded)
    login(page, "admin")
    learning_pages(page)
    visit(page, "/admin/")
    visit(page, "/admin/users")
    visit(page, "/teach/")
    visit(page, f"/teach/submissions/{hostile['graded']}", markdown_fields=1)
    expect(page.get_by_text(re.compile(r"onerror=alert\('name'\)")).first).to_be_visible()  # the name, as text
