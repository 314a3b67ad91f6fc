"""Typed result blocks to and from their JSON documents.

A block is a frozen dataclass whose fields are the document's keys, in the document's
order. :func:`encode` writes it (a field that is None is left out: an optional key), and
:func:`decode` reads it back from a document, checking each field against its annotation
(``int``, ``float``, ``str``, ``bool``, a block, ``tuple[X, ...]``, ``tuple[X, Y]``,
``list[X]``, ``Mapping[str, X]``, unions and ``X | None``). A missing or mistyped field
raises :class:`FieldError` with its dotted path. Strict JSON writes NaN as null, so a ``float``
field reads null back as NaN: the document written again is the same.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import fields, is_dataclass
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from aifab.errors import BadInput

T = TypeVar("T")


class FieldError(ValueError):
    """A document's field that does not fit its block: ``path`` (dotted) and ``what``."""

    def __init__(self, path: str, what: str) -> None:
        super().__init__(f"{path}: {what}")
        self.path, self.what = path, what


OPTIONAL = {"optional": True}
"""``field(default=None, metadata=OPTIONAL)``: a key left out when None, also where
:func:`encode` keeps the other None fields as null."""


def encode(obj: Any, nulls: bool = False) -> Any:
    """The JSON-ready value of a block, a mapping, a tuple or a scalar (new containers).
    A field that is None is left out (an optional key), or with ``nulls`` written as null
    unless its metadata is :data:`OPTIONAL` (as ``dataclasses.asdict`` would give)."""
    if is_dataclass(obj) and not isinstance(obj, type):
        out = {}
        for f in fields(obj):
            v = getattr(obj, f.name)
            if v is not None or (nulls and not f.metadata.get("optional")):
                out[f.name] = encode(v, nulls)
        return out
    if isinstance(obj, Mapping):
        return {k: encode(v, nulls) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return [encode(v, nulls) for v in obj]
    return obj


@cache
def _hints(cls: Any) -> dict[str, Any]:
    return get_type_hints(cls)


def _kind(v: Any) -> str:
    return "null" if v is None else f"{type(v).__name__} {v!r}"[:60]


def decode(tp: Any, value: Any, path: str) -> Any:
    """``value`` read as type ``tp``; :class:`FieldError` naming ``path`` if it does not fit."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        arms = get_args(tp)
        if value is None and type(None) in arms:
            return None
        errors = []
        for arm in (a for a in arms if a is not type(None)):
            try:
                return decode(arm, value, path)
            except FieldError as exc:
                errors.append(exc)
        raise errors[0] if len(errors) == 1 else FieldError(path, f"unexpected {_kind(value)}")
    if isinstance(tp, type) and is_dataclass(tp):
        return decode_block(tp, value, path)
    if origin is tuple:
        args = get_args(tp)
        if not isinstance(value, list | tuple):
            raise FieldError(path, f"expected a list, got {_kind(value)}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(args[0], v, f"{path}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise FieldError(path, f"expected {len(args)} items, got {len(value)}")
        return tuple(decode(a, v, f"{path}[{i}]")
                     for i, (a, v) in enumerate(zip(args, value, strict=True)))
    if origin is list:
        if not isinstance(value, list | tuple):
            raise FieldError(path, f"expected a list, got {_kind(value)}")
        return [decode(get_args(tp)[0], v, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin in (Mapping, dict):
        _k, vt = get_args(tp)
        if not isinstance(value, dict):
            raise FieldError(path, f"expected an object, got {_kind(value)}")
        return {str(k): decode(vt, v, f"{path}.{k}") for k, v in value.items()}
    return _scalar(tp, value, path)


def _scalar(tp: Any, value: Any, path: str) -> Any:
    if tp is float:
        if value is None:
            return math.nan  # strict JSON wrote NaN as null
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        raise FieldError(path, f"expected a number, got {_kind(value)}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise FieldError(path, f"expected an integer, got {_kind(value)}")
    if tp in (str, bool):
        if isinstance(value, tp):
            return value
        raise FieldError(path, f"expected a {tp.__name__}, got {_kind(value)}")
    if tp is Any:
        return value
    raise TypeError(f"{path}: no reader for {tp!r}")  # a block annotated wrongly


def decode_block(cls: type[T], doc: Any, path: str = "") -> T:
    """Block ``cls`` from its document ``doc`` (every field checked, no unknown key)."""
    if not isinstance(doc, dict):
        raise FieldError(path or "(document)", f"expected an object, got {_kind(doc)}")
    key: Any = cls
    hints = _hints(key)
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    extra = [k for k in doc if k not in names]
    if extra:
        raise FieldError(_join(path, str(extra[0])), "unknown field")
    kw: dict[str, Any] = {}
    for name in names:
        sub = _join(path, name)
        if name not in doc:
            tp = hints[name]
            if get_origin(tp) in (Union, types.UnionType) and type(None) in get_args(tp):
                kw[name] = None
                continue
            raise FieldError(sub, "missing")
        kw[name] = decode(hints[name], doc[name], sub)
    return cls(**kw)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


@contextmanager
def fields_of(source: str) -> Iterator[None]:
    """Inside it, a :class:`FieldError` leaves as :class:`~aifab.errors.BadInput` (exit 2)
    naming ``source`` (the file, or what the document is) and the field's dotted path."""
    try:
        yield
    except FieldError as exc:
        raise BadInput(exc.what, source=source, where=exc.path) from None


def read_block(cls: type[T], doc: Any, source: str,
               prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> T:
    """Block ``cls`` read from a JSON document ``doc`` (its ``schema_version`` key, where
    written, left aside), after ``prepare`` (a reader's reshaping of the document into the
    block's fields, which may raise :class:`FieldError` too). Exit 2 (BadInput) naming
    ``source`` and the field that is missing, unknown or mistyped: the one reader every
    stage's typed result uses."""
    with fields_of(source):
        if not isinstance(doc, Mapping):
            raise FieldError("(document)", "expected an object")
        body = {k: v for k, v in doc.items() if k != "schema_version"}
        return decode_block(cls, prepare(body) if prepare is not None else body)
