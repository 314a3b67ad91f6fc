"""Observers: meters (and later failure models) hear about every change of a run.

An observer overrides any of the ``on_*`` hooks of :class:`Observer`; the :class:`Bus`
calls only the hooks an observer defines, in the order observers were added.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aifab.sim.national._job import Job


class Observer:
    """Base class: every hook does nothing."""

    def on_arrive(self, job: Job) -> None:
        """A job was submitted."""

    def on_start(self, job: Job, multi_domain: bool, spilled: bool) -> None:
        """A job started, over several domains, and beyond the fewest it needs."""

    def on_evict(self, job: Job, cause: str) -> None:
        """A running job is being preempted (grace period starts)."""

    def on_requeue(self, job: Job) -> None:
        """A preempted job left its gang and is queued again."""

    def on_complete(self, job: Job) -> None:
        """A job finished."""

    def on_scale(self, replicas: int) -> None:
        """Inference replicas were placed or removed."""

    def on_warm(self) -> None:
        """The warm-up ended: forget what was measured so far."""


HOOKS = {"arrive": "on_arrive", "start": "on_start", "evict": "on_evict",
         "requeue": "on_requeue", "complete": "on_complete", "scale": "on_scale",
         "warm": "on_warm"}


class Bus:
    """Per hook, the bound methods of the observers that define it."""

    def __init__(self) -> None:
        self.arrive: list[Callable[[Job], None]] = []
        self.start: list[Callable[[Job, bool, bool], None]] = []
        self.evict: list[Callable[[Job, str], None]] = []
        self.requeue: list[Callable[[Job], None]] = []
        self.complete: list[Callable[[Job], None]] = []
        self.scale: list[Callable[[int], None]] = []
        self.warm: list[Callable[[], None]] = []
        self.observers: list[Observer] = []

    def add(self, ob: Observer) -> None:
        self.observers.append(ob)
        for attr, hook in HOOKS.items():
            if getattr(type(ob), hook) is not getattr(Observer, hook):
                lst: list[Any] = getattr(self, attr)
                lst.append(getattr(ob, hook))
