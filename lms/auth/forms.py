"""Registration, login and password forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Field, PasswordField, SelectField, StringField
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # new in wtforms 3.2; the stubs lag
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from ..content.vocabulary import AUDIENCES
from ..services.accounts import is_weak_password


def not_common(form: Any, field: Field) -> None:
    """Refuse passwords from breach corpora and the account's own e-mail address (NIST SP 800-63B)."""
    email = form.email.data if hasattr(form, "email") else getattr(form, "account_email", "")
    if field.data and is_weak_password(field.data, email or ""):
        raise ValidationError(_l("너무 흔하거나 추측하기 쉬운 비밀번호입니다. 다른 비밀번호를 골라 주세요."))


def new_password_field(label: Any) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(_l("비밀번호를 입력해 주세요.")),
            Length(min=8, max=128, message=_l("비밀번호는 8자 이상이어야 합니다.")),
            not_common,
        ],
        description=_l("8자 이상"),
    )


class RegisterForm(FlaskForm):
    name = StringField(_l("이름"), validators=[DataRequired(_l("이름을 입력해 주세요.")), Length(max=100)])
    email = EmailField(
        _l("이메일"),
        validators=[
            DataRequired(_l("이메일을 입력해 주세요.")),
            Email(_l("올바른 이메일 주소가 아닙니다.")),
            Length(max=254),
        ],
    )
    password = new_password_field(_l("비밀번호"))
    confirm = PasswordField(
        _l("비밀번호 확인"), validators=[EqualTo("password", message=_l("비밀번호가 서로 다릅니다."))]
    )
    learner_type = SelectField(
        _l("학습자 유형"),
        choices=[SelectChoice(code, _l(text)) for code, text in AUDIENCES.items()],
        validators=[DataRequired()],
    )
    organisation = StringField(
        _l("소속 기관 (선택)"), validators=[Optional(), Length(max=200)], description=_l("회사나 학교 이름")
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("이메일"), validators=[DataRequired(_l("이메일을 입력해 주세요."))])
    password = PasswordField(_l("비밀번호"), validators=[DataRequired(_l("비밀번호를 입력해 주세요."))])
    remember = BooleanField(_l("로그인 상태 유지"))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("현재 비밀번호"), validators=[DataRequired(_l("비밀번호를 입력해 주세요."))])
    password = new_password_field(_l("새 비밀번호"))
    confirm = PasswordField(
        _l("새 비밀번호 확인"), validators=[EqualTo("password", message=_l("비밀번호가 서로 다릅니다."))]
    )

    def __init__(self, *args: Any, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account_email = email
