"""Item kinds: one class per kind in one module of this package (lesson, quiz, exercise), registered by name.

Adding a kind is writing a module here (a subclass of `ItemKind` decorated with `@register`) and its learner-page
template; every module of this package is imported below, so nothing else changes. See README, "Item kinds".
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import (
    KINDS,
    ItemKind,
    StoredItem,
    all_kinds,
    item_suffixes,
    kind_for_path,
    kind_named,
    register,
    scored_kinds,
    unregister,
)

__all__ = [
    "KINDS",
    "ItemKind",
    "StoredItem",
    "all_kinds",
    "item_suffixes",
    "kind_for_path",
    "kind_named",
    "register",
    "scored_kinds",
    "unregister",
]

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")
