"""Hostile inputs for every field that renders author or learner text, and a check that rendered HTML is inert.

Each payload tries to run `alert(...)` (a browser test fails on any dialog) or to load something from elsewhere.
Shared by the fast corpus test over the renderer (tests/unit/test_xss_corpus.py) and the browser test
(tests/e2e/test_xss.py), which puts all of them into each field at once.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

IMG = "<img src=x onerror=alert(1)>"

MATH = [
    r"$\text{<img/src/onerror=alert('math1')>}$",
    r"$\text{<img src=x onerror=alert('math2')>}$",
    r"$$\text{<script>alert('math3')</script>}$$",
    r"\(\text{<iframe src=javascript:alert('math4')>}\)",
    r"\[\text{<svg onload=alert('math5')>}\]",
    r"$\href{javascript:alert('math6')}{click me}$",
    r"$x \href{data:text/html,<script>alert('math7')</script>}{y}$",
    r"$\style{background:url(javascript:alert('math8'))}{x}$",
    r"$\mbox{<img src=x onerror=alert('math9')>}$",
    r"$\textbf{<img src=x onerror=alert('math10')>}$",
    r"$\textit{<details open ontoggle=alert('math11')>}$",
    r"$\mathrm{<img src=x onerror=alert('math12')>}$",
    r"$\operatorname{<img src=x onerror=alert('math13')>}$",
    r"$\unicode{x3c}img src=x onerror=alert('math14')\unicode{x3e}$",
    r"$\text{&lt;img src=x onerror=alert('math15')&gt;}$",
    r"$\text{</math><img src=x onerror=alert('math16')>}$",
    r"$$\begin{matrix}\text{<img src=x onerror=alert('math17')>} & 1 \\ 2 & 3\end{matrix}$$",
    r"$\text{<a href=javascript:alert('math18')>link</a>}$",
    r"$\fcolorbox{red}{blue}{<img src=x onerror=alert('math19')>}$",
    r"$\text{\"><img src=x onerror=alert('math20')>}$",
    r"$\color{red}{\text{<style>*{}</style><img src=x onerror=alert('math21')>}}$",
    r"$\text{<math><mi xlink:href=javascript:alert('math22')>x</mi></math>}$",
    r"$\frac{\text{<svg><script>alert('math23')</script></svg>}}{2}$",
    r"$\sqrt{\text{<object data=javascript:alert('math24')>}}$",
    r"$\text{<!--}<img src=x onerror=alert('math25')>\text{-->}$",
]

MATHML = [
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('mml1')>",
    "<math><mi xlink:href=\"javascript:alert('mml2')\">x</mi></math>",
    "<math href=\"javascript:alert('mml3')\"><mi>click</mi></math>",
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(\'mml4\')">x</maction></math>',
    "<math><annotation-xml encoding=\"text/html\"><img src=x onerror=alert('mml5')></annotation-xml></math>",
    "<math><mtext><img src=x onerror=alert('mml6')></mtext></math>",
    "<math><style><img src=x onerror=alert('mml7')></style></math>",
    "<math><mi><svg><style><img src=x onerror=alert('mml8')>",
    "<math><mrow style=\"background:url(javascript:alert('mml9'))\">x</mrow></math>",
    "<math><semantics><annotation-xml encoding=\"application/xhtml+xml\"><iframe src=javascript:alert('mml10')>",
    "<math><mtext><select><option><svg onload=alert('mml11')>",
    "<math><mi onmouseover=\"alert('mml12')\">hover</mi></math>",
]

SVG = [
    "<svg onload=alert('svg1')>",
    "<svg><script>alert('svg2')</script></svg>",
    "<svg><a xlink:href=\"javascript:alert('svg3')\"><text x=0 y=20>x</text></a></svg>",
    "<svg><animate onbegin=alert('svg4') attributeName=x dur=1s>",
    "<svg><a><set attributeName=href to=\"javascript:alert('svg5')\"/><text y=20>x</text></a></svg>",
    "<svg><foreignObject><img src=x onerror=alert('svg6')></foreignObject></svg>",
    "<svg><image href=x onerror=alert('svg7')>",
    "<svg><style>@import 'javascript:alert(\"svg8\")'</style></svg>",
    "<svg/onload=alert('svg9')//",
    "<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'><image href='1' "
    "onerror='alert(10)'/></svg>#x\"/></svg>",
    "<svg><desc><img src=x onerror=alert('svg11')></desc></svg>",
    "<svg><title><img src=x onerror=alert('svg12')></title></svg>",
]

HTML = [
    "<script>alert('h1')</script>",
    "<img src=x onerror=alert('h2')>",
    "<img src=x onerror=\"alert('h3')\"/>",
    "<body onload=alert('h4')>",
    "<iframe src=\"javascript:alert('h5')\"></iframe>",
    "<iframe srcdoc=\"<script>alert('h6')</script>\"></iframe>",
    "<object data=\"javascript:alert('h7')\"></object>",
    "<embed src=\"javascript:alert('h8')\">",
    "<details open ontoggle=alert('h9')><summary>s</summary></details>",
    "<input autofocus onfocus=alert('h10')>",
    "<video><source onerror=alert('h11')></video>",
    "<audio src=x onerror=alert('h12')></audio>",
    "<marquee onstart=alert('h13')>m</marquee>",
    "<form action=\"javascript:alert('h14')\"><button>submit</button></form>",
    "<button formaction=\"javascript:alert('h15')\">x</button>",
    "<a href=\"javascript:alert('h16')\">h16</a>",
    "<a href=\"jAvAsCrIpT:alert('h17')\">h17</a>",
    "<a href=\"&#106;avascript:alert('h18')\">h18</a>",
    "<a href=\"&#x6A;&#x61;vascript&#58;alert('h19')\">h19</a>",
    "<a href=\"java&#09;script:alert('h20')\">h20</a>",
    "<a href=\" javascript:alert('h21')\">h21</a>",
    "<a href=\"javascript&colon;alert('h22')\">h22</a>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">h23</a>',
    "<a href=\"vbscript:msgbox('h24')\">h24</a>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'h25\')">',
    "<base href=\"javascript:alert('h26')//\">",
    '<link rel=stylesheet href="data:text/css,*{color:red}">',
    "<style>@import url(javascript:alert('h28'))</style>",
    "<div style=\"background:url(javascript:alert('h29'))\">h29</div>",
    "<div style=\"width:expression(alert('h30'))\">h30</div>",
    "<img src=\"x` `<script>alert('h31')</script>\"` `>",
    '<img """><script>alert(\'h32\')</script>">',
    "<scr<script>ipt>alert('h33')</scr</script>ipt>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('h34')>\"></noscript>",
    "<textarea></textarea><img src=x onerror=alert('h35')>",
    "<xmp><img src=x onerror=alert('h36')></xmp>",
    "<noembed><img src=x onerror=alert('h37')></noembed>",
    "<template><img src=x onerror=alert('h38')></template>",
    "<!--<img src=\"--><img src=x onerror=alert('h39')//\">",
    "<![CDATA[><img src=x onerror=alert('h40')>]]>",
    "<img src=x:alert(alt) onerror=eval(src) alt=h41>",
    "<a id=x tabindex=1 onfocus=alert('h42') autofocus>h42</a>",
    "<select autofocus onfocus=alert('h43')></select>",
    '<a href="#" onclick="alert(\'h44\')">h44</a>',
    "<p onmouseover=alert('h45')>h45</p>",
    "<table background=\"javascript:alert('h46')\"><tr><td>h46</td></tr></table>",
    "<img dynsrc=\"javascript:alert('h47')\" lowsrc=\"javascript:alert('h47')\">",
    '<a href="https://example.org" target="_blank" ping="https://tracker.example/ping">h48</a>',
    "<frameset onload=alert('h49')>",
    "<isindex action=javascript:alert('h50') type=submit>",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;&#40;&#49;&#41;>",
    "<IMG SRC=x ONERROR=alert('h52')>",
    "<img src=x onerror\n=alert('h53')>",
    "<a href='javascript:alert(\"h54\")'>h54</a>",
    '<div id="results" data-poll-url="javascript:alert(\'h55\')">h55</div>',
]

