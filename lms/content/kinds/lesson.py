"""A lesson: Markdown with YAML front matter, shown as rendered HTML; the learner marks it done."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..render import render_markdown
from ..spec import ItemSpec
from ..vocabulary import N_
from ..yamlio import line_of
from .base import ItemKind, StoredItem, register

if TYPE_CHECKING:
    from ..loader import CourseReader
    from ..render import LinkResolver


@register
class Lesson(ItemKind):
    name = "lesson"
    suffixes = (".md",)
    label = N_("강의")
    template = "learn/lesson.html"
    order = 10

    @classmethod
    def load(cls, reader: CourseReader, rel: str, slug: str) -> ItemSpec | None:
        text = reader.read_text(rel)
        if text is None:
            return None
        meta, body, body_line = reader.front_matter(rel, text)
        if meta is None:
            return None
        item = ItemSpec(
            slug=slug,
            kind=cls.name,
            path=rel,
            title=str(meta.get("title") or "").strip(),
            minutes=reader.minutes(meta.get("minutes"), rel, line_of(meta, "minutes", 1)),
            required=bool(meta.get("required", True)),
            body=body,
            objectives=reader.strings(meta, "objectives", rel),
            tags=reader.strings(meta, "tags", rel),
        )
        reader.check_links(rel, body, body_line)
        return item

    @classmethod
    def store(cls, spec: ItemSpec, resolve: LinkResolver) -> StoredItem:
        return StoredItem(body_html=render_markdown(spec.body, resolve))
