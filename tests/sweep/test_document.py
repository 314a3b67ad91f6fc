"""The sweep's own document, typed (issue 23): :class:`SweepDocument`'s ``to_dict()`` gives
the ``aifab sweep --json`` text recorded before it was typed, byte for byte; a quota
sweep's ``designs`` read back typed; a bad field is exit 2 naming it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aifab._io import to_json, versioned
from aifab.errors import BadInput
from aifab.sweep import SweepDocument

GOLDEN = Path(__file__).parents[1] / "commands" / "sweep_goldens"


@pytest.mark.parametrize("name", ["sweep-oat", "sweep-sobol"])
def test_the_typed_document_gives_the_golden_text(name: str) -> None:
    text = (GOLDEN / f"{name}.json").read_text().replace("<t>", "0.25")
    doc = SweepDocument.from_dict(json.loads(text))
    assert to_json(versioned(doc.to_dict())) + "\n" == text
    assert doc.sensitivity is not None and doc.summary is not None
    assert doc.sensitivity.method == ("tornado" if name == "sweep-oat" else "sobol")
    assert doc.failed == (1 if name == "sweep-oat" else 0) and doc.designs is None


def test_designs_read_back_typed() -> None:
    text = (GOLDEN / "sweep-oat.json").read_text().replace("<t>", "0.25")
    raw = json.loads(text)
    raw["designs"] = {"group_by": ["quota.startups"], "over": ["sim.seed"], "rows": [
        {"params": {"quota.startups": 10}, "variants": 3, "done": 2,
         "metrics": {"tok_s": {"mean": 2.0, "min": 1.0, "max": 3.0}}}]}
    doc = SweepDocument.from_dict(raw)
    assert doc.designs is not None and doc.designs.rows[0].metrics["tok_s"].max == 3.0
    assert json.loads(to_json(versioned(doc.to_dict()))) == raw


def test_a_bad_field_is_named() -> None:
    raw = json.loads((GOLDEN / "sweep-oat.json").read_text().replace("<t>", "0.25"))
    raw["errors"][0]["variants"] = "one"
    with pytest.raises(BadInput) as exc:
        SweepDocument.from_dict(raw, "runs/s/sweep.json")
    assert exc.value.exit_code == 2
    assert str(exc.value) == ("runs/s/sweep.json: errors[0].variants: expected an integer, "
                              "got str 'one'")


def test_a_site_metric_reaches_the_site_stages_year_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sweep's site stage gives ``site --json``'s document (year keys as text), so a
    metric path such as ``site.unpowered_gpus_by_year.2026`` reaches its number (the
    stage's integer keys could not be reached before). The siting is the golden run's,
    read back typed (no solver)."""
    import aifab.grid
    from aifab import load_scenario
    from aifab.catalog import default_catalog
    from aifab.grid import SiteResult
    from aifab.sweep._stages import site_stage
    from aifab.sweep._variant import extract

    text = (GOLDEN.parent / "site_goldens" / "site-korea-2025.json").read_text()
    siting = SiteResult.from_dict(json.loads(text.replace("<t>", "1.5"))).to_siting()
    monkeypatch.setattr(aifab.grid, "site", lambda *a, **k: siting)
    doc = site_stage(load_scenario(), default_catalog(), {"hours": 24})
    assert extract(doc, ["unpowered_gpus_by_year", "2026"], "metric") == 1783.0
    assert extract(doc, ["co2_mt", "2028"], "metric") == siting.co2_mt_by_year[2028]


def test_the_plan_stage_gives_the_plan_commands_golden_text() -> None:
    """One schema per stage: the sweep's plan stage is ``aifab plan --json`` byte for byte
    (the plan golden recorded before the plan stage was typed)."""
    from aifab import load_scenario
    from aifab.catalog import default_catalog
    from aifab.sweep._stages import plan_stage

    want = (GOLDEN.parent / "plan_goldens" / "plan-korea-2025.json").read_text()
    assert to_json(versioned(plan_stage(load_scenario(), default_catalog(), {}))) + "\n" == want
