"""The catalog: course cards with filters and pagination, search over courses and lessons, the course page."""

from __future__ import annotations

import math

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..content.spec import AUDIENCES, INDUSTRIES, LEVELS, TRACKS, CompletionRule
from ..models import Item
from ..services import catalog, learning
from ..web import course_or_404, page_number
from ..web.extensions import db

bp = Blueprint("catalog", __name__, url_prefix="/courses")

FILTERS = {"track": TRACKS, "industry": INDUSTRIES, "level": LEVELS, "audience": AUDIENCES}


def _filters() -> dict[str, str]:
    """The filters chosen in the query string, each a code of its vocabulary (others are ignored)."""
    return {key: request.args.get(key, "") for key in FILTERS if request.args.get(key, "") in FILTERS[key]}


@bp.get("/")
def index() -> ResponseReturnValue:
    chosen = _filters()
    query = request.args.get("q", "").strip()[:100]
    page = page_number()
    per_page = current_app.config["PER_PAGE"]
    my = {}
    if current_user.is_authenticated:
        my = learning.enrolments_by_course(db.session, current_user.id)
    if query:
        found = catalog.search_catalog(db.session, query, chosen, page=page, per_page=per_page)
        pages = max(1, math.ceil(found.results.total / per_page))
        return render_template(
            "catalog/search.html",
            results=found.results,
            courses=found.courses,
            items=found.items,
            query=query,
            chosen=chosen,
            filters=FILTERS,
            page=page,
            pages=pages,
            my=my,
        )
    courses, total = catalog.list_courses(db.session, chosen, page=page, per_page=per_page)
    pages = max(1, math.ceil(total / per_page))
    return render_template(
        "catalog/index.html",
        courses=courses,
        total=total,
        chosen=chosen,
        filters=FILTERS,
        page=page,
        pages=pages,
        my=my,
    )


@bp.get("/<slug>")
def course(slug: str) -> ResponseReturnValue:
    course = course_or_404(slug)
    items = learning.course_items(db.session, course.id)
    by_module: dict[int | None, list[Item]] = {}
    for item in items:
        by_module.setdefault(item.module_id, []).append(item)
    enrolment = progress = None
    if current_user.is_authenticated:
        enrolment = learning.enrolment_for(db.session, current_user.id, course.id)
        if enrolment:
            progress = learning.progress_by_item(db.session, current_user.id, course.id)
    learners = learning.learner_count(db.session, course.id)
    return render_template(
        "catalog/course.html",
        course=course,
        by_module=by_module,
        items=items,
        enrolment=enrolment,
        progress=progress or {},
        rule=CompletionRule.from_dict(course.completion),
        learners=learners,
        total_minutes=sum(i.minutes for i in items),
    )


@bp.post("/<slug>/enrol")
@login_required
def enrol(slug: str) -> ResponseReturnValue:
    course = course_or_404(slug)
    already = learning.enrolment_for(db.session, current_user.id, course.id) is not None
    enrolment = learning.enrol(db.session, current_user.id, course)
    db.session.commit()
    if not already:
        flash(_("수강 신청이 완료되었습니다. 첫 강의부터 시작해 보세요."), "success")
    target = learning.next_item(db.session, enrolment)
    if target is None:
        return redirect(url_for("catalog.course", slug=slug))
    return redirect(url_for("learn.item", slug=slug, item_slug=target.slug))
