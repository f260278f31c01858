"""Security headers on every response, and pages that need no inline script or style (so the CSP can forbid them)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from config import ROOT
from lms.tasks.cli import QuietRequestHandler

COURSE = "/courses/factory-basics"
CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def directives(policy: str) -> dict[str, str]:
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in policy.split(";"))
        if part
    }


@pytest.mark.parametrize("path", ["/", "/courses/", f"{COURSE}", "/auth/login", "/no-such-page", "/static/css/app.css"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    policy = directives(response.headers["Content-Security-Policy"])
    for name, value in CSP_DIRECTIVES.items():
        assert policy[name] == value, (name, policy)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert not re.search(r"\d", response.headers.get("Server", "")), response.headers.get("Server")


def test_course_files_get_a_sandboxing_policy_of_their_own(client):
    response = client.get(f"{COURSE}/files/images/flow.svg")
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == "'none'" and "sandbox" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_strict_transport_security_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/courses/").headers
    secure = client.get("/courses/", base_url="https://localhost")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


def test_plain_http_is_not_redirected(client):
    # HTTPS is the proxy's job; the app must not bounce plain-HTTP development or tests.
    response = client.get("/courses/")
    assert response.status_code == 200 and "강좌" in response.get_data(as_text=True)


def assert_no_inline_code(page: str, where: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), f"inline <script> on {where}"
    assert not re.search(r"<[^>]+\s(style|on[a-z]+)\s*=", page), f"inline style or handler on {where}"
    assert "<style" not in page, f"<style> on {where}"


def test_pages_have_no_inline_script_or_style(actions, client):
    actions.user("teacher@example.com", role="instructor")
    actions.login_as("learner")
    assert_no_inline_code(client.get("/courses/").get_data(as_text=True), "catalog")
    actions.post(f"{COURSE}/enrol")
    actions.post("/courses/notebook-lab/enrol")
    pages = (f"{COURSE}", f"{COURSE}/items/01-sensors", f"{COURSE}/items/check", "/courses/notebook-lab/items/sales")
    for path in (*pages, "/me/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_no_inline_code(response.get_data(as_text=True), path)
    actions.logout()
    actions.login_as("admin")
    for path in ("/admin/", "/admin/users", "/teach/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_no_inline_code(response.get_data(as_text=True), path)


def server_header(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.headers.get("Server", "")


def test_the_development_server_names_no_versions():
    # The request handler `flask serve` (and so ./run.sh) gives Werkzeug's server, on an app of its own.
    hello = Flask(__name__)
    hello.add_url_rule("/", "hello", lambda: "hello")
    server = make_server("127.0.0.1", 0, hello, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert server_header(f"http://127.0.0.1:{server.server_port}/") == "Baeum"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_gunicorn_names_no_version(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'g.sqlite3'}",
        "BAEUM_INSTANCE_PATH": str(tmp_path),
        "BAEUM_AUTO_SETUP": "0",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), "-w", "1", "-b", f"127.0.0.1:{port}", "app:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                header = server_header(f"http://127.0.0.1:{port}/static/css/app.css")
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        assert header == "gunicorn"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
