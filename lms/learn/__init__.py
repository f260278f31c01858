"""Taking a course: lesson, quiz and exercise pages, marking complete, time on task, submissions, course files.

One blueprint (`learn`, in `blueprint`); the routes live in `pages` and `exercise`, `pagecache` keeps rendered lesson
pages."""

from __future__ import annotations

from . import exercise, pages
from .blueprint import bp

__all__ = ["bp", "exercise", "pages"]
