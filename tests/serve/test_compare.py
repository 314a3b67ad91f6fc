"""Compare: B - A and %, counts of twin runs on one footing across fleet scales."""

from __future__ import annotations

from typing import Any

from aifab.serve._compare import compare_frames


def test_money_difference_in_korean() -> None:
    import dataclasses

    from aifab import load_scenario
    from aifab import plan as make_plan

    r = make_plan(load_scenario("korea-2025"))

    def costing(krw: float) -> tuple[str, Any]:
        return "plan", dataclasses.replace(r, totals=dataclasses.replace(
            r.totals, annual_cost_krw=krw))

    figs, inputs = compare_frames(costing(8.0e11), costing(9.5e11), "ko")
    row = next(r for r in figs.to_dict("records") if r["지표"] == "전기 요금 (원/년)")
    assert row["A"] == "8,000억 원" and row["B − A"] == "+1,500억 원"
    assert inputs.empty


def test_plan_changes_against_the_scenario() -> None:
    """The Plan page's "what changed": only PUE differs; facility power, energy and cost
    move by PUE's ratio (facility power is IT power times PUE)."""
    from aifab import plan
    from aifab.scenario import Scenario, load_scenario
    from aifab.serve._cb_plan import _is_npu
    from aifab.serve._compare import plan_changes

    base = load_scenario("korea-2025")
    doc = base.model_dump()
    doc["facility"]["pue"] = 1.5
    scn = Scenario.model_validate(doc)
    pa, pb = plan(base), plan(scn)
    figs, inputs = plan_changes(base, scn, pa, pb, _is_npu, "en")
    assert inputs.to_dict("records") == [
        {"input": "PUE", "scenario (A)": f"{base.facility.pue:.2f}", "now (B)": "1.50"}]
    want = f"{(1.5 / base.facility.pue - 1) * 100:+.1f}%"
    rows = {r["figure"]: r for r in figs.to_dict("records")}
    for k in ("facility power (MW)", "energy (TWh/year)", "electricity cost (KRW/year)"):
        assert rows[k]["change"] == want, rows[k]
    assert rows["accelerators"]["B − A"] == "+0"
    diff = pb.totals.facility_power_mw - pa.totals.facility_power_mw
    assert rows["facility power (MW)"]["B − A"] == f"+{diff:.1f}"
    same, none = plan_changes(base, base, pa, pa, _is_npu, "ko")
    assert len(none) == 0 and set(same["변화율"]) == {"+0.0%"}
