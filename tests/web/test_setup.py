"""First run on the embedded default: schema, shipped courses and one demo account per role, shown once."""

import re

from tests.conftest import make_app


def test_setup_creates_demo_accounts_once_and_they_can_log_in(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'first-run.sqlite3'}", DEMO_ACCOUNTS=True, DEMO_PASSWORD=None)
    first = app.test_cli_runner().invoke(args=["setup"])
    assert first.exit_code == 0, first.output
    assert "courses: 2 imported, 0 unchanged, 0 failed" in first.output
    printed = first.output
    accounts = dict(
        re.findall(r"^\s+(?:learner|instructor|org_manager|admin)\s+(\S+@demo\.baeum\.kr)\s+(\S+)$", printed, re.M)
    )
    assert set(accounts) == {"learner@demo.baeum.kr", "instructor@demo.baeum.kr", "manager@demo.baeum.kr",
                             "admin@demo.baeum.kr"}  # fmt: skip
    again = app.test_cli_runner().invoke(args=["setup"])
    assert "courses: 0 imported, 2 unchanged" in again.output
    assert "demo.baeum.kr" not in again.output  # passwords are shown once

    client = app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/auth/login",
        data={"csrf_token": token, "email": "admin@demo.baeum.kr", "password": accounts["admin@demo.baeum.kr"]},
    )
    assert response.status_code == 302
    assert "관리" in client.get("/admin/").get_data(as_text=True)


def test_create_admin_command(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'admin.sqlite3'}")
    app.test_cli_runner().invoke(args=["setup", "--no-demo"])
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "Boss@Example.com", "--name", "관리자"], input="long-password\nlong-password\n"
    )
    assert result.exit_code == 0 and "admin boss@example.com created" in result.output
    short = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "x@example.com", "--name", "x"], input="short\nshort\n"
    )
    assert short.exit_code != 0
