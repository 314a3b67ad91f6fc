"""A scenario's fleet as failure pools: one pool per fleet row, with its owner's hot spares.
This is the hook the national twin uses to draw failures for the whole fleet."""

from __future__ import annotations

import math

from aifab.catalog import Catalog, default_catalog
from aifab.reliability._events import PoolSpec
from aifab.reliability._model import FailureModel, failure_model, family_of
from aifab.scenario import Scenario


def fleet_pools(scenario: Scenario, catalog: Catalog | None = None,
                model: FailureModel | None = None) -> list[PoolSpec]:
    """One ``PoolSpec`` per fleet row, named ``owner/accelerator/row-index``, with the
    layout of its catalogue system, its device family and its hot-spare slots (the
    owner's share from the scenario, else the pool default)."""
    cat = catalog or default_catalog()
    fm = model or failure_model(scenario.reliability)
    shares = scenario.reliability.owner_spares_share
    out = []
    for i, f in enumerate(scenario.fleets):
        acc, sys_ = cat.accelerator(f.accelerator), cat.system(f.system)
        lay = fm.layout_for(sys_.form, sys_.accelerators_per_system)
        pool = PoolSpec(f"{f.owner}/{f.accelerator}/{i}", f.count, lay,
                        family_of(acc.id, acc.kind), owner=f.owner)
        share = shares.get(f.owner, fm.spares_share)
        out.append(PoolSpec(pool.name, pool.accelerators, lay, pool.family, owner=f.owner,
                            spare_slots=math.floor(pool.slots * share)))
    return out
