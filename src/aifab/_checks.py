"""Checks shared by every loader: numbers that are finite and not booleans in disguise.

Pydantic accepts ``nan``/``inf`` for float fields and ``true`` for numeric fields (as 1);
both are bad input in aifab. :func:`bad_number` walks a validated model next to the raw
document it came from and names the first such value.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel

Loc = tuple[Any, ...]


def bad_number(raw: Any, value: Any, loc: Loc = ()) -> tuple[Loc, str] | None:
    """``(field path, message)`` of the first non-finite number, or boolean given for a
    number, in ``value`` (a validated model) as read from ``raw``; None if there is none."""
    if isinstance(value, BaseModel):
        if not isinstance(raw, dict):
            return None
        for name in type(value).model_fields:
            if name in raw:
                found = bad_number(raw[name], getattr(value, name), (*loc, name))
                if found:
                    return found
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if isinstance(raw, bool):
            return loc, f"expected a number, got {str(raw).lower()}"
        if isinstance(value, float) and not math.isfinite(value):
            return loc, f"must be a finite number, got {raw!r}"
        return None
    if isinstance(value, dict) and isinstance(raw, dict):
        for key, item in value.items():
            if key in raw:
                found = bad_number(raw[key], item, (*loc, key))
                if found:
                    return found
    elif isinstance(value, (list, tuple)) and isinstance(raw, (list, tuple)) \
            and len(raw) == len(value):
        for i, (r, v) in enumerate(zip(raw, value, strict=True)):
            found = bad_number(r, v, (*loc, i))
            if found:
                return found
    return None


def non_finite(raw: Any, loc: Loc = ()) -> Loc | None:
    """Path of the first nan/inf float anywhere in a parsed YAML/TOML/JSON document."""
    if isinstance(raw, float) and not math.isfinite(raw):
        return loc
    items = raw.items() if isinstance(raw, dict) else enumerate(raw) \
        if isinstance(raw, list) else ()
    for key, item in items:
        found = non_finite(item, (*loc, key))
        if found is not None:
            return found
    return None


def finite(value: float, name: str, *, lo: float | None = None, hi: float | None = None,
           lo_open: bool = False) -> float:
    """``value`` if finite and within [lo, hi] ((lo, hi] with ``lo_open``); else BadInput
    naming ``name`` (a flag such as ``--pue``)."""
    from aifab.errors import BadInput

    if not math.isfinite(value):
        raise BadInput(f"must be a finite number, got {value}", where=name)
    if lo is not None and (value <= lo if lo_open else value < lo):
        need = "positive" if lo_open and lo == 0 else f"{'>' if lo_open else '>='} {lo:g}"
        raise BadInput(f"must be {need}, got {value:g}", where=name)
    if hi is not None and value > hi:
        raise BadInput(f"must be <= {hi:g}, got {value:g}", where=name)
    return value