UNCLOSED = [
    "<img src=x onerror=alert('u1')",
    "<a href=\"javascript:alert('u2')",
    "<script>alert('u3')",
    "<iframe src=javascript:alert('u4')",
    "<svg><script>alert('u5')",
    "<style>",
    "<title>",
    "<textarea>",
    "<div><p><img src=x onerror=alert('u9')",
]

MARKDOWN = [
    "[m1](javascript:alert('m1'))",
    "[m2](JaVaScRiPt:alert('m2'))",
    "[m3](javascript&#58;alert('m3'))",
    "[m4](&#x6A;avascript:alert('m4'))",
    "[m5]( javascript:alert('m5'))",
    "[m6](<javascript:alert('m6')>)",
    "![m7](javascript:alert('m7'))",
    "![m8](x\" onerror=\"alert('m8'))",
    "[m9](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[m10][r10]\n\n[r10]: javascript:alert('m10')",
    "<javascript:alert('m11')>",
    '[m12](https://example.org "t\\" onmouseover=\\"alert(\'m12\')")',
    "[m13](#\" onclick=\"alert('m13'))",
    "![m14](x.png){onerror=alert('m14')}",
    "m15\n{: onclick=\"alert('m15')\" }",
    "[m16](vbscript:msgbox('m16'))",
    "*[HTML]: <img src=x onerror=alert('m17')>\n\nHTML",
    "m18[^m18]\n\n[^m18]: <img src=x onerror=alert('m18')>",
    "!!! note \"<img src=x onerror=alert('m19')>\"\n    body",
    "??? note \"<svg onload=alert('m20')>\"\n    body",
    "```html\n<script>alert('m21')</script>\n```",
    "`<img src=x onerror=alert('m22')>`",
    "- [x] <img src=x onerror=alert('m23')>",
    "| a |\n|---|\n| <img src=x onerror=alert('m24')> |",
    "# heading <img src=x onerror=alert('m25')>",
    "term\n: <img src=x onerror=alert('m26')>",
    "~~<img src=x onerror=alert('m27')>~~",
    "==<svg onload=alert('m28')>==",
    "[m29](java\tscript:alert('m29'))",
    "[m30](\\javascript:alert('m30'))",
]

