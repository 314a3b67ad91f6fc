"""A meter for failure costs: the job Monte Carlo and the national twin book into it, and
it writes the ``reliability`` block of their JSON (one set of keys and definitions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aifab.reliability._events import FailureEvent
from aifab.reliability._model import CLASSES

DAY_S = 86400.0
#: Accounting categories (accelerator-seconds): allocated = the sum of these.
#: ``detect``: a failed gang hung until the failure was detected (apart from ``restart``).
CATEGORIES = ("useful", "checkpoint", "lost", "detect", "restart", "idle")


@dataclass
class ReliabilityMeter:
    """Failure, interruption and time accounting over [start_s, end_s).

    ``book(job_class, ...)`` takes accelerator-seconds per category and ``wall``: the
    job's size x its time from start to end, the denominator of ETTR (Meta's definition:
    productive time over wall-clock time). Goodput = useful / allocated.
    """

    accelerators: int
    start_s: float = 0.0
    failures: int = 0
    spares_used: int = 0
    repair_acc_s: float = 0.0
    technician_hours: float = 0.0
    by_cause: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    #: Effective failures by cause (hardware and software), whether or not a gang was hit.
    failures_by_cause: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    hardware_failures: int = 0
    #: Slots excluded as repeat offenders (and replaced).
    exclusions: int = 0
    interruptions_by_class: dict[str, int] = field(default_factory=dict)
    acc_s: dict[str, dict[str, float]] = field(default_factory=dict)
    technicians_series: list[tuple[float, float]] = field(default_factory=list)

    def failure(self, ev: FailureEvent) -> None:
        """A failure that took effect (not ignored): its hands-on work is booked."""
        self.failures += 1
        self.failures_by_cause[ev.cause] = self.failures_by_cause.get(ev.cause, 0) + 1
        self.hardware_failures += int(ev.hardware)
        self.technician_hours += ev.hands_on_h

    def interruption(self, cause: str, job_class: str) -> None:
        """One gang of ``job_class`` stopped by a ``cause`` failure."""
        self.by_cause[cause] += 1
        self.interruptions_by_class[job_class] = self.interruptions_by_class.get(job_class, 0) + 1

    def book(self, job_class: str, **acc_s: float) -> None:
        """Add accelerator-seconds per category (and ``wall``) for ``job_class``."""
        row = self.acc_s.setdefault(job_class, dict.fromkeys((*CATEGORIES, "wall"), 0.0))
        for k, v in acc_s.items():
            row[k] += v

    def in_repair(self, accelerator_seconds: float) -> None:
        """Accelerator-seconds spent in repair (clipped to the window by the caller)."""
        self.repair_acc_s += accelerator_seconds

    def technicians(self, t_s: float, busy: float) -> None:
        """A sample of technicians busy (hands-on work in progress) at ``t_s``."""
        self.technicians_series.append((t_s, busy))

    def to_dict(self, end_s: float) -> dict[str, Any]:
        """The ``reliability`` block: per-day rates, ETTR per class, goodput, losses."""
        span = max(end_s - self.start_s, 1e-9)
        days = span / DAY_S
        alloc = {c: sum(r[k] for k in CATEGORIES) for c, r in self.acc_s.items()}
        useful = sum(r["useful"] for r in self.acc_s.values())
        total = sum(alloc.values())
        out: dict[str, Any] = {
            "interruptions_per_day": sum(self.by_cause.values()) / days,
            "by_cause": {c: n / days for c, n in self.by_cause.items()},
            "ettr": {c: (r["useful"] / r["wall"] if r["wall"] else 0.0)
                     for c, r in self.acc_s.items()},
            "goodput": useful / total if total else 0.0,
            "lost_accelerator_hours": sum(r["lost"] + r["detect"] + r["restart"]
                                          for r in self.acc_s.values()) / 3600.0,
            "in_repair_share": self.repair_acc_s / (self.accelerators * span)
            if self.accelerators else 0.0,
            "spares_used": self.spares_used,
            "technicians_busy": self.technician_hours / (span / 3600.0),
            "interruptions": sum(self.by_cause.values()),
            "interruptions_by_class": dict(self.interruptions_by_class),
            "failures": self.failures,
            "failures_by_cause": dict(self.failures_by_cause),
            "hardware_failures": self.hardware_failures,
            "exclusions": self.exclusions,
            "days": days,
        }
        if self.technicians_series:
            out["technicians_busy_series"] = [list(p) for p in self.technicians_series]
        return out
