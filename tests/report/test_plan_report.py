"""The plan's tables say GPUs and NPUs apart (terminal and HTML)."""

from __future__ import annotations

from rich.console import Console

from aifab import load_scenario, plan
from aifab.report import plan_sections
from aifab.report._plan import print_plan


def test_gpus_and_npus_apart() -> None:
    r = plan(load_scenario("korea-2025"))
    assert r.totals.npus > 0 and r.totals.gpus + r.totals.npus == r.totals.accelerators
    c = Console(record=True, width=80)
    print_plan(r, c)
    text = c.export_text()
    head = next(line for line in text.splitlines() if line.startswith("owner") and "NPUs" in line)
    assert "GPUs" in head
    total = next(line for line in text.splitlines() if line.startswith("total")
                 and f"{r.totals.npus:,}" in line)
    assert f"{r.totals.gpus:,}" in total
    html = "".join(s.body_html for s in plan_sections(r))
    assert ">NPUs</th>" in html and ">GPUs</th>" in html and ">NPU</td>" in html
    assert f"<b>{r.totals.npus:,}</b> NPUs" in html
