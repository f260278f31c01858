"""Authoring courses in the browser: create a course, edit its files as new source revisions (checked by the
loader before they are kept), preview a lesson, and publish a revision through the importer."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy import orm

from ..content.loader import MANIFEST, SLUG_RE, load_course
from ..content.render import render_markdown
from ..content.spec import Problem
from ..content.yamlio import LineDict, YamlError, load_yaml
from ..models import Course, SourceRevision, User
from . import revisions
from .courses import ImportReport, import_course_folder, resolver_for
from .teaching import taught_course_ids, teaches

FIRST_LESSON = "lessons/01-intro.md"
EDITABLE_SUFFIXES = (".md",)  # this slice edits lessons and the overview; quizzes and notebooks come later
MAX_LESSON_BYTES = 1024 * 1024


class AuthoringError(ValueError):
    """The change was refused and nothing was saved; `problems` say what is wrong, by file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


@dataclass
class NewCourse:
    """The manifest fields of a course created in the browser."""

    slug: str
    title: str
    summary: str
    track: str
    industry: str
    level: str
    audience: list[str]
    hours: float
    licence: str = "CC BY-SA 4.0"


def can_edit(session: orm.Session, user: User, slug: str) -> bool:
    """The course's own instructors and admins edit it; a course not stored yet is nobody's but an admin's."""
    course_id = session.scalar(sa.select(Course.id).where(Course.slug == slug))
    if course_id is None:
        return False
    return teaches(session, user.id, user.role, course_id)


def editable_courses(session: orm.Session, user: User) -> list[Course]:
    """The courses `user` may edit, by title."""
    query = sa.select(Course).order_by(Course.title)
    if user.role != "admin":
        query = query.where(Course.id.in_(taught_course_ids(user.id)))
    return list(session.scalars(query))


def manifest_text(new: NewCourse, author: User) -> str:
    manifest: dict[str, Any] = {
        "title": new.title,
        "summary": new.summary,
        "track": new.track,
        "industry": new.industry,
        "level": new.level,
        "audience": list(new.audience),
        "language": "ko",
        "hours": int(new.hours) if float(new.hours).is_integer() else new.hours,
        "licence": new.licence,
        "instructors": [{"name": author.name, "email": author.email}],
        "outline": [{"title": "1부", "items": [FIRST_LESSON]}],
    }
    return yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False, width=120)


FIRST_LESSON_TEXT = """---
title: 시작하기
minutes: 10
---

# 시작하기

여기에 강의 내용을 Markdown으로 씁니다.
"""


def create_course(session: orm.Session, new: NewCourse, author: User) -> Course:
    """A course from the form's manifest fields and a first lesson, recorded as its first revision and stored as
    a draft (learners do not see it until it is published); the author becomes its instructor."""
    if not SLUG_RE.match(new.slug) or len(new.slug) > 100:
        raise AuthoringError([Problem(MANIFEST, 1, "slug: a-z, 0-9 and '-' only")])
    taken = session.scalar(sa.select(Course.id).where(Course.slug == new.slug)) is not None
    if taken or revisions.head(session, new.slug) is not None:
        raise SlugTaken(new.slug)
    files = {MANIFEST: manifest_text(new, author).encode(), FIRST_LESSON: FIRST_LESSON_TEXT.encode()}
    revision = revisions.record_revision(
        session, new.slug, files, author_id=author.id, message="강좌를 만들었습니다", replace=True
    )
    course = _import(session, revision, author.id)
    course.published = False
    session.flush()
    return course


class SlugTaken(ValueError):
    """Another course (or its history) already has this slug."""


def check_tree(session: orm.Session, slug: str, files: dict[str, bytes]) -> list[Problem]:
    """What the loader says about a course folder with these files (errors only)."""
    with tempfile.TemporaryDirectory(prefix="baeum-check-") as tmp:
        folder = _write(Path(tmp), slug, files)
        _write_linked_courses(session, Path(tmp), slug, files)
        result = load_course(folder, courses_root=Path(tmp))
    return result.errors


