"""Registration, login, logout and the protections around them."""

import sqlalchemy as sa

from lms.models import User
from lms.web.extensions import limiter


def test_register_logs_in_and_stores_a_hashed_password(actions, session, client):
    response = actions.post(
        "/auth/register",
        {
            "name": "김하나",
            "email": "Hana@Example.com",
            "password": "s3cret-pass",
            "confirm": "s3cret-pass",
            "learner_type": "sme",
            "organisation": "하나정밀",
        },
    )
    assert response.status_code == 302
    user = session.scalar(sa.select(User).where(User.email == "hana@example.com"))
    assert user.name == "김하나" and user.learner_type == "sme" and user.organisation.name == "하나정밀"
    assert user.password_hash.startswith("$argon2id$") and "s3cret-pass" not in user.password_hash
    page = client.get("/courses/").get_data(as_text=True)
    assert "김하나" in page and "로그아웃" in page


def test_register_with_bad_input_shows_messages(actions):
    response = actions.post(
        "/auth/register",
        {"name": "", "email": "not-an-email", "password": "short", "confirm": "other", "learner_type": "sme"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in (
        "이름을 입력해 주세요.",
        "올바른 이메일 주소가 아닙니다.",
        "비밀번호는 8자 이상이어야 합니다.",
        "비밀번호가 서로 다릅니다.",
    ):
        assert message in page


def test_register_twice_with_the_same_email(actions):
    actions.user("dup@example.com")
    response = actions.post(
        "/auth/register",
        {
            "name": "또",
            "email": "DUP@example.com",
            "password": "s3cret-pass",
            "confirm": "s3cret-pass",
            "learner_type": "student",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    # Neutral, like the login's message: it does not confirm that the address has an account.
    assert "이 정보로는 가입할 수 없습니다. 이미 가입했다면 로그인해 주세요." in page
    assert "이미 가입된 이메일" not in page


def test_common_or_guessable_passwords_are_refused(actions, session):
    for password in ("11111111", "password1", "Qwerty123", "guess@example.com"):
        response = actions.post(
            "/auth/register",
            {
                "name": "흔한",
                "email": "guess@example.com",
                "password": password,
                "confirm": password,
                "learner_type": "student",
            },
        )
        assert response.status_code == 422, password
        assert "너무 흔하거나 추측하기 쉬운 비밀번호입니다." in response.get_data(as_text=True)
    assert session.scalar(sa.select(User).where(User.email == "guess@example.com")) is None


def test_login_wrong_password_then_right(actions, client):
    actions.user("a@example.com")
    wrong = actions.login("a@example.com", "wrong password")
    assert wrong.status_code == 422 and "이메일 또는 비밀번호가 올바르지 않습니다." in wrong.get_data(as_text=True)
    unknown = actions.login("nobody@example.com", "whatever1")
    assert "이메일 또는 비밀번호가 올바르지 않습니다." in unknown.get_data(as_text=True)
    right = actions.login("a@example.com")
    assert right.status_code == 302 and right.headers["Location"] == "/me/"
    actions.logout()
    assert client.get("/me/").status_code == 302


def test_remember_me_sets_a_persistent_http_only_cookie(actions, client):
    actions.user("r@example.com")
    response = actions.post(
        "/auth/login", {"email": "r@example.com", "password": "correct horse battery", "remember": "y"}
    )
    cookies = "\n".join(response.headers.getlist("Set-Cookie"))
    assert "remember_token=" in cookies
    for cookie in response.headers.getlist("Set-Cookie"):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_next_redirects_only_to_local_paths(actions, client):
    actions.user("n@example.com")
    token = actions.csrf()
    data = {"csrf_token": token, "email": "n@example.com", "password": "correct horse battery"}
    assert client.post("/auth/login?next=https://evil.example/x", data=data).headers["Location"] == "/me/"
    actions.logout()
    token = actions.csrf()
    response = client.post("/auth/login?next=//evil.example", data={**data, "csrf_token": token})
    assert response.headers["Location"] == "/me/"
    actions.logout()
    token = actions.csrf()
    response = client.post("/auth/login?next=/courses/factory-basics", data={**data, "csrf_token": token})
    assert response.headers["Location"] == "/courses/factory-basics"


def test_forms_without_csrf_token_are_refused(actions, client):
    actions.user("c@example.com")
    response = client.post("/auth/login", data={"email": "c@example.com", "password": "correct horse battery"})
    assert response.status_code == 400
    assert "보안 토큰" in response.get_data(as_text=True)


def test_login_attempts_are_rate_limited(app, actions, client):
    limiter.reset()
    app.config["RATELIMIT_LOGIN"] = "3 per minute"
    try:
        codes = [actions.login("x@example.com", "bad password").status_code for _ in range(4)]
    finally:
        app.config["RATELIMIT_LOGIN"] = "1000 per minute"
        limiter.reset()
    assert codes[:3] == [422, 422, 422]
    assert codes[3] == 429


def test_rate_limited_page_is_friendly(app, actions, client):
    limiter.reset()
    app.config["RATELIMIT_LOGIN"] = "1 per minute"
    try:
        actions.login("x@example.com", "bad password")
        page = actions.login("x@example.com", "bad password").get_data(as_text=True)
    finally:
        app.config["RATELIMIT_LOGIN"] = "1000 per minute"
        limiter.reset()
    assert "요청이 너무 많습니다" in page and "Traceback" not in page


def test_limits_apply_to_the_forms_that_declare_them_and_to_no_other_page(app, actions, client):
    limiter.reset()
    app.config["RATELIMIT_LOGIN"] = "2 per minute"
    try:
        logins = [actions.login("x@example.com", "bad password") for _ in range(3)]
        registrations = [actions.post("/auth/register", {"name": "김", "email": f"r{i}@example.com"}) for i in range(3)]
        pages = [client.get(path) for path in ("/courses/", "/auth/login", "/auth/register") * 5]
    finally:
        app.config["RATELIMIT_LOGIN"] = "1000 per minute"
        limiter.reset()
    assert [r.status_code for r in logins] == [422, 422, 429]
    assert "X-RateLimit-Limit" in logins[0].headers
    assert [r.status_code for r in registrations][-1] == 429
    # The catalog, and the sign-in and registration forms themselves (GET), are never limited.
    assert all(r.status_code == 200 for r in pages)
    assert not any("X-RateLimit-Limit" in r.headers for r in pages)
