"""Settings, read from the environment once; anything secret lives in the environment or the instance folder."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def instance_path(env: Mapping[str, str] | None = None) -> str:
    """Where the SQLite file, the secret key and other per-installation files live (BAEUM_INSTANCE_PATH)."""
    env = os.environ if env is None else env
    return env.get("BAEUM_INSTANCE_PATH") or str(ROOT / "instance")


class Config:
    """Defaults for the embedded setup: SQLite in the instance folder, in-process workers, memory rate limits."""

    def __init__(self, instance_path: str, env: dict[str, str] | None = None) -> None:
        env = dict(os.environ if env is None else env)
        instance = Path(instance_path)
        database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'baeum.sqlite3'}"
        if database_url.startswith("postgres://"):
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgres://")
        elif database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
        self.EMBEDDED = database_url.startswith("sqlite")
        self.SQLALCHEMY_ENGINES = {"default": database_url}
        self.SECRET_KEY = env.get("SECRET_KEY") or _instance_secret(instance)
        self.COURSES_PATH = env.get("BAEUM_COURSES", str(ROOT / "courses"))
        # On the embedded default the database is migrated, courses imported and demo accounts created at start.
        self.AUTO_SETUP = env.get("BAEUM_AUTO_SETUP", "1" if self.EMBEDDED else "0") == "1"
        self.DEMO_ACCOUNTS = env.get("BAEUM_DEMO_ACCOUNTS", "1" if self.EMBEDDED else "0") == "1"
        self.DEMO_PASSWORD = env.get("BAEUM_DEMO_PASSWORD") or None
        self.REDIS_URL = env.get("REDIS_URL") or None
        # Grading jobs: "thread" (in-process workers, the default), "rq" (Redis workers: `flask grading-worker`)
        # or "eager" (in the request; for the CLI and tests).
        self.GRADING_QUEUE = env.get("BAEUM_GRADING_QUEUE", "thread")
        self.GRADING_WORKERS = int(env.get("BAEUM_GRADING_WORKERS", "2"))
        # Submissions one learner may have waiting for or in grading at once (so one cannot fill the queue).
        self.GRADING_MAX_PER_LEARNER = int(env.get("BAEUM_GRADING_MAX_PER_LEARNER", "3"))
        self.GRADING_REQUIRE_ISOLATION = env.get("BAEUM_GRADING_REQUIRE_ISOLATION", "0") == "1"
        self.GRADING_ISOLATION = env.get("BAEUM_GRADING_ISOLATION", "auto")  # or force bwrap, unshare, rlimits
        # Sandboxes each web (or grading-worker) process keeps started with the scientific stack imported.
        self.GRADING_POOL_SIZE = int(env.get("BAEUM_GRADING_POOL_SIZE", str(min(2, os.cpu_count() or 1))))
        # Limits of one run, by the names of lms.grading.protocol.Limits (e.g. {"wall_s": 60, "memory_mb": 2048});
        # set in the instance folder's settings.py. Empty: the library's defaults.
        self.GRADING_LIMITS: dict[str, float] = {}
        self.MAX_CONTENT_LENGTH = 16 * 1024 * 1024
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_LOGIN = env.get("BAEUM_RATELIMIT_LOGIN", "10 per minute")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env.get("BAEUM_SECURE_COOKIES", "0") == "1"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        # How long "remember me" (and any sign-in) lasts; the server refuses older sign-ins whatever the cookie says.
        self.REMEMBER_COOKIE_DURATION = timedelta(days=int(env.get("BAEUM_REMEMBER_DAYS", "30")))
        self.BABEL_DEFAULT_LOCALE = "ko"
        self.BABEL_DEFAULT_TIMEZONE = env.get("BAEUM_TIMEZONE", "Asia/Seoul")
        self.LANGUAGES = ("ko", "en")
        self.WTF_CSRF_TIME_LIMIT = None  # tied to the session instead, so a long lesson never loses a form
        self.PER_PAGE = 9
        self.ALEMBIC_CONTEXT = {"render_as_batch": True, "compare_type": True}


def _instance_secret(instance: Path) -> str:
    """A random secret key kept in the instance folder, made on first run (never in the repository)."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(os.urandom(32).hex())
        path.chmod(0o600)
    return path.read_text().strip()
