"""The one reader of a typed block from a JSON document (:func:`aifab._schema.read_block`,
issue 23): every stage's typed result reads through it, so a field that does not fit is
exit 2 naming the source and the field's dotted path, whatever the stage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pytest

from aifab._schema import FieldError, fields_of, read_block
from aifab.errors import BadInput


@dataclass(frozen=True)
class Inner:
    mw: float


@dataclass(frozen=True)
class Outer:
    name: str
    by_year: Mapping[str, Inner]
    note: str | None = None


def _message(doc: Any, prepare: Any = None) -> str:
    with pytest.raises(BadInput) as exc:
        read_block(Outer, doc, "runs/x/doc.json", prepare)
    assert exc.value.exit_code == 2
    return str(exc.value)


def test_a_document_reads_with_its_schema_version_left_aside() -> None:
    doc = {"schema_version": 1, "name": "a", "by_year": {"2026": {"mw": 1.5}}}
    assert read_block(Outer, doc, "s") == Outer("a", {"2026": Inner(1.5)})
    assert read_block(Outer, MappingProxyType(doc), "s") == Outer("a", {"2026": Inner(1.5)})


@pytest.mark.parametrize(("doc", "message"), [
    ({"name": "a", "by_year": {"2026": {"mw": "x"}}},
     "by_year.2026.mw: expected a number, got str 'x'"),
    ({"name": "a"}, "by_year: missing"),
    ({"name": "a", "by_year": {}, "colour": 1}, "colour: unknown field"),
    ([1, 2], "(document): expected an object"),
])
def test_a_field_that_does_not_fit_is_named_with_its_source(doc: Any, message: str) -> None:
    assert _message(doc) == f"runs/x/doc.json: {message}"


def test_a_readers_reshaping_names_its_field_too() -> None:
    def prepare(body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body.get("by_year"), dict):
            raise FieldError("by_year", "expected an object keyed by year")
        return body

    assert _message({"name": "a", "by_year": 3}, prepare) == (
        "runs/x/doc.json: by_year: expected an object keyed by year")
    with pytest.raises(BadInput, match=r"^s: a\.b: bad$"), fields_of("s"):
        raise FieldError("a.b", "bad")
