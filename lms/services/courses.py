"""Importing courses: store validated course folders in the database, one savepoint per course, skipped when
unchanged; each item is stored by its kind's class (`lms.content.kinds`). A folder import is recorded as the
course's newest source revision, and published (`services.revisions`)."""

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
from ..content.loader import find_course_dirs, link_kind, load_course, resolve_relative
from ..content.render import LinkResolver, render_markdown
from ..content.spec import CourseSpec, ItemSpec, Problem
from ..models import Course, CourseAsset, CourseModule, Item, SourceRevision, utcnow
from ..search.index import index_course
from . import revisions
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


def import_courses(
    session: orm.Session, root: Path, *, force: bool = False, record: bool = True, author_id: int | None = None
) -> ImportReport:
    """Import every course folder under `root`; a course with errors is left out, the others go in.

    With `record`, each imported folder becomes the course's newest source revision and its published one; a folder
    that has not changed since it was last recorded is left alone (revisions published from the browser since then
    stay). Publishing a revision imports its materialised folder without `record`. The caller owns the transaction
    (commits or rolls back); each course is stored in its own savepoint.
    """
    report = ImportReport()
    for folder in find_course_dirs(root):
        import_course_folder(session, folder, report, force=force, record=record, author_id=author_id)
    return report


def import_course_folder(
    session: orm.Session,
    folder: Path,
    report: ImportReport,
    *,
    force: bool = False,
    record: bool = True,
    author_id: int | None = None,
    courses_root: Path | None = None,
) -> Course | None:
    """Import one course folder (see `import_courses`), adding what happened to `report`; the course, unless the
    folder had errors. Links to other courses may lead into `courses_root` (default: the folder's parent)."""
    result = load_course(folder, courses_root=courses_root)
    report.problems.extend(result.problems)
    spec = result.course
    if spec is None:
        report.failed.append(result.slug)
        return None
    existing = session.scalar(sa.select(Course).where(Course.slug == spec.slug))
    unchanged = existing is not None and existing.content_hash == spec.content_hash
    if record and not force and not unchanged and _recorded_before(session, spec.slug, spec.content_hash):
        unchanged = True
    if unchanged and not force:
        if record and revisions.head(session, spec.slug) is None:  # courses imported before revisions existed
            _record(session, spec.slug, folder, spec.content_hash, author_id)
        report.unchanged.append(spec.slug)
        return existing
    try:
        with session.begin_nested():
            course = store_course(session, spec, existing)
            if record:
                _record(session, spec.slug, folder, spec.content_hash, author_id)
    except sa.exc.SQLAlchemyError as exc:
        report.problems.append(Problem(f"{spec.slug}/course.yml", 1, f"could not be stored: {exc.__class__.__name__}"))
        report.failed.append(spec.slug)
        return None
    except RenderError as exc:
        report.problems.append(Problem(f"{spec.slug}/{exc.path}", 1, f"could not be rendered: {exc.reason}"))
        report.failed.append(spec.slug)
        return None
    report.imported.append(spec.slug)
    return course


def _record(session: orm.Session, slug: str, folder: Path, folder_hash: str, author_id: int | None) -> None:
    revision = revisions.record_folder(
        session, slug, folder, author_id=author_id, message=f"import {folder.name}/", folder_hash=folder_hash
    )
    revisions.mark_published(session, revision, author_id)


def _recorded_before(session: orm.Session, slug: str, folder_hash: str) -> bool:
    """Whether the folder, as it is, was the course's last folder import: what is published since came from the
    browser and is newer than the folder."""
    last = session.scalar(
        sa.select(SourceRevision.folder_hash)
        .where(SourceRevision.course_slug == slug, SourceRevision.origin == "folder")
        .order_by(SourceRevision.id.desc())
        .limit(1)
    )
    return last == folder_hash


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


def resolver_for(course_slug: str, file_path: str) -> LinkResolver:
    """How links written in the course file `file_path` become site links (the importer's rule; the authoring
    preview uses it too)."""
    return _resolver(course_slug, file_path)


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
