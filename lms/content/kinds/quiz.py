"""A quiz: questions in YAML, graded on the server; passed at the quiz's `pass_score`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..quiz import QUESTION_TYPES, Option, Question, QuizResult, grade_quiz
from ..render import render_markdown, sanitize
from ..spec import ItemSpec
from ..vocabulary import DEFAULT_PASS_SCORE, N_
from ..yamlio import LineDict, YamlError, line_of, load_yaml
from .base import ItemKind, StoredItem, register

if TYPE_CHECKING:
    from ..loader import CourseReader
    from ..render import LinkResolver


@register
class Quiz(ItemKind):
    name = "quiz"
    suffixes = (".yml", ".yaml")
    label = N_("퀴즈")
    template = "learn/quiz.html"
    page = "quiz"
    scored = True
    order = 20

    @classmethod
    def load(cls, reader: CourseReader, rel: str, slug: str) -> ItemSpec | None:
        text = reader.read_text(rel)
        if text is None:
            return None
        try:
            data = load_yaml(text)
        except YamlError as exc:
            reader.error(rel, exc.line, exc.message)
            return None
        if not isinstance(data, LineDict):
            reader.error(rel, 1, "a quiz must be a mapping with 'title', 'minutes' and 'questions'")
            return None
        item = ItemSpec(
            slug=slug,
            kind=cls.name,
            path=rel,
            title=str(data.get("title") or "").strip(),
            minutes=reader.minutes(data.get("minutes"), rel, line_of(data, "minutes")),
            required=bool(data.get("required", True)),
            pass_score=_pass_score(reader, data, rel),
        )
        questions = data.get("questions")
        if not isinstance(questions, list) or not questions:
            reader.error(rel, line_of(data, "questions"), "a quiz needs at least one question")
            return item
        ids: set[str] = set()
        for n, raw in enumerate(questions, start=1):
            question = _question(reader, rel, raw, n, line_of(questions, n - 1))
            if question is None:
                continue
            if question.id in ids:
                reader.error(rel, line_of(raw), f"duplicate question id {question.id!r}")
            ids.add(question.id)
            item.questions.append(question)
        return item

    @classmethod
    def store(cls, spec: ItemSpec, resolve: LinkResolver) -> StoredItem:
        def render(text: str) -> str:
            return render_markdown(text, resolve)

        def inline(text: str) -> str:
            return _inline(render_markdown(text, resolve))

        return StoredItem(
            data={
                "pass_score": spec.pass_score,
                "questions": [q.to_dict(render=render, inline=inline) for q in spec.questions],
            }
        )

    @classmethod
    def questions(cls, data: dict[str, Any]) -> list[Question]:
        return [Question.from_dict(q) for q in data.get("questions", [])]

    @classmethod
    def grade(cls, data: dict[str, Any], answers: dict[str, list[str]]) -> QuizResult:
        """The scoring rule's first half: answers (question id -> given) against the stored questions."""
        return grade_quiz(cls.questions(data), answers)


def _inline(html: str) -> str:
    """An option's HTML without the paragraph around it; sanitised again after the change, as the last step."""
    match = re.fullmatch(r"<p>(.*)</p>", html.strip(), re.S)
    return sanitize(match.group(1)) if match and "<p>" not in match.group(1) else html


def _pass_score(reader: CourseReader, data: LineDict, rel: str) -> int:
    value = data.get("pass_score", DEFAULT_PASS_SCORE)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        reader.error(rel, line_of(data, "pass_score"), "'pass_score' must be a number from 0 to 100")
        return DEFAULT_PASS_SCORE
    return int(value)


def _question(reader: CourseReader, rel: str, raw: Any, n: int, line: int) -> Question | None:
    if not isinstance(raw, dict):
        reader.error(rel, line, f"question {n} must be a mapping")
        return None
    line = line_of(raw, default=line)
    qtype = raw.get("type")
    if qtype not in QUESTION_TYPES:
        reader.error(rel, line_of(raw, "type", line), f"question {n}: 'type' must be single, multiple or short")
        return None
    prompt = str(raw.get("prompt") or "").strip()
    if not prompt:
        reader.error(rel, line, f"question {n}: 'prompt' is required")
    points = raw.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, int | float) or points <= 0:
        reader.error(rel, line_of(raw, "points", line), f"question {n}: 'points' must be a positive number")
        points = 1
    question = Question(
        id=str(raw.get("id") or f"q{n}"),
        type=qtype,
        prompt=prompt,
        explanation=str(raw.get("explanation") or "").strip(),
        points=float(points),
    )
    for text in (prompt, question.explanation):
        reader.check_links(rel, text, line, same_line=True)
    if qtype == "short":
        answers = raw.get("answers")
        if isinstance(answers, str | int | float):
            answers = [answers]
        if not isinstance(answers, list) or not [a for a in answers if str(a).strip()]:
            reader.error(rel, line_of(raw, "answers", line), f"question {n}: a short question needs 'answers'")
        else:
            question.answers = [str(a).strip() for a in answers if str(a).strip()]
    else:
        options = raw.get("options")
        if not isinstance(options, list) or len(options) < 2:
            reader.error(rel, line_of(raw, "options", line), f"question {n}: needs two or more 'options'")
            return question
        for index, opt in enumerate(options):
            if isinstance(opt, dict) and str(opt.get("text", "")).strip():
                question.options.append(Option(str(opt["text"]).strip(), opt.get("correct") is True))
                reader.check_links(rel, str(opt["text"]), line_of(options, index), same_line=True)
            else:
                reader.error(rel, line_of(options, index), f"question {n}: an option needs 'text'")
        correct = sum(o.correct for o in question.options)
        if qtype == "single" and correct != 1:
            reader.error(
                rel,
                line_of(raw, "options", line),
                f"question {n}: a single-answer question needs exactly one correct option (found {correct})",
            )
        if qtype == "multiple" and correct < 1:
            reader.error(rel, line_of(raw, "options", line), f"question {n}: mark at least one option correct")
    if not question.explanation:
        reader.warn(rel, line, f"question {n}: no 'explanation' to show after submission")
    return question
