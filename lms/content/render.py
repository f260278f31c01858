"""Markdown to safe HTML: Python-Markdown with well-kept extensions, then an allow-list sanitiser, in a render
worker process with a time limit (so no text, however hostile, can hold a request or an import for long)."""

from __future__ import annotations

import hashlib
import html
import logging
import multiprocessing
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from multiprocessing.connection import Connection
from typing import Any
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
# A line that makes a block processor split its block: a setext underline or rule, a heading, a definition, a
# details, admonition or tab opener, a reference, footnote or abbreviation definition, an HTML block; indented
# or quoted too, since the body of a list, quote, details or admonition is parsed again as blocks.
_SPLITTING_LINE = re.compile(r"[ \t>]*(?:[=*_ -]+$|#|:(?:\s|$)|\?\?\?|!!!|===|\*?\[[^\]]*\]:|<[A-Za-z/!?])")
MAX_SPLIT_WORK = 2_000_000  # splitting lines x characters of their paragraph (about 0.1 s of parsing)


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
    (30,000 took minutes); and each heading, rule, definition, details or admonition line splits its block in two
    and puts the rest back to be tested again by every block processor (50,000 "=" lines took two minutes). A
    paragraph with more than `MAX_OPENERS` openers, or whose splitting lines times its length exceed
    `MAX_SPLIT_WORK`, cannot be meant as markup: it is shown as plain text, without going through Markdown; past
    that many unclosed tags in the whole text, they are escaped. Runs after fenced code is stashed, so code keeps
    its own. (The render worker's time limit bounds whatever this does not know about.)"""

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        paragraph: list[str] = []
        for line in [*lines, ""]:
            if line.strip():
                paragraph.append(line)
                continue
            text = "\n".join(paragraph)
            if (
                text.count("[") + text.count("\\(") + len(_UNCLOSED_TAG.findall(text)) > MAX_OPENERS
                or sum(1 for row in paragraph if _SPLITTING_LINE.match(row)) * len(text) > MAX_SPLIT_WORK
            ):
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

    The work (Markdown, math, sanitiser) runs in a render worker process; a text that needs more than
    `CPU_SECONDS` of its CPU (or `WALL_SECONDS` of waiting) is shown as escaped plain text with a notice, and the
    worker is replaced. Results without a resolver (learners' answers) are cached by content hash.
    """
    key = _cache_key("markdown", text) if resolve_link is None else None
    if key is not None and (hit := _CACHE.get(key)) is not None:
        return hit
    rendered = _POOL.render("markdown", text, resolve_link)
    if rendered is None:
        rendered = plain_html(text)
    if key is not None:
        _CACHE.put(key, rendered)
    return rendered


def format_markdown(text: str, resolve_link: LinkResolver | None = None) -> str:
    """Markdown, math and the sanitiser in this process, with no time limit: what a render worker runs (benchmarks
    call it too). Every other caller goes through `render_markdown`.

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


RENDER_LIMIT_NOTICE = "서식이 너무 복잡해 원문 그대로 보여 줍니다. (Too complex to format: shown as plain text.)"


def plain_html(text: str) -> str:
    """`text` as escaped plain text under a notice: what a text shows when it cannot be formatted in time."""
    return sanitize(
        f'<p class="render-limit">{html.escape(RENDER_LIMIT_NOTICE)}</p>'
        f'<pre class="render-plain">{html.escape(text)}</pre>'
    )


# --- the time limit -------------------------------------------------------------------------------------------------
# Python-Markdown, its extensions and html5ever (under nh3) each have inputs whose cost grows with the square of
# their size or worse (bench/bench_render.py measures them). A preprocessor can neutralise the ones we know
# (_EscapeFloods), but nobody can show that list complete, and pure-Python or regex work cannot be interrupted
# inside one process. So each text is rendered in a worker process that is killed when it has used `CPU_SECONDS`
# of CPU (read from /proc, so that a busy machine rarely turns a legitimate long lesson into plain text) or, as a
# backstop, after `WALL_SECONDS` (reached first only when a worker gets under a quarter of a core).

CPU_SECONDS = 1.0
WALL_SECONDS = 4.0
RENDERER_VERSION = "2"  # part of the cache key: change it when the same text renders differently
_POLL_SECONDS = 0.02
_IDLE_WORKERS = 2
log = logging.getLogger(__name__)


def _serve(conn: Connection) -> None:
    """A render worker's loop: (kind, text, has_resolver) in, ("html", html) or ("error", message) out; a relative
    link is resolved by asking the parent ("resolve", url), whose resolver stays where it was made."""

    def ask(url: str) -> str | None:
        conn.send(("resolve", url))
        return conn.recv()

    while True:
        try:
            kind, text, has_resolver = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if kind == "python":
                reply = ("html", format_python(text))
            else:
                reply = ("html", format_markdown(text, ask if has_resolver else None))
        except Exception as exc:  # a bug of a parser on some input: the parent shows the text plainly
            reply = ("error", f"{type(exc).__name__}: {exc}")
        conn.send(reply)


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc); None where that cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


class _Worker:
    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child,), name="baeum-render", daemon=True)
        self.process.start()
        child.close()

    def render(
        self, kind: str, text: str, resolve_link: LinkResolver | None, cpu_limit: float, wall_limit: float
    ) -> str | None:
        """The HTML, or None when the limit was reached or the worker failed (the caller then discards it)."""
        pid = self.process.pid or 0
        cpu_start = _cpu_seconds(pid)
        started = time.monotonic()
        self.conn.send((kind, text, resolve_link is not None))
        while True:
            if self.conn.poll(_POLL_SECONDS):
                kind, value = self.conn.recv()
                if kind == "resolve" and resolve_link is not None:
                    self.conn.send(resolve_link(value))
                    continue
                if kind == "html":
                    return value
                log.warning("render worker failed on a text of %d characters: %s", len(text), value)
                return None
            cpu = _cpu_seconds(pid)
            if cpu is not None and cpu_start is not None and cpu - cpu_start > cpu_limit:
                log.warning("a text of %d characters needed over %.1f s of CPU to render", len(text), cpu_limit)
                return None
            if time.monotonic() - started > wall_limit or not self.process.is_alive():
                log.warning("a text of %d characters was not rendered within %.1f s", len(text), wall_limit)
                return None

    def close(self) -> None:
        self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()


