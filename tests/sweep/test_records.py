"""A variant's typed record: its ``to_dict()`` is the journal's line, and a mistyped
record is refused naming the field."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from aifab.errors import BadInput
from aifab.sweep import VariantRecord, read_journal, spec_from_dict, sweep

from .conftest import PLAN_SPEC


@pytest.mark.slow  # about 4 s on a busy machine: plans three variants
def test_records_are_typed_and_are_the_journal_lines(tmp_path: Path) -> None:
    doc = copy.deepcopy(PLAN_SPEC)
    doc["design"] = {"kind": "lhs", "samples": 3, "seed": 0}
    res = sweep(spec_from_dict(doc), workers=0, state_dir=tmp_path)
    assert len(res.records) == 3 and all(isinstance(r, VariantRecord) for r in res.records)
    assert [r.id for r in res.records] == [0, 1, 2] and res.done == 3
    journal = read_journal(tmp_path)
    lines = [json.loads(x) for x in (tmp_path / "journal.jsonl").read_text().splitlines()]
    for r in res.records:
        assert r.ok and set(r.metrics) == set(doc["metrics"])
        assert r.to_dict() == journal[r.hash]  # the record's schema is the journal line
        assert json.dumps(r.to_dict()) in {json.dumps(x) for x in lines}  # key order too
        assert VariantRecord.from_dict(r.to_dict()) == r
    frame = res.to_frames()["variants"]
    assert list(frame["hash"]) == [r.hash for r in res.records]


def test_a_mistyped_record_names_the_field() -> None:
    good = {"id": 0, "hash": "ab", "params": {"facility.pue": 1.2}, "status": "ok",
            "error": "", "metrics": {"mw": 1.0}, "wall_s": 0.1, "cpu_s": 0.1}
    assert VariantRecord.from_dict(good).metrics["mw"] == 1.0
    with pytest.raises(BadInput, match=r"^journal.jsonl: metrics.mw: expected a number, got "
                                       r"str 'x'$"):
        VariantRecord.from_dict({**good, "metrics": {"mw": "x"}}, "journal.jsonl")
    with pytest.raises(BadInput, match=r"status: missing"):
        VariantRecord.from_dict({k: v for k, v in good.items() if k != "status"})
    old = {k: v for k, v in good.items() if k not in ("wall_s", "cpu_s")}
    assert VariantRecord.from_dict(old).wall_s is None  # journals before timings