# Remote images would let an author (or a learner, in an answer) see who reads a page and when.
TRACKING = [
    "![t1](https://tracker.example/t1.gif)",
    '<img src="//tracker.example/t2.gif">',
    '<img src="http://tracker.example/t3.gif">',
    "![t4](HTTPS://tracker.example/t4.gif)",
]

MARKDOWN_PAYLOADS = MATH + MATHML + SVG + HTML + UNCLOSED + MARKDOWN + TRACKING


def leaves_open(payload: str) -> bool:
    """Whether `payload` ends inside a tag (which then runs on to the next ">") or leaves a <math> or <svg> open
    (what follows is inside it, and the sanitiser drops what cannot be there): text after it may be lost."""
    return (
        payload.rfind("<") > payload.rfind(">")
        or payload.count("<math") > payload.count("</math")
        or payload.count("<svg") > payload.count("</svg")
    )


def document(end: str) -> str:
    """Every payload in one Markdown text, with the paragraph `end` after all that must not swallow it."""
    closed = [p for p in MARKDOWN_PAYLOADS if not leaves_open(p)]
    left_open = [p for p in MARKDOWN_PAYLOADS if leaves_open(p)]
    return "\n\n".join([*closed, end, *left_open])


# Notebook outputs (nbformat output dicts): what a learner's code can print on the exercise page.
NOTEBOOK_OUTPUTS: list[dict] = [
    {"output_type": "display_data", "data": {"text/html": "\n".join(HTML + SVG + MATHML)}, "metadata": {}},
    {
        "output_type": "display_data",
        "data": {
            "image/svg+xml": "<svg onload=alert('o2')><script>alert('o2')</script></svg>",
            "text/plain": "<Figure>",
        },
        "metadata": {},
    },
    {"output_type": "display_data", "data": {"application/javascript": "alert('o3')"}, "metadata": {}},
    {"output_type": "display_data", "data": {"text/markdown": "\n\n".join(MATH)}, "metadata": {}},
    {
        "output_type": "display_data",
        "data": {"text/latex": r"$\text{<img src=x onerror=alert('o5')>}$"},
        "metadata": {},
    },
    {"output_type": "display_data", "data": {"image/png": "x\" onerror=\"alert('o6')"}, "metadata": {}},
    {
        "output_type": "display_data",
        "data": {"image/png": "iVBORw0KGgo=", "text/plain": "\"><img src=x onerror=alert('o7')>"},
        "metadata": {},
    },
    {"output_type": "execute_result", "execution_count": 1, "data": {"text/plain": IMG}, "metadata": {}},
    {"output_type": "stream", "name": "stdout", "text": "<script>alert('o9')</script>\n" + IMG},
    {"output_type": "stream", "name": "stderr", "text": ["<svg onload=alert('o10')>"]},
    {
        "output_type": "error",
        "ename": IMG,
        "evalue": "<script>alert('o11')</script>",
        "traceback": ["\x1b[31m<img src=x onerror=alert('o11')>\x1b[0m"],
    },
    {
        "output_type": "display_data",
        "data": {"application/vnd.jupyter.widget-view+json": {"model_id": IMG}},
        "metadata": {},
    },
    {
        "output_type": "display_data",
        "data": {
            "text/html": '<table><tr><td style="background:url(javascript:'
            "alert('o13'))\">1</td></tr></table><style>td{}</style>"
        },
        "metadata": {},
    },
]

