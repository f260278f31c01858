#!/usr/bin/env python3
"""Seconds to render hostile Markdown per pattern and size, with the scaling exponent (issue 10: parsers have bounds).

Each pattern is repeated up to 10k, 30k and 100k characters and rendered in a child process that is killed after
`--timeout` seconds (">T" in the table), so one quadratic pattern cannot stall the bench. The exponent is the slope
of log(time) against log(size) between the two largest sizes that finished (2 = quadratic); it is only printed when
the smaller time is long enough to mean something.

    .venv/bin/python bench/bench_render.py                            # render_markdown, every pattern
    .venv/bin/python bench/bench_render.py --target markdown          # Python-Markdown alone: no deadline, no sanitiser
    .venv/bin/python bench/bench_render.py -k setext -k def_list --sizes 10000,100000 --timeout 200
    .venv/bin/python bench/bench_render.py --json bench/results/render.json

Targets: `render` (`lms.content.render.render_markdown`, what every page and the importer call), `markdown` (the
Markdown step alone, as the render worker runs it, without the deadline), `plain` (`plain_text`, the search
index), `highlight` (`highlight_python`, code answers on the grading page).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# name -> unit repeated up to the size (or a function of the size for shapes that are not one repeated unit)
PATTERNS: dict[str, object] = {
    "setext_h1 '=\\n'": "=\n",
    "setext_h2 '-\\n'": "-\n",
    "setext 'a\\n=\\n'": "a\n=\n",
    "def_list 'a\\n: '": "a\n: ",
    "def_list 'a\\n: b\\n'": "a\n: b\n",
    "details '??? x\\n'": "??? x\n",
    "details '???+ x\\n    '": "???+ x\n    ",
    "fence '```\\n'": "```\n",
    "fence '~~~\\n'": "~~~\n",
    "fence '```'": "```",
    "admonition '!!! x\\n'": "!!! x\n",
    "admonition nested": lambda n: "".join("    " * i + "!!! note\n" for i in range(n)),
    "list '- '": "- ",
    "list '- a\\n'": "- a\n",
    "list nested lines": lambda n: "".join("  " * (i % 400) + "- a\n" for i in range(n)),
    "list '1. '": "1. ",
    "tasklist '- [ ] '": "- [ ] ",
    "quote '> '": "> ",
    "quote '>\\n'": ">\n",
    "quote '> a\\n>\\n'": "> a\n>\n",
    "emphasis '*'": "*",
    "emphasis '_'": "_",
    "emphasis '*a'": "*a",
    "emphasis '**a'": "**a",
    "emphasis '_a'": "_a",
    "emphasis '*a_'": "*a_",
    "mark '=='": "==a",
    "tilde '~~a'": "~~a",
    "table '|'": "|",
    "table '|a\\n'": "|a\n",
    "table rows": lambda n: "|a|b|\n|-|-|\n" + "|a|b|\n" * n,
    "table '|-\\n'": "|-\n",
    "footnote '[^1]: x\\n'": "[^1]: x\n",
    "footnote '[^'": "[^",
    "footnote '[^a]'": "[^a]",
    "footnote defs+refs": lambda n: (
        "".join(f"[^{i}] " for i in range(n)) + "\n\n" + "".join(f"[^{i}]: x\n" for i in range(n))
    ),
    "abbr '*[a]: b\\n'": "*[a]: b\n",
    "abbr many": lambda n: "".join(f"*[a{i}]: b\n" for i in range(n)) + "\n" + " ".join(f"a{i}" for i in range(n)),
    "attr_list '{: '": "{: ",
    "tabbed '=== x\\n'": "=== x\n",
    "html '<div>\\n'": "<div>\n",
    "html '<div>'": "<div>",
    "html '<div>\\n\\n'": "<div>\n\n",
    "html '<!--'": "<!--",
    "html '<!--\\n'": "<!--\n",
    "html '<?'": "<?",
    "html '<![CDATA['": "<![CDATA[",
    "html '<a '": "<a ",
    "html '</a'": "</a",
    "html '<p>a</p>'": "<p>a</p>",
    "html '<'": "<",
    "math '$'": "$",
    "math '$a'": "$a",
    "math '$$\\n'": "$$\n",
    "math '\\\\['": "\\[",
    "math '\\\\('": "\\(",
    "math '$$'": "$$",
    "backslash '\\\\'": "\\",
    "backtick '`'": "`",
    "backtick '`a'": "`a",
    "backtick '``a'": "``a",
    "link '[a]('": "[a](",
    "link '['": "[",
    "link '[a]'": "[a]",
    "link '[]('": "[](",
    "link '](('": "]((",
    "link ref '[a]: b\\n'": "[a]: b\n",
    "link '[a](<'": "[a](<",
    "image '!['": "![",
    "autolink '<http://'": "<http://",
    "entity '&#'": "&#",
    "heading '# a\\n'": "# a\n",
    "heading '#'": "#",
    "code indented": "    a\n",
    "break 'a  \\n'": "a  \n",
    "tabs 'a\\t'": "a\t",
    "newlines '\\n'": "\n",
    "blank words 'a '": "a ",
    "toc '[TOC]\\n\\n'": "[TOC]\n\n",
    "inlinehilite '`#!'": "`#!",
    "mixed quote list": "> - ",
    "mixed list quote": "- > ",
    "mixed list fence": "- ```\n",
    "mixed quote fence": "> ```\n",
    "mixed details list": "??? x\n    - ",
    "mixed admonition def": "!!! x\n    a\n    : ",
    "mixed '*[' ": "*[",
    "mixed '[*'": "[*",
    "mixed '<a>[' ": "<a>[",
    "mixed '$[' ": "$[",
}

TARGETS = {
    "render": ("lms.content.render", "render_markdown"),
    "markdown": ("lms.content.render", "format_markdown"),
    "plain": ("lms.content.render", "plain_text"),
    "highlight": ("lms.content.render", "highlight_python"),
    "pygments": ("lms.content.render", "format_python"),
}


def make(pattern: object, size: int) -> str:
    if callable(pattern):
        text, n = "", 16
        while len(text) < size:  # grow the shape until it reaches the size
            n *= 2
            text = pattern(n)
        return text[:size]
    unit = str(pattern)
    return (unit * (size // len(unit) + 1))[:size]


def _child(target: str, text: str, conn: Connection) -> None:
    import importlib

    module, name = TARGETS[target]
    func = getattr(importlib.import_module(module), name)
    func("warm-up $x$ *a*")
    started = time.perf_counter()
    out = func(text)
    conn.send((time.perf_counter() - started, len(out)))


def measure(target: str, text: str, timeout: float) -> float | None:
    """Seconds to render `text` in a fresh process, or None when it took longer than `timeout`."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(target, text, child))  # not daemonic: the renderer starts its own
    process.start()
    child.close()
    deadline = time.monotonic() + timeout + 5  # + start-up and imports
    result = None
    while time.monotonic() < deadline:
        if parent.poll(0.05):
            seconds, _ = parent.recv()
            result = seconds if seconds <= timeout else None
            break
        if not process.is_alive():
            break
    if process.is_alive():
        process.kill()
    process.join()
    return result


