"""Importing courses: store validated course folders in the database, one savepoint per course, skipped when
unchanged; each item is stored by its kind's class (`lms.content.kinds`)."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

import sqlalchemy as sa
from sqlalchemy import orm

from ..content.kinds import kind_named
from ..content.loader import link_kind, load_courses, resolve_relative
from ..content.render import LinkResolver, render_markdown
from ..content.spec import CourseSpec, ItemSpec, Problem
from ..models import Course, CourseAsset, CourseModule, Item, utcnow
from ..search.index import index_course
from .teaching import sync_manifest_instructors


def public_file(session: orm.Session, course_id: int, path: str) -> sa.Row | None:
    """A course file anyone who may see the course may download: (content, media_type, sha256), or None."""
    return session.execute(
        sa.select(CourseAsset.content, CourseAsset.media_type, CourseAsset.sha256).where(
            CourseAsset.course_id == course_id, CourseAsset.path == path, CourseAsset.public
        )
    ).first()


def course_files(
    session: orm.Session, course_id: int, paths: Iterable[str] | None = None, *, public_only: bool
) -> dict[str, bytes]:
    """The contents of the course's stored files by path: those in `paths` (every file when None); `public_only`
    leaves out what only hidden tests read (what a learner downloads), the grader gets them all."""
    query = sa.select(CourseAsset.path, CourseAsset.content).where(CourseAsset.course_id == course_id)
    if paths is not None:
        query = query.where(CourseAsset.path.in_(list(paths)))
    if public_only:
        query = query.where(CourseAsset.public)
    return {path: content for path, content in session.execute(query)}


# Where rendered content links point; the web layer serves these paths.
COURSE_URL = "/courses/{course}"
ITEM_URL = "/courses/{course}/items/{item}"
FILE_URL = "/courses/{course}/files/{path}"


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def import_courses(session: orm.Session, root: Path, *, force: bool = False) -> ImportReport:
    """Import every course folder under `root`; a course with errors is left out, the others go in.

    The caller owns the transaction (commits or rolls back); each course is stored in its own savepoint.
    """
    report = ImportReport()
    for result in load_courses(root):
        report.problems.extend(result.problems)
        spec = result.course
        if spec is None:
            report.failed.append(result.slug)
            continue
        existing = session.scalar(sa.select(Course).where(Course.slug == spec.slug))
        if existing is not None and existing.content_hash == spec.content_hash and not force:
            report.unchanged.append(spec.slug)
            continue
        try:
            with session.begin_nested():
                store_course(session, spec, existing)
        except sa.exc.SQLAlchemyError as exc:
            report.problems.append(
                Problem(f"{spec.slug}/course.yml", 1, f"could not be stored: {exc.__class__.__name__}")
            )
            report.failed.append(spec.slug)
            continue
        except RenderError as exc:
            report.problems.append(Problem(f"{spec.slug}/{exc.path}", 1, f"could not be rendered: {exc.reason}"))
            report.failed.append(spec.slug)
            continue
        report.imported.append(spec.slug)
    return report


class RenderError(ValueError):
    """A course file that validated but could not be rendered (the course is left as it was)."""

    def __init__(self, path: str, exc: BaseException) -> None:
        super().__init__(f"{path}: {exc.__class__.__name__}")
        self.path = path
        self.reason = f"{exc.__class__.__name__}: {str(exc)[:200]}"


def _rendering(path: str, render: Any, *args: Any) -> Any:
    try:
        return render(*args)
    except (RecursionError, ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
        raise RenderError(path, exc) from exc


def store_course(session: orm.Session, spec: CourseSpec, course: Course | None = None) -> Course:
    """Create or update the course from `spec`, keeping item identities (and so learners' records)."""
    if course is None:
        course = Course(slug=spec.slug)
        session.add(course)
    for name in (
        "title",
        "summary",
        "track",
        "industry",
        "level",
        "audience",
        "language",
        "hours",
        "licence",
        "tags",
        "instructors",
        "prerequisites",
        "content_hash",
    ):
        setattr(course, name, getattr(spec, name))
    course.completion = spec.completion.to_dict()
    course.overview_html = _rendering(
        "overview.md", render_markdown, spec.overview, _resolver(spec.slug, "overview.md")
    )
    course.imported_at = utcnow()
    course.modules.clear()
    session.flush()

    existing = {item.slug: item for item in session.scalars(sa.select(Item).where(Item.course_id == course.id))}
    position = 0
    kept: list[tuple[Item, ItemSpec]] = []
    for m_pos, module_spec in enumerate(spec.modules):
        module = CourseModule(position=m_pos, title=module_spec.title)
        course.modules.append(module)
        session.flush()
        for item_spec in module_spec.items:
            item = existing.pop(item_spec.slug, None) or Item(course_id=course.id, slug=item_spec.slug)
            _rendering(item_spec.path, _fill_item, item, item_spec, spec.slug)
            item.module_id, item.position, item.active = module.id, position, True
            position += 1
            session.add(item)
            kept.append((item, item_spec))
    for retired in existing.values():
        retired.active, retired.module_id = False, None

    session.execute(sa.delete(CourseAsset).where(CourseAsset.course_id == course.id))
    session.add_all(
        CourseAsset(
            course_id=course.id,
            path=path,
            media_type=mimetypes.guess_type(path)[0] or "application/octet-stream",
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            public=path not in spec.private_assets,
        )
        for path, content in spec.assets.items()
    )
    session.flush()
    index_course(session, course, spec, [item for item, _ in kept])
    sync_manifest_instructors(session, course)
    return course


def _fill_item(item: Item, spec: ItemSpec, course_slug: str) -> None:
    stored = kind_named(spec.kind).store(spec, _resolver(course_slug, spec.path))
    item.kind, item.title, item.minutes, item.required = spec.kind, spec.title, spec.minutes, spec.required
    item.body_html = stored.body_html
    item.data = {"path": spec.path, "objectives": spec.objectives, "tags": spec.tags, **stored.data}


def _resolver(course_slug: str, file_path: str) -> LinkResolver:
    base = PurePosixPath(file_path).parent

    def resolve(url: str) -> str | None:
        target, _, anchor = url.partition("#")
        # Read the way the loader checked it: percent-decoded, a backslash taken as a slash.
        target = unquote(target).replace("\\", "/")
        resolved = resolve_relative(course_slug, base, target) if target else None
        if resolved is None:
            return None
        slug, path = resolved
        kind = link_kind(path)
        if kind == "course":
            link = COURSE_URL.format(course=slug)
        elif kind == "item":
            link = ITEM_URL.format(course=slug, item=PurePosixPath(path).stem)
        else:
            link = FILE_URL.format(course=slug, path=path)
        return link + (f"#{anchor}" if anchor else "")

    return resolve