def save_file(
    session: orm.Session,
    slug: str,
    path: str,
    text: str,
    *,
    author: User,
    message: str,
    base_id: int | None = None,
) -> SourceRevision:
    """Record `text` as the new content of `path` (a lesson or the overview), after the loader accepts the course
    with it; otherwise AuthoringError with the problems, and nothing is saved."""
    revisions.check_path(path)
    if PurePosixPath(path).suffix not in EDITABLE_SUFFIXES:
        raise revisions.BadPath(path)
    content = text.replace("\r\n", "\n").encode("utf-8")
    if len(content) > MAX_LESSON_BYTES:
        raise AuthoringError([Problem(f"{slug}/{path}", 1, "file is too large (at most 1024 KiB)")])
    current = revisions.head(session, slug)
    if current is None:
        raise LookupError(slug)
    base = revisions.revision_of(session, slug, base_id) if base_id else None
    files = revisions.files_of(session, current)
    files[path] = content
    problems = check_tree(session, slug, files)
    if problems:
        raise AuthoringError(problems)
    return revisions.record_revision(
        session, slug, {path: content}, author_id=author.id, message=message or f"{path} 수정", base=base
    )


def publish(session: orm.Session, revision: SourceRevision, user_id: int | None) -> ImportReport:
    """Make `revision` what learners see: its tree, written out as a course folder, goes through the importer
    (the loader's checks, the kinds' registry; items keep their identity by file name, so learners' progress on
    them stays). Raises AuthoringError when the importer refuses it (the published course stays as it was)."""
    report = ImportReport()
    course = _import(session, revision, user_id, report)
    course.published = True
    revisions.mark_published(session, revision, user_id)
    return report


def _import(
    session: orm.Session, revision: SourceRevision, user_id: int | None, report: ImportReport | None = None
) -> Course:
    report = report if report is not None else ImportReport()
    files = revisions.files_of(session, revision)
    with tempfile.TemporaryDirectory(prefix="baeum-publish-") as tmp:
        folder = _write(Path(tmp), revision.course_slug, files)
        _write_linked_courses(session, Path(tmp), revision.course_slug, files)
        course = import_course_folder(session, folder, report, record=False, author_id=user_id, courses_root=Path(tmp))
    if course is None:
        raise AuthoringError(report.errors)
    return course


def _write(root: Path, slug: str, files: dict[str, bytes]) -> Path:
    folder = root / slug
    folder.mkdir()
    for path, content in files.items():
        target = folder / revisions.check_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return folder


def _write_linked_courses(session: orm.Session, root: Path, slug: str, files: dict[str, bytes]) -> None:
    """Other courses this course links to (`../../<slug>/...`), as published, so links into them are checked as
    the loader checks them in a courses folder."""
    named = set()
    for path, content in files.items():
        if path.endswith((".md", ".ipynb")):
            named.update(re.findall(rb"\.\./([a-z0-9][a-z0-9-]*)/", content))
    for other in sorted({n.decode() for n in named} - {slug}):
        revision = revisions.published(session, other)
        if revision is not None:
            _write(root, other, revisions.files_of(session, revision))


@dataclass
class Preview:
    html: str
    problems: list[Problem]


def preview_lesson(slug: str, path: str, text: str) -> Preview:
    """The lesson's body rendered exactly as the importer renders it (same renderer, same sanitiser, links resolved
    the same way), and what is wrong with its front matter. Reads nothing but its arguments."""
    problems: list[Problem] = []
    body, front = split_front_matter(text)
    if front is None:
        problems.append(Problem(path, 1, "a lesson must start with YAML front matter between '---' lines"))
    else:
        meta_text, first_line = front
        try:
            meta = load_yaml(meta_text, first_line=first_line)
        except YamlError as exc:
            problems.append(Problem(path, exc.line, exc.message))
        else:
            if not isinstance(meta, LineDict):
                problems.append(Problem(path, 2, "the front matter must be a mapping (title, minutes, ...)"))
            else:
                problems.extend(
                    Problem(path, 2, f"'{key}' is required in the front matter")
                    for key in ("title", "minutes")
                    if key not in meta
                )
    return Preview(render_markdown(body, resolver_for(slug, path)), problems)


def split_front_matter(text: str) -> tuple[str, tuple[str, int] | None]:
    """(body, (front matter text, its first line)) as the loader splits a lesson; front matter None if absent."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        return text, None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return "", None
    return "\n".join(lines[end + 1 :]), ("\n".join(lines[1:end]), 2)
