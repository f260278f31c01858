"""The catalog: course cards with filters and pagination, search over courses and lessons, the course page."""

from __future__ import annotations

import math

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..content.spec import AUDIENCES, INDUSTRIES, LEVELS, TRACKS, CompletionRule
from ..extensions import db
from ..models import Course, Enrolment, Item
from ..search.index import search
from ..services import learning
from ..web import page_number

bp = Blueprint("catalog", __name__, url_prefix="/courses")

FILTERS = {"track": TRACKS, "industry": INDUSTRIES, "level": LEVELS, "audience": AUDIENCES}


def course_or_404(slug: str) -> Course:
    course = db.session.scalar(sa.select(Course).where(Course.slug == slug, Course.published))
    if course is None:
        abort(404)
    return course


def _filters() -> tuple[dict[str, str], list[sa.ColumnElement[bool]]]:
    chosen = {key: request.args.get(key, "") for key in FILTERS if request.args.get(key, "") in FILTERS[key]}
    clauses: list[sa.ColumnElement[bool]] = [Course.published]
    for key, value in chosen.items():
        if key == "audience":
            clauses.append(sa.cast(Course.audience, sa.String).like(f'%"{value}"%'))
        else:
            clauses.append(getattr(Course, key) == value)
    return chosen, clauses


@bp.get("/")
def index():  # noqa: ANN201
    chosen, clauses = _filters()
    query = request.args.get("q", "").strip()[:100]
    page = page_number()
    per_page = current_app.config["PER_PAGE"]
    my = {}
    if current_user.is_authenticated:
        my = {
            e.course_id: e for e in db.session.scalars(sa.select(Enrolment).where(Enrolment.user_id == current_user.id))
        }
    if query:
        results = search(db.session, query, course_filter=sa.and_(*clauses), page=page, per_page=per_page)
        courses = {
            c.id: c
            for c in db.session.scalars(sa.select(Course).where(Course.id.in_({h.course_id for h in results.hits})))
        }
        items = {
            i.id: i
            for i in db.session.scalars(
                sa.select(Item).where(Item.id.in_({h.item_id for h in results.hits if h.item_id}))
            )
        }
        pages = max(1, math.ceil(results.total / per_page))
        return render_template(
            "catalog/search.html",
            results=results,
            courses=courses,
            items=items,
            query=query,
            chosen=chosen,
            filters=FILTERS,
            page=page,
            pages=pages,
            my=my,
        )
    total = db.session.scalar(sa.select(sa.func.count(Course.id)).where(*clauses)) or 0
    courses = db.session.scalars(
        sa.select(Course)
        .where(*clauses)
        .order_by(
            sa.case({level: n for n, level in enumerate(LEVELS)}, value=Course.level, else_=len(LEVELS)), Course.title
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
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
def course(slug: str):  # noqa: ANN201
    course = course_or_404(slug)
    items = db.session.scalars(learning.active_items(course.id)).all()
    by_module: dict[int | None, list[Item]] = {}
    for item in items:
        by_module.setdefault(item.module_id, []).append(item)
    enrolment = progress = None
    if current_user.is_authenticated:
        enrolment = learning.enrolment_for(db.session, current_user.id, course.id)
        if enrolment:
            progress = learning.progress_by_item(db.session, current_user.id, course.id)
    learners = db.session.scalar(sa.select(sa.func.count(Enrolment.id)).where(Enrolment.course_id == course.id))
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
def enrol(slug: str):  # noqa: ANN201
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
