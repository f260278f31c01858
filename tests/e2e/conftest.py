"""End-to-end fixtures: the app on a live server in a thread, on its own SQLite file, and headless Chromium.

The browser is never downloaded: Playwright drives /usr/bin/chromium (installed by test.sh); without it these
tests are skipped with the reason.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from lms.services.courses import import_courses
from lms.tasks import jobs
from lms.tasks.jobs import ThreadQueue
from lms.web.extensions import db
from tests.conftest import FIXTURES, make_app, reset_database

try:
    from playwright import sync_api
except ImportError:  # the test extras are not installed: the browser fixture skips
    sync_api = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}


# Module scope, not session: while started, Playwright's sync API keeps an asyncio loop running in the main
# thread, and any app context popped under it fails (async teardown). The browser must be gone before the
# other test directories (unit/, web/) run in the same pytest process.
@pytest.fixture(scope="module")
def e2e_config() -> dict[str, object]:
    """Config overrides of the live app; a test module overrides this fixture to change them (e.g. the queue)."""
    return {}


@pytest.fixture(scope="module")
def e2e_app(tmp_path_factory: pytest.TempPathFactory, e2e_config: dict[str, object]) -> Iterator[Flask]:
    """The app on a SQLite file of its own (not the transactional test database), fixture courses imported."""
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('e2e-db') / 'e2e.sqlite3'}", **e2e_config)
    reset_database(app)
    with app.app_context():
        report = import_courses(db.session, FIXTURES / "courses")
        assert not report.errors, [str(p) for p in report.errors]
        db.session.commit()
    yield app
    queue = app.extensions.get("grading_queue")
    if isinstance(queue, ThreadQueue):  # in-process graders: let running jobs end before the database goes
        queue.executor.shutdown(wait=True, cancel_futures=True)
    jobs.grading_pool(app).close()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(e2e_app: Flask) -> Iterator[str]:
    """The base URL of the app served by werkzeug in a background thread on a free port of 127.0.0.1."""
    server = make_server("127.0.0.1", 0, e2e_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(live_server: str) -> Iterator[sync_api.Browser]:
    # Depends on the live server so that the app is built (and torn down) outside Playwright's event loop.
    if sync_api is None:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]', or run ./test.sh)")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium package (./test.sh does it) to run e2e tests")
    sync_api.expect.set_options(timeout=10_000)  # generous on a busy CI machine; passing runs don't wait
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(live_server: str, browser: sync_api.Browser) -> Iterator[sync_api.BrowserContext]:
    """A fresh browser profile per test (no cookies shared between tests), in Korean like most visitors."""
    context = browser.new_context(base_url=live_server, viewport=DESKTOP, locale="ko-KR")
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


class PageProblems:
    """What must never happen on a page: a dialog (an injected alert()) or an uncaught script error."""

    def __init__(self, page: sync_api.Page) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._on_dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _on_dialog(self, dialog: sync_api.Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


@pytest.fixture
def page(context: sync_api.BrowserContext) -> Iterator[sync_api.Page]:
    page = context.new_page()
    problems = PageProblems(page)
    page.problems = problems  # type: ignore[attr-defined]
    yield page
    assert not problems.dialogs, f"a dialog opened (injected script ran?): {problems.dialogs}"
    assert not problems.errors, f"uncaught script errors: {problems.errors}"
