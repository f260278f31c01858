"""Who may do what: a handful of decorators that end in 403, and the rule that a course's learning pages need
enrolment."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, redirect, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..models import Course, Enrolment
from ..services import learning
from .extensions import db


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Logged in with one of `roles` (admins may do everything)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = role_required("admin")


def need_enrolment(slug: str) -> Response:
    """Where a learner who is not enrolled goes: the course page, which asks them to enrol."""
    return redirect(url_for("catalog.course", slug=slug, need="enrol"))


def enrolment_or_redirect(course: Course) -> Enrolment:
    """The signed-in learner's enrolment in `course`; without one, the request ends at `need_enrolment`."""
    enrolment = learning.enrolment_for(db.session, current_user.id, course.id)
    if enrolment is None:
        abort(need_enrolment(course.slug))
    return enrolment
