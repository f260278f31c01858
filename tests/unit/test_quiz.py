"""Quiz grading is a pure function of the questions and the answers."""

from lms.content.quiz import Option, Question, QuizResult, grade_quiz, normalise_answer

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


def test_a_multiple_choice_question_needs_every_right_option_and_no_wrong_one():
    question = [QUESTIONS[1]]
    for given, correct in [
        (["0", "1"], True),
        (["1", "0", "1"], True),  # the same option twice is still that option
        (["0"], False),  # part of the answer
        (["0", "1", "2"], False),  # the answer and one more
        ([], False),
    ]:
        result = grade_quiz(question, {"q2": given})
        assert result.questions[0].correct is correct, given
        assert (result.earned, result.points) == ((2, 2) if correct else (0, 2)), given


def test_options_that_do_not_exist_are_ignored():
    result = grade_quiz(QUESTIONS[:1], {"q1": ["0", "2", "-1", "1.0", "", None]})
    assert result.questions[0].correct and result.questions[0].given == ["0", "2", "-1", "1.0", ""]
    assert not grade_quiz(QUESTIONS[:1], {"q1": ["2"]}).questions[0].correct


def test_a_single_choice_question_with_two_right_options_takes_one_of_them_only():
    question = Question("s", "single", "?", [Option("a", True), Option("b", True), Option("c")])
    assert not grade_quiz([question], {"s": ["0", "1"]}).questions[0].correct


def test_a_short_answer_is_its_first_text_and_never_empty():
    question = Question("s", "short", "?", answers=["?", "정답"])  # "?" normalises to nothing
    assert not grade_quiz([question], {"s": [""]}).questions[0].correct
    assert not grade_quiz([question], {"s": ["!"]}).questions[0].correct
    assert not grade_quiz([question], {"s": []}).questions[0].correct
    assert not grade_quiz([question], {"s": ["오답", "정답"]}).questions[0].correct
    assert grade_quiz([question], {"s": ["(정 답)"]}).questions[0].correct


def test_scores_are_weighted_by_points_and_rounded():
    result = grade_quiz(QUESTIONS, {"q1": ["0"]})  # 1 of 4 points
    assert (result.earned, result.points, result.score) == (1, 4, 25.0)
    assert [(q.earned, q.points) for q in result.questions] == [(1, 1), (0, 2), (0, 1)]
    thirds = [Question(f"t{i}", "single", "?", [Option("a", True)]) for i in range(3)]
    assert grade_quiz(thirds, {"t0": ["0"]}).score == 33.3
    assert grade_quiz(thirds, {"t0": ["0"], "t1": ["0"]}).score == 66.7
    assert grade_quiz([], {}).score == 0.0


def test_a_result_survives_storage():
    result = grade_quiz(QUESTIONS, {"q1": ["0"], "q3": ["불량률"]})
    again = QuizResult.from_dict(result.to_dict())
    assert again == result and again.score == 50.0
    assert result.to_dict()["questions"][0] == {"id": "q1", "correct": True, "earned": 1, "points": 1, "given": ["0"]}


def test_normalise_answer_keeps_inner_punctuation_and_folds_case_and_width():
    assert normalise_answer("A.I") == "a.i"
    assert normalise_answer("《정답》") == "《정답》"
    assert normalise_answer("Ｒ２\t값 ") == "r2값"
    assert normalise_answer("「불량률」。") == "「불량률」"
