"""Bad input never reaches a 500: generated from `app.url_map`, so a new route is covered the day it is added.

For every rule, each numeric or path argument is replaced by huge, negative and non-numeric values (the other
arguments keep real values from the fixture courses), and every page is asked for with an absurd page number, huge
ids and an overlong search in its query and a `next` that tries to inject a header, as each role, with GET and with
POST (with a valid CSRF token and overlong or absurd form fields, so the views' own code runs).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask

HUGE = "99999999999999999999"
BAD_NUMBERS = [HUGE, "9223372036854775808", "2147483648", "-1", "abc", "1e9"]
CRLF_NEXT = "/%0d%0aLocation:%20https://evil.example/"
LONG = "가나다라" * 2500  # far beyond any field's length
QUERY = f"?page={HUGE}&attempt={HUGE}&submission={HUGE}&next={CRLF_NEXT}&q={quote(LONG[:2000])}"
FORM = {
    "page": HUGE,
    "seconds": HUGE,
    "next": "/\r\nLocation: https://evil.example/",
    "lang": "en\r\n",
    "role": HUGE,
    "email": HUGE,
    "points-explain_choice": HUGE,
    "comment-explain_choice": LONG,
    "name": LONG,
    "cell-total_by_region": LONG,
    "action": "grade",
}
# Real values for the string arguments, so each route's own code runs (a course and one of its items).
PLACES = [
    {"slug": "factory-basics", "item_slug": "01-sensors"},
    {"slug": "factory-basics", "item_slug": "check"},
    {"slug": "notebook-lab", "item_slug": "sales"},
]
ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
ROLES = [None, "learner", "instructor", "org_manager", "admin"]
# Requests that would end the walk's own session or change who is signed in.
SKIP_POST = {"auth.logout", "auth.login", "auth.register", "auth.password"}


def build(rule: str, values: dict[str, str]) -> str:
    return ARGUMENT.sub(lambda m: quote(values[m.group("name")], safe="/"), rule)


def cases(app: Flask) -> list[tuple[str, str, str, bool]]:
    """(endpoint, method, url, whether a numeric argument is out of range) for every rule of the URL map."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        methods = sorted((rule.methods or set()) & {"GET", "POST"})
        arguments = {m.group("name"): m.group("converter") or "default" for m in ARGUMENT.finditer(rule.rule)}
        for place in PLACES:
            good = {name: place.get(name, "1") for name in arguments}
            for method in methods:
                found.add((rule.endpoint, method, build(rule.rule, good) + QUERY, False))
                for name, converter in arguments.items():
                    bad_values = BAD_NUMBERS if converter in ("int", "path") else [HUGE]
                    for bad in bad_values:
                        url = build(rule.rule, {**good, name: bad})
                        found.add((rule.endpoint, method, url, converter == "int"))
    return sorted(found)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_no_url_of_the_map_gives_a_server_error(app, actions, client, role):
    if role is not None:
        actions.login_as(role, "instructor@example.com" if role == "instructor" else None)
        for place in {p["slug"] for p in PLACES}:
            actions.post(f"/courses/{place}/enrol")
    token = actions.csrf()
    failures = []
    walked = 0
    for endpoint, method, url, out_of_range in cases(app):
        if method == "POST" and endpoint in SKIP_POST:
            continue
        walked += 1
        response = client.get(url) if method == "GET" else client.post(url, data={**FORM, "csrf_token": token})
        location = response.headers.get("Location", "")
        target = urlsplit(location)
        if response.status_code >= 500:
            failures.append(f"{method} {url} -> {response.status_code}")
        elif out_of_range and response.status_code not in (404, 405):  # 405: the path exists for another method
            failures.append(f"{method} {url} -> {response.status_code}, expected 404")
        elif "\r" in location or "\n" in location or target.netloc not in ("", "localhost"):
            failures.append(f"{method} {url} -> redirect to {location!r}")
    assert walked > 100
    assert not failures, "\n".join(failures)


def test_the_walk_covers_every_route(app):
    walked = {endpoint for endpoint, *_ in cases(app)}
    assert walked == {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert any(out_of_range for *_, out_of_range in cases(app))


@pytest.mark.parametrize(
    "path",
    [
        f"/teach/submissions/{HUGE}",
        f"/courses/?page={HUGE}",
        f"/courses/?q=센서&page={HUGE}",
        f"/admin/users?page={HUGE}",
        f"/teach/?page={HUGE}",
    ],
)
def test_huge_ids_and_page_numbers_are_not_found(actions, client, path):
    actions.login_as("admin")
    response = client.get(path)
    assert response.status_code == 404 and "페이지를 찾을 수 없습니다" in response.get_data(as_text=True)


def test_a_next_with_a_line_break_is_ignored(actions, client):
    actions.user("n@example.com")
    token = actions.csrf()
    response = client.post(
        f"/auth/login?next={CRLF_NEXT}",
        data={"csrf_token": token, "email": "n@example.com", "password": "correct horse battery"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/me/"
    response = client.get(f"/auth/login?next={CRLF_NEXT}")
    assert response.status_code == 302 and response.headers["Location"] == "/me/"
    response = actions.post("/lang", {"lang": "ko", "next": "/\r\nSet-Cookie: a=b"})
    assert response.status_code == 302 and response.headers["Location"] == "/courses/"
