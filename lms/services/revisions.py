"""A course's source as a chain of revisions: each a full file tree of the course format ({path: blob hash}),
with file contents stored once per hash. Folder imports and browser edits both record revisions here."""

from __future__ import annotations

import difflib
import hashlib
import io
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from sqlalchemy import orm

from ..content.loader import MAX_ASSET_BYTES, SLUG_RE, course_files
from ..content.spec import MAX_NOTEBOOK_BYTES, MAX_TEXT_BYTES
from ..models import PublishedRevision, SourceBlob, SourceRevision, utcnow

# Larger files can be used by no item (see the loader's limits): a folder's tree leaves them out.
MAX_FILE_BYTES = max(MAX_ASSET_BYTES, MAX_NOTEBOOK_BYTES, MAX_TEXT_BYTES)
MAX_PATH_CHARS = 300


class BadPath(ValueError):
    """A path that cannot name a file of a course (absolute, climbing out, hidden, too long)."""


def check_path(path: str) -> str:
    """`path` if it names a file inside a course folder, in the canonical form trees use; else BadPath."""
    pure = PurePosixPath(path)
    if (
        not path
        or len(path) > MAX_PATH_CHARS
        or path != pure.as_posix()
        or pure.is_absolute()
        or "\\" in path
        or any(part in ("", ".", "..") or part.startswith(".") for part in pure.parts)
        or any(ord(c) < 32 for c in path)
    ):
        raise BadPath(path)
    return path


def store_blob(session: orm.Session, content: bytes) -> str:
    """Store `content` once; its hash."""
    digest = hashlib.sha256(content).hexdigest()
    if session.get(SourceBlob, digest) is None:
        session.add(SourceBlob(sha256=digest, size=len(content), content=content))
    return digest


def head(session: orm.Session, slug: str) -> SourceRevision | None:
    """The newest revision of a course."""
    return session.scalar(
        sa.select(SourceRevision).where(SourceRevision.course_slug == slug).order_by(SourceRevision.id.desc()).limit(1)
    )


def published(session: orm.Session, slug: str) -> SourceRevision | None:
    """The revision learners see, if any was published."""
    return session.scalar(
        sa.select(SourceRevision)
        .join(PublishedRevision, PublishedRevision.revision_id == SourceRevision.id)
        .where(PublishedRevision.course_slug == slug)
    )


def mark_published(session: orm.Session, revision: SourceRevision, user_id: int | None) -> None:
    row = session.get(PublishedRevision, revision.course_slug)
    if row is None:
        row = PublishedRevision(course_slug=revision.course_slug, revision_id=revision.id)
        session.add(row)
    row.revision_id, row.published_by, row.published_at = revision.id, user_id, utcnow()
    session.flush()


def revision_of(session: orm.Session, slug: str, revision_id: int) -> SourceRevision | None:
    """Revision `revision_id` if it belongs to course `slug` (else None: ids of other courses name nothing here)."""
    revision = session.get(SourceRevision, revision_id)
    return revision if revision is not None and revision.course_slug == slug else None


def tree_of(revision: SourceRevision) -> dict[str, str]:
    """The revision's files: {relative path: blob hash}."""
    return dict(revision.tree)


def record_revision(
    session: orm.Session,
    slug: str,
    changes: Mapping[str, bytes | None],
    *,
    author_id: int | None,
    message: str,
    base: SourceRevision | None = None,
    origin: str = "browser",
    folder_hash: str | None = None,
    replace: bool = False,
) -> SourceRevision:
    """A new revision after the course's head: the head's tree (or none, when `replace`) with `changes` applied
    (content to write, None to remove). A change that changes nothing records nothing: the head is returned.

    `base` is the revision the author started from; when it is given and is not the head any more, a file it
    names that changed since is a conflict (`Conflict`), so an edit never silently undoes another.
    """
    if not SLUG_RE.match(slug):
        raise BadPath(slug)
    parent = head(session, slug)
    tree = {} if replace or parent is None else tree_of(parent)
    if base is not None and parent is not None and base.id != parent.id:
        old = tree_of(base)
        clashes = [p for p in changes if old.get(p) != tree.get(p)]
        if clashes:
            raise Conflict(clashes, parent)
    for path, content in changes.items():
        check_path(path)
        if content is None:
            tree.pop(path, None)
        else:
            tree[path] = store_blob(session, content)
    if parent is not None and tree == parent.tree:
        if folder_hash and parent.folder_hash != folder_hash:
            parent.folder_hash = folder_hash
        return parent
    revision = SourceRevision(
        course_slug=slug,
        parent_id=parent.id if parent else None,
        author_id=author_id,
        message=message[:500],
        origin=origin,
        folder_hash=folder_hash,
        tree=dict(sorted(tree.items())),
    )
    session.add(revision)
    session.flush()
    return revision


