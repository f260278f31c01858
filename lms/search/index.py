"""Build and query the inverted index of courses and items with portable SQL (SQLite and PostgreSQL)."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from html import escape

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy import orm

from ..content.render import plain_text
from ..content.spec import CourseSpec
from ..models import Course, Item, SearchDoc, SearchTerm
from .terms import analyse, query_terms

TITLE_BOOST = 3.0
TAG_BOOST = 2.0
SNIPPET_CHARS = 160


def index_course(session: orm.Session, course: Course, spec: CourseSpec, items: list[Item]) -> None:
    """Replace the course's search documents: its description and each of its items."""
    session.execute(sa.delete(SearchDoc).where(SearchDoc.course_id == course.id))
    session.flush()
    docs: list[tuple[int | None, str, str, list[str]]] = [
        (None, spec.title, " ".join([spec.summary, plain_text(spec.overview), *spec.tags]), spec.tags)
    ]
    by_slug = {item.slug: item for item in items}
    for item_spec in spec.items:
        parts = [plain_text(item_spec.body), *item_spec.objectives, *item_spec.tags]
        parts += [plain_text(q.prompt) for q in item_spec.questions]
        docs.append((by_slug[item_spec.slug].id, item_spec.title, " ".join(parts), item_spec.tags))
    for item_id, title, text, tags in docs:
        doc = SearchDoc(course_id=course.id, item_id=item_id, title=title, text=text, length=len(text))
        session.add(doc)
        session.flush()
        session.execute(
            sa.insert(SearchTerm),
            [
                {"doc_id": doc.id, "term": term, "weight": weight}
                for term, weight in _weights(title, text, tags).items()
            ],
        )


def _weights(title: str, text: str, tags: list[str]) -> dict[str, float]:
    weights: dict[str, float] = defaultdict(float)
    for term, count in Counter(analyse(text)).items():
        weights[term] += 1.0 + math.log(count)
    for term in set(analyse(title)):
        weights[term] += TITLE_BOOST
    for term in set(analyse(" ".join(tags))):
        weights[term] += TAG_BOOST
    return {term: round(w, 3) for term, w in weights.items()}


@dataclass
class Hit:
    course_id: int
    item_id: int | None
    title: str
    score: float
    snippet: Markup


@dataclass
class SearchPage:
    query: str
    terms: list[str]
    hits: list[Hit]
    total: int


def search(
    session: orm.Session,
    query: str,
    *,
    course_filter: sa.ColumnElement[bool] | None = None,
    page: int = 1,
    per_page: int = 10,
) -> SearchPage:
    """Documents containing every term of `query`, best first, with the match shown in context."""
    terms = query_terms(query)[:8]
    if not terms:
        return SearchPage(query, [], [], 0)
    matches = (
        sa.select(SearchTerm.doc_id, sa.func.sum(SearchTerm.weight).label("score"))
        .where(SearchTerm.term.in_(terms))
        .group_by(SearchTerm.doc_id)
        .having(sa.func.count(SearchTerm.term) == len(terms))
        .subquery()
    )
    base = (
        sa.select(SearchDoc.id, SearchDoc.course_id, SearchDoc.item_id, SearchDoc.title, matches.c.score)
        .join(matches, matches.c.doc_id == SearchDoc.id)
        .join(Course, Course.id == SearchDoc.course_id)
        .outerjoin(Item, Item.id == SearchDoc.item_id)
        .where(Course.published, sa.or_(SearchDoc.item_id.is_(None), Item.active))
    )
    if course_filter is not None:
        base = base.where(course_filter)
    total = session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    rows = session.execute(
        base.order_by(matches.c.score.desc(), SearchDoc.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    texts = dict(
        session.execute(sa.select(SearchDoc.id, SearchDoc.text).where(SearchDoc.id.in_([r.id for r in rows]))).all()
    )
    hits = [Hit(r.course_id, r.item_id, r.title, float(r.score), snippet(texts.get(r.id, ""), terms)) for r in rows]
    return SearchPage(query, terms, hits, total)


def snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> Markup:
    """A window of `text` around the first match, with every term marked."""
    lowered = text.lower()
    positions = [p for p in (lowered.find(t) for t in terms) if p >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    window = text[start : start + width]
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    out, last = [], 0
    for match in pattern.finditer(window):
        out.append(escape(window[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(window[last:]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + width < len(text) else ""
    return Markup(prefix + "".join(out) + suffix)
