"""Forms of the authoring pages: a new course's manifest fields, a file's text with a save message."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # new in wtforms 3.2; the stubs lag
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from ..content.vocabulary import AUDIENCES, INDUSTRIES, LEVELS, TRACKS


def _choices(vocabulary: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(code, _l(text)) for code, text in vocabulary.items()]


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewCourseForm(FlaskForm):
    title = StringField(_l("강좌 제목"), validators=[DataRequired(_l("제목을 입력해 주세요.")), Length(max=200)])
    slug = StringField(
        _l("주소 이름 (slug)"),
        validators=[
            DataRequired(_l("주소 이름을 입력해 주세요.")),
            Length(max=100),
            Regexp(r"^[a-z0-9][a-z0-9-]*$", message=_l("영문 소문자, 숫자와 '-'만 쓸 수 있습니다.")),
        ],
        description=_l("강좌 주소와 폴더 이름이 됩니다. 예: ai-quality-basics"),
    )
    summary = TextAreaField(
        _l("한두 문장 소개"), validators=[DataRequired(_l("소개를 입력해 주세요.")), Length(max=1000)]
    )
    track = SelectField(_l("트랙"), choices=_choices(TRACKS), validators=[DataRequired()])
    industry = SelectField(_l("산업"), choices=_choices(INDUSTRIES), validators=[DataRequired()])
    level = SelectField(_l("난이도"), choices=_choices(LEVELS), validators=[DataRequired()])
    audience = CheckboxesField(
        _l("대상"), choices=_choices(AUDIENCES), validators=[DataRequired(_l("대상을 하나 이상 고르세요."))]
    )
    hours = DecimalField(
        _l("예상 학습 시간 (시간)"), validators=[Optional(), NumberRange(min=0, max=1000)], places=1, default=Decimal(1)
    )


class FileForm(FlaskForm):
    text = TextAreaField(_l("내용 (Markdown)"), validators=[Length(max=1024 * 1024)])
    message = StringField(
        _l("변경 설명"), validators=[Length(max=500)], description=_l("무엇을 왜 바꾸었는지 짧게 적어 주세요.")
    )
    base = HiddenField()
