"""The README's first command on a fresh copy of the project: `./run.sh` installs into a new .venv, sets up SQLite with
the shipped courses once, serves them with gunicorn, and prints demo passwords that log in.

Slow (a virtual environment is created and the platform's libraries are installed, from pip's cache when it has
them), and only in the SQLite pass: the quick start is the embedded default.
"""

from __future__ import annotations

import html
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="the quick start runs the embedded default; the SQLite pass tests it"
)


def project_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout: cannot tell the project's files from local ones")
    return [name for name in listed.stdout.decode().split("\0") if name and (ROOT / name).is_file()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_sh_on_a_fresh_copy_serves_the_courses_and_demo_logins(tmp_path: Path) -> None:
    copy = tmp_path / "baeum"
    for name in project_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BAEUM_", "VIRTUAL_ENV", "PYTEST", "FLASK_"))
        and key not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(PORT=str(port), HOST="127.0.0.1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["./run.sh"], cwd=copy, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 900
        while True:
            assert proc.poll() is None, f"./run.sh exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"./run.sh did not serve in time:\n{log.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(base + "/auth/login", timeout=5) as resp:
                    if resp.status == 200:
                        server = resp.headers.get("Server", "")
                        break
            except (urllib.error.URLError, OSError):
                time.sleep(1)

        output = log.read_text()
        accounts = dict(
            re.findall(r"^\s+(learner|instructor|org_manager|admin)\s+\S+@demo\.baeum\.kr\s+(\S+)$", output, re.M)
        )
        assert set(accounts) == {"learner", "instructor", "org_manager", "admin"}, output[-3000:]
        assert server == "gunicorn", f"served by {server!r}, not gunicorn"
        assert output.count("Demo accounts") == 1, "the setup ran more than once"
        assert "Booting worker" in output
        assert (copy / "instance" / "demo-accounts.txt").exists()
        assert not (copy / ".venv" / "bin" / "pytest").exists(), "the quick start installs the platform, not the tests"

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(base + "/auth/login", timeout=30).read().decode()
        token = html.unescape(re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1))
        form = {"csrf_token": token, "email": "learner@demo.baeum.kr", "password": accounts["learner"]}
        with opener.open(base + "/auth/login", data=urllib.parse.urlencode(form).encode(), timeout=30) as resp:
            assert "/auth/login" not in resp.geturl(), "the printed learner password did not log in"
        catalog = opener.open(base + "/courses/", timeout=30).read().decode()
        for manifest in (ROOT / "courses").glob("*/course.yml"):
            slug = manifest.parent.name
            assert f"/courses/{slug}" in catalog, f"shipped course {slug} is not in the catalog"
        assert "로그아웃" in catalog  # signed in, in Korean
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
