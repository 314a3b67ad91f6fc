"""Pin the public API: a change here is a deliberate, visible decision."""

from __future__ import annotations

import aifab
import aifab.catalog
import aifab.power
import aifab.report
import aifab.scenario


def test_top_level() -> None:
    assert sorted(aifab.__all__) == sorted([
        "AifabError", "BadInput", "Catalog", "Infeasible", "PlanResult", "Scenario",
        "__version__", "default_catalog", "load_catalog", "load_scenario", "plan",
        "plan_file", "read_plan",
    ])
    for name in aifab.__all__:
        assert hasattr(aifab, name)


def test_stage_packages() -> None:
    assert {"Accelerator", "System", "Catalog", "load_catalog"} <= set(aifab.catalog.__all__)
    assert {"Scenario", "load_scenario", "apply_override"} <= set(aifab.scenario.__all__)
    assert {"Energy", "demand_by_year", "h100_equivalents"} <= set(aifab.power.__all__)
    assert {"render_html", "plan_html", "Section"} <= set(aifab.report.__all__)
    assert {"ReportDoc", "ReportFolder", "read_report", "report_doc_file"} <= set(
        aifab.report.__all__)
    for mod in (aifab.catalog, aifab.scenario, aifab.power, aifab.report):
        for name in mod.__all__:
            assert hasattr(mod, name), (mod.__name__, name)


def test_plan_result_frames() -> None:
    r = aifab.plan(aifab.load_scenario())
    frames = r.to_frames()
    assert {"fleet", "owners", "comparisons", "peers", "assumptions", "by_year"} <= set(frames)
    assert len(frames["fleet"]) == len(r.fleet)
    assert "h100e_bf16" in frames["owners"].columns


def test_plan_is_the_function_and_its_module_is_private() -> None:
    import importlib.util

    import aifab._plan
    from aifab import plan

    assert callable(aifab.plan) and aifab.plan is plan is aifab._plan.plan
    assert importlib.util.find_spec("aifab.plan") is None  # no module to shadow it
