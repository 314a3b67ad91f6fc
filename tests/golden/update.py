"""Regenerate the golden summaries: `python tests/golden/update.py` (review the diff!)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aifab import load_scenario, plan

HERE = Path(__file__).parent
KEYS = ("accelerators", "gpus", "npus", "it_power_mw", "facility_power_mw", "annual_energy_twh",
        "annual_cost_krw", "annual_co2_mt", "h100_equivalents")


def summary(name: str) -> dict[str, Any]:
    """The figures a golden file pins for an embedded scenario."""
    r = plan(load_scenario(name))
    pick = lambda s: {k: getattr(s, k) for k in KEYS}  # noqa: E731
    return {
        "scenario": name,
        "totals": pick(r.totals),
        "owners": {o.name: pick(o) for o in r.owners},
        "comparisons": {c.region: c.share for c in r.comparisons},
        "peer_ranks": {p.name: [p.rank_by_count, p.ranks] for p in r.peers},
    }


if __name__ == "__main__":
    for name in ("korea-2025", "article-250k"):
        doc = summary(name)
        (HERE / f"{name}-plan.json").write_text(json.dumps(doc, indent=2) + "\n")
