"""The twin's report: formatted numbers, summary and run context, preemptions that add up."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from aifab.report._sim import WARMUP_ROW, preemption_rows, print_sim, sim_sections
from aifab.report._style import PALETTE
from aifab.scenario import load_scenario
from aifab.sim.national import SimResult, simulate


@pytest.fixture(scope="module")
def result() -> SimResult:
    scn = load_scenario(None, ["sim.scale=0.05", "sim.days=3", "sim.warmup_days=1"])
    return simulate(scn)


def test_preemption_rows_add_up_with_the_warm_up_row(result: SimResult) -> None:
    s = result.summary
    a, b = (replace(s.tenants[0], tenant="a", preemptions=3),
            replace(s.tenants[1], tenant="b", preemptions=1))
    doc = replace(s, tenants=(a, b), jobs=replace(s.jobs, preemptions=6))
    rows = preemption_rows(doc)
    assert rows[-1] == (WARMUP_ROW, 2)
    assert sum(n for _, n in rows) == 6
    doc = replace(doc, jobs=replace(s.jobs, preemptions=4))
    assert [n for _, n in preemption_rows(doc)] == [3, 1]


def test_run_rows_add_up_and_warm_up_is_recorded(result: SimResult) -> None:
    s = result.summary
    assert s.warmup_days == 1.0 and result.to_dict()["warmup_days"] == 1.0
    assert sum(n for _, n in preemption_rows(s)) == s.jobs.preemptions


def test_sections_summary_context_and_formats(result: SimResult) -> None:
    secs = sim_sections(result, ["Naver", "Samsung", "SK", "Hyundai", "Government"])
    first = secs[0]
    summary, context = dict(first.summary), dict(first.context)
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", summary["GPUs"])
    assert summary["utilisation (allocated)"].endswith("%")
    assert context["warm-up"].startswith("1 days, left out")
    assert context["seed"] == "0" and context["scale"] == "5% of the fleet"
    body = "".join(s.body_html for s in secs)
    assert not re.search(r">\d[\d,]*\.000<", body)  # counts never as 267,976.000
    tables = re.findall(r"<table.*?</table>", body, flags=re.S)
    assert tables and not any("{" in t for t in tables)  # no raw JSON in a table
    assert "stranded_idle" not in body and "jct_p50_h" not in body
    assert "unallocated: no demand" in body and "job completion time, median (h)" in body
    # tenants coloured by owner in the scenario's order: Naver first, Government fifth
    assert f'"color":["{PALETTE[0]}","{PALETTE[1]}"' in body.replace(" ", "")
    assert PALETTE[4] in body
    assert '"rangemode":"nonnegative"' in body.replace(" ", "")


def test_terminal_shows_shares_and_a_total_row(result: SimResult) -> None:
    c = Console(record=True, width=100)
    print_sim(result, c)
    text = c.export_text()
    assert "%" in text and "total" in text
    assert not re.search(r"\d\.000\b", text)


def test_summary_json_has_warmup_days(tmp_path: Path, result: SimResult) -> None:
    from aifab.report import write_sim_outputs

    write_sim_outputs(result, tmp_path)
    assert json.loads((tmp_path / "summary.json").read_text())["warmup_days"] == 1.0
    assert "the day axis starts there" in (tmp_path / "report.html").read_text()
