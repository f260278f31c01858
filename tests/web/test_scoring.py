"""Pass marks, scores and completion thresholds at their edges, and who grades which course.

Written to kill the mutants `scripts/mutation.sh` found alive: each test pins one rule at its boundary (a score equal
to the pass mark passes, one just below fails), through the web pages and the public services, so a changed
threshold or comparison fails a test. Notebook gradings are stored with `exercises.finish` and a result made here,
without the sandbox: what is under test is what the platform does with a score, not the grading run.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms.grading.grader import GradeItem, GradeResult
from lms.models import Course, Enrolment, Item, ItemProgress, LearningRecord, ManualGrade
from lms.services import exercises, learning, teaching

BASICS = "/courses/factory-basics"
QUIZ = f"{BASICS}/items/check/quiz"
LESSONS = ("01-sensors", "02-defects", "03-models")
LAB = "/courses/notebook-lab"
# The fixture quiz has three one-point questions: these answers earn 0, 1, 2 and 3 of them.
NONE_RIGHT = {"q-q1": "1"}
ONE_RIGHT = {"q-q1": "0"}
TWO_RIGHT = {"q-q1": "0", "q-q2": ["0", "1"]}
ALL_RIGHT = {"q-q1": "0", "q-q2": ["0", "1"], "q-q3": "defect rate"}


def course(session, slug: str) -> Course:
    return session.scalar(sa.select(Course).where(Course.slug == slug))


def item(session, slug: str, item_slug: str) -> Item:
    return session.scalar(sa.select(Item).where(Item.course_id == course(session, slug).id, Item.slug == item_slug))


def enrolment(session, user) -> Enrolment:
    session.expire_all()
    return session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user.id))


def progress(session, user, item_slug: str) -> ItemProgress:
    session.expire_all()
    return session.scalar(
        sa.select(ItemProgress)
        .join(Item, Item.id == ItemProgress.item_id)
        .where(ItemProgress.user_id == user.id, Item.slug == item_slug)
    )


def verbs(session, user, item_slug: str | None = None) -> list[tuple[str, float | None, bool | None]]:
    query = sa.select(LearningRecord.verb, LearningRecord.score, LearningRecord.success).where(
        LearningRecord.user_id == user.id
    )
    if item_slug:
        query = query.join(Item, Item.id == LearningRecord.item_id).where(Item.slug == item_slug)
    return [tuple(row) for row in session.execute(query.order_by(LearningRecord.id))]


def set_completion(session, slug: str, **rule: object) -> None:
    c = course(session, slug)
    c.completion = {**(c.completion or {}), **rule}
    session.commit()


def set_pass_score(session, score: float) -> None:
    quiz = item(session, "factory-basics", "check")
    quiz.data = {**quiz.data, "pass_score": score}
    session.commit()


@pytest.fixture
def learner(actions):
    user = actions.login_as("learner")
    assert actions.post(f"{BASICS}/enrol").status_code == 302
    return user


def quiz(actions, answers: dict) -> None:
    assert actions.post(QUIZ, answers).status_code == 302


# -- quizzes: the pass mark comes from the quiz, a score equal to it passes -----------------------------------------


def test_a_quiz_score_equal_to_the_pass_mark_passes(actions, learner, session):
    set_pass_score(session, 66.7)
    quiz(actions, TWO_RIGHT)  # 66.7
    row = progress(session, learner, "check")
    assert (row.passed, row.last_score, row.best_score, row.attempts) == (True, 66.7, 66.7, 1)
    assert verbs(session, learner, "check") == [("passed", 66.7, True)]


def test_a_quiz_score_below_the_pass_mark_fails(actions, learner, session):
    set_pass_score(session, 66.8)
    quiz(actions, TWO_RIGHT)
    row = progress(session, learner, "check")
    assert (row.passed, row.last_score) == (False, 66.7)
    assert row.completed_at is not None  # attempted counts as done for progress, passed or not
    assert verbs(session, learner, "check") == [("failed", 66.7, False)]


def test_the_quiz_pass_mark_is_the_quizs_own(actions, learner, session):
    quiz(actions, ONE_RIGHT)  # 33.3 against the fixture's 60
    assert progress(session, learner, "check").passed is False
    set_pass_score(session, 30)
    quiz(actions, ONE_RIGHT)
    assert progress(session, learner, "check").passed is True


def test_a_passed_quiz_stays_passed_and_keeps_its_best_score(actions, learner, session):
    quiz(actions, ALL_RIGHT)
    quiz(actions, ONE_RIGHT)
    row = progress(session, learner, "check")
    assert (row.attempts, row.best_score, row.last_score, row.passed) == (2, 100.0, 33.3, True)
    assert [v for v, _, _ in verbs(session, learner, "check")] == ["passed", "failed"]


def test_a_quiz_keeps_answers_to_its_own_questions_only(actions, learner, session):
    attempt = learning.submit_quiz(
        session,
        enrolment(session, learner),
        item(session, "factory-basics", "check"),
        {"q1": ["0"], "q9": ["0"], "q3": ["x" * 600]},
    )
    assert attempt.answers == {"q1": ["0"], "q3": ["x" * 500]}
    assert attempt.score == 33.3 and attempt.result["earned"] == 1 and attempt.result["points"] == 3
    many = learning.submit_quiz(
        session,
        enrolment(session, learner),
        item(session, "factory-basics", "check"),
        {"q2": [str(i) for i in range(30)]},
    )
    assert many.answers == {"q2": [str(i) for i in range(20)]}  # twenty answers a question at most


def test_multiple_choice_answers_through_the_page(actions, learner, client):
    """Every correct option and no other earns the question; a part of them, or one more, earns nothing."""
    for answers, shown in [
        ({"q-q2": ["0"]}, "채점 결과: 0점"),  # one of the two right options
        ({"q-q2": ["0", "1", "2"]}, "채점 결과: 0점"),  # both and a wrong one
        ({"q-q2": ["1", "0"]}, "채점 결과: 33.3점"),  # both, in any order
        ({"q-q1": ["0", "1"]}, "채점 결과: 0점"),  # two options of a single-choice question
    ]:
        response = actions.post(QUIZ, answers)
        assert shown in client.get(response.headers["Location"]).get_data(as_text=True), answers


# -- completion: progress and score thresholds from the course, each at its edge ------------------------------------


def complete_lessons(actions, lessons=LESSONS) -> None:
    for lesson in lessons:
        assert actions.post(f"{BASICS}/items/{lesson}/complete").status_code == 302


def test_completing_a_lesson_is_recorded_once_for_that_lesson(actions, learner, session):
    complete_lessons(actions, LESSONS[:1] * 2)
    assert verbs(session, learner, "01-sensors") == [("completed", None, None)]
    assert progress(session, learner, "01-sensors").completed_at is not None
    assert enrolment(session, learner).progress == 25


def test_progress_equal_to_the_threshold_completes(actions, learner, session):
    set_completion(session, "factory-basics", min_progress=75, min_score=0)
    complete_lessons(actions, LESSONS[:2])
    assert enrolment(session, learner).completed_at is None  # 50 %
    quiz(actions, NONE_RIGHT)  # 3 of 4 required items: 75 %, score 0 >= 0
    state = enrolment(session, learner)
    assert (state.progress, state.score) == (75, 0.0) and state.completed_at is not None
    assert ("completed", 0.0, True) in verbs(session, learner)


def test_progress_below_the_threshold_does_not_complete(actions, learner, session):
    set_completion(session, "factory-basics", min_progress=76, min_score=0)
    complete_lessons(actions, LESSONS[:2])
    quiz(actions, ALL_RIGHT)
    state = enrolment(session, learner)
    assert (state.progress, state.score, state.completed_at) == (75, 100.0, None)


def test_a_score_equal_to_the_minimum_completes(actions, learner, session):
    set_completion(session, "factory-basics", min_score=100)
    complete_lessons(actions)
    quiz(actions, TWO_RIGHT)
    assert enrolment(session, learner).completed_at is None  # 66.7 < 100
    quiz(actions, ALL_RIGHT)
    state = enrolment(session, learner)
    assert state.score == 100.0 and state.completed_at is not None


def test_the_course_score_is_the_best_or_the_last_as_the_course_says(actions, learner, session):
    complete_lessons(actions)
    quiz(actions, ALL_RIGHT)
    quiz(actions, ONE_RIGHT)
    assert enrolment(session, learner).score == 100.0  # best, the default
    set_completion(session, "factory-basics", score="last")
    quiz(actions, TWO_RIGHT)
    assert enrolment(session, learner).score == 66.7


def test_unattempted_scored_items_count_as_zero_and_optional_items_not_at_all(actions, learner, session, client):
    complete_lessons(actions)
    state = enrolment(session, learner)
    assert (state.progress, state.score, state.completed_at) == (75, 0.0, None)
    assert actions.post(f"{BASICS}/items/04-extra/complete").status_code == 302  # not required
    assert enrolment(session, learner).progress == 75


def test_a_course_without_scored_items_completes_on_progress_alone(actions, learner, session):
    item(session, "factory-basics", "check").required = False
    session.commit()
    complete_lessons(actions)
    state = enrolment(session, learner)
    assert (state.progress, state.score) == (100, None) and state.completed_at is not None


def test_a_course_with_nothing_required_never_completes(actions, learner, session):
    for row in session.scalars(sa.select(Item).where(Item.course_id == course(session, "factory-basics").id)):
        row.required = False
    session.commit()
    complete_lessons(actions)
    state = enrolment(session, learner)
    assert (state.progress, state.completed_at) == (0, None)


def test_completion_is_kept_once_reached(actions, learner, session):
    complete_lessons(actions)
    quiz(actions, ALL_RIGHT)
    done = enrolment(session, learner).completed_at
    assert done is not None
    quiz(actions, NONE_RIGHT)
    set_completion(session, "factory-basics", score="last")
    quiz(actions, NONE_RIGHT)
    assert enrolment(session, learner).completed_at == done
    assert [v for v, _, _ in verbs(session, learner) if v == "completed"].count("completed") == 4  # 3 lessons + 1


# -- notebook exercises: the pass mark, the best of the gradings, manual grades ------------------------------------


@pytest.fixture
def lab_learner(actions):
    user = actions.login_as("learner", "lab@example.com")
    assert actions.post(f"{LAB}/enrol").status_code == 302
    return user


def graded(session, user, points: float, max_points: float = 5.0, *, manual: float = 0.0, kind: str = "grade"):
    """Store a finished grading of the notebook exercise worth `points` of `max_points` autograded points, with
    `manual` points more waiting for an instructor."""
    exercise = item(session, "notebook-lab", "sales")
    submission = exercises.submit(
        session,
        enrolment(session, user),
        exercise,
        exercises.notebook_with_answers(exercise, {"explain_choice": "가까운 창고"}),
        kind=kind,
        origin="browser",
    )
    grades = [GradeItem("test_total_by_region", 4, "test", points, max_points, "passed", "grade.passed")]
    if manual:
        grades.append(GradeItem("explain_choice", 9, "answer", None, manual, "manual", "grade.manual_pending"))
    result = GradeResult(
        status="ok",
        message_code="grading.ok",
        points=points,
        max_points=max_points + manual,
        auto_max_points=max_points,
        manual_pending_points=manual,
        final=not manual,
        grades=grades,
        cells=[],
        missing=[],
        isolation="bwrap",
        duration_s=0.1,
    )
    submission = exercises.finish(session, submission.id, result)
    session.commit()
    return submission


def test_an_exercise_scored_at_the_pass_mark_passes(lab_learner, session):
    submission = graded(session, lab_learner, 3.0)  # 60 %
    assert submission.score == 60.0
    row = progress(session, lab_learner, "sales")
    assert (row.passed, row.best_score, row.attempts) == (True, 60.0, 1)
    assert verbs(session, lab_learner, "sales") == [("passed", 60.0, True)]


def test_an_exercise_scored_below_the_pass_mark_fails(lab_learner, session, client):
    graded(session, lab_learner, 2.95)  # 59 %
    row = progress(session, lab_learner, "sales")
    assert (row.passed, row.best_score) == (False, 59.0)
    assert verbs(session, lab_learner, "sales") == [("failed", 59.0, False)]


def test_an_exercise_with_no_points_earns_a_zero_and_fails(lab_learner, session):
    submission = graded(session, lab_learner, 0.0, 0.0)
    assert submission.score == 0.0 and progress(session, lab_learner, "sales").passed is False


def test_a_failed_exercise_keeps_the_course_from_completing(actions, lab_learner, session):
    """The lab course: 100 % progress, a score of 60 and every exercise passed."""
    assert actions.post(f"{LAB}/items/01-intro/complete").status_code == 302
    graded(session, lab_learner, 2.95)
    state = enrolment(session, lab_learner)
    assert (state.progress, state.score, state.completed_at) == (100, 59.0, None)
    set_completion(session, "notebook-lab", min_score=0)
    graded(session, lab_learner, 2.5)  # the exercise still not passed: 50 %
    state = enrolment(session, lab_learner)
    assert (state.score, state.completed_at) == (59.0, None)
    set_completion(session, "notebook-lab", require_exercises=False)
    graded(session, lab_learner, 2.5)
    assert enrolment(session, lab_learner).completed_at is not None


def test_a_passed_exercise_completes_the_course(actions, lab_learner, session, client):
    assert actions.post(f"{LAB}/items/01-intro/complete").status_code == 302
    graded(session, lab_learner, 5.0)
    graded(session, lab_learner, 1.0)  # a worse attempt afterwards
    state = enrolment(session, lab_learner)
    assert (state.progress, state.score) == (100, 100.0) and state.completed_at is not None
    row = progress(session, lab_learner, "sales")
    assert (row.attempts, row.best_score, row.last_score, row.passed) == (2, 100.0, 20.0, True)
    assert "수료한 강좌" in client.get("/me/").get_data(as_text=True)


def test_runs_do_not_count_as_gradings(lab_learner, session):
    graded(session, lab_learner, 5.0)
    run = exercises.submit(
        session,
        enrolment(session, lab_learner),
        item(session, "notebook-lab", "sales"),
        {"cells": []},
        kind="run",
        origin="browser",
    )
    session.commit()
    assert run.status == "queued"
    graded(session, lab_learner, 1.0)
    assert progress(session, lab_learner, "sales").attempts == 2


def test_a_manual_grade_completes_the_score_and_can_pass_the_exercise(actions, lab_learner, session):
    submission = graded(session, lab_learner, 2.0, 4.0, manual=2.0)  # 2 of 6 until graded
    assert (submission.score, submission.final) == (33.3, False)
    assert progress(session, lab_learner, "sales").passed is False
    grader = actions.user("instructor@example.com", role="instructor")
    for wrong in (-0.5, 2.5):
        with pytest.raises(exercises.ManualGradeError):
            exercises.grade_manually(session, submission, grader.id, {"explain_choice": (wrong, "")})
    with pytest.raises(exercises.ManualGradeError):
        exercises.grade_manually(session, submission, grader.id, {"test_total_by_region": (1.0, "")})
    exercises.grade_manually(session, submission, grader.id, {"explain_choice": (2.0, " 좋습니다 ")})
    session.commit()
    assert (submission.points, submission.score, submission.final) == (4.0, 66.7, True)
    row = session.scalar(sa.select(ManualGrade).where(ManualGrade.submission_id == submission.id))
    assert (row.points, row.comment, row.grader_id) == (2.0, "좋습니다", grader.id)
    assert progress(session, lab_learner, "sales").passed is True


def test_a_manual_grade_may_be_zero_or_the_full_points(actions, lab_learner, session):
    submission = graded(session, lab_learner, 3.0, 4.0, manual=1.0)
    grader = actions.user("instructor@example.com", role="instructor")
    exercises.grade_manually(session, submission, grader.id, {"explain_choice": (0.0, "")})
    assert (submission.points, submission.final) == (3.0, True)
    exercises.grade_manually(session, submission, grader.id, {"explain_choice": (1.0, "")})
    assert (submission.points, submission.score) == (4.0, 80.0)


def test_a_submission_without_grades_is_not_final_until_graded(actions, lab_learner, session):
    submission = graded(session, lab_learner, 2.0, 4.0, manual=1.0)
    grader = actions.user("instructor@example.com", role="instructor")
    exercises.grade_manually(session, submission, grader.id, {})
    assert submission.final is False and submission.points == 2.0


def test_tests_sent_for_review_are_graded_by_hand(actions, lab_learner, session, client):
    submission = graded(session, lab_learner, 0.0, 0.0, manual=2.0)
    result = dict(submission.result)
    result["grades"] = [
        {**g, "kind": "test", "status": "review", "message_code": "grade.needs_review"} for g in result["grades"][1:]
    ]
    result["review"] = ["the verdict was touched"]
    submission.result = result
    session.commit()
    actions.logout()
    actions.login_as("instructor", "instructor@example.com")
    response = actions.post(f"/teach/submissions/{submission.id}", {"points-explain_choice": "2"})
    assert response.status_code == 302 and response.headers["Location"] == "/teach/"
    session.refresh(submission)
    assert (submission.points, submission.score, submission.final) == (2.0, 100.0, True)
    assert progress(session, lab_learner, "sales").passed is True


# -- who grades what: instructors of the course, admins everywhere, nobody else ---------------------------------------


@pytest.fixture
def waiting(session, lab_learner):
    return graded(session, lab_learner, 2.0, 4.0, manual=1.0)


def test_graders_see_the_submissions_of_the_courses_they_teach(actions, session, waiting):
    teacher = actions.user("instructor@example.com", role="instructor")  # the lab's manifest lists it
    other = actions.user("other@example.com", role="instructor")
    teaching.add_instructor(session, course(session, "factory-basics"), other)
    admin = actions.user("admin@example.com", role="admin")
    manager = actions.user("manager@example.com", role="org_manager")
    session.commit()

    def queue(user) -> list[int]:
        return [s.id for s in session.scalars(exercises.pending_manual(session, user.id, user.role))]

    assert queue(teacher) == [waiting.id] and queue(admin) == [waiting.id]
    assert queue(other) == [] and queue(manager) == []
    assert exercises.submission_to_grade(session, waiting.id, teacher.id, teacher.role) is waiting
    assert exercises.submission_to_grade(session, waiting.id, admin.id, admin.role) is waiting
    for user in (other, manager):
        assert exercises.submission_to_grade(session, waiting.id, user.id, user.role) is None
    assert exercises.submission_to_grade(session, 10**9, admin.id, admin.role) is None


def test_final_runs_and_unfinished_submissions_are_not_for_grading(actions, session, waiting, lab_learner):
    admin = actions.user("admin@example.com", role="admin")
    final = graded(session, lab_learner, 5.0)
    run = graded(session, lab_learner, 5.0, kind="run")
    queued = exercises.submit(
        session,
        enrolment(session, lab_learner),
        item(session, "notebook-lab", "sales"),
        {"cells": []},
        kind="grade",
        origin="browser",
    )
    session.commit()
    assert [s.id for s in session.scalars(exercises.pending_manual(session, admin.id, admin.role))] == [waiting.id]
    for submission in (run, queued):
        assert exercises.submission_to_grade(session, submission.id, admin.id, admin.role) is None
    assert exercises.submission_to_grade(session, final.id, admin.id, admin.role) is final


def test_only_instructors_and_admins_can_be_linked_to_a_course(actions, session):
    lab = course(session, "notebook-lab")
    for role in ("learner", "org_manager"):
        with pytest.raises(teaching.NotAnInstructor):
            teaching.add_instructor(session, lab, actions.user(f"{role}-x@example.com", role=role))
    admin = actions.user("admin-x@example.com", role="admin")
    link = teaching.add_instructor(session, lab, admin)
    assert teaching.add_instructor(session, lab, admin) is link and link.source == "admin"
    assert teaching.teaches(session, admin.id, "instructor", lab.id)  # by the link, whatever the role says


def test_teaching_is_per_course(actions, session):
    lab, basics = course(session, "notebook-lab"), course(session, "factory-basics")
    teacher = actions.user("instructor@example.com", role="instructor")
    admin = actions.user("admin-y@example.com", role="admin")
    assert teaching.teaches(session, teacher.id, teacher.role, lab.id)
    assert not teaching.teaches(session, teacher.id, teacher.role, basics.id)
    assert teaching.teaches(session, admin.id, admin.role, basics.id)  # admins teach everything, unlinked
    colleague = actions.user("colleague@example.com", role="instructor")
    teaching.add_instructor(session, lab, colleague)
    teaching.add_instructor(session, basics, teacher)
    teaching.remove_instructor(session, lab.id, teacher.id)
    assert not teaching.teaches(session, teacher.id, teacher.role, lab.id)
    assert teaching.teaches(session, teacher.id, teacher.role, basics.id)  # only that course's link goes
    assert [u.email for u, _ in teaching.instructors_of(session, lab.id)] == ["colleague@example.com"]


def test_the_manifest_links_follow_its_e_mails(actions, session):
    assert teaching.manifest_emails(
        [{"email": " Teacher@Example.COM "}, {"name": "이름만"}, {"email": ""}, {"email": "b@example.com"}]
    ) == {"teacher@example.com", "b@example.com"}
    assert teaching.manifest_emails(None) == set()
    lab = course(session, "notebook-lab")
    listed = actions.user("instructor@example.com", role="instructor")
    kept = actions.user("kept@example.com", role="instructor")
    teaching.add_instructor(session, lab, kept)
    lab.instructors = [{"name": "새 강사", "email": "NEW@example.com"}]
    new = actions.user("new@example.com", role="instructor")  # linked when created: the manifest names it
    teaching.sync_manifest_instructors(session, lab)
    links = {u.email: source for u, source in teaching.instructors_of(session, lab.id)}
    assert links == {"kept@example.com": "admin", "new@example.com": "manifest"}
    assert not teaching.teaches(session, listed.id, listed.role, lab.id) and new.id
