"""Authoring in the browser: creating a course, editing a lesson with its preview, history, diff and restore,
publishing to learners, exporting; who may do each."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
import sqlalchemy as sa

from lms.content.loader import course_files, load_course
from lms.models import Course, CourseInstructor, SourceRevision
from lms.services import revisions
from tests.xss_corpus import MARKDOWN_PAYLOADS, document, problems

NEW = {
    "title": "품질 검사 AI 입문",
    "slug": "quality-ai-basics",
    "summary": "검사 공정에 AI를 들이는 첫걸음입니다.",
    "track": "foundations",
    "industry": "manufacturing",
    "level": "beginner",
    "audience": ["sme", "student"],
    "hours": "3",
}
LESSON = "lessons/01-intro.md"
EDIT = f"/author/{NEW['slug']}/files/{LESSON}"


def create(actions, **changes):
    return actions.post("/author/new", {**NEW, **changes})


def lesson(body: str, title: str = "검사 공정 살펴보기") -> str:
    return f"---\ntitle: {title}\nminutes: 15\n---\n\n{body}\n"


def save(actions, text: str, message: str = "본문 작성", path: str = EDIT):
    return actions.post(path, {"text": text, "message": message})


def test_an_instructor_creates_a_draft_course_and_teaches_it(actions, client, session):
    author = actions.login_as("instructor", "author@example.com")
    response = create(actions)
    assert response.status_code == 302 and response.headers["Location"] == EDIT
    course = session.scalar(sa.select(Course).where(Course.slug == NEW["slug"]))
    assert course is not None and not course.published and course.title == NEW["title"]
    assert session.get(CourseInstructor, (course.id, author.id)) is not None
    head = revisions.head(session, NEW["slug"])
    assert set(head.tree) == {"course.yml", LESSON} and head.author_id == author.id
    manifest = revisions.read(session, head, "course.yml").decode()
    assert "track: foundations" in manifest and "- sme" in manifest and "author@example.com" in manifest
    # A draft: not in the catalog, not at its address.
    assert NEW["title"] not in client.get("/courses/").get_data(as_text=True)
    assert client.get(f"/courses/{NEW['slug']}").status_code == 404
    page = client.get(EDIT).get_data(as_text=True)
    assert "미리 보기" in page and "여기에 강의 내용을 Markdown으로 씁니다." in page
    assert "강좌 만들기" in client.get("/author/").get_data(as_text=True)


def test_bad_course_fields_are_refused_and_nothing_is_stored(actions, session):
    actions.login_as("instructor")
    response = create(actions, slug="Bad Slug!", audience=[], track="nonsense")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "만 쓸 수 있습니다." in page and "대상을 하나 이상 고르세요." in page
    assert (
        session.scalar(
            sa.select(sa.func.count()).select_from(SourceRevision).where(SourceRevision.course_slug == "Bad Slug!")
        )
        == 0
    )
    taken = create(actions, slug="factory-basics")
    assert taken.status_code == 422 and "이미 쓰이는 주소 이름입니다" in taken.get_data(as_text=True)


@pytest.mark.parametrize("role", ["learner", "org_manager"])
def test_learners_cannot_reach_authoring(actions, client, role):
    actions.login_as(role)
    assert client.get("/author/").status_code == 403
    assert create(actions).status_code == 403
    assert client.get("/author/factory-basics/").status_code == 403
    assert "강좌 만들기" not in client.get("/courses/").get_data(as_text=True)


def test_only_the_courses_instructors_and_admins_edit_it(actions, client, session):
    actions.login_as("instructor", "author@example.com")
    create(actions)
    actions.logout()
    actions.login_as("instructor", "other@example.com")
    assert client.get(EDIT).status_code == 404
    assert save(actions, lesson("가로채기")).status_code == 404
    assert NEW["title"] not in client.get("/author/").get_data(as_text=True)
    actions.logout()
    actions.login_as("admin")
    assert client.get(EDIT).status_code == 200
    assert save(actions, lesson("관리자가 고침"), "관리자 수정").status_code == 302
    head = revisions.head(session, NEW["slug"])
    assert head.message == "관리자 수정" and "관리자가 고침" in revisions.read(session, head, LESSON).decode()


def test_save_history_diff_and_restore(actions, client, session):
    actions.login_as("instructor", "author@example.com")
    create(actions)
    first = revisions.head(session, NEW["slug"])
    assert save(actions, lesson("첫 번째 본문"), "첫 본문").status_code == 302
    assert save(actions, lesson("두 번째 본문"), "둘째 본문").status_code == 302
    second = revisions.head(session, NEW["slug"])
    history = client.get(f"/author/{NEW['slug']}/history/{LESSON}").get_data(as_text=True)
    assert history.index("둘째 본문") < history.index("첫 본문") < history.index("강좌를 만들었습니다")
    assert "홍길동" in history  # the author's name
    diff = client.get(f"/author/{NEW['slug']}/diff/{LESSON}?a={first.id}&b={second.id}").get_data(as_text=True)
    assert "<del>-여기에 강의 내용을 Markdown으로 씁니다.</del>" in diff and "<ins>+두 번째 본문</ins>" in diff
    latest = client.get(f"/author/{NEW['slug']}/diff/{LESSON}").get_data(as_text=True)
    assert "<del>-첫 번째 본문</del>" in latest and "<ins>+두 번째 본문</ins>" in latest
    response = actions.post(f"/author/{NEW['slug']}/restore/{LESSON}", {"revision": str(first.id)})
    assert response.status_code == 302
    restored = revisions.head(session, NEW["slug"])
    assert restored.id > second.id and restored.tree[LESSON] == first.tree[LESSON]
    assert f"판 {first.id}의 내용으로 되돌림" in client.get(f"/author/{NEW['slug']}/history/{LESSON}").get_data(
        as_text=True
    )
    # A revision of another course is not one of this course's.
    other = revisions.head(session, "factory-basics")
    assert actions.post(f"/author/{NEW['slug']}/restore/{LESSON}", {"revision": str(other.id)}).status_code == 404


def test_bad_front_matter_names_the_line_and_saves_nothing(actions, client, session):
    actions.login_as("instructor", "author@example.com")
    create(actions)
    before = revisions.head(session, NEW["slug"]).id
    response = save(actions, "---\ntitle: 제목\nminutes: [1,\n---\n본문\n")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "저장하지 않았습니다" in page and re.search(r"[345]번째 줄", page)
    assert "minutes: [1," in page  # the author's text is kept in the editor
    assert revisions.head(session, NEW["slug"]).id == before
    missing = save(actions, "---\ntitle: 제목\n---\n본문\n")
    assert missing.status_code == 422 and "&#39;minutes&#39; is required" in missing.get_data(as_text=True)


def test_the_preview_renders_as_the_learner_sees_it(actions, client):
    actions.login_as("instructor", "author@example.com")
    create(actions)
    url = f"/author/{NEW['slug']}/preview/{LESSON}"
    response = actions.post(url, {"text": lesson('## 절\n\n$x^2$ 와 **굵게**\n\n!!! note "참고"\n    상자')})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<math" in html and "<strong>굵게</strong>" in html
    assert 'class="admonition note"' in html
    bad = actions.post(url, {"text": "---\ntitle: [\n---\n본문"}).get_data(as_text=True)
    assert "2번째 줄" in bad and "본문" in bad


def test_a_hostile_lesson_is_sanitised_in_the_preview(actions):
    actions.login_as("instructor", "author@example.com")
    create(actions)
    url = f"/author/{NEW['slug']}/preview/{LESSON}"
    html = actions.post(url, {"text": lesson(document("끝까지 보입니다"))}).get_data(as_text=True)
    assert problems(html) == [] and "끝까지 보입니다" in html
    assert len(MARKDOWN_PAYLOADS) > 100  # `document` holds every payload of the corpus
    for payload in ("<script>alert(1)</script>", r"$\href{javascript:alert(1)}{x}$", "[x](javascript:alert(1))"):
        one = actions.post(url, {"text": lesson(payload)}).get_data(as_text=True)
        assert problems(one) == [] and "<script" not in one and 'href="javascript' not in one


def test_publish_then_a_learner_sees_the_lesson(actions, client, session):
    actions.login_as("instructor", "author@example.com")
    create(actions)
    save(actions, lesson("게시 전 초안입니다."), "초안")
    draft = revisions.head(session, NEW["slug"])
    response = actions.post(f"/author/{NEW['slug']}/publish", {"revision": str(draft.id)})
    assert response.status_code == 302
    assert revisions.published(session, NEW["slug"]).id == draft.id
    save(actions, lesson("게시하지 않은 새 초안입니다."), "새 초안")
    actions.logout()
    actions.login_as("learner")
    assert NEW["title"] in client.get("/courses/").get_data(as_text=True)
    actions.post(f"/courses/{NEW['slug']}/enrol")
    page = client.get(f"/courses/{NEW['slug']}/items/01-intro").get_data(as_text=True)
    assert "게시 전 초안입니다." in page and "게시하지 않은 새 초안입니다." not in page


def test_a_revision_that_does_not_import_is_not_published(actions, client, session):
    actions.login_as("instructor", "author@example.com")
    create(actions)
    broken = revisions.record_revision(session, NEW["slug"], {LESSON: b"no front matter"}, author_id=None, message="x")
    session.commit()
    response = actions.post(f"/author/{NEW['slug']}/publish", {"revision": str(broken.id)})
    assert response.status_code == 302
    assert "게시하지 못했습니다" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert revisions.published(session, NEW["slug"]) is None
    assert not session.scalar(sa.select(Course.published).where(Course.slug == NEW["slug"]))


def test_export_of_a_browser_made_course_imports_back_unchanged(actions, client, session, tmp_path):
    actions.login_as("instructor", "author@example.com")
    create(actions)
    save(actions, lesson("내보낼 본문\n\n| 가 | 나 |\n|---|---|\n| 1 | 2 |"), "표 추가")
    head = revisions.head(session, NEW["slug"])
    actions.post(f"/author/{NEW['slug']}/publish", {"revision": str(head.id)})
    response = client.get(f"/author/{NEW['slug']}/export.zip?revision={head.id}")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    zipfile.ZipFile(io.BytesIO(response.data)).extractall(tmp_path)
    folder = tmp_path / NEW["slug"]
    assert {rel: p.read_bytes() for rel, p in course_files(folder)} == revisions.files_of(session, head)
    result = load_course(folder)
    assert result.course is not None and not result.errors
    assert result.course.content_hash == session.scalar(
        sa.select(Course.content_hash).where(Course.slug == NEW["slug"])
    )


def test_the_authoring_pages_speak_english_too(actions, client):
    actions.login_as("instructor", "author@example.com")
    create(actions)
    actions.post("/lang", {"lang": "en"})
    page = client.get(f"/author/{NEW['slug']}/").get_data(as_text=True)
    assert "Revisions" in page and "Publish revision" in page and "판 기록" not in page
    assert "Preview" in client.get(EDIT).get_data(as_text=True)
