"""Colours with one meaning: owner colours only for owners; every other series (states,
causes, sweep bands, compared runs) in its own colour, the same in report and dashboard."""

from __future__ import annotations

import re
from typing import Any

import pytest

from aifab.report._style import PALETTE, SERIES_COLOURS
from aifab.serve import _figures as F

pytestmark = pytest.mark.slow  # heavy: runs in make test and CI, not in make test-fast


def _colour(trace: Any) -> str | None:
    line = trace.get("line") or {}
    marker = trace.get("marker") or {}
    c = line.get("color") or marker.get("color")
    return c if isinstance(c, str) else None


def test_series_colours_are_never_owner_colours() -> None:
    owner = {c.lower() for c in PALETTE}
    assert not {c.lower() for c in SERIES_COLOURS.values()} & owner


def test_twin_series_have_the_same_colour_in_report_and_dashboard(
        results: dict[str, Any]) -> None:
    """The twin's report.html (written by ``simulate --out``) and the Twin page draw each
    series (allocated, busy, serving inference, causes of unallocated) in one colour."""
    import json

    run = results["root"] / "runs" / "sim-a"
    page = (run / "report.html").read_text()
    report: dict[str, str] = {}
    for m in re.finditer(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*", page):
        traces, _ = json.JSONDecoder().raw_decode(page, m.end())
        for tr in traces:
            c = _colour(tr)
            if tr.get("name") and c:
                report[tr["name"]] = c
    from aifab.sim.national import SimResult

    figs = F.twin_figures(SimResult.read(run, F.TWIN_TABLES))
    ours = {tr.name: tr.line.color for k in ("twin-acc", "twin-power", "twin-stranded")
            for tr in figs[k].data}
    shared = set(ours) & set(report)
    assert {"allocated", "busy (training and batch)", "unallocated: no power"} <= shared
    assert {n: ours[n] for n in shared} == {n: report[n] for n in shared}
    assert not {c.lower() for c in ours.values()} & {c.lower() for c in PALETTE}
