"""Notebook exercises: the page, drafts, run and submit, uploads, results, the release download."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import PurePosixPath
from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..content.kinds.exercise import Exercise
from ..models import Course, Enrolment, Item, Submission
from ..services import exercises, learning
from ..tasks.jobs import enqueue
from ..web import best_effort_write, course_or_404, id_arg
from ..web.extensions import db
from ..web.permissions import enrolment_or_redirect
from .blueprint import bp

MESSAGES = {
    "upload.empty": _l("빈 파일입니다. 노트북(.ipynb) 파일을 골라 주세요."),
    "upload.not_a_notebook": _l("Jupyter 노트북(.ipynb) 파일이 아닙니다. 파일을 확인해 주세요."),
    "upload.invalid": _l("노트북 형식이 올바르지 않습니다. Jupyter나 VS Code에서 다시 저장한 뒤 올려 주세요."),
    "upload.too_large": _l("노트북 파일이 너무 큽니다. 셀 출력을 모두 지운 뒤 다시 올려 주세요."),
    "job.failed": _l("채점 작업이 실패했습니다. 다시 시도해 주세요."),
    "job.no_isolation": _l("채점 환경이 준비되지 않았습니다. 관리자에게 알려 주세요."),
    "job.lost": _l("채점 작업이 끝나지 않았습니다(서버 재시작 등). 다시 시도해 주세요."),
    "grading.ok": _l("실행을 마쳤습니다."),
    "grading.timeout": _l("시간 제한을 넘어 실행을 멈췄습니다. 무한 반복이 없는지 확인해 주세요."),
    "grading.crashed": _l("파이썬 실행기가 비정상 종료되었습니다."),
    "grading.output_limit": _l("출력이 너무 많아 실행을 멈췄습니다."),
    "grading.memory_limit": _l("메모리 제한을 넘었습니다."),
    "grade.passed": _l("통과"),
    "grade.failed": _l("실패"),
    "grade.not_run": _l("실행되지 않음"),
    "grade.manual_pending": _l("강사 채점 대기"),
    "grade.needs_review": _l("강사 확인 대기"),
    "grade.missing_answer": _l("답안 없음"),
}


def message(code: str | None) -> str:
    return str(MESSAGES.get(code or "", code or ""))


def _exercise(slug: str, item_slug: str) -> tuple[Course, Enrolment, Item]:
    course = course_or_404(slug)
    enrolment = enrolment_or_redirect(course)
    item = learning.active_item(db.session, course.id, item_slug)
    if item is None or item.kind != Exercise.name:
        abort(404)
    return course, enrolment, item


def _own_submission(item: Item, submission_id: int) -> Submission:
    submission = exercises.own_submission(db.session, current_user.id, item.id, submission_id)
    if submission is None:
        abort(404)
    return submission


def _answers_from_form(item: Item) -> dict[str, str]:
    return {
        c["grade_id"]: request.form[f"cell-{c['grade_id']}"]
        for c in exercises.answer_cells(item)
        if f"cell-{c['grade_id']}" in request.form
    }


def render_exercise(context: dict[str, Any]) -> str:
    """The exercise page, given the learning pages' common context (course, outline, item, progress...)."""
    item = context["item"]
    if exercises.has_stale(db.session, current_user.id, item.id):
        best_effort_write(lambda: exercises.expire_stale(db.session, current_user.id, item.id))
    shown = None
    if (submission_id := id_arg("submission")) is not None:
        shown = _own_submission(item, submission_id)
    attempts = exercises.submissions_for(db.session, current_user.id, item.id)
    if shown is None:
        shown = exercises.latest_submission(db.session, current_user.id, item.id)
    answers = exercises.draft_answers(db.session, current_user.id, item)
    viewing_attempt = shown is not None and submission_id is not None
    if shown is not None and viewing_attempt:
        answers.update({k: v for k, v in exercises.answers_of(shown.notebook).items() if k in answers})
    manual = exercises.manual_grades(db.session, shown.id) if shown is not None and shown.kind == "grade" else {}
    return render_template(
        "learn/exercise.html",
        answers=answers,
        shown=shown,
        viewing_attempt=viewing_attempt,
        attempts=attempts,
        manual=manual,
        message=message,
        pass_score=Exercise.pass_score(item.data),
        **exercises.shown_results(shown),
        **context,
    )


@bp.post("/<slug>/items/<item_slug>/draft")
@login_required
def save_draft(slug: str, item_slug: str) -> ResponseReturnValue:
    _course, _enrolment, item = _exercise(slug, item_slug)
    exercises.save_draft(db.session, current_user.id, item, _answers_from_form(item))
    db.session.commit()
    return jsonify(saved=True)


