"""Markdown to safe HTML: Python-Markdown with well-kept extensions, then an allow-list sanitiser."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import lru_cache

import markdown
import nh3
from latex2mathml.converter import convert as latex_to_mathml
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from pymdownx.slugs import slugify

LinkResolver = Callable[[str], str | None]

_EXTENSIONS = [
    "toc",
    "tables",
    "admonition",
    "footnotes",
    "def_list",
    "abbr",
    "sane_lists",
    "pymdownx.superfences",
    "pymdownx.highlight",
    "pymdownx.inlinehilite",
    "pymdownx.arithmatex",
    "pymdownx.tasklist",
    "pymdownx.details",
    "pymdownx.tilde",
    "pymdownx.mark",
]
_EXTENSION_CONFIGS = {
    "toc": {"permalink": "#", "permalink_title": "", "slugify": slugify(case="lower"), "toc_depth": "2-4"},
    "pymdownx.highlight": {"css_class": "highlight", "guess_lang": False, "pygments_lang_class": True},
    "pymdownx.arithmatex": {"generic": True},
    "pymdownx.tasklist": {"custom_checkbox": False},
    "footnotes": {"BACKLINK_TITLE": ""},
}

_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "input",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
    "var",
}
_ATTRIBUTES = {
    "*": {"class", "id", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "loading"},
    "input": {"type", "checked", "disabled"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "ol": {"start"},
    "abbr": {"title"},
}
_MATH_RE = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)


def render_markdown(text: str, resolve_link: LinkResolver | None = None) -> str:
    """Render Markdown to sanitised HTML; relative links and images go through `resolve_link`."""
    md = markdown.Markdown(extensions=_EXTENSIONS, extension_configs=_EXTENSION_CONFIGS, output_format="html")
    raw = md.convert(text)
    return sanitize(raw, resolve_link)


def sanitize(raw_html: str, resolve_link: LinkResolver | None = None) -> str:
    """Keep only allow-listed tags, attributes and URL schemes; then render math as MathML."""

    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if tag == "input" and attr == "type" and value != "checkbox":
            return None
        if attr in ("href", "src") and resolve_link is not None and _is_relative(value):
            return resolve_link(value) or value
        return value

    clean = nh3.clean(
        raw_html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        attribute_filter=attribute_filter,
        strip_comments=True,
    )
    clean = clean.replace("<input ", '<input disabled="" ') if "<input " in clean else clean
    clean = clean.replace("<img ", '<img loading="lazy" ') if "<img " in clean else clean
    return _MATH_RE.sub(_math, clean)


def _is_relative(url: str) -> bool:
    return bool(url) and not re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//|#|/)", url)


def _math(match: re.Match[str]) -> str:
    tag, body = match.group(1), html.unescape(match.group(2)).strip()
    for opening, closing in (("\\(", "\\)"), ("\\[", "\\]"), ("$$", "$$"), ("$", "$")):
        if body.startswith(opening) and body.endswith(closing):
            body = body[len(opening) : len(body) - len(closing)]
            break
    display = "block" if tag == "div" else "inline"
    return _mathml(body.strip(), display)


@lru_cache(maxsize=2048)
def _mathml(tex: str, display: str) -> str:
    try:
        rendered = latex_to_mathml(tex, display=display)
    except Exception:  # latex2mathml raises many types on bad TeX; show the source instead
        return f'<code class="math-error">{html.escape(tex)}</code>'
    css = "math-block" if display == "block" else "math-inline"
    return f'<span class="{css}">{rendered}</span>'


def highlight_python(code: str) -> str:
    """Python source as highlighted HTML (Pygments escapes everything it is given)."""
    return highlight(code, PythonLexer(), HtmlFormatter(cssclass="highlight", wrapcode=True))


def plain_text(markdown_text: str) -> str:
    """The words of a Markdown text without markup, for search and snippets."""
    text = re.sub(r"```.*?```", " ", markdown_text, flags=re.S)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"^\s{0,3}(#{1,6}|[-*+]|\d+\.|>|!!!|\|)", " ", text, flags=re.M)
    text = re.sub(r"[*`~=$\\]+", "", text).replace("|", " ")
    return re.sub(r"\s+", " ", text).strip()
