"""Instructors: notebook answers waiting for manual grading in the courses they teach, and grading them."""

from __future__ import annotations

import math

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ..grading.grader import GradeResult
from ..services import accounts, exercises, learning
from ..web import page_number
from ..web.extensions import db
from ..web.permissions import role_required

bp = Blueprint("teach", __name__, url_prefix="/teach")
instructor_required = role_required("instructor")


@bp.get("/")
@instructor_required
def index() -> ResponseReturnValue:
    page = page_number()
    per_page = 20
    rows, total = exercises.pending_manual_page(
        db.session, current_user.id, current_user.role, page=page, per_page=per_page
    )
    return render_template(
        "teach/index.html", rows=rows, total=total, page=page, pages=max(1, math.ceil(total / per_page))
    )


@bp.route("/submissions/<int:submission_id>", methods=["GET", "POST"])
@instructor_required
def grade(submission_id: int) -> ResponseReturnValue:
    # Another course's submission is "not found": its learner's name and answers are none of this grader's business.
    submission = exercises.submission_to_grade(db.session, submission_id, current_user.id, current_user.role)
    if submission is None or submission.result is None:
        abort(404)
    result = GradeResult.from_dict(submission.result)
    manual_items = [g for g in result.grades if g.status in exercises.WAITING_FOR_INSTRUCTOR]
    if request.method == "POST":
        grades: dict[str, tuple[float, str]] = {}
        errors = []
        for g in manual_items:
            raw = request.form.get(f"points-{g.grade_id}", "").strip()
            if raw == "":
                continue
            try:
                points = float(raw)
            except ValueError:
                errors.append(g.grade_id)
                continue
            if not 0 <= points <= g.max_points:
                errors.append(g.grade_id)
                continue
            grades[g.grade_id] = (points, request.form.get(f"comment-{g.grade_id}", "")[:5000])
        if errors:
            flash(_("점수는 0부터 배점 사이의 숫자여야 합니다: %(ids)s", ids=", ".join(errors)), "error")
        else:
            exercises.grade_manually(db.session, submission, current_user.id, grades)
            db.session.commit()
            flash(_("채점을 저장했습니다."), "success")
            return redirect(
                url_for("teach.index") if submission.final else url_for("teach.grade", submission_id=submission.id)
            )
    learner = accounts.user_by_id(db.session, submission.user_id)
    item = learning.item_by_id(db.session, submission.item_id)
    if item is None:
        abort(404)
    sheet = exercises.grading_sheet(submission, item, manual_items, review=bool(result.review))
    return render_template(
        "teach/grade.html",
        submission=submission,
        result=result,
        manual_items=manual_items,
        answers=sheet.answers,
        models=sheet.models,
        review_code=sheet.review_code,
        learner=learner,
        item=item,
        existing=exercises.manual_grades(db.session, submission.id),
    )
