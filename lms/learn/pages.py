"""Lesson and quiz pages (and the page of every item kind), marking complete, time on task, quiz submission,
course files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..content.kinds import kind_named
from ..content.kinds.quiz import Quiz
from ..content.loader import never_served
from ..content.quiz import QuizResult
from ..models import Item
from ..services import courses, learning
from ..services.learning import Outline, OutlineItem
from ..web import best_effort_write, course_or_404, id_arg
from ..web.extensions import db
from ..web.permissions import enrolment_or_redirect, need_enrolment
from . import exercise, pagecache
from .blueprint import bp

if TYPE_CHECKING:
    from sqlalchemy import Row


def _item_or_404(items: list[Item], item_slug: str) -> Item:
    item = next((i for i in items if i.slug == item_slug), None)
    if item is None:
        abort(404)
    return item


@bp.get("/<slug>/continue")
@login_required
def resume(slug: str) -> ResponseReturnValue:
    course = course_or_404(slug)
    enrolment = enrolment_or_redirect(course)
    item = learning.next_item(db.session, enrolment)
    if item is None:
        return redirect(url_for("catalog.course", slug=slug))
    return redirect(url_for("learn.item", slug=slug, item_slug=item.slug))


@bp.get("/<slug>/items/<item_slug>")
@login_required
def item(slug: str, item_slug: str) -> ResponseReturnValue:
    # The platform's hot path: one query for the course and the enrolment, the outline and the lesson's HTML from
    # their caches (shared by every learner, keyed by the content version), this learner's progress in one query,
    # and a lesson page from the page cache while nothing it shows has changed; the visit is written only when news.
    row = learning.course_with_enrolment(db.session, slug, current_user.id)
    if row is None:
        abort(404)
    course = enrolment = row
    if enrolment.enrolment_id is None:
        return need_enrolment(slug)
    outline = learning.outline(db.session, course.id, course.content_hash)
    current = outline.find(item_slug)
    if current is None:
        abort(404)
    if learning.visit_is_news(enrolment, current.id):
        best_effort_write(lambda: learning.record_visit(db.session, enrolment.enrolment_id, current.id))
    return _render_item(course, enrolment, outline, current)


def _render_item(course: Row, enrolment: Row, outline: Outline, current: OutlineItem, **extra: Any) -> str | bytes:
    progress = learning.item_states(db.session, current_user.id, course.id)
    previous, following = outline.neighbours(current)
    context = {
        "course": course,
        "enrolment": enrolment,
        "outline": outline,
        "item": current,
        "progress": progress,
        "row": progress.get(current.id),
        "previous": previous,
        "next": following,
    }
    # The kind says which page shows it: its stored body (a lesson, and any kind that only shows content), or a
    # page built from the learner's attempts (quizzes here, notebook exercises in .exercise).
    kind = kind_named(current.kind)
    if kind.page == "body":
        context["body"] = learning.lesson_body(db.session, current.id, course.content_hash)
        if not pagecache.cacheable():
            return render_template(kind.template, **context, **extra)
        context.update(extra)
        return pagecache.cached_page(kind.template, context, lambda: render_template(kind.template, **context))
    context["item"] = learning.item_by_id(db.session, current.id)
    return _PAGES[kind.page](context)


def _render_quiz(context: dict[str, Any]) -> str:
    current = context["item"]
    attempts = learning.attempts_for(db.session, current_user.id, current.id)
    shown = None
    if (attempt_id := id_arg("attempt")) is not None:
        shown = next((a for a in attempts if a.id == attempt_id), None)
        if shown is None:
            abort(404)
    result = QuizResult.from_dict(shown.result) if shown else None
    return render_template(Quiz.template, attempts=attempts, shown=shown, result=result, **context)


# Pages built from the learner's attempts, by `ItemKind.page`.
_PAGES = {"quiz": _render_quiz, "exercise": exercise.render_exercise}


@bp.post("/<slug>/items/<item_slug>/complete")
@login_required
def complete(slug: str, item_slug: str) -> ResponseReturnValue:
    course = course_or_404(slug)
    enrolment = enrolment_or_redirect(course)
    items = learning.course_items(db.session, course.id)
    current = _item_or_404(items, item_slug)
    if kind_named(current.kind).page != "body":  # quizzes and exercises are done by submitting them
        abort(400)
    was_completed = enrolment.completed_at is not None
    learning.complete_lesson(db.session, enrolment, current)
    db.session.commit()
    if enrolment.completed_at and not was_completed:
        flash(_("축하합니다! '%(title)s' 과정을 수료했습니다.", title=course.title), "success")
    index = items.index(current)
    if request.form.get("go") == "next" and index + 1 < len(items):
        return redirect(url_for("learn.item", slug=slug, item_slug=items[index + 1].slug))
    return redirect(url_for("learn.item", slug=slug, item_slug=item_slug))


@bp.post("/<slug>/items/<item_slug>/time")
@login_required
def time_spent(slug: str, item_slug: str) -> ResponseReturnValue:
    course = course_or_404(slug)
    enrolment = learning.enrolment_for(db.session, current_user.id, course.id)
    item = learning.active_item(db.session, course.id, item_slug)
    if enrolment is None or item is None:
        abort(404)
    # The page only says "still here" (or "back again" after being hidden); how long is the server's to know.
    counted = learning.add_time(db.session, enrolment, item, resume=request.form.get("event") == "resume")
    db.session.commit()
    return jsonify(counted=counted)


@bp.post("/<slug>/items/<item_slug>/quiz")
@login_required
def submit_quiz(slug: str, item_slug: str) -> ResponseReturnValue:
    course = course_or_404(slug)
    enrolment = enrolment_or_redirect(course)
    item = learning.active_item(db.session, course.id, item_slug)
    if item is None or item.kind != Quiz.name:
        abort(404)
    answers = {q["id"]: request.form.getlist(f"q-{q['id']}") for q in item.data.get("questions", [])}
    unanswered = [qid for qid, given in answers.items() if not any(g.strip() for g in given)]
    if len(unanswered) == len(answers):
        flash(_("답을 하나 이상 선택하거나 입력한 뒤 제출해 주세요."), "error")
        return redirect(url_for("learn.item", slug=slug, item_slug=item_slug))
    was_completed = enrolment.completed_at is not None
    attempt = learning.submit_quiz(db.session, enrolment, item, answers)
    db.session.commit()
    if enrolment.completed_at and not was_completed:
        flash(_("축하합니다! '%(title)s' 과정을 수료했습니다.", title=course.title), "success")
    return redirect(url_for("learn.item", slug=slug, item_slug=item_slug, attempt=attempt.id, _anchor="result"))


@bp.get("/<slug>/files/<path:path>")
def asset(slug: str, path: str) -> ResponseReturnValue:
    # Course files are public like the course page (overview images show to visitors); only files published
    # content uses are stored, and notebook sources, quizzes and the manifest are refused even if one were.
    if never_served(path):
        abort(404)
    course = course_or_404(slug)
    row = courses.public_file(db.session, course.id, path)
    if row is None:
        abort(404)
    if request.if_none_match and row.sha256 in request.if_none_match:
        return Response(status=304)
    response = Response(row.content, mimetype=row.media_type)
    response.set_etag(row.sha256)
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    response.headers["X-Content-Type-Options"] = "nosniff"
    if row.media_type == "image/svg+xml":
        # An SVG opened directly must not run script: sandbox it.
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    if not row.media_type.startswith("image/"):
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(path.rsplit('/', 1)[-1])}"
    return response
