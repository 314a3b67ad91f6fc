"""The narrow protocol between the twin's loop and its queue policies.

A policy sees a :class:`Cluster` (what it may read and do) and is a :class:`QueuePolicy`
(what the loop calls). The loop (:mod:`._runner`) knows only these, never a policy class.
An extension (curtailment, failures) sees a :class:`RunContext`, the end-of-run summary a
read-only :class:`RunView`, not the runner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from aifab.scenario import SimSettings
from aifab.sim.national._job import Job
from aifab.sim.national._model import Partition
from aifab.sim.national._pools import PoolState
from aifab.sim.national._queues import Queues

if TYPE_CHECKING:
    from aifab.sim.core import EventQueue
    from aifab.sim.national._fleet import FleetState
    from aifab.sim.national._meters import Counts, Integrals, Records, TimeSeries
    from aifab.sim.national._model import Twin
    from aifab.sim.national._observers import Bus, Observer
    from aifab.sim.national._ops import Operations
    from aifab.sim.national._services import Services


class FleetView(Protocol):
    """Occupancy a policy may read."""

    @property
    def pools(self) -> list[PoolState]: ...
    @property
    def running(self) -> list[dict[int, Job]]: ...
    @property
    def reclaiming(self) -> list[int]: ...
    @property
    def gen(self) -> list[int]: ...  # bumped whenever a partition's occupancy changes
    @property
    def starts(self) -> list[int]: ...  # bumped whenever a job starts in a partition
    @property
    def talloc(self) -> Any: ...  # accelerators held per tenant


class Cluster(Protocol):
    """What a queue policy may see and do (implemented by :class:`._ops.Operations`)."""

    @property
    def now(self) -> float: ...
    @property
    def settings(self) -> SimSettings: ...
    @property
    def partitions(self) -> Sequence[Partition]: ...
    @property
    def queues(self) -> Queues: ...
    @property
    def fleet(self) -> FleetView: ...
    @property
    def entitled(self) -> list[int]: ...  # accelerators each tenant is entitled to (>= 1)
    @property
    def min_speed(self) -> list[float]: ...  # per partition: its slowest pool's speed

    def try_start(self, job: Job, pool_ids: tuple[int, ...],
                  borrowed: bool = False) -> bool: ...
    def reclaim_for(self, part: int, need: int) -> None: ...
    def reclaim(self, pool_ids: tuple[int, ...], need: int, victims: list[Job],
                cause: str) -> None: ...
    def lend_headroom(self, part: int) -> int: ...
    def wake_at(self, t: float) -> None: ...


class QueuePolicy(Protocol):
    name: str
    lends: bool  # lends idle owner capacity to public tenants

    def schedule(self, run: Cluster, dirty: Iterable[int]) -> None: ...
    def state(self) -> dict[str, Any]: ...
    def restore(self, state: dict[str, Any]) -> None: ...


class RunContext(Protocol):
    """What an extension of the twin (an event source such as curtailment or failures,
    a meter) may use of a run: the twin, the clock, the event queue for its own kinds
    (:func:`._events.register_source`), the fleet's mechanics, the operations (start,
    evict, interrupt; replicas), the services, and :meth:`add` to attach itself. It never
    sees the loop, the queue policy, the other meters or the checkpoint
    (:class:`._runner.Runner` implements it)."""

    @property
    def twin(self) -> Twin: ...
    @property
    def now(self) -> float: ...
    @property
    def events(self) -> EventQueue: ...
    @property
    def fleet(self) -> FleetState: ...
    @property
    def ops(self) -> Operations: ...
    @property
    def services(self) -> Services: ...

    def add(self, ob: Observer,
            handlers: dict[int, Callable[[Any], None]] | None = None) -> None: ...


class RunView(Protocol):
    """What the end-of-run summary reads of a run: the twin, the clock, the meters, the
    queues and services, the job table and the observers (to find an event source's
    figures), all read-only; no event queue, no fleet mechanics, no ``add``."""

    @property
    def twin(self) -> Twin: ...
    @property
    def now(self) -> float: ...
    @property
    def n_events(self) -> int: ...
    @property
    def policy(self) -> QueuePolicy: ...
    @property
    def ops(self) -> Operations: ...
    @property
    def queues(self) -> Queues: ...
    @property
    def services(self) -> Services: ...
    @property
    def counts(self) -> Counts: ...
    @property
    def integrals(self) -> Integrals: ...
    @property
    def series(self) -> TimeSeries: ...
    @property
    def records(self) -> Records: ...
    @property
    def bus(self) -> Bus: ...