_DANGEROUS_TAGS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "style", "link", "meta", "base", "form",
    "button", "select", "textarea", "svg", "foreignobject", "use", "image", "animate", "set", "template", "noscript",
    "xmp", "noembed", "video", "audio", "source", "body", "html", "isindex", "marquee", "annotation-xml", "maction",
    "semantics", "mglyph", "title",
}  # fmt: skip
_DANGEROUS_ATTRIBUTES = {
    "style",
    "srcdoc",
    "formaction",
    "action",
    "background",
    "ping",
    "dynsrc",
    "lowsrc",
    "data",
    "xmlns",
}
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_BLANKS = "".join(map(chr, range(0x21)))  # C0 controls and space
_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*:|//)")  # a scheme, or another host on the page's scheme


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def problems(rendered: str, allow_data_images: bool = False) -> list[str]:
    """What in `rendered` could run script, load from elsewhere or escape its box; empty when it is inert."""
    parser = _Tags()
    parser.feed(rendered)
    parser.close()
    found = []
    for tag, attrs in parser.tags:
        if tag in _DANGEROUS_TAGS:
            found.append(f"<{tag}>")
        for name, value in attrs:
            # As a browser reads a URL: entities decoded, outer blanks dropped, tabs and newlines removed anywhere.
            value = re.sub(r"[\t\n\r]", "", html.unescape(value or "").strip(_BLANKS)).lower()
            if name.startswith("on") or ":" in name or name in _DANGEROUS_ATTRIBUTES:
                found.append(f"<{tag} {name}>")
            elif name == "href" and (tag != "a" or (_URL_SCHEME.match(value) and not value.startswith(_SAFE_SCHEMES))):
                found.append(f"<{tag} href={value!r}>")
            elif name == "src":
                data_image = allow_data_images and re.match(r"data:image/(png|jpeg|gif);base64,[a-z0-9+/=]*$", value)
                if tag != "img" or not (data_image or not _SCHEME.match(value)):
                    found.append(f"<{tag} src={value!r}>")
    return found
