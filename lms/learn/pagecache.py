"""Rendered lesson pages per learner, reused while nothing the page shows has changed.

The key is derived, never hand-listed: `page_key` takes the template's whole context (everything the view passes:
the course and enrolment row, the outline, the learner's progress in each item, the lesson's HTML...) and adds what
`base.html` and `_layout.html` read from the request themselves (`request_inputs`: who is signed in, the language, the
URL, the session's CSRF secret). A value the view starts passing is in the key by construction; a value the templates
start reading from the request must be added to `request_inputs`. `tests/web/test_learning.py` changes each input and
checks that the page served is the page rendered afresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from flask import request, session
from flask_login import current_user

from ..web.extensions import select_locale

LIMIT = 1000

_pages: OrderedDict[Hashable, bytes] = OrderedDict()
_lock = threading.Lock()


def request_inputs() -> tuple[Any, ...]:
    """What the page templates read from the request rather than from their context."""
    return (
        current_user.id,
        current_user.name,  # the header: name, e-mail, role (and the menus the role opens)
        current_user.email,
        current_user.role,
        select_locale(),
        request.full_path,  # the language form's "next"
        session.get("csrf_token"),  # the forms' tokens are made from it
    )


def _frozen(value: Any) -> Hashable:
    if isinstance(value, Mapping):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list | set):
        return tuple(_frozen(item) for item in value)
    return value  # rows, frozen dataclasses, strings, numbers, datetimes: hashable as they are


def page_key(template: str, context: Mapping[str, Any]) -> Hashable:
    """Everything the page `template` shows when rendered with `context`, as one hashable value."""
    return (template, request_inputs(), _frozen(context))


def cacheable() -> bool:
    """Whether a page may come from (and go to) the cache: not when it would show, and so consume, flashed messages,
    nor before the session has a CSRF secret (rendering the page makes one)."""
    return "_flashes" not in session and "csrf_token" in session


def cached_page(template: str, context: Mapping[str, Any], render: Callable[[], str]) -> bytes:
    """The page as UTF-8, made by `render()` when not cached (kept encoded: sent as it is)."""
    key = page_key(template, context)
    with _lock:
        page = _pages.get(key)
        if page is not None:
            _pages.move_to_end(key)
            return page
    page = render().encode()
    with _lock:
        _pages[key] = page
        while len(_pages) > LIMIT:
            _pages.popitem(last=False)
    return page


def clear() -> None:
    with _lock:
        _pages.clear()
