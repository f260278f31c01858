"""Registration, login with remember-me, logout, changing one's password."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..models import User
from ..services import accounts
from ..web import safe_next
from ..web.extensions import db, limiter
from .forms import LoginForm, PasswordForm, RegisterForm

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _sign_in(user: User, remember: bool) -> None:
    """Start a sign-in the server can end, with a fresh CSRF secret (one planted before login is worthless)."""
    identity = accounts.start_sign_in(
        db.session, user, remember=remember, lifetime=current_app.config["REMEMBER_COOKIE_DURATION"]
    )
    db.session.commit()
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)  # Flask-WTF's copy for this request
    login_user(identity, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def register() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                db.session,
                name=form.name.data or "",
                email=form.email.data or "",
                password=form.password.data or "",
                learner_type=form.learner_type.data,
                organisation=form.organisation.data,
            )
        except accounts.EmailTaken:
            # Worded like the login's message: it does not say whether an account with this address exists.
            form.email.errors = [
                *form.email.errors,
                _("이 정보로는 가입할 수 없습니다. 이미 가입했다면 로그인해 주세요."),
            ]
        else:
            _sign_in(user, remember=False)
            flash(_("가입을 환영합니다, %(name)s님!", name=user.name), "success")
            return redirect(safe_next(request.args.get("next"), url_for("catalog.index")))
    return render_template("auth/register.html", form=form), 200 if not form.errors else 422


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("dashboard.index")))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.email.data or "", form.password.data or "")
        if user is not None:
            _sign_in(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("dashboard.index")))
        form.password.errors = [*form.password.errors, _("이메일 또는 비밀번호가 올바르지 않습니다.")]
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    # The sign-in ends on the server, so neither this session cookie nor the remember-me cookie works again.
    accounts.end_sign_in(db.session, current_user.id, current_user.sign_in)
    db.session.commit()
    logout_user()
    flash(_("로그아웃했습니다."), "info")
    return redirect(url_for("catalog.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def password() -> ResponseReturnValue:
    form = PasswordForm(email=current_user.email)
    if form.validate_on_submit():
        user = accounts.user_by_id(db.session, current_user.id)
        if user is None:
            abort(404)
        if not accounts.verify_password(user, form.current.data or ""):
            form.current.errors = [*form.current.errors, _("현재 비밀번호가 올바르지 않습니다.")]
        else:
            accounts.change_password(db.session, user, form.password.data or "", keep=current_user.sign_in)
            db.session.commit()
            flash(_("비밀번호를 바꾸었습니다. 다른 기기에서는 로그아웃되었습니다."), "success")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/password.html", form=form), 200 if not form.errors else 422
