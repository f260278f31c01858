"""YAML reading that remembers the line each mapping starts on, and bounds what hostile YAML can cost.

PyYAML has no limit of its own on alias expansion or nesting: a few hundred bytes of anchors ("billion laughs")
expand to 10**9 nodes for whatever walks the result, and deep nesting overflows the recursive composer. The loader
below counts every node as it would be once aliases are expanded, caps the nesting depth and the input size, and
turns anything that still goes wrong into a `YamlError` with a line.
"""

from __future__ import annotations

from typing import Any

import yaml

# Course YAML (manifests, front matter, quizzes) is small: the shipped quizzes are a few hundred nodes, 8 deep.
MAX_YAML_CHARS = 1_000_000
MAX_YAML_NODES = 100_000  # counted with aliases expanded
MAX_YAML_DEPTH = 64


class LineDict(dict):
    """A mapping read from YAML, with the 1-based line it starts on (`line`)."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list):
    """A sequence read from YAML, with the 1-based line it starts on."""

    line: int = 0
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    def __init__(self, stream: str, first_line: int = 1) -> None:
        super().__init__(stream)
        self.line_offset = first_line  # added to PyYAML's 0-based line numbers
        self._depth = 0
        self._expanded = 0  # nodes composed so far, each alias counting as the whole of what it names
        self._weights: dict[int, int] = {}  # id(node) -> its size with aliases expanded

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        mark = self.peek_event().start_mark
        if self._depth >= MAX_YAML_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_YAML_DEPTH} levels deep", mark)
        is_alias = self.check_event(yaml.AliasEvent)
        before = self._expanded
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if is_alias:
            if id(node) not in self._weights:
                raise yaml.composer.ComposerError(None, None, "an alias refers to the value that contains it", mark)
            self._expanded += self._weights[id(node)]
        else:
            self._expanded += 1
            self._weights[id(node)] = self._expanded - before
        if self._expanded > MAX_YAML_NODES:
            raise yaml.composer.ComposerError(
                None, None, f"expands to more than {MAX_YAML_NODES} values (aliases expanded)", mark
            )
        return node

    def line_of(self, node: yaml.Node) -> int:
        return node.start_mark.line + self.line_offset


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = loader.line_of(node)
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a list or mapping cannot be a key", key_node.start_mark
            ) from None
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = loader.line_of(key_node)
    return mapping


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    seq = LineList(loader.construct_object(child, deep=True) for child in node.value)
    seq.line = loader.line_of(node)
    seq.item_lines = [loader.line_of(child) for child in node.value]
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
    if len(text) > MAX_YAML_CHARS:
        raise YamlError(first_line, f"YAML text too large ({len(text)} characters; at most {MAX_YAML_CHARS})")
    loader = _Loader(text, first_line)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + first_line) if mark else first_line
        raise YamlError(line, f"YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlError(first_line, f"YAML: {exc}") from None
    except RecursionError:  # bounded above; kept so no input can take the process down
        raise YamlError(first_line, "YAML: nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. an integer of more than 4300 digits
        raise YamlError(first_line, f"YAML: {str(exc)[:200]}") from None
    finally:
        loader.dispose()


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
