"""The catalog: cards, filters, pagination, Korean search, the course page."""

import re

import pytest


def test_catalog_shows_cards_with_labels(client):
    page = client.get("/courses/").get_data(as_text=True)
    assert "공장 데이터 기초" in page and "테스트용 작은 강좌입니다." in page
    assert "AI 기초" in page and "제조" in page and "입문" in page and "중소기업 재직자" in page
    assert "강좌 2개" in page


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("track=foundations", True),
        ("track=mlops", False),
        ("industry=manufacturing", True),
        ("industry=food", False),
        ("level=beginner", True),
        ("level=advanced", False),
        ("audience=student", True),
        ("audience=other", False),
    ],
)
def test_filters(client, query, shown):
    page = client.get(f"/courses/?{query}").get_data(as_text=True)
    assert ("공장 데이터 기초" in page) is shown
    if not shown:
        assert "조건에 맞는 강좌가 없습니다." in page


def test_unknown_filter_values_are_ignored(client):
    assert "공장 데이터 기초" in client.get("/courses/?track=<script>&page=-4").get_data(as_text=True)


def _hits(page: str) -> list[str]:
    return re.findall(r'<h2 class="hit-title">\s*<a href="[^"]+">([^<]+)</a>', page)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("불량", "불량과 불량률"),  # 불량 finds a lesson that speaks of 불량률을 and 불량 예측
        ("예측 모델", "불량과 불량률"),  # finds 예측모델 written without a space
        ("예측모델", "예측 모델 맛보기"),
        ("random forest", "예측 모델 맛보기"),
        ("진동", "설비 센서 이해하기"),
        ("sensor", "설비 센서 이해하기"),  # a lesson's tags are searched too
    ],
)
def test_korean_search(client, query, expected):
    page = client.get("/courses/", query_string={"q": query}).get_data(as_text=True)
    assert expected in _hits(page), _hits(page)
    assert "<mark>" in page


def test_search_ranks_title_matches_first_and_shows_context(client):
    page = client.get("/courses/", query_string={"q": "불량률"}).get_data(as_text=True)
    assert _hits(page)[0] == "불량과 불량률"
    assert "<mark>불량</mark>률을 낮추려면" in page


def test_search_with_no_match_has_an_empty_state(client):
    page = client.get("/courses/", query_string={"q": "양자역학"}).get_data(as_text=True)
    assert "'양자역학'에 맞는 강좌나 강의를 찾지 못했습니다." in page


def test_search_respects_filters(client):
    page = client.get("/courses/", query_string={"q": "불량", "industry": "food"}).get_data(as_text=True)
    assert _hits(page) == []


def test_course_page(client):
    page = client.get("/courses/factory-basics").get_data(as_text=True)
    assert "<strong>공장 데이터</strong>" in page  # overview rendered from Markdown
    assert 'src="/courses/factory-basics/files/images/flow.svg"' in page
    assert 'href="/courses/factory-basics/items/01-sensors"' in page  # overview link to a lesson resolved
    for text in (
        "1부. 데이터 이해",
        "2부. 확인",
        "설비 센서 이해하기",
        "15분",
        "확인 퀴즈",
        "김배움",
        "스마트제조 컨설턴트",
        "코딩 지식은 필요하지 않습니다.",
        "진도율 80% 이상",
        "평가 점수 60점 이상",
        "(선택)",
        "로그인하고 수강 신청하기",
    ):
        assert text in page, text


def test_pagination(app, client, session):
    from lms.models import Course

    for n in range(12):
        session.add(
            Course(
                slug=f"extra-{n:02d}",
                title=f"추가 강좌 {n:02d}",
                summary="요약",
                track="mlops",
                industry="energy",
                level="advanced",
                audience=["startup"],
                licence="CC BY 4.0",
                tags=[],
                instructors=[],
                prerequisites=[],
                completion={},
                content_hash="x",
            )
        )
    session.commit()
    first = client.get("/courses/?track=mlops").get_data(as_text=True)
    assert "강좌 12개" in first and first.count('class="card course-card"') == 9
    assert 'rel="next"' in first
    second = client.get("/courses/?track=mlops&page=2").get_data(as_text=True)
    assert second.count('class="card course-card"') == 3 and "track=mlops" in second
