"""Notebook exercises through the web: release only, run, grade, upload, history, manual grading, access."""

import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.models import Enrolment, ItemProgress, Submission

COURSE = "/courses/notebook-lab"
ITEM = f"{COURSE}/items/sales"
SOURCE = json.loads(
    (Path(__file__).parents[1] / "fixtures/courses/notebook-lab/exercises/sales.ipynb").read_text("utf-8")
)
SECRETS = [
    "sort_values(ascending=False)",
    "BEGIN SOLUTION",
    "HIDDEN TESTS",
    "result.sum() == df",
    "매출 합계가 가장 큰 지역에 배정합니다",
]


def solution(grade_id: str) -> str:
    cell = next(c for c in SOURCE["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)
    return "\n".join(line for line in cell["source"].split("\n") if "### " not in line)


SOLUTIONS = {gid: solution(gid) for gid in ("total_by_region", "monthly_mean", "plot_regions", "explain_choice")}


@pytest.fixture
def learner(actions):
    user = actions.login_as("learner")
    actions.post(f"{COURSE}/enrol")
    return user


def submit(actions, answers, action="grade"):
    data = {f"cell-{gid}": text for gid, text in answers.items()}
    response = actions.post(f"{ITEM}/submissions", {**data, "action": action})
    assert response.status_code == 302
    return response.headers["Location"]


def test_the_page_shows_the_release_version_only(learner, client):
    page = client.get(ITEM).get_data(as_text=True)
    assert "매출 데이터 분석" in page and "# YOUR CODE HERE" in page and "raise NotImplementedError()" in page
    assert 'name="cell-total_by_region"' in page and "YOUR ANSWER HERE" in page
    assert "Series를 반환해야 합니다" in page  # the visible test
    for secret in SECRETS:
        assert secret not in page


def test_source_notebooks_are_never_served(learner, client):
    assert client.get(f"{COURSE}/files/exercises/sales.ipynb").status_code == 404
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{ITEM}/download").data))
    names = set(archive.namelist())
    assert names == {"notebook-lab/exercises/sales.ipynb", "notebook-lab/data/sales.csv"}
    released = archive.read("notebook-lab/exercises/sales.ipynb").decode()
    assert "YOUR CODE HERE" in released
    for secret in SECRETS:
        assert secret not in released


def test_grading_the_solution(learner, actions, client, session):
    location = submit(actions, SOLUTIONS)
    page = client.get(location).get_data(as_text=True)
    assert "채점 결과: 5 / 6점" in page
    assert "서술형 답안은 강사가 채점하면 점수가 확정됩니다." in page
    assert page.count("grade grade-passed") >= 3 and "강사 채점 대기" in page
    submission = session.scalar(sa.select(Submission).where(Submission.user_id == learner.id))
    assert (submission.status, submission.points, submission.max_points, submission.final) == ("done", 5.0, 6.0, False)
    row = session.scalar(sa.select(ItemProgress).where(ItemProgress.user_id == learner.id))
    assert row.best_score == pytest.approx(83.3) and row.passed and row.completed_at is not None
    enrolment = session.scalar(sa.select(Enrolment).where(Enrolment.user_id == learner.id))
    assert enrolment.progress == 50 and enrolment.score == pytest.approx(83.3)


def test_a_wrong_answer_shows_the_error_but_never_the_hidden_test(learner, actions, client):
    wrong = {
        **SOLUTIONS,
        "total_by_region": "def total_by_region(df):\n    return df.groupby('region')['amount'].sum()",
        "explain_choice": "서울입니다.",
    }
    page = client.get(submit(actions, wrong)).get_data(as_text=True)
    assert "채점 결과: 3 / 6점" in page  # partly correct: 2 of 3 tests
    assert '<pre class="out out-error">AssertionError' in page and "<strong>0 / 2</strong>" in page
    for secret in SECRETS:
        assert secret not in page


def test_the_release_version_earns_nothing(learner, actions, client):
    page = client.get(submit(actions, {})).get_data(as_text=True)
    assert "채점 결과: 0 / 6점" in page and "NotImplementedError" in page


def test_run_shows_outputs_tables_and_plots(learner, actions, client, session):
    page = client.get(submit(actions, SOLUTIONS, action="run")).get_data(as_text=True)
    assert "실행을 마쳤습니다." in page
    assert re.search(r'<div class="out out-html">\s*<div>\s*<table class="dataframe">', page)  # df.head() as a table
    assert re.search(r'<img class="out out-image" alt="[^"]*" src="data:image/png;base64,', page)
    run = session.scalar(sa.select(Submission).where(Submission.user_id == learner.id))
    assert run.kind == "run" and run.points is None
    assert session.scalar(sa.select(ItemProgress).where(ItemProgress.user_id == learner.id)) is None


def test_drafts_are_saved_and_restored(learner, actions, client):
    response = actions.post(f"{ITEM}/draft", {"cell-monthly_mean": "def monthly_mean(df):\n    return 42  # 초안"})
    assert response.get_json() == {"saved": True}
    page = client.get(ITEM).get_data(as_text=True)
    assert "return 42  # 초안" in page


def test_upload_without_metadata_is_merged_by_position(learner, actions, client):
    released = json.loads(json.dumps(SOURCE))
    for cell in released["cells"]:
        meta = cell["metadata"].pop("nbgrader", {})
        if meta.get("solution"):
            cell["source"] = SOLUTIONS[meta["grade_id"]]
        elif meta.get("grade"):
            cell["source"] = "pass  # a learner cannot weaken the tests"
    data = {"csrf_token": actions.csrf(), "notebook": (io.BytesIO(json.dumps(released).encode()), "mine.ipynb")}
    response = client.post(f"{ITEM}/upload", data=data, content_type="multipart/form-data")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "채점 결과: 5 / 6점" in page and "업로드" in page


def test_upload_of_a_wrong_file_gets_a_message(learner, actions, client, session):
    data = {"csrf_token": actions.csrf(), "notebook": (io.BytesIO(b"this is not json"), "x.ipynb")}
    response = client.post(f"{ITEM}/upload", data=data, content_type="multipart/form-data")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Jupyter 노트북(.ipynb) 파일이 아닙니다." in page
    assert session.scalar(sa.select(sa.func.count(Submission.id))) == 0


def test_upload_with_missing_answer_cells_says_which(learner, actions, client):
    notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    data = {"csrf_token": actions.csrf(), "notebook": (io.BytesIO(json.dumps(notebook).encode()), "empty.ipynb")}
    response = client.post(f"{ITEM}/upload", data=data, content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "답안 셀을 찾지 못했습니다: total_by_region" in page


def test_attempts_are_kept_and_can_be_reopened(learner, actions, client):
    first = submit(actions, {})
    submit(actions, SOLUTIONS)
    page = client.get(ITEM).get_data(as_text=True)
    assert page.count(">열기</a>") == 2
    reopened = client.get(first).get_data(as_text=True)
    assert "의 코드와 결과를 보고 있습니다." in reopened and "채점 결과: 0 / 6점" in reopened


def test_a_learner_cannot_see_another_learners_submission(learner, actions, client, session):
    location = submit(actions, SOLUTIONS)
    submission_id = int(re.search(r"submission=(\d+)", location).group(1))
    actions.logout()
    actions.login_as("learner", "other@example.com")
    actions.post(f"{COURSE}/enrol")
    assert client.get(f"{ITEM}?submission={submission_id}").status_code == 404
    assert client.get(f"{ITEM}/submissions/{submission_id}.json").status_code == 404
    assert actions.post(f"{ITEM}/submissions/{submission_id}/retry").status_code == 404


def test_a_lost_job_ends_in_error_and_can_be_retried(learner, actions, client, session):
    from datetime import timedelta

    from lms.models import utcnow
    from lms.services import exercises

    enrolment = session.scalar(sa.select(Enrolment).where(Enrolment.user_id == learner.id))
    from lms.models import Item

    item = session.scalar(sa.select(Item).where(Item.slug == "sales"))
    notebook = exercises.notebook_with_answers(item, SOLUTIONS)
    stuck = exercises.submit(session, enrolment, item, notebook, kind="grade", origin="browser")
    stuck.status, stuck.created_at = "running", utcnow() - timedelta(minutes=30)
    session.commit()
    page = client.get(ITEM).get_data(as_text=True)
    assert "채점 작업이 끝나지 않았습니다" in page and "다시 시도" in page
    response = actions.post(f"{ITEM}/submissions/{stuck.id}/retry")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "채점 결과: 5 / 6점" in page
    session.refresh(stuck)
    assert stuck.status == "done" and stuck.tries == 1


def test_instructor_grades_the_written_answer(learner, actions, client, session):
    submit(actions, SOLUTIONS)
    assert client.get("/teach/").status_code == 403
    actions.logout()
    actions.login_as("instructor")
    queue = client.get("/teach/").get_data(as_text=True)
    assert "노트북 실습실" in queue and "5 / 6" in queue
    submission = session.scalar(sa.select(Submission).where(Submission.user_id == learner.id))
    page = client.get(f"/teach/submissions/{submission.id}").get_data(as_text=True)
    assert "매출 합계가 가장 큰 지역에 배정합니다." in page  # the learner's answer, shown to the instructor
    # the instructor's model answer (and rubric) beside it, without the solution markers
    model = page.split("모범 답안과 채점 기준")[1].split("</details>")[0]
    assert "매출 합계가 가장 큰 지역에 배정합니다." in model and "SOLUTION" not in page
    bad = actions.post(f"/teach/submissions/{submission.id}", {"points-explain_choice": "7"}, follow_redirects=True)
    assert "점수는 0부터 배점 사이의 숫자여야 합니다" in bad.get_data(as_text=True)
    actions.post(
        f"/teach/submissions/{submission.id}",
        {"points-explain_choice": "1", "comment-explain_choice": "근거가 분명합니다."},
    )
    session.refresh(submission)
    assert submission.final and submission.points == 6.0 and submission.score == 100.0
    assert "채점을 기다리는 제출물이 없습니다." in client.get("/teach/").get_data(as_text=True)
    actions.logout()
    actions.login("learner@example.com")
    page = client.get(f"{ITEM}?submission={submission.id}").get_data(as_text=True)
    assert "채점 결과: 6 / 6점" in page and "근거가 분명합니다." in page
    assert "모범 답안" not in page  # a learner never sees the model answer
    enrolment = session.scalar(sa.select(Enrolment).where(Enrolment.user_id == learner.id))
    assert enrolment.score == 100.0


def test_tampering_waits_for_an_instructor(learner, actions, client, session):
    """A run that patched what the tests use is not scored: its tests wait in the instructor's queue."""
    answers = dict(SOLUTIONS)
    answers["total_by_region"] = (
        "import numpy as np\nnp.allclose = lambda *a, **k: True\n" + SOLUTIONS["total_by_region"]
    )
    page = client.get(submit(actions, answers)).get_data(as_text=True)
    assert "자동 채점 결과를 그대로 쓸 수 없어 강사가 확인한 뒤 점수가 확정됩니다." in page
    assert "강사 확인 대기" in page and "np.allclose" not in page.split("notebook")[0]
    submission = session.scalar(sa.select(Submission).where(Submission.user_id == learner.id))
    assert submission.points == 0 and not submission.final
    assert submission.result["review"] and {g["status"] for g in submission.result["grades"]} >= {"review"}
    actions.logout()
    actions.login_as("instructor")
    page = client.get(f"/teach/submissions/{submission.id}").get_data(as_text=True)
    assert "강사 확인 필요" in page and "numpy.allclose" in page
    assert 'np</span><span class="o">.</span><span class="n">allclose' in page  # the learner's code
    tests = [g["grade_id"] for g in submission.result["grades"] if g["status"] == "review"]
    form = {f"points-{gid}": "0" for gid in tests}
    actions.post(f"/teach/submissions/{submission.id}", {**form, "points-explain_choice": "1"})
    session.refresh(submission)
    assert submission.final and submission.points == 1.0


def test_cli_grades_a_notebook_file(app, session, tmp_path):
    graded = dict(SOURCE)
    path = tmp_path / "answer.ipynb"
    path.write_text(json.dumps(graded), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["grade", "notebook-lab", "sales", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["points"] == 5.0 and data["max_points"] == 6.0 and not data["final"]
    text = app.test_cli_runner().invoke(args=["grade", "notebook-lab", "sales", str(path)]).output
    assert "test_total_by_region" in text and "total 5 / 6" in text
    missing = app.test_cli_runner().invoke(args=["grade", "notebook-lab", "nope", str(path)])
    assert missing.exit_code != 0 and "no exercise 'nope'" in missing.output


@pytest.mark.skipif(not shutil.which("unshare"), reason="needs unshare to force a weaker isolation")
def test_required_isolation_holds_for_the_cli_and_the_worker(app, tmp_path):
    from lms.tasks import jobs
    from tests.conftest import make_app

    strict = make_app(
        app.config["SQLALCHEMY_ENGINES"]["default"],
        GRADING_ISOLATION="unshare",
        GRADING_REQUIRE_ISOLATION=True,
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    try:
        path = tmp_path / "answer.ipynb"
        path.write_text(json.dumps(SOURCE), encoding="utf-8")
        graded = strict.test_cli_runner().invoke(args=["grade", "notebook-lab", "sales", str(path)])
        assert graded.exit_code != 0 and "grading refused" in graded.output and "bubblewrap" in graded.output
        worker = strict.test_cli_runner().invoke(args=["grading-worker", "--burst"])
        assert worker.exit_code != 0 and "grading refused" in worker.output
    finally:
        jobs.grading_pool(strict).close()


def test_an_nbgrader_notebook_dropped_into_a_course_imports_and_grades_unchanged(app, session, tmp_path):
    """nbgrader's own documentation example (ps1, problem 1), as it is, in a course folder."""
    import base64
    import shutil

    from lms.services.courses import import_courses

    folder = tmp_path / "courses" / "nbgrader-ps1"
    (folder / "exercises").mkdir(parents=True)
    source = Path(__file__).parents[1] / "fixtures/notebooks/nbgrader_ps1_problem1.ipynb"
    shutil.copy(source, folder / "exercises" / "problem1.ipynb")
    (folder / "exercises" / "jupyter.png").write_bytes(
        base64.b64decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
        )
    )
    (folder / "course.yml").write_text(
        "title: nbgrader 예제\nsummary: 문서의 예제 그대로\ntrack: data-analysis\nindustry: cross-industry\n"
        "level: beginner\naudience: [student]\nlicence: CC BY 4.0\n"
        "outline:\n  - title: 과제\n    items:\n      - path: exercises/problem1.ipynb\n        title: Problem 1\n",
        encoding="utf-8",
    )
    report = import_courses(session, tmp_path / "courses")
    assert report.imported == ["nbgrader-ps1"] and report.problems == []
    session.commit()
    result = app.test_cli_runner().invoke(args=["grade", "nbgrader-ps1", "problem1", str(source), "--json"])
    assert result.exit_code == 0, result.output
    grades = {g["grade_id"]: g for g in json.loads(result.output)["grades"]}
    assert all(
        grades[t]["status"] == "passed"
        for t in ("correct_squares", "squares_invalid_input", "correct_sum_of_squares", "sum_of_squares_uses_squares")
    )
    assert grades["sum_of_squares_equation"]["status"] == "manual"  # written answers wait for an instructor


def test_a_learner_cannot_fill_the_grading_queue(learner, actions, client, session, app):
    from lms.models import Item
    from lms.services import exercises

    enrolment = session.scalar(sa.select(Enrolment).where(Enrolment.user_id == learner.id))
    item = session.scalar(sa.select(Item).where(Item.slug == "sales"))
    notebook = exercises.notebook_with_answers(item, SOLUTIONS)
    limit = app.config["GRADING_MAX_PER_LEARNER"]
    for _ in range(limit):  # waiting for a worker
        exercises.submit(session, enrolment, item, notebook, kind="grade", origin="browser")
    session.commit()
    before = session.scalar(sa.select(sa.func.count()).select_from(Submission))

    data = {f"cell-{gid}": text for gid, text in {**SOLUTIONS, "total_by_region": "# my newest try"}.items()}
    response = actions.post(f"{ITEM}/submissions", {**data, "action": "grade"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"채점을 기다리는 제출이 이미 {limit}개 있습니다" in page
    assert "# my newest try" in page  # nothing typed is lost: it is the draft
    as_json = actions.post(f"{ITEM}/submissions", data, headers={"Accept": "application/json"})
    assert as_json.status_code == 429 and as_json.get_json()["error"] == "busy"
    upload = actions.post(f"{ITEM}/upload", {"notebook": (io.BytesIO(json.dumps(notebook).encode()), "mine.ipynb")})
    assert f"이미 {limit}개" in client.get(upload.headers["Location"]).get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Submission)) == before

    session.execute(sa.update(Submission).values(status="done"))  # graded: the learner may submit again
    session.commit()
    submit(actions, SOLUTIONS)
    assert session.scalar(sa.select(sa.func.count()).select_from(Submission)) == before + 1


def test_a_hostile_written_answer_of_the_largest_size_does_not_stall_the_grading_page(
    learner, actions, client, session
):
    import time

    from lms.content import render
    from lms.services.exercises import MAX_ANSWER_CHARS

    # "> " nested 50,000 deep: past the renderer's time limit (minutes in Python-Markdown, not guarded by a pattern).
    answer = ("<script>alert(1)</script> " + "> " * MAX_ANSWER_CHARS)[:MAX_ANSWER_CHARS]
    submit(actions, {**SOLUTIONS, "explain_choice": answer})
    actions.logout()
    actions.login_as("instructor")
    submission = session.scalar(sa.select(Submission).where(Submission.user_id == learner.id))
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        page = client.get(f"/teach/submissions/{submission.id}").get_data(as_text=True)
        timings.append(time.perf_counter() - started)
        assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &gt; &gt; &gt;" in page
        assert 'class="render-limit"' in page and page.count("&gt;") >= MAX_ANSWER_CHARS // 2 - 20
    assert timings[0] < render.WALL_SECONDS + 3
    assert timings[1] < 1.5  # the rendered answer is reused: no second wait for the same text
