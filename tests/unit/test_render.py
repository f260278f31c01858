"""Markdown rendering: the features instructors use, and a sanitiser no lesson can get script past."""

import re
import time

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


def test_math_text_cannot_carry_markup():
    # The payload: \text{} used to reach the page as raw HTML, after the sanitiser had run.
    html = render_markdown("수식 $\\text{<img/src/onerror=alert(1)>}$ 와 $$\\mbox{<script>alert(2)</script>}$$")
    assert "<img" not in html and "<script" not in html
    assert "<mtext>&lt;img/src/onerror=alert(1)&gt;</mtext>" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_math_links_styles_and_namespaces_are_dropped():
    html = render_markdown(
        "$\\href{javascript:alert(1)}{x}$ $\\style{color:red}{y}$ $\\color{red}{z}$ "
        '<math href="javascript:alert(3)"><mi xlink:href="javascript:alert(4)" onclick="alert(5)">w</mi></math>'
    )
    assert "href" not in html and " style=" not in html and "onclick" not in html and "xmlns" not in html
    assert 'mathcolor="red"' in html and "<mi>w</mi>" in html


def test_math_symbols_are_characters():
    html = render_markdown("$a < b + \\alpha$")
    assert "<mo>&lt;</mo>" in html and "<mo>+</mo>" in html and "<mi>α</mi>" in html


def test_style_is_dropped_and_the_rest_of_the_lesson_shows():
    for source in (
        "<style>\np { display: none }\n</style>\n\n나머지 *본문*",
        "<style>\np { display: none }\n\n나머지 *본문*",
    ):
        html = render_markdown(f"# 제목\n\n{source}\n\n끝 문단")
        assert "display" not in html and "<style" not in html
        assert "<em>본문</em>" in html and "<p>끝 문단</p>" in html


def test_images_must_be_files_of_the_platform():
    html = render_markdown(
        "![a](https://tracker.example/a.gif) ![b](//tracker.example/b.gif) <img src='/\\tracker.example/c.gif'> "
        "![d](../images/d.png) ![e](/courses/x/files/e.png)",
        lambda url: "/courses/x/files/" + url.removeprefix("../"),
    )
    assert "tracker" not in html
    assert 'src="/courses/x/files/images/d.png"' in html and 'src="/courses/x/files/e.png"' in html
    assert html.count('loading="lazy"') == 5


def test_the_sanitiser_is_the_last_step():
    html = render_markdown("- [x] 완료\n\n![d](d.png) $x^2$ [링크](https://example.org)")
    assert nh3_fixed_point(html)
    assert 'disabled=""' in html and 'loading="lazy"' in html and "<msup>" in html


def nh3_fixed_point(html: str) -> bool:
    from lms.content.render import sanitize

    return sanitize(html) == html


def test_a_flood_of_brackets_is_text_and_costs_little():
    # Python-Markdown looks for a link's end from every "[" of a paragraph: 20,000 of them took over a minute.
    flood = "[a" * 20_000
    started = time.perf_counter()
    html = render_markdown(f"[링크](other.md) 앞 문단\n\n{flood}\n\n```python\nx = [1, 2]\n```")
    assert time.perf_counter() - started < 10
    assert html.count("[a") == 20_000 and "\\[" not in html
    assert '<a href="other.md"' in html and "x = [1, 2]" in re.sub(r"<[^>]+>", "", html)  # links and code intact


def test_unclosed_style_tags_cost_little():
    started = time.perf_counter()
    render_markdown("<style>\n" * 20_000 + "끝 문단")
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize("flood", ["<a " * 20_000, "\\(" * 20_000, "<b x" * 10_000 + "\n\n" + "<i " * 10_000])
def test_floods_of_unclosed_tags_and_math_cost_little(flood):
    started = time.perf_counter()
    html = render_markdown(f"앞 문단 $x^2$\n\n{flood}\n\n끝 문단")
    assert time.perf_counter() - started < 10
    assert "<math" in html and "끝 문단" in html


def test_nesting_deeper_than_the_parser_allows_is_plain_text():
    html = render_markdown("- " * 50_000 + "<b>끝</b>")
    assert "끝" in html and "<b>" not in html
