"""Load the packaged catalogue and user extensions (CSV or YAML), with precise errors."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from aifab._checks import bad_number
from aifab._io import read_text_file
from aifab._yaml import parse_yaml
from aifab.catalog._model import Accelerator, System
from aifab.errors import BadInput


def _fmt_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _validate(model: type[BaseModel], row: Mapping[str, Any], source: str, where: str) -> Any:
    try:
        item = model.model_validate(row)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _fmt_loc(tuple(err["loc"]))
        got = err.get("input")
        msg = err["msg"]
        if loc and not isinstance(got, dict):
            msg = f"{msg}, got {got!r}"
        raise BadInput(msg, source=source, where=f"{where}{': ' + loc if loc else ''}") from None
    found = bad_number(dict(row), item)
    if found is not None:
        raise BadInput(found[1], source=source, where=f"{where}: {_fmt_loc(found[0])}")
    return item


def _csv_rows(text: str, source: str) -> Iterable[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    for i, row in enumerate(reader, start=2):
        if None in row:
            raise BadInput("more fields than the header", source=source, where=f"line {i}")
        yield i, {k: v for k, v in row.items() if v not in ("", None)}


@dataclass(frozen=True)
class Catalog:
    """Accelerators and systems by id."""

    accelerators: dict[str, Accelerator] = field(default_factory=dict)
    systems: dict[str, System] = field(default_factory=dict)

    def accelerator(self, ident: str, where: str = "accelerator") -> Accelerator:
        """The accelerator ``ident``; BadInput listing the known ids if absent."""
        try:
            return self.accelerators[ident]
        except KeyError:
            known = ", ".join(sorted(self.accelerators))
            raise BadInput(f"unknown accelerator {ident!r} (known: {known})", where=where) from None

    def system(self, ident: str, where: str = "system") -> System:
        """The system ``ident``; BadInput listing the known ids if absent."""
        try:
            return self.systems[ident]
        except KeyError:
            known = ", ".join(sorted(self.systems))
            raise BadInput(f"unknown system {ident!r} (known: {known})", where=where) from None

    def merged(self, other: Catalog) -> Catalog:
        """A catalogue with ``other``'s rows added (same id replaces)."""
        return Catalog({**self.accelerators, **other.accelerators},
                       {**self.systems, **other.systems})


def _parse(text: str, source: str, kind_hint: str | None) -> Catalog:
    accs: dict[str, Accelerator] = {}
    syss: dict[str, System] = {}
    if source.endswith((".yaml", ".yml")):
        doc = parse_yaml(text, source) or {}
        if not isinstance(doc, dict) or not set(doc) <= {"accelerators", "systems"}:
            raise BadInput("expected a mapping with 'accelerators' and/or 'systems' lists",
                           source=source)
        for key, model, bucket in (("accelerators", Accelerator, accs),
                                   ("systems", System, syss)):
            rows = doc.get(key) or []
            if not isinstance(rows, list):
                raise BadInput("must be a list", source=source, where=key)
            for i, row in enumerate(rows):
                if not isinstance(row, dict):
                    raise BadInput("must be a mapping", source=source, where=f"{key}[{i}]")
                item = _validate(model, row, source, f"{key}[{i}]")
                bucket[item.id] = item
    else:
        header = text.splitlines()[0] if text.strip() else ""
        is_system = kind_hint == "systems" or "accelerators_per_system" in header
        row_model: type[BaseModel] = System if is_system else Accelerator
        for line, row in _csv_rows(text, source):
            item = _validate(row_model, row, source, f"line {line}")
            (syss if is_system else accs)[item.id] = item
    return Catalog(accs, syss)


def _check_links(cat: Catalog, source: str) -> None:
    for s in cat.systems.values():
        if s.accelerator not in cat.accelerators:
            raise BadInput(f"unknown accelerator {s.accelerator!r}", source=source,
                           where=f"systems.{s.id}.accelerator")


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The packaged catalogue (data/accelerators.csv, data/systems.csv)."""
    base = resources.files("aifab.catalog") / "data"
    accs = _parse((base / "accelerators.csv").read_text("utf-8"), "accelerators.csv",
                  "accelerators")
    syss = _parse((base / "systems.csv").read_text("utf-8"), "systems.csv", "systems")
    cat = accs.merged(syss)
    _check_links(cat, "systems.csv")
    return cat


def load_catalog(extra: Iterable[Path | str] = ()) -> Catalog:
    """The packaged catalogue extended by user files (CSV or YAML); later files win."""
    cat = default_catalog()
    for path in extra:
        src = str(path)
        if not src.endswith((".csv", ".yaml", ".yml")):
            raise BadInput("catalogue must be .csv, .yaml or .yml", source=src)
        cat = cat.merged(_parse(read_text_file(path, "catalogue file"), src, None))
        _check_links(cat, src)
    return cat
