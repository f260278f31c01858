"""What an item kind is (`ItemKind`) and the registry of kinds by name, as CTFd registers challenge types."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from ..vocabulary import DEFAULT_PASS_SCORE

if TYPE_CHECKING:
    from ..loader import CourseReader
    from ..render import LinkResolver
    from ..spec import ItemSpec


@dataclass
class StoredItem:
    """What the database keeps of an item beside its title and place: the rendered page body, and the kind's data
    (server-side; templates read what they show from it)."""

    body_html: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class ItemKind:
    """One kind of outline item: how it is read from its course file, stored, shown and scored.

    A subclass names itself (`name`, stored in `item.kind`), the file suffixes it reads, its label and its
    learner-page template, and overrides `load` and `store`; a scored kind overrides `passed` when its pass mark is
    not the stored `pass_score`. Everything here is Flask-free and database-free: the loader, the import service and
    the learning pages call it.
    """

    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]]
    label: ClassVar[str]  # Korean, marked with N_ (translated where shown)
    template: ClassVar[str]  # the learner page, extending learn/_layout.html
    # The learner page shows the stored body (cached per content version), with a button that marks it done; a
    # kind whose page needs the learner's attempts says so, and the web layer builds that page.
    page: ClassVar[str] = "body"
    scored: ClassVar[bool] = False  # counts in the course score (quizzes, exercises)
    order: ClassVar[int] = 100  # where it comes in lists of kinds

    @classmethod
    def load(cls, reader: CourseReader, rel: str, slug: str) -> ItemSpec | None:
        """Read the item's file `rel` through `reader` (which reports problems as file:line); None if unusable."""
        raise NotImplementedError

    @classmethod
    def store(cls, spec: ItemSpec, resolve: LinkResolver) -> StoredItem:
        """The rendered body and the data kept for the item; `resolve` turns course links into site links."""
        raise NotImplementedError

    @classmethod
    def pass_score(cls, data: dict[str, Any]) -> float:
        """The score (0-100) that passes the item: the course data's, else the documented default."""
        return data.get("pass_score", DEFAULT_PASS_SCORE)

    @classmethod
    def passed(cls, score: float | None, data: dict[str, Any]) -> bool:
        """The scoring rule: whether a score passes the item."""
        return (score or 0) >= cls.pass_score(data)


KINDS: dict[str, type[ItemKind]] = {}


def register(kind: type[ItemKind]) -> type[ItemKind]:
    """Add a kind to the registry (a class decorator); a name or a suffix already taken is a programming error."""
    taken = {suffix for other in KINDS.values() if other.name != kind.name for suffix in other.suffixes}
    if clash := taken & set(kind.suffixes):
        raise ValueError(f"item kind {kind.name!r}: suffix {sorted(clash)} already belongs to another kind")
    KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Remove a kind (tests that register a throwaway one)."""
    KINDS.pop(name, None)


def kind_named(name: str) -> type[ItemKind]:
    """The class of a stored item's kind; an unknown name is a KeyError."""
    return KINDS[name]


def kind_for_path(path: str) -> type[ItemKind] | None:
    """The kind that reads a course file with this name, by its suffix."""
    suffix = PurePosixPath(path).suffix.lower()
    return next((kind for kind in KINDS.values() if suffix in kind.suffixes), None)


def all_kinds() -> list[type[ItemKind]]:
    return sorted(KINDS.values(), key=lambda kind: (kind.order, kind.name))


def scored_kinds() -> tuple[str, ...]:
    return tuple(kind.name for kind in all_kinds() if kind.scored)


def item_suffixes() -> tuple[str, ...]:
    return tuple(suffix for kind in all_kinds() for suffix in kind.suffixes)
