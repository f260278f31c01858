"""Flask's signed-cookie sessions, with the contents of each verified cookie remembered.

Every signed-in request verifies and decodes its session cookie: the HMAC, base64, zlib and tagged JSON layers of
itsdangerous cost ~0.1 ms, a tenth of a cached lesson page. A cookie's contents are fixed by its bytes (the signature
covers them), so once a cookie string has been verified its contents can be reused; only its age depends on the
clock, and it is checked again on every request, as Flask does. Only sessions of plain values (strings, numbers,
booleans) are remembered, and each request gets its own copy, so nothing a request changes leaks into another.
Who is signed in is never remembered here: the session names a sign-in that the identity read looks up on every
request, so the cookie of a sign-in that ended (logout, password change) is refused even when it comes from this cache.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

PLAIN = (str, int, float, bool, type(None))


class RememberingSessionInterface(SecureCookieSessionInterface):
    limit = 10_000

    def __init__(self) -> None:
        self._verified: dict[str, tuple[dict[str, Any], float]] = {}  # cookie -> (contents, signed at)
        self._lock = threading.Lock()

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = app.permanent_session_lifetime.total_seconds()
        known = self._verified.get(cookie)
        if known is not None:
            contents, signed_at = known
            if time.time() - signed_at <= max_age:
                return self.session_class(contents)
        try:
            contents, signed = serializer.loads(cookie, max_age=int(max_age), return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if all(isinstance(value, PLAIN) for value in contents.values()):
            with self._lock:
                if len(self._verified) >= self.limit:
                    self._verified.clear()
                self._verified[cookie] = (dict(contents), signed.timestamp())
        return self.session_class(contents)
