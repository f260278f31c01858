"""Every shipped course imports cleanly, and every quiz can be passed with its own answers."""

from pathlib import Path

import pytest

from lms.content.loader import find_course_dirs, load_course
from lms.content.quiz import grade_quiz

COURSES = Path(__file__).parents[2] / "courses"
SLUGS = [p.name for p in find_course_dirs(COURSES)]


def test_the_first_courses_are_shipped():
    assert "ai-first-steps-manufacturing" in SLUGS
    assert (COURSES / "README.md").is_file() and (COURSES / "LICENSE").is_file() and (COURSES / "GLOSSARY.md").is_file()


@pytest.fixture(scope="module", params=SLUGS)
def course(request):
    result = load_course(COURSES / request.param)
    assert result.problems == [], "\n".join(str(p) for p in result.problems)
    return result.course


def test_course_imports_with_no_errors_or_warnings(course):
    assert course.licence.startswith("CC BY")
    assert len([i for i in course.items if i.kind == "quiz"]) >= 2


def test_every_quiz_passes_with_its_correct_answers_and_explains_each_question(course):
    for quiz in (i for i in course.items if i.kind == "quiz"):
        answers = {
            q.id: [q.answers[0]] if q.type == "short" else [str(n) for n, o in enumerate(q.options) if o.correct]
            for q in quiz.questions
        }
        assert grade_quiz(quiz.questions, answers).score == 100.0, quiz.path
        assert all(q.explanation for q in quiz.questions), quiz.path


def test_every_lesson_has_objectives_and_a_summary(course):
    for lesson in (i for i in course.items if i.kind == "lesson"):
        assert lesson.objectives, f"{lesson.path}: no objectives"
        assert "요약" in lesson.body or "정리" in lesson.body, f"{lesson.path}: no summary"
        assert lesson.minutes > 0


def test_every_image_has_alt_text(course):
    import re

    for lesson in (i for i in course.items if i.kind == "lesson"):
        for alt in re.findall(r"!\[([^\]]*)\]\(", lesson.body):
            assert alt.strip(), f"{lesson.path}: an image without alt text"


def test_first_course_is_a_complete_korean_course():
    course = load_course(COURSES / "ai-first-steps-manufacturing").course
    lessons = [i for i in course.items if i.kind == "lesson"]
    assert course.title == "제조 현장을 위한 AI 첫걸음" and course.language == "ko"
    assert len(lessons) >= 6 and all(len(lesson.body) > 2000 for lesson in lessons)
    assert any(path.endswith(".svg") for path in course.assets)


EXERCISES = (
    [
        (slug, item.path)
        for slug in SLUGS
        for item in (load_course(COURSES / slug).course or [None]).items
        if item.kind == "exercise"
    ]
    if all(load_course(COURSES / s).course for s in SLUGS)
    else []
)


@pytest.fixture(scope="module")
def pool():
    from lms.grading.pool import SandboxPool

    pool = SandboxPool(size=2)
    yield pool
    pool.close()


@pytest.mark.parametrize(("slug", "path"), EXERCISES)
def test_exercise_grades_through_the_platform(slug, path, pool):
    """The instructor's solution earns every automatic point, the release none, a partial answer some."""
    from lms.grading.grader import grade_notebook
    from lms.grading.notebook import is_solution, release_notebook

    course = load_course(COURSES / slug).course
    item = next(i for i in course.items if i.path == path)
    cwd = str(Path(path).parent)
    full = grade_notebook(item.notebook, item.notebook, course.assets, cwd=cwd, pool=pool)
    assert full.status == "ok" and full.auto_max_points > 0
    assert full.points == full.auto_max_points, [g for g in full.grades if g.status == "failed"]
    release = release_notebook(item.notebook)
    assert grade_notebook(item.notebook, release, course.assets, cwd=cwd, pool=pool).points == 0
    partial = release_notebook(item.notebook)
    first = next(i for i, cell in enumerate(partial.cells) if is_solution(cell) and cell.cell_type == "code")
    partial.cells[first].source = item.notebook["cells"][first]["source"]
    earned = grade_notebook(item.notebook, partial, course.assets, cwd=cwd, pool=pool).points
    assert 0 < earned < full.points


def test_every_shipped_course_has_notebook_exercises_where_code_fits():
    assert {slug for slug, _ in EXERCISES} >= {"sensor-defect-prediction", "genai-at-work"}


def test_the_glossary_has_one_row_per_term_sorted_by_the_korean_column():
    rows = [
        line for line in (COURSES / "GLOSSARY.md").read_text(encoding="utf-8").splitlines() if line.startswith("| ")
    ]
    terms = [row.split("|")[1].strip() for row in rows[1:]]  # after the header row
    assert len(terms) == len(set(terms)), [t for t in terms if terms.count(t) > 1]
    assert terms == sorted(terms)
