"""Quiz grading is a pure function of the questions and the answers."""

from lms.content.quiz import Option, Question, grade_quiz, normalise_answer

QUESTIONS = [
    Question("q1", "single", "?", [Option("a", True), Option("b")]),
    Question("q2", "multiple", "?", [Option("a", True), Option("b", True), Option("c")], points=2),
    Question("q3", "short", "?", answers=["불량률", "defect rate"]),
]


def test_all_correct():
    result = grade_quiz(QUESTIONS, {"q1": ["0"], "q2": ["1", "0"], "q3": [" 불 량률. "]})
    assert (result.earned, result.points, result.score) == (4, 4, 100.0)


def test_partly_correct_and_wrong():
    result = grade_quiz(QUESTIONS, {"q1": ["1"], "q2": ["0"], "q3": ["Defect Rate"]})
    assert [q.correct for q in result.questions] == [False, False, True]
    assert result.score == 25.0


def test_unanswered_and_garbage_answers_earn_nothing():
    result = grade_quiz(QUESTIONS, {"q1": ["0", "1"], "q2": ["9", "x"], "q3": [""]})
    assert result.earned == 0 and result.score == 0.0


def test_normalise_answer():
    assert normalise_answer("  ＡＩ 모델! ") == "ai모델"
    assert normalise_answer("'불량률'") == "불량률"
