"""What every view and template shares: labels of the content vocabulary, safe redirects, ids and page numbers from
the URL, formatting, the published course a URL names. The package also holds the rest of the request-level glue:
security headers (`headers`), who may do what (`permissions`), error pages (`errors`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, abort, current_app, request, url_for
from flask_babel import format_datetime, format_decimal, get_locale, gettext
from flask_wtf.csrf import generate_csrf
from werkzeug.routing import IntegerConverter

from ..content import vocabulary
from ..content.kinds import KINDS
from ..models import MAX_ID, Course
from ..services.catalog import published_course
from .extensions import db

# The vocabulary's labels (Korean, translated when shown), by group: one definition in `lms.content.vocabulary`,
# item kinds' in their classes.
VOCABULARY = {
    "track": vocabulary.TRACKS,
    "industry": vocabulary.INDUSTRIES,
    "level": vocabulary.LEVELS,
    "audience": vocabulary.AUDIENCES,
    "role": vocabulary.ROLES,
    "status": vocabulary.SUBMISSION_STATUSES,
}


def label(group: str, code: str | None) -> str:
    """The translated label of a code of the vocabulary; the code itself when it has none."""
    if group == "kind":
        text = KINDS[code].label if code in KINDS else None
    else:
        text = VOCABULARY.get(group, {}).get(code or "")
    return gettext(text) if text else code or ""


def best_effort_write(write: Callable[[], object]) -> None:
    """Run a page view's small write (where the learner is, expiring lost jobs) in a transaction of its own that
    starts with the write, so it waits its turn behind other writers; if the database stays busy, skip it rather
    than fail the page."""
    db.session.commit()  # end the page's read transaction first
    try:
        write()
        db.session.commit()
    except sa.exc.OperationalError:
        db.session.rollback()
        current_app.logger.info("a page view's write was skipped: the database was busy")


def course_or_404(slug: str) -> Course:
    """The published course the URL names, else 404."""
    course = published_course(db.session, slug)
    if course is None:
        abort(404)
    return course


def safe_next(target: str | None, fallback: str) -> str:
    """`target` when it is a path on this site, else `fallback` (no open redirects, no control characters that
    would split the Location header)."""
    if not target or not target.isprintable():
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a number an id column can hold, else the URL matches nothing (404)."""

    def __init__(self, map: object, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max)  # type: ignore[arg-type]


MAX_PAGE = 10_000


def page_number() -> int:
    """The `page` query argument: 1 when missing or not a positive number; beyond any list (404) when absurd."""
    page = request.args.get("page", 1, type=int) or 1
    if page > MAX_PAGE:
        abort(404)
    return max(1, page)


def id_arg(name: str) -> int | None:
    """An id given as a query argument (`?attempt=3`): None when missing or not a number; 404 when out of range."""
    value = request.args.get(name, type=int)
    if value is not None and not 0 < value <= MAX_ID:
        abort(404)
    return value


def minutes_text(minutes: int) -> str:
    if minutes >= 60:
        hours, rest = divmod(minutes, 60)
        return gettext("%(h)d시간 %(m)d분", h=hours, m=rest) if rest else gettext("%(h)d시간", h=hours)
    return gettext("%(m)d분", m=minutes)


def url_with(**changes: Any) -> str:
    """The current page's URL with some query arguments changed (pagination, filters)."""
    args = {**request.args.to_dict(), **{k: v for k, v in changes.items() if v is not None}}
    return url_for(request.endpoint or "catalog.index", **(request.view_args or {}), **args)


def register_converters(app: Flask) -> None:
    """Before any blueprint adds its routes."""
    app.url_map.converters["int"] = IdConverter


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(label=label, csrf_token=generate_csrf, get_locale=get_locale, url_with=url_with)
    app.jinja_env.filters.update(
        datetime=lambda value, fmt="medium": format_datetime(value, fmt) if value else "",
        number=lambda value: format_decimal(value) if value is not None else "",
        minutes=minutes_text,
    )

    @app.context_processor
    def _request_helpers() -> dict[str, object]:
        return {"current_path": request.full_path.rstrip("?") if request else "/"}
