"""Event kinds of the twin: one registry instead of bare ints kept apart by comments.

A kind is also its events' priority at equal times (lower pops first: frees, then demand,
then the event sources). The twin's own kinds and the built-in sources' keep the numbers
they always had (so a run's event order, its results and its checkpoints do not depend on
the registry); a new event source calls :func:`register_source` with its name and gets
the next free number, above every kind registered so far.

A kind also names its payload's type: None (no payload), ``int`` (an index) or a
:class:`~typing.NamedTuple` of ints (:class:`JobRef`, :class:`Repair`); what a handler gets
is that type, and a checkpoint stores its fields as ints (:mod:`._stateful`). A source
registered without one may push None, an int or a tuple of up to :data:`MAX_FIELDS` ints.
"""

from __future__ import annotations

from typing import Any, NamedTuple

MAX_FIELDS = 3
"""The most ints an event's payload holds (what a checkpoint has room for)."""


class JobRef(NamedTuple):
    """A job's end or eviction: its id and the token it had when the event was pushed
    (an event whose token no longer matches is stale)."""

    job: int
    token: int


class Repair(NamedTuple):
    """``n`` accelerators of domain ``dom`` of pool ``pool`` come back from repair."""

    pool: int
    dom: int
    n: int


Payload = type[int] | type[tuple[int, ...]] | None


class EventKind(int):
    """An event kind: an ``int`` (its priority at equal times, what the heap and the
    checkpoints hold) that knows its name."""

    label: str
    payload: Payload

    def __new__(cls, value: int, label: str, payload: Payload = None) -> EventKind:
        kind = int.__new__(cls, value)
        kind.label = label
        kind.payload = payload
        return kind

    def __repr__(self) -> str:
        return f"EventKind({self.label!r}, {int(self)})"

    def __reduce__(self) -> tuple[Any, tuple[str, int]]:
        """Copies and pickles are the registered kind itself."""
        return register_source, (self.label, int(self))

    def __deepcopy__(self, memo: dict[int, Any]) -> EventKind:
        return self


_KINDS: dict[str, EventKind] = {}


def register_source(name: str, kind: int | None = None,
                    payload: Payload = None) -> EventKind:
    """The event kind of source ``name``; a name registered before gets its kind again.
    ``kind`` pins the number (the built-in sources); otherwise the next free one.
    ``payload``: its events' payload type (None: untyped, see the module's note)."""
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
    if payload is not None and payload is not int and len(
            getattr(payload, "_fields", ())) not in range(1, MAX_FIELDS + 1):
        raise ValueError(f"event source {name!r}: a payload is int or a NamedTuple of "
                         f"1 to {MAX_FIELDS} ints")
    ek = EventKind(kind, name, payload)
    _KINDS[name] = ek
    return ek


def registered() -> dict[str, EventKind]:
    """Every registered kind by name."""
    return dict(_KINDS)


# The twin's own kinds: frees first, then demand (5 was the in-loop checkpoint).
END = register_source("end", 0, JobRef)
EVICT = register_source("evict", 1, JobRef)
SCALE = register_source("scale", 2)
ARRIVE = register_source("arrive", 3, int)
SAMPLE = register_source("sample", 4)
RESET = register_source("reset", 6)
# Built-in sources: failures (_failures, _failbook) and curtailment (_curtail).
FAIL = register_source("failure", 7, int)
REPAIR = register_source("repair", 8, Repair)
DAILY = register_source("reliability-daily", 9)
DETECT = register_source("detect", 10, int)  # a hung gang's failure is detected (job id)
CURTAIL_START = register_source("curtail-start", 11, int)
CURTAIL_END = register_source("curtail-end", 12, int)
# A queue policy asked to be scheduled at this time (Operations.wake_at: Kueue's requeue of
# set-aside workloads 1 s after freed quota, docs/sched.md A2b)
WAKE = register_source("policy-wake", 13)
