"""Sessions end on the server: a replayed cookie after logout or a password change is refused."""

import re
import time
from datetime import timedelta
from email.utils import parsedate_to_datetime

import sqlalchemy as sa

from lms.models import SignIn, User, utcnow
from lms.services import accounts
from tests.conftest import PASSWORD

NEW_PASSWORD = "a fresh passphrase 42"


def signed_in_as(client, email: str) -> bool:
    """Whether the dashboard greets `email` (the header shows who is signed in)."""
    response = client.get("/me/")
    return response.status_code == 200 and email in response.get_data(as_text=True)


def remember_login(actions, email: str):
    return actions.post("/auth/login", {"email": email, "password": PASSWORD, "remember": "y"})


def cookies(client) -> dict[str, str]:
    return {name: client.get_cookie(name).value for name in ("session", "remember_token") if client.get_cookie(name)}


def replay(client, saved: dict[str, str], only: str | None = None) -> None:
    for name in ("session", "remember_token"):
        client.delete_cookie(name)
    for name, value in saved.items():
        if only is None or name == only:
            client.set_cookie(name, value)


def test_a_session_cookie_replayed_after_logout_is_refused(actions, client):
    actions.user("s@example.com")
    remember_login(actions, "s@example.com")
    assert signed_in_as(client, "s@example.com")
    saved = cookies(client)
    assert set(saved) == {"session", "remember_token"}
    actions.logout()
    assert not signed_in_as(client, "s@example.com")
    # The same session cookie again: refused.
    replay(client, saved, only="session")
    assert not signed_in_as(client, "s@example.com")
    assert not signed_in_as(client, "s@example.com")  # and again: nothing remembers the sign-in it named
    # The remember-me cookie alone: refused too.
    replay(client, saved, only="remember_token")
    assert not signed_in_as(client, "s@example.com")


def test_logout_ends_only_this_session(app, actions, client):
    actions.user("two@example.com")
    other = app.test_client()
    token = _csrf(other)
    other.post("/auth/login", data={"csrf_token": token, "email": "two@example.com", "password": PASSWORD})
    assert signed_in_as(other, "two@example.com")
    actions.login("two@example.com")
    actions.logout()
    assert not signed_in_as(client, "two@example.com")
    assert signed_in_as(other, "two@example.com")