class Conflict(ValueError):
    """Files changed by someone else since the author's starting revision."""

    def __init__(self, paths: list[str], head: SourceRevision) -> None:
        super().__init__(", ".join(paths))
        self.paths = paths
        self.head = head


def folder_tree(folder: Path) -> Iterator[tuple[str, bytes]]:
    """The course files of a folder as the loader sees them (hidden and tool files, links leading outside and
    files too large for any use left out)."""
    for rel, path in course_files(folder):
        if path.stat().st_size <= MAX_FILE_BYTES:
            yield rel, path.read_bytes()


def record_folder(
    session: orm.Session, slug: str, folder: Path, *, author_id: int | None, message: str, folder_hash: str
) -> SourceRevision:
    """A revision whose tree is the folder's files (a course kept in git enters the chain this way)."""
    return record_revision(
        session,
        slug,
        dict(folder_tree(folder)),
        author_id=author_id,
        message=message,
        origin="folder",
        folder_hash=folder_hash,
        replace=True,
    )


def read(session: orm.Session, revision: SourceRevision, path: str) -> bytes | None:
    digest = revision.tree.get(path)
    if digest is None:
        return None
    return session.scalar(sa.select(SourceBlob.content).where(SourceBlob.sha256 == digest))


def files_of(session: orm.Session, revision: SourceRevision) -> dict[str, bytes]:
    """Every file of the revision with its content."""
    contents = dict(
        session.execute(
            sa.select(SourceBlob.sha256, SourceBlob.content).where(SourceBlob.sha256.in_(set(revision.tree.values())))
        ).all()
    )
    return {path: contents[digest] for path, digest in revision.tree.items()}


def materialise(session: orm.Session, revision: SourceRevision, folder: Path) -> Path:
    """Write the revision's tree into `folder`/<slug>/ (a course folder the loader reads); that folder."""
    course = folder / revision.course_slug
    for path, content in files_of(session, revision).items():
        target = course / check_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    course.mkdir(parents=True, exist_ok=True)
    return course


def export_zip(session: orm.Session, revision: SourceRevision) -> bytes:
    """The revision as a zip of the course folder (`<slug>/...`), each file byte for byte."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in sorted(files_of(session, revision).items()):
            archive.writestr(f"{revision.course_slug}/{path}", content)
    return buffer.getvalue()


def chain(session: orm.Session, slug: str, limit: int = 500) -> list[SourceRevision]:
    """The course's revisions, newest first."""
    return list(
        session.scalars(
            sa.select(SourceRevision)
            .options(orm.joinedload(SourceRevision.author))
            .where(SourceRevision.course_slug == slug)
            .order_by(SourceRevision.id.desc())
            .limit(limit)
        )
    )


def history(session: orm.Session, slug: str, path: str, limit: int = 500) -> list[SourceRevision]:
    """The revisions that changed `path` (added, edited or removed it), newest first, among the latest `limit`."""
    revisions = chain(session, slug, limit + 1)  # one more: what the oldest shown changed is seen against it
    changed = []
    for newer, older in zip(revisions[:limit], [*revisions[1:], None], strict=False):
        before = older.tree.get(path) if older is not None else None
        if newer.tree.get(path) != before:
            changed.append(newer)
    return changed


def diff(session: orm.Session, old: SourceRevision, new: SourceRevision, path: str) -> list[str]:
    """A unified diff of `path` between two revisions (lines without their ends); binary files say so."""
    a, b = read(session, old, path), read(session, new, path)
    if a == b:
        return []
    try:
        a_text = (a or b"").decode("utf-8").splitlines()
        b_text = (b or b"").decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return [f"Binary files differ: {path}"]
    return list(difflib.unified_diff(a_text, b_text, f"{path}@{old.id}", f"{path}@{new.id}", lineterm="", n=3))


def restore(
    session: orm.Session, slug: str, path: str, old: SourceRevision, *, author_id: int | None, message: str
) -> SourceRevision:
    """A new revision in which `path` is as it was in `old` (removed if `old` did not have it)."""
    return record_revision(session, slug, {path: read(session, old, path)}, author_id=author_id, message=message)