def exponent(sizes: list[int], times: list[float | None]) -> float | None:
    done = [(s, t) for s, t in zip(sizes, times, strict=True) if t is not None]
    if len(done) < 2 or done[-2][1] < 0.02:  # too short to tell from noise
        return None
    (s1, t1), (s2, t2) = done[-2], done[-1]
    return math.log(t2 / t1) / math.log(s2 / s1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=sorted(TARGETS), default="render")
    parser.add_argument("--sizes", default="10000,30000,100000", help="comma-separated sizes in characters")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds before a render counts as '>T'")
    parser.add_argument("-k", action="append", default=[], help="only patterns whose name contains this")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    print(f"target {args.target}; sizes {sizes}; timeout {args.timeout} s", flush=True)
    print(f"{'pattern':34} " + " ".join(f"{s:>9}" for s in sizes) + "   exp", flush=True)
    for name, pattern in PATTERNS.items():
        if args.k and not any(k in name for k in args.k):
            continue
        times: list[float | None] = []
        for size in sizes:
            if times and times[-1] is None:
                times.append(None)  # the smaller size already timed out
                continue
            times.append(measure(args.target, make(pattern, size), args.timeout))
        slope = exponent(sizes, times)
        cells = " ".join(f"{t:9.3f}" if t is not None else f"{'>' + str(int(args.timeout)):>9}" for t in times)
        print(f"{name:34} {cells}   {'' if slope is None else f'{slope:.1f}'}", flush=True)
        rows.append({"pattern": name, "seconds": dict(zip(map(str, sizes), times, strict=True)), "exponent": slope})
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"target": args.target, "timeout": args.timeout, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
