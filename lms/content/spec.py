"""The course format as plain data: what a course folder says, before it is stored anywhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from . import vocabulary
from .quiz import Question

# The vocabulary's codes, as the loader validates them (labels: `vocabulary`).
TRACKS = tuple(vocabulary.TRACKS)
INDUSTRIES = tuple(vocabulary.INDUSTRIES)
LEVELS = tuple(vocabulary.LEVELS)
AUDIENCES = tuple(vocabulary.AUDIENCES)
LANGUAGES = vocabulary.LANGUAGES
MAX_TEXT_BYTES = 1024 * 1024  # a manifest, lesson, quiz or overview
MAX_NOTEBOOK_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a course file, located by file and line (or, in a notebook, by cell)."""

    file: str
    line: int
    message: str
    severity: Literal["error", "warning"] = "error"
    cell: int | None = None

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        if self.cell is not None:
            return f"{self.file}: cell {self.cell}: {prefix}{self.message}"
        return f"{self.file}:{self.line}: {prefix}{self.message}"


@dataclass
class CompletionRule:
    """When a course counts as completed (data, per course)."""

    min_progress: int = vocabulary.DEFAULT_MIN_PROGRESS
    min_score: int = vocabulary.DEFAULT_MIN_SCORE
    require_exercises: bool = False
    score: Literal["best", "last"] = "best"

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_progress": self.min_progress,
            "min_score": self.min_score,
            "require_exercises": self.require_exercises,
            "score": self.score,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> CompletionRule:
        return cls(**(data or {}))


@dataclass
class ItemSpec:
    """An item of the outline as written in the course folder; `kind` names its class in `lms.content.kinds`,
    which reads and fills the fields it uses."""

    slug: str
    kind: str
    path: str
    title: str
    minutes: int
    required: bool = True
    body: str = ""  # Markdown of a lesson
    objectives: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    pass_score: int = vocabulary.DEFAULT_PASS_SCORE
    notebook: dict[str, Any] | None = None  # the instructor's source notebook (never sent to learners)
    files: list[str] = field(default_factory=list)  # course files an exercise reads (its data), sorted
    data: dict[str, Any] = field(default_factory=dict)  # anything else a kind reads from its file


@dataclass
class ModuleSpec:
    title: str
    items: list[ItemSpec] = field(default_factory=list)


@dataclass
class CourseSpec:
    """Everything a course folder holds, validated."""

    slug: str
    title: str
    summary: str
    track: str
    industry: str
    level: str
    audience: list[str]
    language: str
    hours: float
    licence: str
    content_hash: str
    tags: list[str] = field(default_factory=list)
    instructors: list[dict[str, str]] = field(default_factory=list)
    prerequisites: list[str] = field(default_factory=list)
    completion: CompletionRule = field(default_factory=CompletionRule)
    overview: str = ""
    modules: list[ModuleSpec] = field(default_factory=list)
    assets: dict[str, bytes] = field(default_factory=dict)  # only files published items use, or `assets:` names
    private_assets: set[str] = field(default_factory=set)  # of those, read only by hidden tests or solutions

    @property
    def items(self) -> list[ItemSpec]:
        return [item for module in self.modules for item in module.items]
