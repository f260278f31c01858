"""The learning blueprint: one for the package; `pages` (lessons, quizzes, course files) and `exercise` (notebook
exercises) add their routes to it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("learn", __name__, url_prefix="/courses")
