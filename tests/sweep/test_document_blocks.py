"""The sweep document's last untyped parts, typed (issue 23): the spec (:class:`SpecDoc`),
each sensitivity entry (:class:`SobolIndices`, :class:`TornadoSwing`,
:class:`SpearmanRho`, read by the sensitivity's ``method``) and a design's parameter values.
A mistyped field is exit 2 naming the file and the field; a document written and read back
is the same document."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from aifab._io import to_json, versioned
from aifab._sweep_doc import (
    DesignRow,
    Designs,
    ParameterDoc,
    Sensitivity,
    SobolIndices,
    SpearmanRho,
    SpecDoc,
    Spread,
    TornadoSwing,
)
from aifab.errors import BadInput
from aifab.sweep import SweepDocument, read_sweep

GOLDEN = Path(__file__).parents[1] / "commands" / "sweep_goldens"


def golden(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text()
                                     .replace("<t>", "0.25"))
    return doc


def test_the_blocks_are_typed() -> None:
    oat = SweepDocument.from_dict(golden("sweep-oat"))
    assert oat.spec is not None and isinstance(oat.spec, SpecDoc)
    assert oat.spec.parameters is not None and oat.description == ""
    batch = oat.spec.parameters["perf.batch"]
    assert isinstance(batch, ParameterDoc) and batch.values == (1, 8, 32)
    assert oat.spec.parameters["perf.device"].base == "h100-sxm"
    assert oat.sensitivity is not None
    swing = oat.sensitivity.metrics["tok_s"]["perf.batch"]
    assert isinstance(swing, TornadoSwing) and (swing.low, swing.high) == (1, 32)
    assert swing.swing == pytest.approx(swing.metric_high - swing.metric_low)
    sobol = SweepDocument.from_dict(golden("sweep-sobol"))
    assert sobol.sensitivity is not None
    assert all(isinstance(e, SobolIndices) for per in sobol.sensitivity.metrics.values()
               for e in per.values())


def _typed() -> SweepDocument:
    """A Spearman sweep with a quota sweep's designs (no NaN: compared with ==)."""
    base = SweepDocument.from_dict(golden("sweep-sobol"))
    return SweepDocument(**{**{k: getattr(base, k) for k in (
        "command", "name", "variants", "done", "failed", "ran", "reused", "summary",
        "errors", "wall_s", "variant_wall_s", "variant_cpu_s", "spec")},
        "design": "lhs",
        "sensitivity": Sensitivity("spearman", {"tok_s": {"perf.batch": SpearmanRho(0.9),
                                                           "perf.input": SpearmanRho(-0.25)}},
                                   "rank correlation"),
        "designs": Designs(("quota.startups", "quota.borrowing_limit"), ("sim.seed",), (
            DesignRow({"quota.startups": 10, "quota.borrowing_limit": None}, 3, 2,
                      {"tok_s": Spread(2.0, 1.0, 3.0)}),
            DesignRow({"quota.startups": 25.5, "quota.borrowing_limit": "x"}, 3, 3,
                      {"tok_s": Spread(2.5, 1.5, 3.5)})))})


def test_a_document_written_and_read_back_is_the_same(tmp_path: Path) -> None:
    doc = _typed()
    (tmp_path / "sweep.json").write_text(to_json(versioned(doc.to_dict())))
    back, frame = read_sweep(tmp_path, variants=False)
    assert back == doc and frame is None
    for name in ("sweep-oat", "sweep-sobol"):  # NaN where a variant failed: as text
        one = SweepDocument.from_dict(golden(name))
        again = SweepDocument.from_dict(json.loads(to_json(versioned(one.to_dict()))))
        assert to_json(again.to_dict()) == to_json(one.to_dict())


def test_the_computed_sensitivity_becomes_typed_entries() -> None:
    raw = {"method": "tornado", "note": "n", "metrics": {"m": {"p": {
        "low": 1, "high": "b", "base_metric": 2.0, "metric_low": 1.0, "metric_high": math.nan,
        "swing": math.nan}}}}
    sens = Sensitivity.of(raw)
    entry = sens.metrics["m"]["p"]
    assert isinstance(entry, TornadoSwing) and entry.high == "b"
    assert math.isnan(entry.metric_high)
    assert Sensitivity.of({"method": "none", "metrics": {}, "note": "grid"}).metrics == {}


def _broken(tmp_path: Path, name: str, edit: Any) -> str:
    doc = golden(name)
    edit(doc)
    (tmp_path / "sweep.json").write_text(json.dumps(doc))
    pd.DataFrame({"id": [0]}).to_parquet(tmp_path / "variants.parquet")
    with pytest.raises(BadInput) as exc:
        read_sweep(tmp_path, label="runs/bad")
    assert exc.value.exit_code == 2
    return str(exc.value)


def _designs(d: dict[str, Any], value: Any) -> None:
    d["designs"] = {"group_by": ["quota.startups"], "over": [], "rows": [
        {"params": {"quota.startups": value}, "variants": 1, "done": 1, "metrics": {}}]}


@pytest.mark.parametrize(("name", "edit", "message"), [
    ("sweep-oat", lambda d: d["sensitivity"]["metrics"]["tok_s"]["perf.batch"].update(
        metric_low="low"), "sensitivity.metrics.tok_s.perf.batch.metric_low: expected a "
                           "number, got str 'low'"),
    ("sweep-oat", lambda d: d["sensitivity"]["metrics"]["tok_s"]["perf.batch"].update(
        low=[1]), "sensitivity.metrics.tok_s.perf.batch.low: unexpected list [1]"),
    ("sweep-sobol", lambda d: next(iter(d["sensitivity"]["metrics"]["tok_s"].values()))
     .pop("ST"), "sensitivity.metrics.tok_s.perf.batch.ST: missing"),
    ("sweep-sobol", lambda d: d["sensitivity"].update(method="magic"),
     "sensitivity.method: expected one of ['none', 'sobol', 'spearman', 'tornado'], "
     "got 'magic'"),
    ("sweep-oat", lambda d: d["sensitivity"].update(method="spearman"),
     "sensitivity.metrics.tok_s.perf.batch.low: unknown field"),
    ("sweep-oat", lambda d: d["spec"]["parameters"]["perf.batch"].update(integer="no"),
     "spec.parameters.perf.batch.integer: expected a bool, got str 'no'"),
    ("sweep-oat", lambda d: d["spec"]["design"].update(seed=0.5),
     "spec.design.seed: expected an integer, got float 0.5"),
    ("sweep-oat", lambda d: d["spec"].update(colour="red"), "spec.colour: unknown field"),
    ("sweep-oat", lambda d: _designs(d, {"a": 1}),
     "designs.rows[0].params.quota.startups: unexpected dict {'a': 1}"),
])
def test_a_mistyped_field_names_the_file_and_the_field(tmp_path: Path, name: str, edit: Any,
                                                       message: str) -> None:
    assert _broken(tmp_path, name, edit) == f"runs/bad/sweep.json: {message}"
