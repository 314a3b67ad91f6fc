"""The failure model's report: the ``reliability`` block of the run's JSON (a pure
function of closed meters and a few figures of the run) and the daily table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from aifab.reliability import CLASSES, ReliabilityMeter

DAY_S = 86400.0
CATEGORIES = ("useful", "checkpoint", "lost", "detect", "restart", "idle")

#: Columns of the daily ``reliability`` table (interruptions by cause in the day ending
#: at ``day``; accelerators in repair and hot spares held then; technicians busy: the
#: hands-on hours of the day's effective failures / 24).
DAILY_COLUMNS = ("day", *CLASSES, "in_repair", "spares_held", "technicians_busy")


@dataclass(frozen=True)
class RunFigures:
    """What the report needs of the run besides the meters."""

    now: float
    other_acc_s: dict[str, float]
    intervals_h: dict[str, float]
    spares_held: int
    spares_acc_s: float  # spares held, integrated over the window
    spares_target: int
    in_repair_now: int
    replicas_removed: int
    unmet_tok: float


def reliability_block(m: ReliabilityMeter, tm: ReliabilityMeter, f: RunFigures) -> dict[str, Any]:
    """The ``reliability`` block from the closed class meter ``m``, tenant meter ``tm``."""
    now = f.now
    out = m.to_dict(now)
    other = sum(f.other_acc_s.values())
    useful = sum(r["useful"] for r in m.acc_s.values())
    alloc = sum(sum(r[k] for k in CATEGORIES) for r in m.acc_s.values()) + other
    out.update({
        "enabled": True,
        "goodput": useful / alloc if alloc else 0.0,
        "ettr_by_tenant": tm.to_dict(now)["ettr"],
        "accelerator_hours": {
            **{k: sum(r[k] for r in m.acc_s.values()) / 3600.0 for k in CATEGORIES},
            "preemption_loss": other / 3600.0, "allocated": alloc / 3600.0},
        "checkpoint_interval_h": dict(f.intervals_h) or "young-daly",
        "spares_held": f.spares_held,
        "spares_held_share": f.spares_acc_s
        / max(m.accelerators * (now - m.start_s), 1e-9),
        "spares_target": f.spares_target,
        "in_repair_now": f.in_repair_now,
        "replicas_removed": f.replicas_removed,
        "inference_unmet_tokens": f.unmet_tok,
    })
    return out


class DailyTable:
    """Interruptions by cause per day, accelerators in repair and spares held, and the
    technicians busy (hands-on hours of the day's failures / 24)."""

    def __init__(self, in_repair: Callable[[], int], spares_held: Callable[[], int]) -> None:
        self.in_repair, self.spares_held = in_repair, spares_held
        self.rows: list[tuple[float, ...]] = []
        self.new_day()

    def new_day(self) -> None:
        self.counts = dict.fromkeys(CLASSES, 0)
        self.hands_on_h = 0.0

    def row(self, now: float, start: float) -> tuple[float, ...]:
        last = self.rows[-1][0] * DAY_S if self.rows else 0.0
        span_h = max(now - start - last, 1e-9) / 3600.0
        busy = self.hands_on_h / span_h
        return ((now - start) / DAY_S, *(float(self.counts[c]) for c in CLASSES),
                float(self.in_repair()), float(self.spares_held()), busy)

    def close_day(self, now: float, start: float) -> tuple[float, ...]:
        row = self.row(now, start)
        self.rows.append(row)
        self.new_day()
        return row

    def frame(self, now: float, start: float) -> pd.DataFrame:
        """The table (see :data:`DAILY_COLUMNS`), a last partial day included."""
        rows = list(self.rows)
        if now > start and (not rows or now - start > rows[-1][0] * DAY_S + 1e-6):
            rows.append(self.row(now, start))
        return pd.DataFrame(rows, columns=list(DAILY_COLUMNS))

    def state(self) -> tuple[dict[str, Any], np.ndarray]:
        day = {"counts": self.counts, "hands_on_h": self.hands_on_h}
        rows = np.array(self.rows, dtype=np.float64).reshape(len(self.rows), len(DAILY_COLUMNS))
        return day, rows

    def restore(self, day: dict[str, Any], rows: np.ndarray) -> None:
        self.counts = {str(k): int(v) for k, v in day["counts"].items()}
        self.hands_on_h = float(day["hands_on_h"])
        self.rows = [tuple(float(x) for x in row) for row in rows]
