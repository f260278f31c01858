"""Notebook outputs (nbformat output dicts) as safe HTML: text escaped, HTML sanitised, images checked."""

from __future__ import annotations

import html
import re
from typing import Any

import nh3

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")
# DataFrames and other rich reprs: tables and simple formatting only.
_HTML_TAGS = {
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
    "div",
    "span",
    "p",
    "b",
    "i",
    "strong",
    "em",
    "code",
    "pre",
    "br",
    "small",
    "sub",
    "sup",
    "ul",
    "ol",
    "li",
}
_HTML_ATTRS = {"*": {"class"}, "th": {"colspan", "rowspan"}, "td": {"colspan", "rowspan"}}
MAX_TEXT = 20_000


def _text(value: Any) -> str:
    text = "".join(value) if isinstance(value, list) else str(value or "")
    text = _ANSI.sub("", text)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + "\n…"
    return text


def output_html(output: dict[str, Any]) -> str:
    """One output of a code cell as HTML that cannot run script in the learner's browser."""
    kind = output.get("output_type")
    if kind == "stream":
        css = "out-stderr" if output.get("name") == "stderr" else "out-stdout"
        return f'<pre class="out {css}">{html.escape(_text(output.get("text")))}</pre>'
    if kind == "error":
        trace = _text("\n".join(output.get("traceback") or []))
        head = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
        body = trace if trace.strip() else head
        return f'<pre class="out out-error">{html.escape(body)}</pre>'
    if kind in ("execute_result", "display_data"):
        data = output.get("data") or {}
        for mime in _IMAGE_TYPES:
            payload = _text(data.get(mime, ""))
            if payload and _BASE64.match(payload):
                alt = html.escape(_text(data.get("text/plain", "")).strip()[:200] or "plot")
                return f'<img class="out out-image" alt="{alt}" src="data:{mime};base64,{"".join(payload.split())}">'
        if "text/html" in data:
            clean = nh3.clean(_text(data["text/html"]), tags=_HTML_TAGS, attributes=_HTML_ATTRS, url_schemes=set())
            return f'<div class="out out-html">{clean}</div>'
        if "text/plain" in data:
            return f'<pre class="out out-result">{html.escape(_text(data["text/plain"]))}</pre>'
    return ""


def outputs_html(outputs: list[dict[str, Any]]) -> str:
    return "".join(output_html(o) for o in outputs)
