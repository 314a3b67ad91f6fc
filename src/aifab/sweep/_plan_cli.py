"""Terminal and file output of ``aifab plan --uncertainty`` (tables, CSV, HTML sections)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from aifab._plan import PlanResult
from aifab.sweep._uncertainty import UncertaintyResult

_UNITS = {"facility_power_mw": "MW", "it_power_mw": "MW", "annual_energy_twh": "TWh/yr",
          "annual_cost_krw": "KRW/yr", "annual_cost_usd": "USD/yr", "annual_co2_mt": "Mt/yr",
          "h100e_bf16": "H100e", "h100e_fp8": "H100e"}


def point_values(result: PlanResult) -> dict[str, float]:
    """The plan's own (point) value of each metric of ``totals_range``."""
    t = result.totals
    out = {"facility_power_mw": t.facility_power_mw, "it_power_mw": t.it_power_mw,
           "annual_energy_twh": t.annual_energy_twh, "annual_cost_krw": t.annual_cost_krw,
           "annual_cost_usd": t.annual_cost_usd, "annual_co2_mt": t.annual_co2_mt,
           "h100e_bf16": t.h100_equivalents["bf16"], "h100e_fp8": t.h100_equivalents["fp8"]}
    for c in result.comparisons:
        out[f"share_of_{c.region.lower()}"] = c.share
    return out


def uncertainty_frame(result: PlanResult, unc: UncertaintyResult) -> pd.DataFrame:
    """One row per headline metric: unit, point value, P5, P50, P95."""
    point = point_values(result)
    return pd.DataFrame([{"metric": m, "unit": _UNITS.get(m, "share"),
                          "point": point.get(m, math.nan), **v}
                         for m, v in unc.totals_range.items()])


def print_uncertainty(unc: UncertaintyResult, c: Console, result: PlanResult | None = None
                      ) -> None:
    """The ranges as a table (and the assumption ranges they come from)."""
    point = point_values(result) if result is not None else {}
    t = Table("figure", "unit", "plan", "P5", "P50", "P95", title=f"Ranges from {unc.samples} "
              "samples of the assumptions (Latin hypercube)", title_justify="left")
    for m, v in unc.totals_range.items():
        share = m.startswith("share_of_")
        vals = [point.get(m, math.nan), v["p5"], v["p50"], v["p95"]]
        t.add_row(m, _UNITS.get(m, "share"), *(
            "-" if x != x else f"{x:.1%}" if share else f"{x:,.4g}" for x in vals))
    c.print(t)
    y = Table("year", "P5 MW", "P50 MW", "P95 MW", title="Facility MW online by year",
              title_justify="left")
    for yr, v in unc.by_year_range.items():
        y.add_row(yr, *(f"{v[k]:,.0f}" for k in ("p5", "p50", "p95")))
    c.print(y)
    c.print("Assumption ranges: " + "; ".join(
        f"{k} ({v['kind']})" for k, v in unc.ranges.items()) + " (sources in plan --json)")


def write_uncertainty(result: PlanResult, unc: UncertaintyResult, tmp: Path) -> None:
    """uncertainty.csv, by_year_range.csv and the plan report with a ranges section."""
    from aifab.report import (
        Section,
        figure_html,
        plan_sections,
        render_html,
        series_fan_figure,
        table_html,
        write_page,
    )

    frame = uncertainty_frame(result, unc)
    frame.to_csv(tmp / "uncertainty.csv", index=False)
    years = list(unc.by_year_samples)
    pd.DataFrame([{"year": y, **unc.by_year_range[y]} for y in years]).to_csv(
        tmp / "by_year_range.csv", index=False)
    samples = np.array([unc.by_year_samples[y] for y in years]).T
    fan = series_fan_figure(years, samples, "Facility MW online by year (fan: P5-P95, "
                            "P25-P75, median)", "MW")
    src = pd.DataFrame([{"assumption": k, "kind": v["kind"], "source": v["source"]}
                        for k, v in unc.ranges.items()])
    sec = Section("Uncertainty", table_html(frame, "{:,.4g}") + figure_html(fan, "unc-fan")
                  + table_html(src), "uncertainty")
    write_page(tmp / "report.html", render_html(f"aifab plan: {result.scenario}",
                                                [*plan_sections(result), sec],
                                                result.description))