class _Pool:
    """Render workers, one text at a time each; a worker that reached the limit is killed and a fresh one started on
    demand (forked from a server process that has the renderer imported, so a replacement costs milliseconds)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._ctx: Any = None
        self._pid = 0

    def _context(self) -> Any:
        if self._ctx is None:
            if "forkserver" in multiprocessing.get_all_start_methods():
                self._ctx = multiprocessing.get_context("forkserver")
                self._ctx.set_forkserver_preload([__name__])
            else:
                self._ctx = multiprocessing.get_context("spawn")
        return self._ctx

    def render(self, kind: str, text: str, resolve_link: LinkResolver | None) -> str | None:
        """`kind` ("markdown" or "python") of `text` as HTML, or None past the time limit."""
        with self._lock:
            if self._pid != os.getpid():  # a forked copy of a process never uses its parent's workers
                self._idle, self._pid = [], os.getpid()
            worker = self._idle.pop() if self._idle else None
        if worker is None:
            if multiprocessing.current_process().daemon:  # may not start processes (never the case in the platform)
                return format_python(text) if kind == "python" else format_markdown(text, resolve_link)
            worker = _Worker(self._context())
        try:
            rendered = worker.render(kind, text, resolve_link, CPU_SECONDS, WALL_SECONDS)
        except BaseException:
            worker.close()  # mid-conversation: never reused
            raise
        if rendered is None:
            worker.close()
            return None
        with self._lock:
            if len(self._idle) < _IDLE_WORKERS and self._pid == os.getpid():
                self._idle.append(worker)
                worker = None
        if worker is not None:
            worker.close()
        return rendered

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()


_POOL = _Pool()


class _Cache:
    """Rendered HTML by content hash, least recently used first out, bounded by the characters it holds."""

    def __init__(self, max_chars: int) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[str, str] = OrderedDict()
        self._chars, self._max = 0, max_chars

    def get(self, key: str) -> str | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: str, value: str) -> None:
        if len(value) > self._max // 4:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = value
            self._chars += len(value)
            while self._chars > self._max:
                self._chars -= len(self._items.popitem(last=False)[1])


_CACHE = _Cache(max_chars=16_000_000)


def _cache_key(kind: str, text: str) -> str:
    return f"{kind}:{RENDERER_VERSION}:{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()}"


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
    """Python source as highlighted HTML, in a render worker with the same time limit as Markdown (Pygments'
    Python lexer took minutes on 20,000 indented blank lines); past it, the code without colours. Cached by
    content hash, like learners' answers."""
    key = _cache_key("python", code)
    if (hit := _CACHE.get(key)) is not None:
        return hit
    rendered = _POOL.render("python", code, None)
    if rendered is None:
        rendered = f'<div class="highlight"><pre><span></span><code>{html.escape(code)}</code></pre></div>'
    _CACHE.put(key, rendered)
    return rendered


def format_python(code: str) -> str:
    """Pygments in this process, with no time limit: what a render worker runs for `highlight_python`."""
    return highlight(code, PythonLexer(), HtmlFormatter(cssclass="highlight", wrapcode=True))


def plain_text(markdown_text: str) -> str:
    """The words of a Markdown text without markup, for search and snippets.

    Each pattern's scan stops at the next character that could start another match (`[`, `(`, `<`), so the work
    is linear in the text: "[" scanned to the end of the text from every "[" took two minutes on 100,000 of them.
    """
    text = re.sub(r"```.*?```", " ", markdown_text, flags=re.S)
    text = re.sub(r"!?\[([^\[\]]*)\]\([^()]*\)", r"\1", text)
    text = re.sub(r"<[^<>]+>", " ", text)
    text = re.sub(r"^\s{0,3}(#{1,6}|[-*+]|\d+\.|>|!!!|\|)", " ", text, flags=re.M)
    text = re.sub(r"[*`~=$\\]+", "", text).replace("|", " ")
    return re.sub(r"\s+", " ", text).strip()
