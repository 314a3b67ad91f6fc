"""The event loop: pod arrivals and departures ordered by (time, priority, sequence).

The engine knows nothing of policies or metrics: a :class:`~aifab.sim.placer.Placer`
chooses nodes, a queue policy decides what happens to a pod that does not fit, and
observers see every event after it is handled. The openb experiment of the FGD paper is
the special case with arrivals only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from aifab.sim.core import EventQueue
from aifab.sim.state import NodeCluster, Placement, PodShape

if TYPE_CHECKING:
    from aifab.sim.placer import Placer  # typing only: the engine imports no policy

IntArray = npt.NDArray[np.int64]

ARRIVAL = "arrival"
DEPARTURE = "departure"
PRIORITY = {DEPARTURE: 0, ARRIVAL: 1}
"""At equal times departures go first, so freed resources can be reused at once."""


@dataclass(order=True, frozen=True)
class Event:
    time: float
    priority: int
    seq: int
    kind: str = field(compare=False)
    pod: int = field(compare=False)


class EventObserver(Protocol):
    def on_event(self, sim: Simulation, event: Event, placement: Placement | None) -> None: ...


class UnschedulablePolicy:
    """What to do with a pod that fits nowhere. The default drops it (the paper's setup)."""

    name = "drop"

    def unschedulable(self, sim: Simulation, event: Event) -> None:
        sim.failed.append(event.pod)


@dataclass
class Workload:
    """Pods as shape ids into ``shapes``, with arrival and (optional) departure times."""

    shapes: Sequence[PodShape]
    shape_id: IntArray
    arrival: npt.NDArray[np.float64]
    departure: npt.NDArray[np.float64] | None = None

    def __len__(self) -> int:
        return len(self.shape_id)


class Simulation:
    """One run: a cluster, a placer, a workload, observers. Call :meth:`run` once."""

    def __init__(self, cluster: NodeCluster, placer: Placer, workload: Workload,
                 observers: Sequence[EventObserver] = (), queue: UnschedulablePolicy | None = None):
        self.cluster = cluster
        self.placer = placer
        self.workload = workload
        self.observers = list(observers)
        self.queue = queue or UnschedulablePolicy()
        self.now = 0.0
        self.placements: list[Placement | None] = [None] * len(workload)
        self.failed: list[int] = []
        self._events = EventQueue()
        for i, t in enumerate(workload.arrival):
            self.schedule(float(t), ARRIVAL, i)

    def schedule(self, time: float, kind: str, pod: int) -> None:
        self._events.push(time, PRIORITY[kind], (kind, pod))

    def step(self) -> Event:
        """Handle the next event and return it."""
        time, priority, seq, (kind, pod) = self._events.pop()
        ev = Event(time, priority, seq, kind, pod)
        self.now = ev.time
        placement: Placement | None = None
        wl = self.workload
        if ev.kind == ARRIVAL:
            sid = int(wl.shape_id[ev.pod])
            placement = self.placer.place(sid, wl.shapes[sid])
            if placement is None:
                self.queue.unschedulable(self, ev)
            else:
                self.placements[ev.pod] = placement
                if wl.departure is not None:
                    t = float(wl.departure[ev.pod])
                    if math.isfinite(t):
                        self.schedule(max(t, ev.time), DEPARTURE, ev.pod)
        else:
            placement = self.placements[ev.pod]
            if placement is not None:
                sid = int(wl.shape_id[ev.pod])
                self.cluster.release(wl.shapes[sid], placement)
        for ob in self.observers:
            ob.on_event(self, ev, placement)
        return ev

    def run(self, progress: Callable[[int], None] | None = None) -> None:
        """Run until no events are left; ``progress(n)`` is called every 256 events."""
        n = 0
        while self._events:
            self.step()
            n += 1
            if progress is not None and n % 256 == 0:
                progress(n)
        if progress is not None:
            progress(n)
