"""The Flask extensions, created unbound here and bound in `create_app`."""

from __future__ import annotations

from flask import current_app, request, session
from flask_alembic import Alembic
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy_lite import SQLAlchemy
from flask_wtf import CSRFProtect

from ..models import Base

# Objects stay readable after the request commits, so templates never reload rows one by one.
db = SQLAlchemy(session_options={"expire_on_commit": False})
alembic = Alembic(metadatas=Base.metadata)
csrf = CSRFProtect()
login_manager = LoginManager()
# No default limits: each rate limit is declared on the route it guards (`@limiter.limit`, the sign-in, registration
# and password forms), so a page is limited exactly when its view says so.
limiter = Limiter(key_func=get_remote_address)


def select_locale() -> str:
    """The language the visitor chose; Korean unless they chose otherwise."""
    chosen = session.get("lang") or request.cookies.get("lang")
    return str(chosen if chosen in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"])


babel = Babel()
