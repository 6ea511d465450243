"""YAML with line numbers: every mapping, list and key remembers the line it starts on, so a problem can
point at it."""

from pathlib import Path
from typing import Any

import yaml

from app.seeds.yamlerrors import explain

# --- YAML with line numbers -------------------------------------------------------------------------------


class LineDict(dict[str, Any]):
    line: int
    key_lines: dict[str, int]


class LineList(list[Any]):
    line: int


class _LineLoader(yaml.SafeLoader):
    """Safe YAML that remembers where each mapping, list and key starts, and keeps dates as strings."""


_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(None, None, "keys must be plain words", key_node.start_mark)
        key = str(loader.construct_object(key_node, deep=True))
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def line_of(node: Any, *path: str | int) -> int:
    """The line of the deepest node along ``path`` that has one (a key's own line for a scalar value)."""
    line = getattr(node, "line", 0)
    for step in path:
        if isinstance(node, LineDict) and isinstance(step, str) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
        else:
            break
        line = getattr(node, "line", line)
    return line


class UnreadableFile(Exception):
    """A seed file that is not a readable YAML mapping: the line to report and what is wrong."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def read_mapping(path: Path) -> LineDict:
    """The YAML mapping in ``path``, with its line numbers; UnreadableFile when the file is not one."""
    try:
        source = path.read_text(encoding="utf-8")
        data = yaml.load(source, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        raise UnreadableFile(*explain(source, exc)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableFile(1, f"cannot read the file: {exc}") from exc
    if not isinstance(data, LineDict):
        raise UnreadableFile(1, "expected a mapping at the top of the file")
    return data
