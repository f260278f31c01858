"""YAML reading that remembers the line each mapping starts on, so errors can point at it."""

from __future__ import annotations

from typing import Any

import yaml


class LineDict(dict):
    """A mapping read from YAML, with the 1-based line it starts on (`line`)."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list):
    """A sequence read from YAML, with the 1-based line it starts on."""

    line: int = 0
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    seq = LineList(loader.construct_object(child, deep=True) for child in node.value)
    seq.line = node.start_mark.line + 1
    seq.item_lines = [child.start_mark.line + 1 for child in node.value]
    return seq


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class YamlError(ValueError):
    """A YAML syntax error with the 1-based line it was found on."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def load_yaml(text: str, first_line: int = 1) -> Any:
    """Parse YAML text; line numbers in the result and in errors are offset to `first_line`."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + first_line) if mark else first_line
        raise YamlError(line, f"YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlError(first_line, f"YAML: {exc}") from None
    if first_line != 1:
        _shift(data, first_line - 1)
    return data


def _shift(data: Any, offset: int) -> None:
    if isinstance(data, LineDict):
        data.line += offset
        data.key_lines = {k: v + offset for k, v in data.key_lines.items()}
        for value in data.values():
            _shift(value, offset)
    elif isinstance(data, LineList):
        data.line += offset
        data.item_lines = [n + offset for n in data.item_lines]
        for value in data:
            _shift(value, offset)


def line_of(data: Any, key: str | int | None = None, default: int = 1) -> int:
    """The line of `key` in a mapping (or index in a sequence) read by `load_yaml`, else of the whole."""
    if isinstance(data, LineList) and isinstance(key, int) and 0 <= key < len(data.item_lines):
        return data.item_lines[key]
    if isinstance(data, LineDict):
        if isinstance(key, str) and key in data.key_lines:
            return data.key_lines[key]
        return data.line or default
    if isinstance(data, LineList):
        return data.line or default
    return default
