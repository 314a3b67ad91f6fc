"""Detection and exclusion of repeat offenders (the twin and the job Monte Carlo share this
rule and its parameters, :class:`FailureModel`'s ``exclude_*``/``replace_h``): a slot
(server, tray, card) whose hardware fails ``after`` times within ``window_s`` is excluded
and replaced (its repair lasts at least ``replace_s``). A replaced lemon is a normal slot:
its later failures in the stream (drawn at the lemon's rate) are kept with probability
1 / multiplier."""

from __future__ import annotations

from typing import Any

from aifab.reliability._events import FailureEvent
from aifab.reliability._model import FailureModel


class RepeatOffenders:
    """Per slot, the times of its recent hardware failures; the slots replaced so far."""

    def __init__(self, model: FailureModel) -> None:
        self.after = model.exclude_after
        self.window_s = model.exclude_window_h * 3600.0
        self.replace_s = model.replace_h * 3600.0
        self.multiplier = model.lemon_multiplier
        self.history: dict[tuple[int, int], list[float]] = {}
        self.replaced: set[tuple[int, int]] = set()

    def thinned(self, pool: int, ev: FailureEvent, v: float) -> bool:
        """Whether ``ev`` (with its uniform draw ``v``) is dropped: it was drawn at a
        lemon's rate on a slot that has since been replaced by a normal one."""
        return (ev.lemon and (pool, ev.hit_slot) in self.replaced
                and v * self.multiplier >= 1.0)

    def repair_s(self, pool: int, ev: FailureEvent, now: float) -> tuple[float, bool]:
        """The repair time of an effective failure, and whether it excluded its slot."""
        if self.after <= 0 or not ev.hardware:
            return ev.repair_s, False
        key = (pool, ev.hit_slot)
        recent = [t for t in self.history.get(key, []) if now - t < self.window_s]
        recent.append(now)
        if len(recent) < self.after:
            self.history[key] = recent
            return ev.repair_s, False
        self.history.pop(key, None)
        self.replaced.add(key)
        return max(ev.repair_s, self.replace_s), True

    def state(self) -> dict[str, Any]:
        return {"history": [[p, s, ts] for (p, s), ts in self.history.items()],
                "replaced": sorted([p, s] for p, s in self.replaced)}

    def restore(self, doc: dict[str, Any]) -> None:
        self.history = {(int(p), int(s)): [float(t) for t in ts] for p, s, ts in doc["history"]}
        self.replaced = {(int(p), int(s)) for p, s in doc["replaced"]}
