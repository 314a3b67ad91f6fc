"""The failure source of the twin: the stream of :func:`aifab.reliability.failure_events`
drawn once per run over the twin's powered pools (one reliability pool per twin pool,
with the layout of its catalogue system: 8-GPU servers, NVL72 trays and racks, single
cards) from its own generator (seed ``[sim.seed, 7]``), so turning failures on does not
change the arrival streams. Only a cursor into it lives in the event queue (kind
``failure``, payload: the event index)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from aifab.catalog import Catalog
from aifab.reliability import FailureEvent, FailureModel, PoolSpec, failure_events, family_of
from aifab.sim.national._model import PoolSpec as TwinPool


class FailureSource:
    """Draws the run's failures; says which domains each one takes out."""

    def __init__(self, pools: Sequence[TwinPool], horizon_s: float, seed: int,
                 model: FailureModel, catalog: Catalog,
                 owner_spares_share: dict[str, float]) -> None:
        specs: list[PoolSpec] = []
        self.slot_acc: list[int] = []
        for p in pools:
            sysm, acc = catalog.system(p.system), catalog.accelerator(p.accelerator)
            lay = model.layout_for(sysm.form, sysm.accelerators_per_system)
            fam = family_of(acc.id, acc.kind)
            spec = PoolSpec(str(p.index), p.accelerators, lay, fam, owner=p.owner)
            share = owner_spares_share.get(p.owner, model.spares_share)
            specs.append(PoolSpec(spec.name, spec.accelerators, lay, fam, owner=p.owner,
                                  spare_slots=math.floor(spec.slots * share)))
            self.slot_acc.append(lay.slot_accelerators)
        self.pools = list(pools)
        self.specs = specs
        self.family = [s.family for s in specs]
        self.rate = [model.total_rate(s.family) for s in specs]
        rng = np.random.default_rng([seed, 7])
        self.events: list[FailureEvent] = list(failure_events(specs, horizon_s, rng, model))
        self.u = rng.random(len(self.events))  # where in its domain each failure hits
        self.v = rng.random(len(self.events))  # thinning of a replaced lemon's failures
        self.target = [s.spare_slots * s.layout.slot_accelerators for s in specs]
        self.cursor = 0

    def use(self, events: Sequence[FailureEvent], hit: float = 0.0) -> None:
        """Replace the drawn stream with ``events`` (in time order), each hitting the
        accelerator at share ``hit`` of its domain's healthy ones, none thinned: a
        deterministic failure source (tests; the caller pushes the first cursor)."""
        self.events[:] = list(events)
        self.u = np.full(len(self.events), float(hit))
        self.v = np.ones(len(self.events))
        self.cursor = 0

    def take(self, k: int) -> FailureEvent:
        """Event ``k`` (it is due now); the cursor moves past it."""
        self.cursor = k + 1
        return self.events[k]

    def next_time(self, k: int) -> float | None:
        """When event ``k`` is due (None: the stream is over)."""
        return self.events[k].time_s if k < len(self.events) else None

    def domains(self, ev: FailureEvent) -> tuple[int, dict[int, int]]:
        """The domain of the hit accelerator, and accelerators taken out per domain."""
        pool = int(ev.pool)
        size = self.pools[pool].domain_size
        sa = self.slot_acc[pool]
        want: dict[int, int] = {}
        for s in ev.slots:
            lo, hi = s * sa, min((s + 1) * sa, self.pools[pool].accelerators)
            for a0 in range(lo, hi):
                want[a0 // size] = want.get(a0 // size, 0) + 1
        return ev.hit_slot * sa // size, want
