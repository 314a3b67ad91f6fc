"""Event kinds of the twin: one registry instead of bare ints kept apart by comments.

A kind is also its events' priority at equal times (lower pops first: frees, then demand,
then the event sources). The twin's own kinds and the built-in sources' keep the numbers
they always had (so a run's event order, its results and its checkpoints do not depend on
the registry); a new event source calls :func:`register_source` with its name and gets
the next free number, above every kind registered so far.
"""

from __future__ import annotations

from typing import Any


class EventKind(int):
    """An event kind: an ``int`` (its priority at equal times, what the heap and the
    checkpoints hold) that knows its name."""

    label: str

    def __new__(cls, value: int, label: str) -> EventKind:
        kind = int.__new__(cls, value)
        kind.label = label
        return kind

    def __repr__(self) -> str:
        return f"EventKind({self.label!r}, {int(self)})"

    def __reduce__(self) -> tuple[Any, tuple[str, int]]:
        """Copies and pickles are the registered kind itself."""
        return register_source, (self.label, int(self))

    def __deepcopy__(self, memo: dict[int, Any]) -> EventKind:
        return self


_KINDS: dict[str, EventKind] = {}


def register_source(name: str, kind: int | None = None) -> EventKind:
    """The event kind of source ``name``; a name registered before gets its kind again.
    ``kind`` pins the number (the built-in sources); otherwise the next free one."""
    got = _KINDS.get(name)
    if got is not None:
        if kind is not None and kind != got:
            raise ValueError(f"event source {name!r} already has kind {int(got)}")
        return got
    if kind is None:
        kind = max((int(k) for k in _KINDS.values()), default=-1) + 1
    else:
        taken = next((k for k in _KINDS.values() if int(k) == kind), None)
        if taken is not None:
            raise ValueError(f"event kind {kind} is taken by {taken.label!r}")
    ek = EventKind(kind, name)
    _KINDS[name] = ek
    return ek


def registered() -> dict[str, EventKind]:
    """Every registered kind by name."""
    return dict(_KINDS)


# The twin's own kinds: frees first, then demand (5 was the in-loop checkpoint).
END = register_source("end", 0)
EVICT = register_source("evict", 1)
SCALE = register_source("scale", 2)
ARRIVE = register_source("arrive", 3)
SAMPLE = register_source("sample", 4)
RESET = register_source("reset", 6)
# Built-in sources: failures (_failures, _failbook) and curtailment (_curtail).
FAIL = register_source("failure", 7)
REPAIR = register_source("repair", 8)
DAILY = register_source("reliability-daily", 9)
CURTAIL_START = register_source("curtail-start", 11)
CURTAIL_END = register_source("curtail-end", 12)
