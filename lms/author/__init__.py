"""Authoring: instructors create courses, edit lessons with a live preview, see a file's history, restore, publish
and export; every change is a source revision (`services.revisions`), and only a course's own instructors and
admins reach its pages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ..models import MAX_ID, Course, SourceRevision, User
from ..services import accounts, authoring, catalog, revisions
from ..web.extensions import db
from ..web.permissions import role_required
from .forms import FileForm, NewCourseForm

bp = Blueprint("author", __name__, url_prefix="/author")
instructor_required = role_required("instructor")


def _me() -> User:
    user = accounts.user_by_id(db.session, current_user.id)
    if user is None:
        abort(404)
    return user


def _course(slug: str) -> Course:
    """The course, if the signed-in instructor may edit it; another course is "not found"."""
    course = catalog.course_by_slug(db.session, slug)
    if course is None or not authoring.can_edit(db.session, _me(), slug):
        abort(404)
    return course


def _revision(slug: str, value: str | None) -> SourceRevision:
    """A revision of this course named by a form or query value; 404 otherwise."""
    try:
        revision_id = int(value or "")
    except ValueError:
        abort(404)
    if not 0 < revision_id <= MAX_ID:
        abort(404)
    revision = revisions.revision_of(db.session, slug, revision_id)
    if revision is None:
        abort(404)
    return revision


def _head(slug: str) -> SourceRevision:
    revision = revisions.head(db.session, slug)
    if revision is None:
        abort(404)
    return revision


def _editable_path(head: SourceRevision, path: str) -> str:
    if path not in head.tree or PurePosixPath(path).suffix not in authoring.EDITABLE_SUFFIXES:
        abort(404)
    return path


@bp.get("/")
@instructor_required
def index() -> ResponseReturnValue:
    user = _me()
    return render_template("author/index.html", courses=authoring.editable_courses(db.session, user))


@bp.route("/new", methods=["GET", "POST"])
@instructor_required
def new_course() -> ResponseReturnValue:
    form = NewCourseForm()
    if form.validate_on_submit():
        user = _me()
        fields = authoring.NewCourse(
            slug=form.slug.data or "",
            title=(form.title.data or "").strip(),
            summary=(form.summary.data or "").strip(),
            track=form.track.data,
            industry=form.industry.data,
            level=form.level.data,
            audience=list(form.audience.data or []),
            hours=float(form.hours.data or 0),
        )
        try:
            course = authoring.create_course(db.session, fields, user)
        except authoring.SlugTaken:
            form.slug.errors = [*form.slug.errors, _("이미 쓰이는 주소 이름입니다. 다른 이름을 고르세요.")]
        except authoring.AuthoringError as exc:
            db.session.rollback()
            form.title.errors = [*form.title.errors, *(str(p) for p in exc.problems)]
        else:
            db.session.commit()
            flash(_("강좌를 만들었습니다. 첫 강의를 써 보세요. 게시하기 전에는 학습자에게 보이지 않습니다."), "success")
            return redirect(url_for("author.edit", slug=course.slug, path=authoring.FIRST_LESSON))
    return render_template("author/new.html", form=form), 200 if not form.errors else 422


@bp.get("/<slug>/")
@instructor_required
def course(slug: str) -> ResponseReturnValue:
    course = _course(slug)
    head = _head(slug)
    published = revisions.published(db.session, slug)
    files = sorted(head.tree)
    editable = {p for p in files if PurePosixPath(p).suffix in authoring.EDITABLE_SUFFIXES}
    return render_template(
        "author/course.html",
        course=course,
        head=head,
        published=published,
        files=files,
        editable=editable,
        chain=revisions.chain(db.session, slug, limit=50),
    )


@bp.get("/<slug>/files/<path:path>")
@instructor_required
def edit(slug: str, path: str) -> ResponseReturnValue:
    course = _course(slug)
    head = _head(slug)
    path = _editable_path(head, path)
    form = FileForm(text=(revisions.read(db.session, head, path) or b"").decode("utf-8", "replace"), base=head.id)
    return _editor(course, head, path, form)


def _editor(
    course: Course, head: SourceRevision, path: str, form: FileForm, problems: Sequence[object] = (), status: int = 200
) -> ResponseReturnValue:
    preview = authoring.preview_lesson(course.slug, path, form.text.data or "")
    return (
        render_template(
            "author/edit.html",
            course=course,
            head=head,
            path=path,
            form=form,
            problems=list(problems),
            preview=preview,
            published=revisions.published(db.session, course.slug),
        ),
        status,
    )


@bp.post("/<slug>/files/<path:path>")
@instructor_required
def save(slug: str, path: str) -> ResponseReturnValue:
    course = _course(slug)
    head = _head(slug)
    path = _editable_path(head, path)
    form = FileForm()
    if not form.validate_on_submit():
        return _editor(course, head, path, form, status=422)
    base = form.base.data or ""
    base_id = int(base) if base.isdigit() and int(base) <= MAX_ID else None
    user = _me()
    try:
        revision = authoring.save_file(
            db.session,
            slug,
            path,
            form.text.data or "",
            author=user,
            message=(form.message.data or "").strip(),
            base_id=base_id or None,
        )
    except authoring.AuthoringError as exc:
        db.session.rollback()
        flash(_("저장하지 않았습니다. 아래 문제를 고쳐 주세요."), "error")
        return _editor(course, head, path, form, problems=exc.problems, status=422)
    except revisions.Conflict:
        db.session.rollback()
        flash(_("다른 사람이 먼저 이 파일을 바꾸었습니다. 최신 내용을 확인한 뒤 다시 저장해 주세요."), "error")
        # The text stays in the editor; saving it again now replaces the newer version knowingly.
        form.base.data = str(head.id)
        return _editor(course, head, path, form, status=409)
    db.session.commit()
    if revision.id == head.id:
        flash(_("바뀐 내용이 없어 새 판을 만들지 않았습니다."), "info")
    else:
        flash(_("저장했습니다 (판 %(id)s). 게시하기 전에는 학습자에게 보이지 않습니다.", id=revision.id), "success")
    return redirect(url_for("author.edit", slug=slug, path=path))


@bp.post("/<slug>/preview/<path:path>")
@instructor_required
def preview(slug: str, path: str) -> ResponseReturnValue:
    course = _course(slug)
    if PurePosixPath(path).suffix not in authoring.EDITABLE_SUFFIXES:
        abort(404)
    try:
        revisions.check_path(path)
    except revisions.BadPath:
        abort(404)
    text = request.form.get("text", "")
    if len(text.encode("utf-8", "replace")) > authoring.MAX_LESSON_BYTES:
        abort(413)
    result = authoring.preview_lesson(course.slug, path, text)
    return render_template("author/_preview.html", preview=result)


@bp.get("/<slug>/history/<path:path>")
@instructor_required
def history(slug: str, path: str) -> ResponseReturnValue:
    course = _course(slug)
    head = _head(slug)
    try:
        revisions.check_path(path)
    except revisions.BadPath:
        abort(404)
    changes = revisions.history(db.session, slug, path)
    if not changes:
        abort(404)
    return render_template(
        "author/history.html",
        course=course,
        head=head,
        path=path,
        changes=changes,
        published=revisions.published(db.session, slug),
        editable=PurePosixPath(path).suffix in authoring.EDITABLE_SUFFIXES,
    )


@bp.get("/<slug>/diff/<path:path>")
@instructor_required
def diff(slug: str, path: str) -> ResponseReturnValue:
    course = _course(slug)
    # Without revisions named: the file's latest change (its newest revision against the one before).
    new = _revision(slug, request.args.get("b")) if request.args.get("b") else _head(slug)
    if request.args.get("a"):
        old = _revision(slug, request.args.get("a"))
    else:
        changes = [r for r in revisions.history(db.session, slug, path) if r.id <= new.id]
        old = changes[1] if len(changes) > 1 else new
    if path not in old.tree and path not in new.tree:
        abort(404)
    lines = revisions.diff(db.session, old, new, path)
    return render_template("author/diff.html", course=course, path=path, old=old, new=new, lines=lines)


@bp.post("/<slug>/restore/<path:path>")
@instructor_required
def restore(slug: str, path: str) -> ResponseReturnValue:
    _course(slug)
    old = _revision(slug, request.form.get("revision"))
    if path not in old.tree:
        abort(404)
    user = _me()
    head = _head(slug)
    content = revisions.read(db.session, old, path)
    files = revisions.files_of(db.session, head)
    files[path] = content or b""
    problems = authoring.check_tree(db.session, slug, files)
    if problems:
        flash(_("이 판으로 되돌리면 강좌를 읽을 수 없습니다: %(p)s", p="; ".join(map(str, problems[:3]))), "error")
        return redirect(url_for("author.history", slug=slug, path=path))
    revision = revisions.restore(
        db.session, slug, path, old, author_id=user.id, message=_("판 %(id)s의 내용으로 되돌림", id=old.id)
    )
    db.session.commit()
    flash(_("판 %(old)s의 내용으로 되돌렸습니다 (새 판 %(id)s).", old=old.id, id=revision.id), "success")
    return redirect(url_for("author.history", slug=slug, path=path))


@bp.post("/<slug>/publish")
@instructor_required
def publish(slug: str) -> ResponseReturnValue:
    _course(slug)
    revision = _revision(slug, request.form.get("revision"))
    user = _me()
    try:
        authoring.publish(db.session, revision, user.id)
    except authoring.AuthoringError as exc:
        db.session.rollback()
        flash(_("게시하지 못했습니다: %(p)s", p="; ".join(map(str, exc.problems[:3]))), "error")
        return redirect(url_for("author.course", slug=slug))
    db.session.commit()
    flash(_("%(id)s번 판을 게시했습니다. 학습자에게 이 내용이 보입니다.", id=revision.id), "success")
    return redirect(url_for("author.course", slug=slug))


@bp.get("/<slug>/export.zip")
@instructor_required
def export(slug: str) -> ResponseReturnValue:
    _course(slug)
    revision = _revision(slug, request.args.get("revision")) if request.args.get("revision") else _head(slug)
    return Response(
        revisions.export_zip(db.session, revision),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{slug}-r{revision.id}.zip"'},
    )
