"""Rendered lesson pages per learner, reused until something the page shows changes.

Everything a lesson page shows is fixed by the key: the learner (and their name, e-mail and role in the header), the
course's content version, the item, the language, the URL, the enrolment's state, and the session's CSRF secret
(the page's forms carry a token made from it, valid for the whole session). Every change to a learner's progress in
a course (a completion, a quiz, time on task, a visit) moves the enrolment's `last_activity_at`, so a changed page
never matches an old key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

LIMIT = 1000

_pages: OrderedDict[Hashable, bytes] = OrderedDict()
_lock = threading.Lock()


def cached_page(key: Hashable, render: Callable[[], str]) -> bytes:
    """The page for `key` as UTF-8, made by `render()` when it is not cached (kept encoded: sent as it is)."""
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
