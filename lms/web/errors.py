"""Uniform error pages in the site's layout; no stack trace ever reaches a user."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db

MESSAGES = {
    400: (_l("잘못된 요청입니다"), _l("요청을 처리할 수 없습니다. 입력한 내용을 확인해 주세요.")),
    403: (_l("접근 권한이 없습니다"), _l("이 페이지를 볼 수 있는 권한이 없습니다.")),
    404: (_l("페이지를 찾을 수 없습니다"), _l("주소가 바뀌었거나 없는 페이지입니다.")),
    405: (_l("허용되지 않는 요청입니다"), _l("이 주소에서는 그 방식의 요청을 받지 않습니다.")),
    413: (_l("파일이 너무 큽니다"), _l("올릴 수 있는 크기를 넘었습니다.")),
    429: (_l("요청이 너무 많습니다"), _l("잠시 후 다시 시도해 주세요.")),
    500: (_l("일시적인 오류가 발생했습니다"), _l("문제가 기록되었습니다. 잠시 후 다시 시도해 주세요.")),
}


def render_error(code: int, detail: str | None = None) -> ResponseReturnValue:
    title, message = MESSAGES.get(code, MESSAGES[500])
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(error=str(title), message=detail or str(message)), code
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> ResponseReturnValue:
        return render_error(400, str(_l("보안 토큰이 만료되었습니다. 페이지를 새로 고친 뒤 다시 시도해 주세요.")))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> ResponseReturnValue:
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> ResponseReturnValue:
        db.session.rollback()
        app.logger.exception("unhandled error on %s", request.path)
        return render_error(500)
