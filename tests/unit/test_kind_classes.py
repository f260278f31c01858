"""Item kinds own their stored shape and their scoring rule; pass marks come from the course data."""

from __future__ import annotations

import json

from lms.content.kinds import KINDS, item_suffixes, kind_for_path, scored_kinds
from lms.content.kinds.exercise import Exercise
from lms.content.kinds.lesson import Lesson
from lms.content.kinds.quiz import Quiz
from lms.content.loader import load_course
from lms.content.quiz import Option, Question
from lms.content.spec import CompletionRule
from lms.content.vocabulary import DEFAULT_MIN_PROGRESS, DEFAULT_MIN_SCORE, DEFAULT_PASS_SCORE
from tests.hostile_courses import graded_notebook, write_course

QUESTIONS = [
    Question("q1", "single", "**어느** 것?", [Option("`a`", True), Option("b")], explanation="해설"),
    Question("q2", "short", "단답", answers=["불량률"], points=2.0),
]


def test_the_registry_holds_the_shipped_kinds():
    assert {"lesson": Lesson, "quiz": Quiz, "exercise": Exercise}.items() <= KINDS.items()
    assert kind_for_path("lessons/01.MD") is Lesson and kind_for_path("q.yaml") is Quiz
    assert kind_for_path("x.ipynb") is Exercise and kind_for_path("data/x.csv") is None
    assert set(scored_kinds()) == {"quiz", "exercise"} and ".md" in item_suffixes()


def test_a_question_round_trips_through_its_stored_shape():
    for question in QUESTIONS:
        assert Question.from_dict(question.to_dict()) == question
        stored = question.to_dict(render=lambda text: f"<p>{text}</p>", inline=str.upper)
        assert Question.from_dict(stored) == question
    stored = QUESTIONS[0].to_dict(render=lambda text: f"<p>{text}</p>", inline=str.upper)
    assert stored["prompt_html"] == "<p>**어느** 것?</p>" and stored["options"][0]["html"] == "`A`"


def test_a_quiz_stores_its_questions_and_is_graded_from_them():
    from lms.content.spec import ItemSpec

    spec = ItemSpec(slug="q", kind="quiz", path="q.yml", title="퀴즈", minutes=5, questions=QUESTIONS, pass_score=70)
    stored = Quiz.store(spec, lambda url: None)
    assert stored.body_html == "" and stored.data["pass_score"] == 70
    assert stored.data["questions"][0]["options"][0]["html"] == "<code>a</code>"  # no paragraph around an option
    assert "<strong>어느</strong>" in stored.data["questions"][0]["prompt_html"]
    result = Quiz.grade(stored.data, {"q1": ["0"], "q2": ["모름"]})
    assert result.score == 33.3 and not Quiz.passed(result.score, stored.data)
    assert Quiz.passed(100.0, stored.data) and Quiz.passed(70, stored.data)


def test_an_option_is_sanitised_after_its_paragraph_is_removed():
    from lms.content.kinds.quiz import _inline

    assert _inline("<p><b>굵게</b></p>") == "<b>굵게</b>"
    # Whatever the paragraph held, the result is what the sanitiser lets through.
    assert _inline('<p><a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)></p>').count("alert") == 0


def test_pass_marks_default_to_the_documented_values():
    assert Quiz.pass_score({}) == Exercise.pass_score({}) == DEFAULT_PASS_SCORE == 60
    assert not Exercise.passed(59.9, {}) and Exercise.passed(60, {}) and not Exercise.passed(None, {})
    assert not Exercise.passed(90, {"pass_score": 100})
    rule = CompletionRule()
    assert (rule.min_progress, rule.min_score) == (DEFAULT_MIN_PROGRESS, DEFAULT_MIN_SCORE) == (80, 60)


def _exercise_course(tmp_path, meta: dict) -> dict:
    nb = json.loads(graded_notebook("x = 1", "assert answer == 42"))
    nb["metadata"]["baeum"] = meta
    folder = write_course(tmp_path, "ex", {"ex.ipynb": json.dumps(nb)}, items=("ex.ipynb",))
    return load_course(folder)


def test_an_exercise_takes_its_pass_mark_from_the_notebook(tmp_path):
    result = _exercise_course(tmp_path, {"pass_score": 100})
    assert result.errors == [], [str(p) for p in result.errors]
    spec = result.course.items[0]
    assert spec.pass_score == 100
    assert Exercise.store(spec, lambda url: None).data["pass_score"] == 100
    wrong = _exercise_course(tmp_path / "wrong", {"pass_score": 120})
    assert any("baeum.pass_score must be a number from 0 to 100" in str(p) for p in wrong.errors)
