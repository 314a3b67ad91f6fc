"""``aifab plan --uncertainty``: headline figures with P5-P95 ranges from their assumptions.

The ranges (``data/uncertainty.yaml``, each with its source) become the parameters of a
sweep spec with a Latin-hypercube design; variants run through the same design and metric
code as ``aifab sweep``, in this process (plan-only needs no Ray and stays fast: the
scenario is overridden in memory rather than re-read per variant).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import yaml

from aifab.catalog import Catalog, default_catalog
from aifab.scenario import Scenario
from aifab.sweep._design import build_design
from aifab.sweep._sensitivity import percentiles
from aifab.sweep._spec import SweepSpec

#: Headline metrics: name -> path into ``aifab plan --json``.
HEADLINE = {
    "facility_power_mw": "plan.totals.facility_power_mw",
    "it_power_mw": "plan.totals.it_power_mw",
    "annual_energy_twh": "plan.totals.annual_energy_twh",
    "annual_cost_krw": "plan.totals.annual_cost_krw",
    "annual_cost_usd": "plan.totals.annual_cost_usd",
    "annual_co2_mt": "plan.totals.annual_co2_mt",
    "h100e_bf16": "plan.totals.h100_equivalents.bf16",
    "h100e_fp8": "plan.totals.h100_equivalents.fp8",
}


def uncertainty_ranges() -> dict[str, dict[str, Any]]:
    """The documented ranges of the plan's assumptions (with their sources)."""
    text = (resources.files("aifab.sweep") / "data" / "uncertainty.yaml").read_text("utf-8")
    return dict(yaml.safe_load(text)["parameters"])


def _param(rng: dict[str, Any], base: Any) -> dict[str, Any]:
    kind = rng["kind"]
    if kind == "choice":
        return {"values": list(rng["values"])}
    if "low_factor" in rng:
        low, high = base * rng["low_factor"], base * rng["high_factor"]
    else:
        low, high = min(rng["low"], base), max(rng["high"], base)
    if kind == "triangular":
        return {"distribution": {"kind": "triangular", "low": low, "mode": base, "high": high}}
    return {"distribution": {"kind": "uniform", "low": low, "high": high}}


def uncertainty_spec(scenario: Scenario, *, samples: int = 256, seed: int = 0) -> SweepSpec:
    """The sweep spec behind ``plan --uncertainty`` for ``scenario``."""
    ranges = uncertainty_ranges()
    params: dict[str, Any] = {}
    base = {"facility.pue": scenario.facility.pue,
            "facility.load_factor": scenario.facility.load_factor,
            "facility.system_power": scenario.facility.system_power,
            "prices.tariff_krw_per_kwh": scenario.prices.tariff_krw_per_kwh,
            "prices.krw_per_usd": scenario.prices.krw_per_usd,
            "prices.grid_co2_kg_per_kwh": scenario.prices.grid_co2_kg_per_kwh}
    for path, value in base.items():
        params[path] = _param(ranges[path], value)
    slip = ranges["delivery_years"]["values"]
    for i, f in enumerate(scenario.fleets):
        params[f"fleets.{i}.delivery_year"] = {"values": [f.delivery_year + s for s in slip]}
    return SweepSpec.model_validate({
        "name": f"{scenario.name} uncertainty", "scenario": scenario.name,
        "stages": ["plan"], "parameters": params, "metrics": dict(HEADLINE),
        "design": {"kind": "lhs", "samples": samples, "seed": seed}})


@dataclass(frozen=True)
class UncertaintyResult:
    """P5/P50/P95 of each headline figure and of facility MW online by year."""

    samples: int
    seed: int
    totals_range: dict[str, dict[str, float]]
    by_year_range: dict[str, dict[str, float]]
    by_year_samples: dict[str, list[float]]
    ranges: dict[str, dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """``totals_range``, ``by_year_range`` and the assumption ranges used."""
        return {"samples": self.samples, "seed": self.seed, "totals_range": self.totals_range,
                "by_year_range": self.by_year_range, "assumption_ranges": self.ranges}


def _override(base_doc: dict[str, Any], params: dict[str, Any]) -> Scenario:
    """``base_doc`` with the variant's values set, validated (no file re-read)."""
    import copy

    doc = copy.deepcopy(base_doc)
    for path, value in params.items():
        *head, last = path.split(".")
        node: Any = doc
        for part in head:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[int(last) if isinstance(node, list) else last] = value
    return Scenario.model_validate(doc)


def plan_uncertainty(scenario: Scenario, catalog: Catalog | None = None, *,
                     samples: int = 256, seed: int = 0) -> UncertaintyResult:
    """Latin-hypercube sample of the plan's assumptions -> P5/P50/P95 of its figures."""
    from aifab.sweep._stages import plan_stage
    from aifab.sweep._variant import extract

    cat = catalog or default_catalog()
    spec = uncertainty_spec(scenario, samples=samples, seed=seed)
    design = build_design(spec)
    base_doc = scenario.model_dump(mode="json")
    values: dict[str, list[float]] = {m: [] for m in HEADLINE}
    shares: dict[str, list[float]] = {}
    years: list[dict[int, float]] = []
    for params in design.variants:
        doc = plan_stage(_override(base_doc, params), cat, {})
        for m, path in HEADLINE.items():
            values[m].append(extract(doc, path.split(".")[1:], m))
        for c in doc["comparisons"]:
            shares.setdefault(f"share_of_{c['region'].lower()}", []).append(c["share"])
        per_year: dict[int, float] = {}
        for r in doc["by_year"]:
            per_year[int(r["year"])] = per_year.get(int(r["year"]), 0.0) + r["facility_mw"]
        years.append(per_year)
    values.update(shares)
    n = len(design.variants)
    all_years = sorted({y for py in years for y in py})
    samples_by_year: dict[str, list[float]] = {str(y): [] for y in all_years}
    for py in years:
        # Before a variant's first delivery nothing is online; after its last, all of it.
        for y in all_years:
            known = [k for k in py if k <= y]
            samples_by_year[str(y)].append(py[max(known)] if known else 0.0)
    ranges = uncertainty_ranges()
    return UncertaintyResult(
        samples=n, seed=seed,
        totals_range={m: percentiles(v) for m, v in values.items()},
        by_year_range={y: percentiles(v) for y, v in samples_by_year.items()},
        by_year_samples={y: [float(x) for x in np.asarray(v)] for y, v in
                         samples_by_year.items()},
        ranges=ranges)

