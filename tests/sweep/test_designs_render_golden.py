"""Golden of a quota sweep's "Designs" rendering (issue 23): the section (table, note and
one chart per metric) and designs.csv's table, as SHA-256 digests, recorded when the
renderers took the block's dict (``encode(DESIGNS)``); they take the typed
:class:`aifab.sweep.SweepDocument` ``designs`` block since, with the same digests. Four
designs over two parameters, one with no finished variant (NaN spreads), two metrics.
Re-record with
``PYTHONPATH=src python tests/sweep/test_designs_render_golden.py``."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from aifab._sweep_doc import DesignRow, Designs, Spread
from aifab.sweep._designs import design_frame, designs_section

GOLDEN = Path(__file__).with_name("designs_render_golden.json")
METRICS = ["quota.wait_h_p95", "twin.utilization"]
NAN = Spread(math.nan, math.nan, math.nan)
DESIGNS = Designs(("quota.startups", "quota.borrowing_limit"), ("sim.seed",), tuple(
    DesignRow({"quota.startups": s, "quota.borrowing_limit": b}, 3, done,
              {"quota.wait_h_p95": Spread(1.5 * s + b, 1.0 * s, 2.0 * s + b),
               "twin.utilization": Spread(0.7 - 0.01 * s, 0.6, 0.8)} if done else
              {"quota.wait_h_p95": NAN, "twin.utilization": NAN})
    for s, b, done in ((2, 0.0, 3), (4, 0.0, 2), (2, 0.5, 3), (4, 0.5, 0))))


def digests() -> dict[str, str]:
    section = designs_section(DESIGNS, METRICS)
    csv = design_frame(DESIGNS).to_csv(index=False)
    return {k: hashlib.sha256(v.encode()).hexdigest() for k, v in (
        ("title", section.title), ("body", section.body_html), ("anchor", section.anchor),
        ("csv", csv))}


def test_the_designs_rendering_is_the_recorded_one() -> None:
    assert digests() == json.loads(GOLDEN.read_text())


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(digests(), indent=1) + "\n")
    print(f"wrote {GOLDEN}")
