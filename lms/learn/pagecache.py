"""Rendered lesson pages per learner, reused until something the page shows changes.

Everything a lesson page shows is fixed by the key: the learner (and their name, e-mail and role in the header), the
course's content version, the item, the language, the URL, and the enrolment's state. Every change to a
learner's progress in a course (a completion, a quiz, time on task, a visit) moves the enrolment's
`last_activity_at`, so a changed page never matches an old key. The CSRF token is the one part that differs per
request: pages are rendered with a slot that is filled in on the way out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask_wtf.csrf import generate_csrf

TOKEN_SLOT = "__baeum_csrf_token__"
LIMIT = 1000

_pages: OrderedDict[Hashable, str] = OrderedDict()
_lock = threading.Lock()


def cached_page(key: Hashable, render: Callable[[Callable[[], str]], str]) -> str:
    """The page for `key`; `render(csrf_token)` makes it when it is not cached."""
    with _lock:
        page = _pages.get(key)
        if page is not None:
            _pages.move_to_end(key)
    if page is None:
        page = render(lambda: TOKEN_SLOT)
        with _lock:
            _pages[key] = page
            while len(_pages) > LIMIT:
                _pages.popitem(last=False)
    return page.replace(TOKEN_SLOT, generate_csrf())


def clear() -> None:
    with _lock:
        _pages.clear()
