"""Markdown to safe HTML: Python-Markdown with well-kept extensions, then an allow-list sanitiser."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import lru_cache
from xml.etree.ElementTree import tostring

import markdown
import nh3
from latex2mathml.converter import convert_to_element as latex_to_mathml
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
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
    "img": {"src", "alt", "width", "height"},
    "input": {"type", "checked"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "ol": {"start"},
    "abbr": {"title"},
}
# MathML as latex2mathml writes it (see _mathml), and nothing that can carry a link, a style or script: no
# `href`, no `style`, no `maction` or `annotation-xml` (an HTML integration point).
_MATH_TAGS = {
    "math",
    "menclose",
    "merror",
    "mfrac",
    "mi",
    "mmultiscripts",
    "mn",
    "mo",
    "mover",
    "mpadded",
    "mphantom",
    "mprescripts",
    "mroot",
    "mrow",
    "ms",
    "mspace",
    "msqrt",
    "mstyle",
    "msub",
    "msubsup",
    "msup",
    "mtable",
    "mtd",
    "mtext",
    "mtr",
    "munder",
    "munderover",
    "none",
}
_MATH_ATTRIBUTES = {
    "accent",
    "accentunder",
    "columnalign",
    "columnlines",
    "columnspacing",
    "columnspan",
    "depth",
    "display",
    "displaystyle",
    "fence",
    "form",
    "height",
    "largeop",
    "linethickness",
    "lspace",
    "mathbackground",
    "mathcolor",
    "mathsize",
    "mathvariant",
    "maxsize",
    "minsize",
    "movablelimits",
    "notation",
    "rowalign",
    "rowlines",
    "rowspacing",
    "rowspan",
    "rspace",
    "scriptlevel",
    "separator",
    "stretchy",
    "symmetric",
    "voffset",
    "width",
}
_ALL_TAGS = _TAGS | _MATH_TAGS
_ALL_ATTRIBUTES = _ATTRIBUTES | {tag: _MATH_ATTRIBUTES for tag in _MATH_TAGS}
# Words, numbers, lengths and colours: a MathML attribute value never needs more (no "url(", no ":").
_MATH_VALUE = re.compile(r"[\w\s#.,%+-]*")
_MATH_RE = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
# Elements whose content an HTML parser reads as raw text up to their end tag: an unclosed one would swallow the
# rest of the page, so they go with their content before sanitising (an unclosed one with the text up to the next
# tag). None of them is allowed anyway.
_RAW_TEXT = "script|style|xmp|iframe|noembed|noframes|noscript|textarea|title|plaintext"
_RAW_TEXT_ELEMENT = re.compile(rf"<({_RAW_TEXT})\b[^>]*>.*?</\1\s*>|<(?:{_RAW_TEXT})\b[^>]*>[^<]*", re.I | re.S)
_BLANKS = "".join(map(chr, range(0x21)))  # C0 controls and space
_ENTITY = re.compile(r"&#x([0-9a-fA-F]{1,6});")
MAX_OPENERS = 500  # "[", "\\(" or unclosed tags before they stop being read as markup (see _EscapeFloods)
# A tag opener with no ">" before the next "<": left unclosed.
_UNCLOSED_TAG = re.compile(r"<[A-Za-z/!?][^<>]*(?=<|\Z)")


class _CloseRawTextBlocks(Preprocessor):
    """An unclosed <style> or <script> at the start of a block would make the rest of the document one raw HTML
    block: close it where its block ends (the next blank line), so it goes with only its own content. Runs after
    fenced code is stashed, so code that shows such a tag is untouched."""

    _OPENING = re.compile(rf"^ {{0,3}}<({_RAW_TEXT})\b", re.I)
    _CLOSING = re.compile(rf"</({_RAW_TEXT})\s*>", re.I)

    def run(self, lines: list[str]) -> list[str]:
        last_closing: dict[str, int] = {}  # tag -> last line with its end tag (one pass: linear in the text)
        for n, line in enumerate(lines):
            for tag in self._CLOSING.findall(line):
                last_closing[tag.lower()] = n
        out: list[str] = []
        i = 0
        while i < len(lines):
            match = self._OPENING.match(lines[i])
            if match and last_closing.get(match.group(1).lower(), -1) < i:
                end = i
                while end < len(lines) and lines[end].strip():
                    end += 1
                out += [*lines[i:end], f"</{match.group(1)}>"]
                i = end
            else:
                out.append(lines[i])
                i += 1
        return out


class _EscapeFloods(Preprocessor):
    """Some of Python-Markdown's work grows with the square of its input: it looks for a link's end from every `[`
    of a paragraph, for math's end from every `\\(`, and its HTML reader rescans from every tag left unclosed
    (30,000 took minutes). A paragraph with more than `MAX_OPENERS` of them cannot be meant as markup: it is shown
    as plain text, without going through Markdown; past that many unclosed tags in the whole text, they are
    escaped. Runs after fenced code is stashed, so code keeps its own."""

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        paragraph: list[str] = []
        for line in [*lines, ""]:
            if line.strip():
                paragraph.append(line)
                continue
            text = "\n".join(paragraph)
            if text.count("[") + text.count("\\(") + len(_UNCLOSED_TAG.findall(text)) > MAX_OPENERS:
                paragraph = [self.md.htmlStash.store(f"<p>{html.escape(text)}</p>")]
            out += [*paragraph, line]
            paragraph = []
        text = "\n".join(out[:-1])
        if len(_UNCLOSED_TAG.findall(text)) > MAX_OPENERS:
            text = _UNCLOSED_TAG.sub(lambda m: "&lt;" + m.group(0)[1:], text)
        return text.split("\n")


class _BoundsExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        md.preprocessors.register(_CloseRawTextBlocks(md), "close_raw_text_blocks", 22)
        md.preprocessors.register(_EscapeFloods(md), "escape_floods", 21)


def render_markdown(text: str, resolve_link: LinkResolver | None = None) -> str:
    """Render Markdown to sanitised HTML; relative links and images go through `resolve_link`.

    Math becomes MathML first; the sanitiser is the last step, so MathML passes its allow-list like any HTML.
    """
    md = markdown.Markdown(
        extensions=[*_EXTENSIONS, _BoundsExtension()], extension_configs=_EXTENSION_CONFIGS, output_format="html"
    )
    try:
        raw = _MATH_RE.sub(_math, md.convert(text))
    except RecursionError:  # nesting deeper than Python-Markdown's recursion allows (e.g. 50,000 "- "): plain text
        raw = f"<p>{html.escape(text)}</p>"
    return sanitize(raw, resolve_link)


def sanitize(raw_html: str, resolve_link: LinkResolver | None = None) -> str:
    """Keep only allow-listed tags (HTML and MathML), attributes and URL schemes. Nothing may change the result
    afterwards: attributes the platform adds (disabled checkboxes, lazy images) are added by the sanitiser itself.

    Images must be files of the platform (relative or root-relative URLs): remote images would tell another site
    who reads a page, and when.
    """

    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if tag in _MATH_TAGS:
            return value if _MATH_VALUE.fullmatch(value) else None
        if tag == "input" and attr == "type" and value != "checkbox":
            return None
        if tag == "img" and attr == "src" and not _same_origin(value):
            return None  # a remote image (http:, https:, //host)
        if attr in ("href", "src") and _is_relative(value):
            return (resolve_link(value) if resolve_link is not None else None) or value
        return value

    return nh3.clean(
        _RAW_TEXT_ELEMENT.sub(" ", raw_html),  # a space: "<scr<script></script>ipt>" must not become a tag
        tags=_ALL_TAGS,
        attributes=_ALL_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        attribute_filter=attribute_filter,
        strip_comments=True,
        set_tag_attribute_values={"input": {"disabled": ""}, "img": {"loading": "lazy"}},
    )


def _same_origin(url: str) -> bool:
    # As a browser reads a URL: outer blanks and control characters dropped, tabs and newlines removed anywhere,
    # and a backslash taken for a slash (so "/\host" names another host).
    url = re.sub(r"[\t\n\r]", "", url).strip(_BLANKS)
    return not re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|[/\\]{2})", url)


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
    """MathML for `tex`, serialised by ElementTree so that every text (`\\text{...}` too) is escaped.

    latex2mathml's own `convert` un-escapes its whole output to turn its "&#x...;" symbols into characters, which
    also turns `\\text{<img ...>}` into markup; so we take its element tree and decode only those references.
    """
    try:
        element = latex_to_mathml(tex, display=display)
    except Exception:  # latex2mathml raises many types on bad TeX; show the source instead
        return f'<code class="math-error">{html.escape(tex)}</code>'
    for node in element.iter():
        node.text = node.text and _ENTITY.sub(_character, node.text)
        node.tail = node.tail and _ENTITY.sub(_character, node.tail)
    css = "math-block" if display == "block" else "math-inline"
    return f'<span class="{css}">{tostring(element, encoding="unicode")}</span>'


def _character(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"


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
