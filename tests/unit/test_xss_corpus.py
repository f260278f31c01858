"""The XSS corpus through the renderer and the notebook output display: nothing that could run script survives."""

from __future__ import annotations

import pytest

from lms.content.render import render_markdown, sanitize
from lms.grading.display import output_html, outputs_html
from tests.xss_corpus import MARKDOWN_PAYLOADS, NOTEBOOK_OUTPUTS, document, leaves_open, problems


def resolve(url: str) -> str:
    return "/courses/c/files/" + url


def test_the_corpus_is_large_enough():
    assert len(MARKDOWN_PAYLOADS) + len(NOTEBOOK_OUTPUTS) >= 100


@pytest.mark.parametrize("payload", MARKDOWN_PAYLOADS)
def test_each_payload_renders_inert(payload):
    for resolver in (None, resolve):
        html = render_markdown(f"앞 문단\n\n{payload}\n\n뒤 문단 *강조*", resolver)
        assert problems(html) == [], html
        assert "뒤 문단" in html or leaves_open(payload), html  # the rest of the text still shows


def test_all_payloads_at_once_render_inert_and_stable():
    html = render_markdown(document("끝까지 보입니다"), resolve)
    assert problems(html) == []
    assert "끝까지 보입니다" in html
    # Output of the sanitiser is a fixed point of it: a browser re-parsing it sees the same tree (no mutation XSS).
    assert sanitize(html) == html


@pytest.mark.parametrize("payload", MARKDOWN_PAYLOADS)
def test_sanitize_alone_keeps_payloads_inert(payload):
    assert problems(sanitize(payload)) == []


@pytest.mark.parametrize("output", NOTEBOOK_OUTPUTS, ids=lambda o: o["output_type"] + ":" + ",".join(o.get("data", {})))
def test_notebook_outputs_display_inert(output):
    assert problems(output_html(output), allow_data_images=True) == []


def test_all_notebook_outputs_at_once_display_inert():
    html = outputs_html(NOTEBOOK_OUTPUTS)
    assert problems(html, allow_data_images=True) == []
    assert "alert('o3')" not in html  # application/javascript is never shown, not even as text
