"""The national twin's event loop: runs a :class:`~.model.Twin` in slices.

All events at one instant are handled before the queue policy runs once over the
partitions they touched ("dirty"). :meth:`Runner.run` stops between instants, so the
state it leaves (for a checkpoint, say) is consistent: continuing it gives exactly what
one uninterrupted run gives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from aifab.sim.core import EventQueue
from aifab.sim.national._fleet import FleetState
from aifab.sim.national._job import Job
from aifab.sim.national._meters import Counts, Integrals, Records, TimeSeries
from aifab.sim.national._model import Twin
from aifab.sim.national._observers import Bus, Observer
from aifab.sim.national._ops import ARRIVE, END, EVICT, RESET, SAMPLE, SCALE, WAKE, Operations
from aifab.sim.national._protocol import QueuePolicy
from aifab.sim.national._queues import Queues
from aifab.sim.national._services import Services
from aifab.workload.synthetic import ClassSampler

Handler = Callable[[Any], None]
"""An event kind's handler: gets the payload (its kind's type, :mod:`._events`)."""


class Runner:
    """One run of a twin with an injected queue policy."""

    def __init__(self, twin: Twin, policy: QueuePolicy) -> None:
        st = twin.settings
        self.twin, self.policy = twin, policy
        self.rng = np.random.default_rng(st.seed)
        self.events = EventQueue()
        self.dirty: set[int] = set()
        self.queues = Queues([twin.partition_of(t.owner).index for t in twin.tenants],
                             self.dirty)
        self.fleet = FleetState(twin, self.dirty)
        self.bus = Bus()
        self.ops = Operations(twin, self.fleet, self.queues, self.events, self.bus)
        self.services = Services(twin)
        self.counts, self.records = Counts(), Records()
        self.integrals = Integrals(self.fleet, self.queues)
        self.series = TimeSeries(twin, self.fleet, self.queues, self.services, policy.lends)
        for ob in (self.counts, self.records, self.integrals, self.series, self.services):
            self.bus.add(ob)
        P = len(twin.partitions)
        self.samplers = {(p, c): ClassSampler(spec, twin.max_sizes[p])
                         for p in range(P) for c, spec in enumerate(twin.classes)}
        self.streams = [(t.index, c, rate) for t in twin.tenants for c, rate in t.streams
                        if rate > 0]
        self.handlers: dict[int, Handler] = {
            END: self.ops.on_end, EVICT: self.ops.on_evict,
            SCALE: self._scale, ARRIVE: self._arrive,
            SAMPLE: self._sample, RESET: self._reset, WAKE: self._wake}
        self.woken = False  # a WAKE at this instant: the policy is scheduled
        self.next_id = 0
        self.n_events = 0
        self.sliced_to = 0.0  # where the last run(until=...) stopped
        self.finished = False
        self.progress: Callable[[float], None] | None = None
        push = self.events.push
        for s, (_t, _c, rate) in enumerate(self.streams):
            push(self.rng.exponential(1.0 / rate), ARRIVE, s)
        if twin.replay is not None and len(twin.replay):
            push(float(twin.replay.submit_s[0]), ARRIVE, -1)
        if twin.services:
            push(0.0, SCALE, None)
        push(0.0, SAMPLE, None)
        if twin.warmup_s > 0:
            push(twin.warmup_s, RESET, None)

    @property
    def now(self) -> float:
        return self.ops.now

    def add(self, ob: Observer, handlers: dict[int, Handler] | None = None) -> None:
        """Attach an observer (a meter, an event source) and the handlers of its own event
        kinds (from :func:`._events.register_source`: the kind is the priority at equal
        times); it pushes its events on ``self.events`` with payloads of the kind's
        registered type (None, an int or a NamedTuple of ints: what checkpoints store)."""
        for kind in handlers or {}:
            if kind in self.handlers:
                raise ValueError(f"event kind {kind} is taken")
        self.bus.add(ob)
        self.handlers.update(handlers or {})

    def run(self, until: float | None = None) -> None:
        """Advance to ``until`` seconds (default: the horizon); stops between instants."""
        horizon = self.twin.horizon_s
        stop = horizon if until is None else min(until, horizon)
        heap, pop, handlers = self.events.heap, self.events.pop, self.handlers
        ops, advance, dirty, policy = self.ops, self.integrals.advance, self.dirty, self.policy
        n = 0
        while heap and heap[0][0] < stop:
            t = heap[0][0]
            advance(t)
            ops.now = t
            while heap and heap[0][0] == t:
                _, kind, _, payload = pop()
                n += 1
                handlers[kind](payload)
            if dirty or self.woken:
                policy.schedule(ops, dirty)
                dirty.clear()
                self.woken = False
        self.n_events += n
        self.sliced_to = stop
        if until is None or until >= horizon:
            advance(horizon)
            ops.now = horizon
            self.finished = True

    # -- event handlers ----------------------------------------------------------------
    def _scale(self, _: object) -> None:
        st, t = self.twin.settings, self.ops.now
        dt = min(st.scale_interval_h * 3600.0, self.twin.horizon_s - t)
        self.services.tick(self.ops, t, dt)
        self.events.push(t + st.scale_interval_h * 3600.0, SCALE, None)

    def _sample(self, _: object) -> None:
        t = self.ops.now
        self.series.sample(t)
        self.events.push(t + self.twin.settings.sample_h * 3600.0, SAMPLE, None)
        if self.progress is not None:
            self.progress(t)

    def _wake(self, _: object) -> None:
        self.woken = True

    def _reset(self, _: object) -> None:
        """End of the warm-up: forget everything measured so far (jobs keep running)."""
        for f in self.bus.warm:
            f()

    def _arrive(self, s: int) -> None:
        tw, now = self.twin, self.ops.now
        if s < 0:  # job -s-1 of the replayed job list
            i = -s - 1
            rp = tw.replay
            assert rp is not None
            tenant = tw.replay_tenant
            cls = tw.class_names.index("research") if "research" in tw.class_names else 0
            n = int(min(rp.num_gpus[i], tw.max_sizes[self.queues.home[tenant]]))
            job = Job(self.next_id, tenant, cls, n, float(rp.duration_s[i]), now,
                      tw.classes[cls].priority)
            if i + 1 < len(rp):
                self.events.push(float(rp.submit_s[i + 1]), ARRIVE, -(i + 2))
        else:
            tenant, cls, rate = self.streams[s]
            smp = self.samplers[(self.queues.home[tenant], cls)]
            n = smp.size(self.rng)
            work = smp.duration_s(self.rng)
            job = Job(self.next_id, tenant, cls, n, work, now, tw.classes[cls].priority)
        self.next_id += 1
        self.ops.submit(job)
        if s >= 0:
            self.events.push(now + self.rng.exponential(1.0 / rate), ARRIVE, s)
