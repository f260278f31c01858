"""My learning: the learner's enrolled courses with progress, scores and completion state."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from ..content.spec import CompletionRule
from ..services import learning
from ..web.extensions import db

bp = Blueprint("dashboard", __name__, url_prefix="/me")


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    enrolments = learning.my_enrolments(db.session, current_user.id)
    rules = {e.course_id: CompletionRule.from_dict(e.course.completion) for e in enrolments}
    in_progress = [e for e in enrolments if e.completed_at is None]
    completed = [e for e in enrolments if e.completed_at is not None]
    return render_template(
        "dashboard/index.html",
        in_progress=in_progress,
        completed=completed,
        rules=rules,
        enrolments=enrolments,
        default_rule=CompletionRule(),
    )
