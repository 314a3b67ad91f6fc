"""Throughput under latency targets (data/slo.csv): MLPerf Inference server and
interactive results, shown beside the calibration and never fitted (issue 19). They check
the continuous-batching TPOT that the search's targets constrain (for the aiconfigurator
table: request time / osl), which the calibration's offline rows do not.

Each row is predicted as a user would ask for it: ``perf infer`` on the row's device
count with ``--tpot-ms`` and ``--ttft-s`` at the benchmark's limits and the search's
default batch and layout (``search`` with the targets), and the same search without
targets for the offline rate of the same submission. Two errors:
- the ratio error, (predicted constrained / predicted offline) / (published constrained /
  published offline) - 1: what the latency target costs, with the lengths and the
  engine's absolute level mostly cancelling (rows whose mean input length is not in our
  sources are checked on this only, at both ends of the assumed input range);
- the absolute error of the constrained rate, where the lengths are known.
MLPerf's limits are 99th percentiles of per-request TTFT and TPOT under Poisson
arrivals: the rows are predicted with ``slo_percentile=99`` (the search's tail model,
``tail_batch``), and also as means for comparison (docs/perf-engines.md)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from aifab.perf._search import search


@dataclass(frozen=True)
class SloRow:
    """One published constrained rate and its predictions at both ends of the input range."""

    id: str
    model: str
    device: str
    scenario: str
    tpot_ms: float
    value: float
    offline_value: float
    inputs: tuple[int, int]
    predicted: tuple[float, float]  # constrained tokens/s at input_lo, input_hi
    predicted_offline: tuple[float, float]
    engine: str
    layout: str
    source: str
    url: str

    @property
    def lengths_known(self) -> bool:
        return self.inputs[0] == self.inputs[1]

    @property
    def ratio_errors(self) -> tuple[float, float]:
        pub = self.value / self.offline_value
        return tuple((p / o) / pub - 1.0  # type: ignore[return-value]
                     for p, o in zip(self.predicted, self.predicted_offline, strict=True))

    @property
    def errors(self) -> tuple[float, float] | None:
        """Absolute errors of the constrained rate (None where the lengths are assumed)."""
        if not self.lengths_known:
            return None
        return (self.predicted[0] / self.value - 1.0, self.predicted[1] / self.value - 1.0)


def slo_rows_raw() -> list[dict[str, str]]:
    text = (resources.files("aifab.perf") / "data" / "slo.csv").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _rate(r: dict[str, str], inp: int, engine: str, targets: bool,
          pct: float | None) -> tuple[float, str, str]:
    s = search(r["predict_as"], r["device"], int(r["devices"]), input_tokens=inp,
               output_tokens=int(r["output_tokens"]),
               tpot_slo_s=float(r["tpot_ms"]) / 1000.0 if targets else None,
               ttft_slo_s=float(r["ttft_s"]) if targets else None,
               compare_static=False, engine=engine, slo_percentile=pct)
    b = s.best
    if b is None:
        return 0.0, "none", "no layout meets the targets"
    return b.tokens_per_s, b.engine, f"tp {b.tp} x pp {b.pp}, dp {b.dp} ep {b.ep}, batch {b.batch}"


@lru_cache(maxsize=4)
def slo_rows(engine: str = "auto", percentile: float | None = 99.0) -> tuple[SloRow, ...]:
    """Every row predicted with ``engine`` (the search at the row's targets, read as
    ``percentile`` of per-request TPOT, MLPerf's 99th by default; None: as means;
    precision is the device's default, the lowest native format, as the submissions ran)."""
    out = []
    for r in slo_rows_raw():
        ins = (int(r["input_lo"]), int(r["input_hi"]))
        cons = [_rate(r, i, engine, True, percentile) for i in ins]
        off = [_rate(r, i, engine, False, None)[0] for i in ins]
        out.append(SloRow(r["id"], r["model"], r["device"], r["scenario"],
                          float(r["tpot_ms"]), float(r["value"]), float(r["offline_value"]),
                          ins, (cons[0][0], cons[1][0]), (off[0], off[1]), cons[-1][1],
                          cons[-1][2], r["source"], r["url"]))
    return tuple(out)