@bp.post("/<slug>/items/<item_slug>/submissions")
@login_required
def submit(slug: str, item_slug: str) -> ResponseReturnValue:
    _course, enrolment, item = _exercise(slug, item_slug)
    kind = "run" if request.form.get("action") == "run" else "grade"
    answers = exercises.save_draft(db.session, current_user.id, item, _answers_from_form(item))
    if busy := _too_many_in_flight(slug, item_slug):
        db.session.commit()  # the answers are kept as the draft
        return busy
    notebook = exercises.notebook_with_answers(item, answers)
    submission = exercises.submit(db.session, enrolment, item, notebook, kind=kind, origin="browser")
    return _commit_and_enqueue(slug, item_slug, submission)


@bp.post("/<slug>/items/<item_slug>/upload")
@login_required
def upload(slug: str, item_slug: str) -> ResponseReturnValue:
    _course, enrolment, item = _exercise(slug, item_slug)
    if busy := _too_many_in_flight(slug, item_slug):
        return busy
    file = request.files.get("notebook")
    if file is None or not file.filename:
        flash(_("올릴 노트북(.ipynb) 파일을 골라 주세요."), "error")
        return redirect(url_for("learn.item", slug=slug, item_slug=item_slug))
    try:
        notebook, missing = exercises.read_upload(item, file.read(exercises.MAX_UPLOAD_BYTES + 1), file.filename)
    except exercises.UploadError as exc:
        flash(message(exc.code) + (f" ({exc.detail})" if exc.detail else ""), "error")
        return redirect(url_for("learn.item", slug=slug, item_slug=item_slug))
    if missing:
        flash(_("답안 셀을 찾지 못했습니다: %(ids)s. 해당 셀은 0점으로 채점됩니다.", ids=", ".join(missing)), "error")
    submission = exercises.submit(db.session, enrolment, item, notebook, kind="grade", origin="upload")
    return _commit_and_enqueue(slug, item_slug, submission)


def _too_many_in_flight(slug: str, item_slug: str) -> ResponseReturnValue | None:
    """A message instead of a new job when the learner already has as many waiting as one may."""
    limit = current_app.config["GRADING_MAX_PER_LEARNER"]
    if exercises.in_flight(db.session, current_user.id) < limit:
        return None
    text = _("채점을 기다리는 제출이 이미 %(n)s개 있습니다. 결과가 나온 뒤 다시 제출해 주세요.", n=limit)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error="busy", message=text), 429
    flash(text, "error")
    return redirect(url_for("learn.item", slug=slug, item_slug=item_slug))


def _commit_and_enqueue(slug: str, item_slug: str, submission: Submission) -> ResponseReturnValue:
    """Commit the submission before a worker looks for it, queue it, and send the learner to its result."""
    db.session.commit()
    enqueue(submission.id)
    target = url_for("learn.item", slug=slug, item_slug=item_slug, submission=submission.id, _anchor="results")
    if request.accept_mimetypes.best == "application/json":
        return jsonify(id=submission.id, status=submission.status, url=target)
    return redirect(target)


@bp.get("/<slug>/items/<item_slug>/submissions/<int:submission_id>.json")
@login_required
def submission_status(slug: str, item_slug: str, submission_id: int) -> ResponseReturnValue:
    _course, _enrolment, item = _exercise(slug, item_slug)
    submission = _own_submission(item, submission_id)
    if exercises.has_stale(db.session, current_user.id, item.id):
        best_effort_write(lambda: exercises.expire_stale(db.session, current_user.id, item.id))
    return jsonify(
        id=submission.id,
        status=submission.status,
        score=submission.score,
        points=submission.points,
        max_points=submission.max_points,
        final=submission.final,
        error=message(submission.error) or None,
    )


@bp.post("/<slug>/items/<item_slug>/submissions/<int:submission_id>/retry")
@login_required
def retry(slug: str, item_slug: str, submission_id: int) -> ResponseReturnValue:
    _course, _enrolment, item = _exercise(slug, item_slug)
    submission = _own_submission(item, submission_id)
    if submission.status != "error":
        abort(400)
    if busy := _too_many_in_flight(slug, item_slug):
        return busy
    exercises.retry(db.session, submission)
    return _commit_and_enqueue(slug, item_slug, submission)


@bp.get("/<slug>/items/<item_slug>/download")
@login_required
def download(slug: str, item_slug: str) -> ResponseReturnValue:
    course, _enrolment, item = _exercise(slug, item_slug)
    path = PurePosixPath(item.data["path"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{course.slug}/{path}", json.dumps(item.data["release"], ensure_ascii=False, indent=1))
        for asset_path, content in exercises.exercise_files(db.session, item, public_only=True).items():
            archive.writestr(f"{course.slug}/{asset_path}", content)
    buffer.seek(0)
    return send_file(
        buffer, mimetype="application/zip", as_attachment=True, download_name=f"{course.slug}-{path.stem}.zip"
    )
