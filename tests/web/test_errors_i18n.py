"""Error pages in the site's layout, and the Korean/English switch."""

import pytest
from flask import Flask

from tests.conftest import make_app


@pytest.fixture(scope="module")
def fragile_app(tmp_path_factory) -> Flask:
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('fragile') / 'db.sqlite3'}", TESTING=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    return app


def test_server_errors_show_a_friendly_page_without_details(fragile_app):
    response = fragile_app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "일시적인 오류가 발생했습니다" in page and "강좌 둘러보기" in page
    assert "secret internal detail" not in page and "Traceback" not in page


def test_method_not_allowed_page(client):
    response = client.get("/auth/logout")
    assert response.status_code == 405 and "허용되지 않는 요청입니다" in response.get_data(as_text=True)


def test_korean_is_the_default_and_english_is_available(actions, client):
    page = client.get("/courses/", headers={"Accept-Language": "en-US,en"}).get_data(as_text=True)
    assert '<html lang="ko">' in page and "강좌 둘러보기" in page
    response = actions.post("/lang", {"lang": "en", "next": "/courses/?level=beginner"})
    assert response.headers["Location"] == "/courses/?level=beginner"
    page = client.get("/courses/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Browse courses" in page and "강좌 둘러보기" not in page
    assert "Beginner" in page and "Manufacturing" in page
    actions.post("/lang", {"lang": "ko"})
    assert "강좌 둘러보기" in client.get("/courses/").get_data(as_text=True)


def test_language_switch_ignores_unknown_languages_and_foreign_redirects(actions):
    response = actions.post("/lang", {"lang": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/courses/"


def test_dates_follow_the_locale(actions, client):
    actions.login_as("learner")
    actions.post("/courses/factory-basics/enrol")
    korean = client.get("/me/").get_data(as_text=True)
    assert "오전" in korean or "오후" in korean
    actions.post("/lang", {"lang": "en"})
    english = client.get("/me/").get_data(as_text=True)
    assert "Last activity" in english and any(
        m in english for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    )


def test_login_prompt_speaks_the_visitors_language(client):
    page = client.get("/me/", follow_redirects=True).get_data(as_text=True)
    assert "이 페이지를 보려면 로그인해 주세요." in page and "Please log in" not in page
    client.set_cookie("lang", "en")
    page = client.get("/me/", follow_redirects=True).get_data(as_text=True)
    assert "Please log in to see this page." in page


def test_english_catalog_is_complete_for_the_extracted_messages():
    from pathlib import Path

    from babel.messages.pofile import read_po

    folder = Path(__file__).parents[2] / "lms" / "translations"
    template = read_po((folder / "messages.pot").open("rb"))
    english = read_po((folder / "en" / "LC_MESSAGES" / "messages.po").open("rb"))
    missing = [m.id for m in template if m.id and (m.id not in english or not english[m.id].string)]
    fuzzy = [m.id for m in english if m.id and m.fuzzy]
    assert not missing and not fuzzy, (missing, fuzzy)
