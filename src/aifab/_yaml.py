"""Safe parsing of user documents: YAML without alias bombs or duplicate keys, TOML without
runaway nesting.

:func:`load_yaml` parses once with libyaml (when present) and keeps the node tree, so an
error found later can name its line without a second parse (:func:`node_line`). Duplicate
keys are refused naming the key and both lines; a document whose aliases expand to more
than :data:`MAX_NODES` values, or that nests deeper than :data:`MAX_DEPTH`, is refused
before anything walks it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from typing import Any

import yaml

from aifab.errors import BadInput

MAX_DEPTH = 64
"""Deepest nesting of lists/mappings a user document may have (aifab's own use five)."""
MAX_NODES = 1_000_000
"""Most values a document may hold once its YAML aliases are expanded."""

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: about 20 x faster


class _StrictLoader(_Base):  # type: ignore[misc]
    """The safe loader, refusing a mapping that names one key twice."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or \
                        not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = (key_node.tag, key_node.value)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise _Duplicate(key_node.value, seen[key], line)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


class _Duplicate(Exception):
    def __init__(self, key: str, first: int, line: int):
        super().__init__(key)
        self.key, self.first, self.line = key, first, line


def check_shape(doc: Any, source: str) -> None:
    """Refuse a parsed document that is recursive, nests deeper than MAX_DEPTH or holds more
    than MAX_NODES values with aliases expanded. Linear in the distinct objects, so an alias
    bomb is found without expanding it."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(doc, False)]
    active: set[int] = set()
    while stack:
        obj, done = stack.pop()
        if not isinstance(obj, (dict, list)):
            continue
        key = id(obj)
        kids = list(obj.values()) if isinstance(obj, dict) else obj
        if done:
            active.discard(key)
            subs = [k for k in kids if isinstance(k, (dict, list))]
            size[key] = 1 + len(kids) + sum(size[id(k)] for k in subs)
            depth[key] = 1 + max((depth[id(k)] for k in subs), default=0)
            if depth[key] > MAX_DEPTH:
                raise BadInput(f"nested more than {MAX_DEPTH} levels deep", source=source)
            if size[key] > MAX_NODES:
                raise BadInput(f"expands to more than {MAX_NODES:,} values (YAML aliases?)",
                               source=source)
            continue
        if key in size:
            continue
        if key in active:
            raise BadInput("refers to itself (a recursive YAML alias)", source=source)
        if len(active) > MAX_DEPTH:
            raise BadInput(f"nested more than {MAX_DEPTH} levels deep", source=source)
        active.add(key)
        stack.append((obj, True))
        stack.extend((k, False) for k in kids if isinstance(k, (dict, list))
                     and id(k) not in size)


def _yaml_error(exc: yaml.YAMLError, source: str) -> BadInput:
    mark = getattr(exc, "problem_mark", None)
    src = f"{source}:{mark.line + 1}" if mark is not None else source
    problem = getattr(exc, "problem", None) or "parse error"
    return BadInput(f"invalid YAML ({problem})", source=src)


def load_yaml(text: str, source: str) -> tuple[Any, Any]:
    """``(document, node tree)`` of YAML ``text``; BadInput naming ``source`` and the line
    for a syntax error, a duplicate key, an alias bomb or too deep nesting."""
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        doc = loader.construct_document(node) if node is not None else None
    except _Duplicate as dup:
        raise BadInput(f"duplicate key {dup.key!r} (first given on line {dup.first})",
                       source=f"{source}:{dup.line}") from None
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, source) from None
    except RecursionError:
        raise BadInput(f"nested more than {MAX_DEPTH} levels deep", source=source) from None
    finally:
        loader.dispose()
    check_shape(doc, source)
    return doc, node


def parse_yaml(text: str, source: str) -> Any:
    """The document of YAML ``text`` (see :func:`load_yaml`)."""
    return load_yaml(text, source)[0]


def node_line(node: Any, loc: Sequence[Any]) -> int | None:
    """1-based line of the node at ``loc`` in a node tree from :func:`load_yaml` (the deepest
    one that exists)."""
    line = None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        nxt = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for k, v in node.value:
                if getattr(k, "value", None) == part:
                    nxt = v
                    line = k.start_mark.line + 1
                    break
        elif (isinstance(node, yaml.SequenceNode) and isinstance(part, int)
              and 0 <= part < len(node.value)):
            nxt = node.value[part]
        node = nxt
    if node is not None:
        line = node.start_mark.line + 1
    return line


_TOML_STRING = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|'
                          r"'[^'\n]*'|#[^\n]*")


def load_toml(text: str, source: str) -> Any:
    """The document of TOML ``text``; BadInput for a syntax error or too deep nesting
    (checked on the text first: the parser recurses, and is quadratic in dotted keys)."""
    bare = _TOML_STRING.sub('""', text)
    level = 0
    for ch in bare:
        if ch in "[{":
            level += 1
            if level > MAX_DEPTH:
                raise BadInput(f"nested more than {MAX_DEPTH} levels deep", source=source)
        elif ch in "]}":
            level = max(0, level - 1)
    for n, line in enumerate(bare.splitlines(), start=1):
        key = line.split("=", 1)[0] if "=" in line else line
        if key.count(".") >= MAX_DEPTH:
            raise BadInput(f"key nested more than {MAX_DEPTH} levels deep",
                           source=f"{source}:{n}")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"invalid TOML ({exc})", source=source) from None
    except RecursionError:
        raise BadInput(f"nested more than {MAX_DEPTH} levels deep", source=source) from None
    check_shape(doc, source)
    return doc
