"""Quiz questions (their stored shape, `to_dict`/`from_dict`) and grading answers on the server: a pure function
from questions and answers to a result."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

QUESTION_TYPES = ("single", "multiple", "short")


@dataclass
class Option:
    text: str
    correct: bool = False


@dataclass
class Question:
    """One question of a quiz as the course file writes it; stored with its rendered HTML beside the text."""

    id: str
    type: Literal["single", "multiple", "short"]
    prompt: str
    options: list[Option] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    explanation: str = ""
    points: float = 1.0

    def to_dict(
        self, render: Callable[[str], str] | None = None, inline: Callable[[str], str] | None = None
    ) -> dict[str, Any]:
        """The stored shape; with `render` (Markdown to safe HTML) the prompt and explanation are stored rendered
        too, and with `inline` (Markdown to safe inline HTML) each option."""
        data: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "prompt": self.prompt,
            "options": [{"text": o.text, "correct": o.correct} for o in self.options],
            "answers": list(self.answers),
            "explanation": self.explanation,
            "points": self.points,
        }
        if render is not None:
            data["prompt_html"] = render(self.prompt)
            data["explanation_html"] = render(self.explanation)
        if inline is not None:
            for option, stored in zip(self.options, data["options"], strict=True):
                stored["html"] = inline(option.text)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Question:
        return cls(
            id=data["id"],
            type=data["type"],
            prompt=data["prompt"],
            options=[Option(o["text"], o["correct"]) for o in data.get("options", [])],
            answers=list(data.get("answers", [])),
            explanation=data.get("explanation", ""),
            points=data.get("points", 1.0),
        )


_EDGE_PUNCT = re.compile(r"^[\s\"'`.,;:!?()\[\]{}<>·。、]+|[\s\"'`.,;:!?()\[\]{}<>·。、]+$")


def normalise_answer(text: str) -> str:
    """Compare short answers ignoring case, width, spaces and punctuation around them."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _EDGE_PUNCT.sub("", text)
    return re.sub(r"\s+", "", text)


@dataclass
class QuestionResult:
    id: str
    correct: bool
    earned: float
    points: float
    given: list[str]


@dataclass
class QuizResult:
    earned: float
    points: float
    questions: list[QuestionResult] = field(default_factory=list)

    @property
    def score(self) -> float:
        """The percentage of points earned, 0-100."""
        return round(100.0 * self.earned / self.points, 1) if self.points else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"earned": self.earned, "points": self.points, "questions": [asdict(q) for q in self.questions]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuizResult:
        return cls(data["earned"], data["points"], [QuestionResult(**q) for q in data["questions"]])


def grade_quiz(questions: list[Question], answers: dict[str, list[str]]) -> QuizResult:
    """Grade `answers` (question id -> chosen option indexes as text, or the typed answer) against `questions`.

    A choice question earns its points only when exactly the correct options are chosen.
    """
    result = QuizResult(earned=0.0, points=0.0)
    for question in questions:
        given = [g for g in answers.get(question.id, []) if g is not None]
        if question.type == "short":
            typed = normalise_answer(given[0]) if given else ""
            correct = bool(typed) and typed in {normalise_answer(a) for a in question.answers}
        else:
            chosen = {g for g in given if g.isdigit() and int(g) < len(question.options)}
            expected = {str(i) for i, option in enumerate(question.options) if option.correct}
            correct = chosen == expected
            if question.type == "single" and len(chosen) > 1:
                correct = False
        earned = question.points if correct else 0.0
        result.points += question.points
        result.earned += earned
        result.questions.append(QuestionResult(question.id, correct, earned, question.points, given))
    return result
