"""Single-user latency rows with speculative decoding (data/latency.csv): shown beside the
calibration, never fitted (issue 19). Each published record is predicted as a user
would ask for it: ``search(objective="latency", batch=1)`` with the record's draft
length, at both ends of the acceptance range the row assumes (records rarely state it;
the row names the source of the assumed range)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from aifab.perf._search import search


@dataclass(frozen=True)
class LatencyRow:
    """One published single-user record and its predictions at both acceptance ends."""

    id: str
    model: str
    device: str
    devices: int
    value: float
    spec_k: int
    accept: tuple[float, float]
    predicted: tuple[float, float]  # tokens/s per user at accept_lo, accept_hi
    engine: str
    layout: str
    source: str
    url: str
    assumptions: str

    @property
    def errors(self) -> tuple[float, float]:
        return (self.predicted[0] / self.value - 1.0, self.predicted[1] / self.value - 1.0)


def latency_rows_raw() -> list[dict[str, str]]:
    text = (resources.files("aifab.perf") / "data" / "latency.csv").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=2)
def latency_rows(engine: str = "auto") -> tuple[LatencyRow, ...]:
    """Every row predicted with ``engine`` (the least-latency search at batch 1)."""
    out = []
    for r in latency_rows_raw():
        k, lo, hi = int(r["spec_k"]), float(r["accept_lo"]), float(r["accept_hi"])
        preds, best = [], None
        for a in (lo, hi):
            s = search(r["model"], r["device"], int(r["devices"]), precision=r["precision"],
                       objective="latency", batch=1, input_tokens=int(r["input_tokens"]),
                       output_tokens=int(r["output_tokens"]), serving="static",
                       compare_static=False, spec_k=k, spec_accept=a, engine=engine)
            best = s.best
            assert best is not None  # batch 1 of a model that fits always has a layout
            preds.append(1.0 / best.tpot_s)
        assert best is not None
        lay = f"tp {best.tp} x pp {best.pp}, dp {best.dp} ep {best.ep}"
        out.append(LatencyRow(r["id"], r["model"], r["device"], int(r["devices"]),
                              float(r["value"]), k, (lo, hi), (preds[0], preds[1]),
                              best.engine, lay, r["source"], r["url"], r["assumptions"]))
    return tuple(out)
