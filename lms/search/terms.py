"""Korean and English text as search terms (Kiwi): `불량` finds `불량률을`, `예측 모델` finds `예측모델`."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

# Content-bearing parts of speech: nouns, verb and adjective stems, roots, foreign words, numbers, hanja.
_KEEP = ("NN", "NR", "NP", "VV", "VA", "XR", "SL", "SN", "SH", "MAG")
_lock = threading.Lock()
_MAX_TERM = 40


@lru_cache(maxsize=1)
def _kiwi() -> Kiwi:
    # Imported and loaded on the first search or course import, not in every web worker at start (the library and
    # its morphology model weigh tens of megabytes).
    from kiwipiepy import Kiwi

    return Kiwi()


def analyse(text: str) -> list[str]:
    """The search terms of `text` in order, lower-cased, with repeats."""
    text = unicodedata.normalize("NFKC", text)
    if not text.strip():
        return []
    kiwi = _kiwi()
    with _lock:  # a Kiwi instance is not documented as thread-safe
        tokens = kiwi.tokenize(text)
    terms: list[str] = []
    for token in tokens:
        if token.tag.startswith(_KEEP):
            form = token.form.lower()
            if token.tag == "SL" and len(form) < 2:
                continue
            terms.append(form[:_MAX_TERM])
    # Hangul words glued to Latin or digits ("AI기반") are split by Kiwi already; also keep raw latin words
    # that Kiwi may tag differently (e.g. "MLOps").
    seen = set(terms)
    for word in re.findall(r"[A-Za-z][A-Za-z0-9+#.-]{1,39}", text):
        if (word := word.lower().rstrip(".")) not in seen:
            seen.add(word)
            terms.append(word)
    return terms


def term_weights(text: str) -> Counter[str]:
    """How often each term occurs in `text`."""
    return Counter(analyse(text))


def query_terms(query: str) -> list[str]:
    """The distinct terms of a query, in order."""
    seen: dict[str, None] = {}
    for term in analyse(query):
        seen.setdefault(term, None)
    return list(seen)
