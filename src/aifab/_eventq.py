"""The event core shared by every simulator: one heap keyed by (time, priority, sequence).

Events at equal times pop in priority order, then in the order they were pushed, so a run
is reproducible (DESIGN.md). The trace replay (:mod:`aifab.sim.engine`), the national
twin (:mod:`aifab.sim.national._runner`) and the job Monte Carlo
(:mod:`aifab.reliability`) all keep their future on one of these. It lives at the bottom
layer (below ``reliability``); :mod:`aifab.sim.core` re-exports it.
"""

from __future__ import annotations

import heapq
from typing import Any

Entry = tuple[float, int, int, Any]
"""(time, priority, sequence, payload)."""


class EventQueue:
    """A min-heap of events; ``seq`` counts pushes (ties at equal time and priority)."""

    __slots__ = ("heap", "seq")

    def __init__(self) -> None:
        self.heap: list[Entry] = []
        self.seq = 0

    def push(self, time: float, priority: int, payload: Any) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (time, priority, self.seq, payload))

    def pop(self) -> Entry:
        return heapq.heappop(self.heap)

    def peek_time(self) -> float:
        """Time of the next event (``inf`` when none is left)."""
        return self.heap[0][0] if self.heap else float("inf")

    def __len__(self) -> int:
        return len(self.heap)

    def __bool__(self) -> bool:
        return bool(self.heap)

    def entries(self) -> list[Entry]:
        """Every pending event, in heap order (for checkpoints)."""
        return list(self.heap)

    def restore(self, entries: list[Entry], seq: int) -> None:
        """Replace the pending events (a checkpoint's) and the push counter."""
        self.heap = list(entries)
        heapq.heapify(self.heap)
        self.seq = seq
