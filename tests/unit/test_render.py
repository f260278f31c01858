"""Markdown rendering: the features instructors use, and a sanitiser no lesson can get script past."""

import pytest

from lms.content.render import plain_text, render_markdown


def test_features_render():
    html = render_markdown(
        "## 불량률 계산\n\n| 라인 | 불량률 |\n|---|---|\n| A | 2% |\n\n"
        "```python\nprint('hi')\n```\n\n!!! warning \"주의\"\n    데이터 누수\n\n"
        "불량률은 $p = d / n$ 입니다.[^1]\n\n$$\n\\frac{d}{n}\n$$\n\n- [x] 완료\n- [ ] 미완료\n\n[^1]: 각주\n"
    )
    assert '<h2 id="불량률-계산">' in html and 'class="headerlink" href="#불량률-계산"' in html
    assert "<table>" in html and "<td>2%</td>" in html
    assert '<span class="nb">print</span>' in html  # Pygments highlighting
    assert '<div class="admonition warning">' in html
    assert html.count("<math") == 2 and 'display="block"' in html and "<mfrac>" in html
    assert 'class="footnote-ref"' in html
    assert (
        '<input disabled="" type="checkbox" checked' in html or 'checked="" disabled=""' in html or "checkbox" in html
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src="a.png" onerror="alert(1)">',
        "[x](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        '<iframe src="https://evil.example"></iframe>',
        '<div style="background:url(javascript:alert(1))" onclick="alert(1)">x</div>',
        '<svg onload="alert(1)"></svg>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<img src="data:text/html;base64,PHNjcmlwdD4=">',
    ],
)
def test_sanitiser_removes_script(hostile):
    html = render_markdown(f"안녕하세요\n\n{hostile}\n").lower()
    for bad in ("<script", "onerror", "onclick", "onload", "javascript:", "<iframe", "style=", "data:text"):
        assert bad not in html


def test_relative_links_go_through_the_resolver():
    html = render_markdown(
        "![그림](../images/a.svg) [data](../data/x.csv) [ext](https://example.org) [anchor](#top)",
        lambda url: "/resolved/" + url,
    )
    assert 'src="/resolved/../images/a.svg"' in html
    assert 'href="/resolved/../data/x.csv"' in html
    assert 'href="https://example.org"' in html and 'href="#top"' in html


def test_bad_math_shows_the_source_instead_of_failing():
    html = render_markdown("수식 $\\frac{a}{$ 끝")
    assert "수식" in html and "끝" in html


def test_plain_text_drops_markup():
    assert plain_text("## 제목\n\n**굵게** 와 `code` [링크](x.md)\n\n```\nhidden()\n```\n") == "제목 굵게 와 code 링크"
