"""A fourth item kind is one class and a template: a throwaway "reading" kind, registered here and nowhere else,
goes through the loader, the import, the catalog and the learner's page like the shipped kinds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.content.kinds import ItemKind, StoredItem, kind_named, register, unregister
from lms.content.loader import load_course
from lms.content.render import render_markdown
from lms.content.spec import ItemSpec
from lms.models import Enrolment, Item
from lms.services.courses import import_courses

FIXTURE = Path(__file__).parent.parent / "fixtures" / "kinds" / "reading-basics"
COURSE = "/courses/reading-basics"


class Reading(ItemKind):
    """A plain text file: its first line is the title, the rest is shown as Markdown."""

    name = "reading"
    suffixes = (".txt",)
    label = "읽기"
    template = "learn/lesson.html"  # shows the stored body like a lesson, with the "done" button

    @classmethod
    def load(cls, reader, rel: str, slug: str) -> ItemSpec | None:
        text = reader.read_text(rel)
        if text is None:
            return None
        title, _, body = text.partition("\n")
        reader.check_links(rel, body, 2)
        return ItemSpec(slug=slug, kind=cls.name, path=rel, title=title.strip(), minutes=3, body=body)

    @classmethod
    def store(cls, spec: ItemSpec, resolve) -> StoredItem:
        return StoredItem(body_html=render_markdown(spec.body, resolve), data={"words": len(spec.body.split())})


@pytest.fixture
def reading() -> Iterator[type[ItemKind]]:
    register(Reading)
    yield Reading
    unregister(Reading.name)


def test_an_unregistered_suffix_is_an_unknown_item_type():
    result = load_course(FIXTURE)
    assert result.course is None
    assert any("readings/02-notes.txt: unknown item type" in str(p) for p in result.errors)


def test_a_registered_kind_is_loaded_imported_and_shown(reading, session, actions, client):
    result = load_course(FIXTURE)
    assert result.errors == [], [str(p) for p in result.errors]
    assert [item.kind for item in result.course.items] == ["lesson", "reading"]

    report = import_courses(session, FIXTURE)
    assert report.imported == ["reading-basics"], [str(p) for p in report.problems]
    stored = session.scalar(sa.select(Item).where(Item.slug == "02-notes"))
    assert stored.kind == "reading" and kind_named(stored.kind) is Reading
    assert "<strong>매일</strong>" in stored.body_html and stored.data["words"] == 4

    # A lesson links to the reading as to any item; the catalog and the page label it with the kind's label.
    start = session.scalar(sa.select(Item).where(Item.slug == "01-start"))
    assert f'href="{COURSE}/items/02-notes"' in start.body_html
    assert "읽기" in client.get(COURSE).get_data(as_text=True)

    user = actions.login_as("learner")
    actions.post(f"{COURSE}/enrol")
    page = client.get(f"{COURSE}/items/02-notes").get_data(as_text=True)
    assert "현장 메모 읽기" in page and "<strong>매일</strong>" in page and "읽기" in page
    actions.post(f"{COURSE}/items/01-start/complete")
    response = actions.post(f"{COURSE}/items/02-notes/complete")
    assert response.status_code == 302
    enrolment = session.scalar(sa.select(Enrolment).where(Enrolment.user_id == user.id))
    session.refresh(enrolment)
    assert enrolment.progress == 100 and enrolment.completed_at is not None  # an unscored kind: done when marked


def test_a_suffix_belongs_to_one_kind():
    class Clash(Reading):
        name = "clash"
        suffixes = (".md",)

    with pytest.raises(ValueError, match="already belongs"):
        register(Clash)
