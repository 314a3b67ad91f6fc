"""Goldens of the combined report's headline document (``report.json``,
:meth:`aifab.report.ReportResult.to_dict`), recorded before it was typed (issue 23). The
stages' results are the recorded ones (the plan --json golden, the site golden read back typed,
a twin golden run), so no stage runs: plan only, with the siting, with the twin, and with
both and the caps the twin ran under; the document and ``print_report``'s table. Re-record with
``PYTHONPATH=src python tests/report/test_report_doc_goldens.py``."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from aifab._io import to_json, versioned
from aifab._plan_result import PlanResult
from aifab.grid import SiteResult
from aifab.report import ReportResult, print_report
from aifab.scenario import load_scenario
from aifab.sim.national import PowerCaps, SimResult

HERE = Path(__file__).parent
TESTS = HERE.parent
GOLDEN = HERE / "report_doc_goldens.json"
CASES = ("plan", "plan+site", "plan+simulate", "plan+site+simulate+caps")


def report(case: str) -> ReportResult:
    """The combined report of ``case`` from the recorded stage results."""
    scn = load_scenario("korea-2025")
    plan = PlanResult.from_dict(json.loads((TESTS / "commands" / "plan_goldens" /
                                            "plan-korea-2025.json").read_text()))
    siting = sim = caps = None
    if "site" in case:
        text = (TESTS / "commands" / "site_goldens" / "site-korea-2025.json").read_text()
        siting = SiteResult.from_dict(json.loads(text.replace("<t>", "1.5"))).to_siting()
    if "simulate" in case:
        run = json.loads((TESTS / "golden" / "simulate.json").read_text())["fifo-s0-caps"]
        doc = {**run["doc"], "wall_s": 1.5}  # the golden leaves out what varies by machine
        doc["events"] = {**doc["events"], "per_s": 1.5}
        sim = SimResult.from_document(doc, {})
    if "caps" in case:
        caps = PowerCaps(2028, {"Naver": 120.5, "Government": 80.0})
    return ReportResult(scenario=scn, plan=plan, siting=siting, caps=caps, sim=sim, html="")


def printed(res: ReportResult) -> str:
    """``print_report``'s table, as a 120-column terminal shows it."""
    c = Console(width=120, record=True, file=io.StringIO(), color_system=None)
    print_report(res, c)
    return c.export_text()


def texts() -> dict[str, str]:
    out = {c: to_json(versioned(report(c).to_dict())) for c in CASES}
    return {**out, **{f"{c} printed": printed(report(c)) for c in CASES}}


@pytest.mark.parametrize("case", CASES)
def test_the_headline_document_is_the_recorded_one(case: str) -> None:
    want: dict[str, Any] = json.loads(GOLDEN.read_text())
    res = report(case)
    assert to_json(versioned(res.to_dict())) == want[case]
    assert printed(res) == want[f"{case} printed"]


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(texts(), indent=1) + "\n")
    print(f"wrote {GOLDEN}")
