"""The course format: what a valid folder yields and how broken files are reported."""

import shutil
from pathlib import Path

from lms.content.loader import content_hash, load_course, load_courses

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_fixture_course_loads_completely():
    result = load_course(FIXTURES / "courses" / "factory-basics")
    assert result.problems == []
    course = result.course
    assert course.title == "공장 데이터 기초"
    assert course.audience == ["sme", "student"]
    assert course.completion.min_progress == 80 and course.completion.min_score == 60
    assert [m.title for m in course.modules] == ["1부. 데이터 이해", "2부. 확인"]
    assert [(i.slug, i.kind) for i in course.items] == [
        ("01-sensors", "lesson"),
        ("02-defects", "lesson"),
        ("03-models", "lesson"),
        ("check", "quiz"),
        ("04-extra", "lesson"),
    ]
    extra = course.items[-1]
    assert extra.required is False
    sensors = course.items[0]
    assert sensors.minutes == 15 and sensors.objectives == ["설비 센서의 종류를 설명할 수 있습니다."]
    assert sensors.tags == ["센서", "sensor"]
    assert "# 센서란" in sensors.body and "title:" not in sensors.body
    quiz = course.items[3]
    assert [q.type for q in quiz.questions] == ["single", "multiple", "short"]
    assert [o.correct for o in quiz.questions[1].options] == [True, True, False]
    assert quiz.questions[2].answers == ["불량률", "defect rate"]
    assert set(course.assets) == {"images/flow.svg", "data/sample.csv"}


def test_yaml_syntax_error_names_file_and_line():
    result = load_course(FIXTURES / "broken-courses" / "bad-yaml")
    assert result.course is None
    assert [str(p).split(": ")[0] for p in result.problems] == ["bad-yaml/course.yml:7"]
    assert "YAML" in str(result.problems[0])


def test_every_problem_of_a_broken_course_is_reported_with_its_line():
    result = load_course(FIXTURES / "broken-courses" / "bad-links")
    assert result.course is None
    messages = [str(p) for p in result.problems]
    assert "bad-links/course.yml:4: 'industry' is 'spaceships'; expected one of: " in messages[0]
    assert any(m.startswith("bad-links/course.yml:13: item file not found: lessons/99-missing.md") for m in messages)
    assert "bad-links/lessons/01-intro.md:8: link target not found: ../images/nope.png" in messages
    assert any(
        m.startswith("bad-links/quizzes/q.yml:6: question 1: a single-answer question needs exactly one")
        for m in messages
    )
    assert "bad-links/quizzes/q.yml:4: warning: question 1: no 'explanation' to show after submission" in messages


def test_one_broken_course_does_not_stop_the_others():
    results = {r.slug: r for r in load_courses(FIXTURES / "broken-courses")}
    assert set(results) == {"bad-yaml", "bad-links", "good-one"}
    assert results["good-one"].course is not None and results["good-one"].problems == []
    assert results["bad-links"].course is None and results["bad-yaml"].course is None


def test_missing_front_matter_and_fields(tmp_path):
    folder = tmp_path / "tiny"
    (folder / "lessons").mkdir(parents=True)
    (folder / "course.yml").write_text(
        "title: T\nsummary: S\ntrack: foundations\nindustry: food\nlevel: beginner\naudience: [sme]\n"
        "licence: CC BY 4.0\noutline:\n  - title: M\n    items: [lessons/a.md, lessons/b.md]\n",
        encoding="utf-8",
    )
    (folder / "lessons" / "a.md").write_text("no front matter\n", encoding="utf-8")
    (folder / "lessons" / "b.md").write_text("---\ntitle: B\nminutes: -3\n---\n\nbody\n", encoding="utf-8")
    messages = [str(p) for p in load_course(folder).problems]
    assert "tiny/lessons/a.md:1: a lesson must start with YAML front matter between '---' lines" in messages
    assert "tiny/lessons/b.md:3: 'minutes' must be a positive number" in messages


def test_content_hash_changes_with_any_file(tmp_path):
    import shutil

    folder = tmp_path / "factory-basics"
    shutil.copytree(FIXTURES / "courses" / "factory-basics", folder)
    before = content_hash(folder)
    assert content_hash(folder) == before
    (folder / "data" / "sample.csv").write_text("changed\n", encoding="utf-8")
    assert content_hash(folder) != before


def test_an_instructor_may_give_an_e_mail_and_a_wrong_one_is_reported(tmp_path):
    folder = tmp_path / "lab"
    shutil.copytree(FIXTURES / "courses" / "notebook-lab", folder)
    course = load_course(folder).course
    assert course.instructors == [{"name": "이강사", "title": "데이터 분석 강사", "email": "instructor@example.com"}]
    manifest = folder / "course.yml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("instructor@example.com", "not an address"), encoding="utf-8"
    )
    result = load_course(folder)
    assert result.course is None
    assert [str(p) for p in result.problems] == ["lab/course.yml:11: 'not an address' is not an e-mail address"]
