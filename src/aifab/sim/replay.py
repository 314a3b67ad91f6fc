"""The typed result of ``aifab replay openb`` (the FGD paper's experiment on Alibaba's
openb traces), for the command and the sweep's replay stage alike.

:class:`ReplaySummary` (seeded runs: the curves over arrived pods) and
:class:`TimedSummary` (``--timed``: the trace-time series) are frozen blocks whose
``to_dict()`` is the only schema of the ``--json`` document. :class:`ReplayResult` holds
one of them and its tables; its :meth:`~ReplayResult.write` and :meth:`~ReplayResult.read`
are the only code that knows the run folder's file names (``replay.json``, and
``curves.csv`` and ``runs.csv``, or ``timeseries.csv``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from aifab._io import to_json, versioned, write_text
from aifab._schema import encode, read_block
from aifab.errors import BadInput
from aifab.sim.openb import RunResult, mean_curve, summarise

REPLAY = "replay.json"
CURVES = "curves.csv"
RUNS = "runs.csv"
TIMESERIES = "timeseries.csv"
SEEDED = "replay openb"
TIMED = "replay openb --timed"


@dataclass(frozen=True)
class TraceInfo:
    """The trace replayed: its files and what they hold."""

    nodes: str
    pods: str
    node_count: int
    gpus: int
    pods_in_trace: int


@dataclass(frozen=True)
class Curves:
    """Mean (and sd over seeds) per percent of capacity arrived, rounded to 4 places."""

    alloc_pct: tuple[float, ...]
    alloc_sd: tuple[float, ...]
    frag_pct: tuple[float, ...]
    frag_sd: tuple[float, ...]
    frag_ratio_pct: tuple[float, ...]


@dataclass(frozen=True)
class ReplaySummary:
    """``replay openb --json``: allocation and fragmentation at 100 % and 130 % of capacity
    arrived (mean and sd over seeds), the pods that failed by kind, and the curves."""

    command: str
    policy: str
    tune: float
    tie_break: str
    seeds: tuple[int, ...]
    trace: TraceInfo
    pods_offered: float
    alloc_pct: Mapping[str, float]
    alloc_sd: Mapping[str, float]
    frag_pct: Mapping[str, float]
    frag_sd: Mapping[str, float]
    failed_pods: Mapping[str, float]
    wall_s: float
    pods_per_s: float
    curves: Curves

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document (without ``schema_version``)."""
        out: dict[str, Any] = encode(self)
        return out


