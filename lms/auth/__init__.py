"""Registration, login with remember-me, logout."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from ..services.accounts import EmailTaken, authenticate, create_user
from ..web import safe_next
from .forms import LoginForm, RegisterForm

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def register():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = create_user(
                db.session,
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                learner_type=form.learner_type.data,
                organisation=form.organisation.data,
            )
        except EmailTaken:
            form.email.errors.append(_("이미 가입된 이메일입니다. 로그인해 주세요."))
        else:
            db.session.commit()
            login_user(user)
            flash(_("가입을 환영합니다, %(name)s님!", name=user.name), "success")
            return redirect(safe_next(request.args.get("next"), url_for("catalog.index")))
    return render_template("auth/register.html", form=form), 200 if not form.errors else 422


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("dashboard.index")))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("dashboard.index")))
        form.password.errors.append(_("이메일 또는 비밀번호가 올바르지 않습니다."))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@bp.post("/logout")
@login_required
def logout():  # noqa: ANN201
    logout_user()
    flash(_("로그아웃했습니다."), "info")
    return redirect(url_for("catalog.index"))
