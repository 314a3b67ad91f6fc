"""Failure events for pools of accelerators: the stream the job Monte Carlo and the national
twin consume. Each pool fails as a Poisson process at (accelerators x total rate); each
event hits one accelerator chosen uniformly, names its class and what it takes out.

Consumers apply two rules the stream cannot know: a failure whose hit slot is already in
repair is ignored (broken hardware does not fail again), and a ``software`` failure counts
only where the hit slot is running a job (idle hardware runs no job software).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from aifab.errors import BadInput
from aifab.reliability._model import CLASSES, FailureModel, Layout

DAY_S = 86400.0


@dataclass(frozen=True)
class PoolSpec:
    """A pool of identical accelerators in one layout (one fleet row, one owner's block)."""

    name: str
    accelerators: int
    layout: Layout
    family: str = "hopper"
    owner: str = ""
    spare_slots: int = 0  # hot spares held back from allocation (slots)

    @property
    def slots(self) -> int:
        """Allocation slots (servers, trays or single GPUs), rounding a partial one up."""
        return -(-self.accelerators // self.layout.slot_accelerators)


@dataclass(frozen=True)
class FailureEvent:
    """One failure: when, why, where, what it takes out and for how long."""

    time_s: float
    cause: str
    pool: str
    hit_slot: int
    slots: tuple[int, ...]  # slots taken out of service (blast radius), hit slot first
    accelerators: int  # blast radius in accelerators
    repair_s: float
    hands_on_h: float
    hardware: bool
    lemon: bool = False  # the hit slot is a lemon (a hardware failure drawn at its rate)


def lemon_slots(slots: int, model: FailureModel, rng: np.random.Generator) -> np.ndarray:
    """Which of a pool's ``slots`` are lemons (a sorted array; empty when off)."""
    k = round(model.lemon_share * slots)
    if k <= 0 or model.lemon_multiplier == 1.0 or k >= slots:
        return np.zeros(0, dtype=np.int64)
    return np.sort(rng.choice(slots, size=k, replace=False)).astype(np.int64)


def _one_pool(pool: PoolSpec, model: FailureModel, horizon_s: float,
              start_s: float, rng: np.random.Generator) -> Iterator[FailureEvent]:
    rates = model.class_rates(pool.family)
    total = sum(rates.values())
    if total <= 0 or pool.accelerators <= 0:
        return
    probs = np.array([rates[c] for c in CLASSES]) / total
    per_s = pool.accelerators * total / DAY_S
    lay = pool.layout
    racks = -(-pool.slots // lay.slots_per_rack)
    # lemons: drawn from a generator spawned off the pool's (so without lemons the
    # stream is the uniform one, draw for draw)
    lemons = lemon_slots(pool.slots, model, rng.spawn(1)[0]) if model.lemon_share > 0 \
        else np.zeros(0, dtype=np.int64)
    if len(lemons):
        normal = np.setdiff1d(np.arange(pool.slots), lemons)
        weight = len(lemons) * model.lemon_multiplier
        p_lemon = weight / (weight + len(normal))
    t = start_s
    while True:
        t += float(rng.exponential(1.0 / per_s))
        if t >= horizon_s:
            return
        cls = CLASSES[int(rng.choice(len(CLASSES), p=probs))]
        lemon = False
        if len(lemons) and cls in model.hardware:  # hardware fails at the slot's own rate
            lemon = bool(rng.random() < p_lemon)
            pick = lemons if lemon else normal
            hit = int(pick[int(rng.integers(len(pick)))])
        else:
            hit = int(rng.integers(pool.accelerators)) // lay.slot_accelerators
        units = model.blast_units(lay.kind, cls)
        unit = units[0][0] if len(units) == 1 else units[
            int(rng.choice(len(units), p=[p for _, p in units]))][0]
        if unit == "rack" and racks > 0:
            r0 = (hit // lay.slots_per_rack) * lay.slots_per_rack
            others = [s for s in range(r0, min(r0 + lay.slots_per_rack, pool.slots)) if s != hit]
            slots = (hit, *others)
        else:
            slots = (hit,)
        n_acc = sum(min(lay.slot_accelerators,
                        pool.accelerators - s * lay.slot_accelerators) for s in slots)
        yield FailureEvent(
            time_s=t, cause=cls, pool=pool.name, hit_slot=hit, slots=slots,
            accelerators=n_acc, repair_s=model.repair[cls].draw_s(rng),
            hands_on_h=model.hands_on_h[lay.kind][cls], hardware=cls in model.hardware,
            lemon=lemon)


def failure_events(pools: Sequence[PoolSpec], horizon_s: float, rng: np.random.Generator,
                   model: FailureModel, *, start_s: float = 0.0) -> Iterator[FailureEvent]:
    """Failure events of all ``pools`` in time order over [start_s, horizon_s).

    Each pool draws from its own child generator (spawned from ``rng`` in pool order), so
    adding a pool does not change the events of the others.
    """
    names = [p.name for p in pools]
    if len(set(names)) != len(names):
        raise BadInput("pool names must be unique", where="pools")
    children = rng.spawn(len(pools))
    streams = [_one_pool(p, model, horizon_s, start_s, g)
               for p, g in zip(pools, children, strict=True)]
    heap: list[tuple[float, int, FailureEvent]] = []
    for i, s in enumerate(streams):
        ev = next(s, None)
        if ev is not None:
            heap.append((ev.time_s, i, ev))
    heapq.heapify(heap)
    while heap:
        _, i, ev = heapq.heappop(heap)
        yield ev
        nxt = next(streams[i], None)
        if nxt is not None:
            heapq.heappush(heap, (nxt.time_s, i, nxt))
