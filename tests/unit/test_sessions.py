"""Remembered session cookies: the same answers as Flask's own signed-cookie sessions, and no less strict."""

import time
from datetime import timedelta

from flask import Flask, flash, session

from lms.sessions import RememberingSessionInterface


def make_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "unit-secret"
    app.session_interface = RememberingSessionInterface()

    @app.get("/set")
    def set_():  # noqa: ANN202
        session["user"], session["n"] = "kim", 1
        return "ok"

    @app.get("/show")
    def show():  # noqa: ANN202
        return f"{session.get('user')}:{session.get('n')}"

    @app.get("/bump")
    def bump():  # noqa: ANN202
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    @app.get("/flash")
    def flash_():  # noqa: ANN202
        flash("saved")
        return "ok"

    return app


def cookie_of(client) -> str:  # noqa: ANN001
    return client.get_cookie("session").value


def test_a_remembered_cookie_reads_the_same_and_changes_stay_per_request():
    app = make_app()
    client = app.test_client()
    client.get("/set")
    original = cookie_of(client)
    assert client.get("/show").text == "kim:1"
    assert original in app.session_interface._verified
    assert client.get("/bump").text == "2"  # changes the session of that request and sets a new cookie

    replay = app.test_client()
    replay.set_cookie("session", original)
    assert replay.get("/show").text == "kim:1"  # the remembered contents were not changed by /bump


def test_a_tampered_cookie_is_refused_even_when_its_original_is_remembered():
    app = make_app()
    client = app.test_client()
    client.get("/set")
    genuine = cookie_of(client)
    client.get("/show")
    forged = app.test_client()
    forged.set_cookie("session", genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"))
    assert forged.get("/show").text == "None:None"


def test_an_expired_cookie_is_refused_even_when_remembered():
    app = make_app()
    client = app.test_client()
    client.get("/set")
    assert client.get("/show").text == "kim:1"
    app.permanent_session_lifetime = timedelta(seconds=1)
    time.sleep(2.2)  # itsdangerous counts whole seconds: an age of 2 is over a 1-second lifetime
    assert client.get("/show").text == "None:None"


def test_sessions_holding_lists_are_read_afresh_each_time():
    app = make_app()
    client = app.test_client()
    client.get("/flash")
    assert client.get("/show").text == "None:None"  # read (and verified) with its list of messages
    assert cookie_of(client) not in app.session_interface._verified
    client.get("/set")
    client.get("/show")
    assert cookie_of(client) not in app.session_interface._verified  # still holds the messages
