"""Block size sets cost, not how many GPUs get power: blocks are shared by a site's owners
and the last one may be part-used (issue 20, item 4)."""

from __future__ import annotations

import pandas as pd
import pytest

from aifab.grid import OwnerPrefs, SitingProblem, solve_siting
from aifab.scenario._siting import OwnerSiting

from .conftest import toy_data, toy_problem


@pytest.mark.parametrize("block_mw", [10.0, 20.0, 40.0])
def test_ramp_below_a_block_still_powers_gpus(block_mw):
    # Only the Gangwon site is open and it may ramp to 30 MW: not a multiple of 20 or 40.
    # 30 MW (PUE 1.0) are powered whatever the block size; 70 MW IT (70,000 GPUs) wait.
    data = toy_data(gangwon_site_mw=30.0, jeonnam_site_mw=0.0, seoul_site_mw=0.0)
    p = toy_problem(100.0)
    p = SitingProblem(demand=p.demand, owners=p.owners, load_factor=1.0,
                      options=p.options.model_copy(update={"block_mw": block_mw}))
    r = solve_siting(p, data, calibrate_base=False)
    assert r.unpowered_gpus_by_year == {2030: 70_000}
    built = float(r.placements["blocks_mw"].sum())
    assert built == pytest.approx(-(-30 // block_mw) * block_mw)  # whole blocks, last part-used
    assert float(r.placements["mw"].sum()) == pytest.approx(30.0)


def test_two_owners_share_one_block():
    # A 40 MW site and two owners of 20 MW IT each: one shared 40 MW block powers both (with
    # a block per owner only one would fit).
    data = toy_data(gangwon_site_mw=40.0, jeonnam_site_mw=0.0, seoul_site_mw=0.0)
    p = toy_problem(20.0)
    demand = pd.DataFrame([{"owner": o, "year": 2030, "accelerators": 20_000.0, "it_mw": 20.0}
                           for o in ("A", "B")])
    owners = tuple(OwnerPrefs(o, "Seoul", OwnerSiting()) for o in ("A", "B"))
    r = solve_siting(SitingProblem(demand=demand, owners=owners, options=p.options), data,
                     calibrate_base=False)
    assert r.unpowered_gpus_by_year == {2030: 0}
    g = r.placements.set_index("owner")
    assert float(g.at["A", "mw"]) == pytest.approx(20.0)
    assert float(g.at["B", "mw"]) == pytest.approx(20.0)
    assert float(g["blocks_mw"].sum()) == pytest.approx(40.0)