@dataclass(frozen=True)
class TimedSummary:
    """``replay openb --timed --json``: peak and time-weighted allocation, running pods,
    and the sampled series."""

    command: str
    policy: str
    seeds: tuple[int, ...]
    speedup: float
    trace: TraceInfo
    pods_offered: int
    placed: int
    failed_pods: Mapping[str, int]
    alloc_peak_pct: float
    alloc_mean_pct: float
    frag_mean_pct: float
    running_peak: float
    wall_s: float
    timeseries: Mapping[str, tuple[float, ...]]

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document (without ``schema_version``)."""
        out: dict[str, Any] = encode(self)
        return out


def trace_info(nodes: Path | str, pods: Path | str, node_list: Any, pod_list: Any) -> TraceInfo:
    """What the trace files ``nodes`` and ``pods`` hold (read as ``node_list``/``pod_list``)."""
    return TraceInfo(str(nodes), str(pods), len(node_list), int(node_list.gpu.sum()),
                     len(pod_list))


@dataclass(frozen=True, eq=False)
class ReplayResult:
    """A replay's typed document (``summary``) and its tables: ``curves`` and ``runs``
    (seeded), or ``timeseries`` (timed)."""

    summary: ReplaySummary | TimedSummary
    frames: Mapping[str, pd.DataFrame] = field(repr=False)

    @classmethod
    def from_runs(cls, runs: Sequence[RunResult], *, policy: str, tune: float,
                  tie_break: str, trace: TraceInfo, wall_s: float) -> ReplayResult:
        """The result of seeded runs (one per seed) that took ``wall_s`` in all."""
        alloc, alloc_sd = mean_curve(runs, "alloc_pct")
        frag, frag_sd = mean_curve(runs, "frag_pct")
        ratio, _ = mean_curve(runs, "frag_ratio_pct")
        curves = pd.DataFrame({"arrived_pct": range(len(alloc)), "alloc_pct": alloc,
                               "alloc_sd": alloc_sd, "frag_pct": frag, "frag_sd": frag_sd,
                               "frag_ratio_pct": ratio})
        summ = summarise(runs)
        pods = sum(r.pods for r in runs)
        doc = ReplaySummary(
            SEEDED, policy, tune, tie_break, tuple(r.seed for r in runs), trace,
            pods / len(runs), summ["alloc_pct"], summ["alloc_sd"], summ["frag_pct"],
            summ["frag_sd"], summ["failed_pods"], round(wall_s, 3), round(pods / wall_s, 1),
            Curves(*(tuple(round(float(x), 4) for x in curves[k]) for k in (
                "alloc_pct", "alloc_sd", "frag_pct", "frag_sd", "frag_ratio_pct"))))
        return cls(doc, {"curves": curves, "runs": _runs_frame(runs)})

    @classmethod
    def from_timed(cls, r: RunResult, *, speedup: float, trace: TraceInfo,
                   wall_s: float) -> ReplayResult:
        """The result of one trace-time run."""
        s = {k: round(v, 4) for k, v in r.summary.items()}
        doc = TimedSummary(
            TIMED, r.policy, (r.seed,), speedup, trace, r.pods, r.placed, r.failed_by_kind,
            s["alloc_peak_pct"], s["alloc_mean_pct"], s["frag_mean_pct"], s["running_peak"],
            round(wall_s, 3), {k: tuple(v) for k, v in r.timeseries.items()})
        return cls(doc, {"timeseries": pd.DataFrame(r.timeseries)})

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document (without ``schema_version``)."""
        return self.summary.to_dict()

    def write(self, folder: Path) -> None:
        """Write the document and the tables into ``folder`` (which exists)."""
        write_text(folder / REPLAY, to_json(versioned(self.to_dict())))
        names = (("timeseries", TIMESERIES),) if isinstance(self.summary, TimedSummary) \
            else (("curves", CURVES), ("runs", RUNS))
        for name, file in names:
            self.frames[name].to_csv(folder / file, index=False)

    @classmethod
    def read(cls, folder: Path) -> ReplayResult:
        """What :meth:`write` wrote; exit 2 naming the file (and the field) when one is
        missing, unreadable or mistyped."""
        path = folder / REPLAY
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadInput(f"not a replay's result ({type(exc).__name__})",
                           source=str(path)) from None
        if not isinstance(doc, dict):
            raise BadInput("not a replay's result", source=str(path))
        timed = doc.get("command") == TIMED
        block: type[ReplaySummary | TimedSummary] = TimedSummary if timed else ReplaySummary
        summary = read_block(block, doc, str(path))
        names = (("timeseries", TIMESERIES),) if timed else (("curves", CURVES), ("runs", RUNS))
        frames = {}
        for name, file in names:
            try:
                frames[name] = pd.read_csv(folder / file)
            except (OSError, ValueError) as exc:
                raise BadInput(f"cannot read ({type(exc).__name__})",
                               source=str(folder / file)) from None
        return cls(summary, frames)


def _runs_frame(runs: Sequence[RunResult]) -> pd.DataFrame:
    return pd.DataFrame([{
        "seed": r.seed, "pods": r.pods, "placed": r.placed, "alloc_100": r.alloc_pct[100],
        "alloc_130": r.alloc_pct[-1], "frag_100": r.frag_pct[100], "wall_s": r.wall_s,
        **{f"failed_{k}": v for k, v in sorted(r.failed_by_kind.items())},
    } for r in runs])