def test_changing_the_password_signs_out_every_other_session(app, actions, client, session):
    actions.user("pw@example.com")
    other = app.test_client()
    other.post(
        "/auth/login",
        data={"csrf_token": _csrf(other), "email": "pw@example.com", "password": PASSWORD, "remember": "y"},
    )
    other_cookies = cookies(other)
    assert signed_in_as(other, "pw@example.com")
    actions.login("pw@example.com")
    wrong = actions.post(
        "/auth/password", {"current": "not my password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert wrong.status_code == 422 and "현재 비밀번호가 올바르지 않습니다." in wrong.get_data(as_text=True)
    assert signed_in_as(other, "pw@example.com")
    done = actions.post("/auth/password", {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert signed_in_as(client, "pw@example.com")  # this session goes on
    assert not signed_in_as(other, "pw@example.com")  # the other browser is signed out ...
    replay(other, other_cookies, only="remember_token")
    assert not signed_in_as(other, "pw@example.com")  # ... and its remember-me cookie is dead
    actions.logout()
    assert actions.login("pw@example.com").status_code == 422
    assert actions.login("pw@example.com", NEW_PASSWORD).status_code == 302


def test_a_password_reset_from_the_command_line_signs_out_every_session(app, actions, client, session):
    actions.user("reset@example.com")
    remember_login(actions, "reset@example.com")
    saved = cookies(client)
    result = app.test_cli_runner().invoke(args=["reset-password", "--email", "reset@example.com"], input="x\n")
    assert result.exit_code == 0, result.output
    assert not signed_in_as(client, "reset@example.com")
    replay(client, saved, only="remember_token")
    assert not signed_in_as(client, "reset@example.com")
    temporary = result.output.strip().split()[-1]
    assert actions.login("reset@example.com", temporary).status_code == 302


def test_the_csrf_token_changes_at_login(actions, client):
    actions.user("csrf@example.com")
    before = actions.csrf("/auth/login")
    client.post("/auth/login", data={"csrf_token": before, "email": "csrf@example.com", "password": PASSWORD})
    after = actions.csrf("/courses/")
    assert after != before
    # A token planted before sign-in (session fixation of the CSRF secret) no longer works afterwards.
    response = client.post("/lang", data={"csrf_token": before, "lang": "en"})
    assert response.status_code == 400 and "보안 토큰" in response.get_data(as_text=True)


def test_the_remember_me_cookie_lives_thirty_days_and_the_server_agrees(app, actions, client, session):
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    actions.user("old@example.com")
    response = remember_login(actions, "old@example.com")
    remember = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", remember).group(1))
    assert timedelta(days=29) < expires - utcnow() <= timedelta(days=30)
    saved = cookies(client)
    # A sign-in older than the lifetime is refused even when the browser still sends its cookie.
    user = session.scalar(sa.select(User).where(User.email == "old@example.com"))
    session.execute(sa.update(SignIn).where(SignIn.user_id == user.id).values(created_at=utcnow() - timedelta(days=31)))
    session.commit()
    replay(client, saved, only="remember_token")
    assert not signed_in_as(client, "old@example.com")


def _csrf(client) -> str:
    page = client.get("/auth/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def test_a_deactivated_account_is_signed_out_at_once(actions, client, session):
    user = actions.user("gone@example.com")
    remember_login(actions, "gone@example.com")
    assert signed_in_as(client, "gone@example.com")
    user.active = False
    session.commit()
    assert not signed_in_as(client, "gone@example.com")
    assert actions.login("gone@example.com").status_code == 422


def test_a_tampered_session_cookie_is_nobody(actions, client):
    actions.user("tamper@example.com")
    actions.login("tamper@example.com")
    assert signed_in_as(client, "tamper@example.com")
    genuine = client.get_cookie("session").value
    client.set_cookie("session", genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"))
    assert not signed_in_as(client, "tamper@example.com")


def test_a_session_cookie_older_than_the_session_lifetime_is_nobody(app, actions, client):
    actions.user("stale@example.com")
    actions.login("stale@example.com")  # no remember-me cookie: the session cookie alone says who this is
    assert signed_in_as(client, "stale@example.com")
    lifetime = app.permanent_session_lifetime
    app.permanent_session_lifetime = timedelta(seconds=1)
    try:
        time.sleep(2.2)  # the signature's age counts whole seconds: 2 is over a 1-second lifetime
        assert not signed_in_as(client, "stale@example.com")
    finally:
        app.permanent_session_lifetime = lifetime


def test_the_identity_read_names_only_a_live_sign_in_and_the_account_as_it_is_now(actions, session):
    user = actions.user("who@example.com")
    lifetime = timedelta(days=30)
    signed = accounts.start_sign_in(session, user, lifetime=lifetime)
    session.commit()
    assert accounts.identity(session, signed.get_id(), lifetime).email == "who@example.com"
    user.name = "새 이름"
    session.commit()
    assert accounts.identity(session, signed.get_id(), lifetime).name == "새 이름"  # read afresh, never remembered
    assert accounts.identity(session, f"{user.id + 10_000}:{signed.sign_in}", lifetime) is None  # another account
    assert accounts.identity(session, f"{user.id}:not-the-key", lifetime) is None
    assert accounts.identity(session, f"{10**30}:{signed.sign_in}", lifetime) is None  # beyond any id
    assert accounts.identity(session, "not-a-number:key", lifetime) is None
    accounts.end_sign_in(session, user.id, signed.sign_in)
    session.commit()
    assert accounts.identity(session, signed.get_id(), lifetime) is None  # ended (logout)
