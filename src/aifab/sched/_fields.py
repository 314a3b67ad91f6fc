"""Small readers shared by the manifest loaders: quantities, typed fields, unknown fields.

Every error names the file, the object (``Kind/name``) and the field path, and exits 2
(:class:`aifab.errors.BadInput`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from aifab.errors import BadInput

_QTY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
                  r"(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
_SUFFIX = {None: 1.0, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
           "P": 1e15, "E": 1e18, "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40,
           "Pi": 2.0**50, "Ei": 2.0**60}


class Ctx:
    """Where an object came from: its file and ``Kind/name``; builds errors and notes."""

    def __init__(self, file: str, kind: str, name: str, notes: list[str]) -> None:
        self.file, self.kind, self.name, self.notes = file, kind, name, notes

    @property
    def obj(self) -> str:
        return f"{self.kind}/{self.name}"

    def error(self, where: str, message: str) -> BadInput:
        return BadInput(message, source=self.file, where=f"{self.obj}: {where}")

    def unsupported(self, where: str, why: str = "not modelled") -> None:
        self.notes.append(f"{self.file}: {self.obj}: {where}: {why}")

    def mapping(self, value: Any, where: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.error(where, "must be a mapping")
        return value

    def seq(self, value: Any, where: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(where, "must be a list")
        return value

    def string(self, value: Any, where: str, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                raise self.error(where, "is required")
            return None
        if not isinstance(value, str) or not value:
            raise self.error(where, "must be a non-empty string")
        return value

    def choice(self, value: Any, where: str, allowed: Iterable[str], default: str) -> str:
        if value is None:
            return default
        allowed = tuple(allowed)
        if value not in allowed:
            raise self.error(where, f"{value!r} is not one of {', '.join(allowed)}")
        return str(value)

    def integer(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(where, "must be an integer")
        return value

    def quantity(self, value: Any, where: str, *, allow_negative: bool = False) -> float:
        """A Kubernetes quantity (``9``, ``36Gi``, ``500m``) as a float; not below zero."""
        if isinstance(value, bool):
            raise self.error(where, "must be a quantity")
        if isinstance(value, int | float):
            x = float(value)
        elif isinstance(value, str) and (m := _QTY.match(value.strip())):
            x = float(m.group(1)) * _SUFFIX[m.group(2)]
        else:
            raise self.error(where, f"{value!r} is not a quantity")
        if not math.isfinite(x):
            raise self.error(where, "must be finite")
        if x < 0 and not allow_negative:
            raise self.error(where, f"must not be negative (got {value})")
        return x

    def known(self, doc: Mapping[str, Any], where: str, known: Iterable[str]) -> None:
        """List fields aifab does not model (never silently ignored)."""
        names = set(known)
        for k in doc:
            if k not in names:
                self.unsupported(f"{where}.{k}" if where else str(k))


def labels_of(ctx: Ctx, meta: Mapping[str, Any], key: str) -> dict[str, str]:
    raw = ctx.mapping(meta.get(key), f"metadata.{key}")
    return {str(k): str(v) for k, v in raw.items()}
