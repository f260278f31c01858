"""Administration: platform figures, users and their roles, courses with completion and their instructors."""

from __future__ import annotations

import math

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..models import Course, Role
from ..services import accounts, catalog, teaching
from ..tasks.jobs import grading_pool
from ..web import page_number
from ..web.extensions import db
from ..web.permissions import admin_required

bp = Blueprint("admin", __name__, url_prefix="/admin")

ISOLATION = {
    "bwrap": _l(
        "bubblewrap: 네트워크·프로세스가 분리되고, 학습자 코드는 권한 없는 별도 사용자로 실행되며, 프로젝트·"
        "데이터베이스·다른 제출물은 보이지 않습니다."
    ),
    "unshare": _l(
        "unshare: 네트워크·프로세스·마운트가 분리되고 학습자 코드는 권한 없는 별도 사용자로 실행됩니다. 프로젝트·"
        "인스턴스·강좌 폴더는 가려지지만 그 밖의 호스트 파일은 권한에 따라 읽을 수 있습니다. bubblewrap을 설치하면 "
        "더 안전합니다."
    ),
    "rlimits": _l(
        "자원 제한만: 네임스페이스 없이 권한 없는 별도 사용자로 실행되며 네트워크에 접근할 수 있습니다. bubblewrap을 "
        "설치하세요."
    ),
}


@bp.get("/")
@admin_required
def index() -> ResponseReturnValue:
    courses = catalog.completion_by_course(db.session)
    users_by_role = accounts.users_by_role(db.session)
    mode = current_app.config["GRADING_QUEUE"]
    detail = ""
    if mode == "rq":
        isolation = _("RQ 작업자가 채점합니다 (`flask grading-worker`의 로그에 표시).")
    else:
        # What the pool knows; this page never starts it (a server warms it at start, the first job otherwise).
        pool = grading_pool(current_app)
        if pool.error is not None:
            isolation = _("안전한 격리 환경이 없어 채점하지 않습니다. bubblewrap을 설치하세요.")
            detail = str(pool.error)
        elif pool.state == "ready":
            isolation, detail = str(ISOLATION[pool.isolation]), pool.report()
        else:
            isolation = _("채점 환경을 아직 시작하지 않았습니다. 서버가 시작할 때나 첫 채점 때 격리 수준을 확인합니다.")
    return render_template(
        "admin/index.html",
        courses=courses,
        users_by_role=users_by_role,
        grading_queue=mode,
        isolation=isolation,
        isolation_detail=detail,
    )


@bp.get("/users")
@admin_required
def users() -> ResponseReturnValue:
    q = request.args.get("q", "").strip()[:100]
    page = page_number()
    per_page = 20
    rows, total = accounts.find_users(db.session, q, page=page, per_page=per_page)
    return render_template(
        "admin/users.html",
        users=rows,
        q=q,
        page=page,
        pages=max(1, math.ceil(total / per_page)),
        total=total,
        roles=[r.value for r in Role],
    )


@bp.post("/users/<int:user_id>/role")
@admin_required
def set_role(user_id: int) -> ResponseReturnValue:
    user = accounts.user_by_id(db.session, user_id)
    if user is None:
        abort(404)
    role = request.form.get("role", "")
    if role not in {r.value for r in Role}:
        flash(_("알 수 없는 역할입니다."), "error")
    elif user.id == current_user.id and role != Role.ADMIN:
        flash(_("자기 자신의 관리자 권한은 해제할 수 없습니다."), "error")
    else:
        user.role = role
        db.session.commit()
        flash(_("%(name)s님의 역할을 바꾸었습니다.", name=user.name), "success")
    current_app.logger.info("role of user %s set to %s by %s", user.id, role, current_user.id)
    return redirect(
        request.referrer if (request.referrer or "").startswith(request.host_url) else url_for("admin.users")
    )


def _course_or_404(course_id: int) -> Course:
    course = catalog.course_by_id(db.session, course_id)
    if course is None:
        abort(404)
    return course


@bp.get("/courses/<int:course_id>/instructors")
@admin_required
def instructors(course_id: int) -> ResponseReturnValue:
    course = _course_or_404(course_id)
    return render_template(
        "admin/instructors.html", course=course, instructors=teaching.instructors_of(db.session, course.id)
    )


@bp.post("/courses/<int:course_id>/instructors")
@admin_required
def add_instructor(course_id: int) -> ResponseReturnValue:
    course = _course_or_404(course_id)
    user = accounts.find_user_by_email(db.session, request.form.get("email", "")[:254])
    if user is None:
        flash(_("그 이메일의 계정이 없습니다."), "error")
    else:
        try:
            teaching.add_instructor(db.session, course, user)
        except teaching.NotAnInstructor:
            flash(_("강사 역할의 계정만 강좌에 연결할 수 있습니다. 먼저 역할을 바꾸세요."), "error")
        else:
            db.session.commit()
            current_app.logger.info("user %s linked to course %s by %s", user.id, course.id, current_user.id)
            flash(_("%(name)s님이 이 강좌를 맡습니다.", name=user.name), "success")
    return redirect(url_for("admin.instructors", course_id=course.id))


@bp.post("/courses/<int:course_id>/instructors/<int:user_id>/remove")
@admin_required
def remove_instructor(course_id: int, user_id: int) -> ResponseReturnValue:
    course = _course_or_404(course_id)
    teaching.remove_instructor(db.session, course.id, user_id)
    db.session.commit()
    current_app.logger.info("user %s unlinked from course %s by %s", user_id, course.id, current_user.id)
    flash(_("강사 연결을 해제했습니다."), "success")
    return redirect(url_for("admin.instructors", course_id=course.id))
