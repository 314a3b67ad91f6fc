"""``aifab replay openb``: the FGD paper's experiment on Alibaba's openb traces."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from aifab._checks import finite
from aifab.commands._common import JsonOpt, OutOpt, console, emit
from aifab.errors import BadInput
from aifab.sim import (
    PLACEMENT_POLICIES,
    ReplayResult,
    ReplaySummary,
    RunResult,
    TimedSummary,
    run_openb,
    run_openb_timed,
    trace_info,
)
from aifab.workload import read_openb_nodes, read_openb_pods

NodesOpt = Annotated[Path, typer.Option("--nodes", help="Node list CSV (sn, cpu_milli, "
                                        "memory_mib, gpu, model).", metavar="NODES.csv")]
PodsOpt = Annotated[Path, typer.Option("--pods", help="Pod list CSV (name, cpu_milli, "
                                       "memory_mib, num_gpu, gpu_milli[, gpu_spec, ...]).",
                                       metavar="PODS.csv")]
PolicyOpt = Annotated[str, typer.Option("--policy",
                                        help=f"Placement policy: {', '.join(PLACEMENT_POLICIES)}.")]
TuneOpt = Annotated[float, typer.Option("--tune", help="Grow the workload to this multiple of "
                                        "GPU capacity (the paper uses 1.3; 0 = as is).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed (workload and tie-breaks).")]
SeedsOpt = Annotated[str | None, typer.Option("--seeds", help="Several seeds: 42-51 or 42,43,44 "
                                              "(overrides --seed); reports mean and sd.")]
SpeedupOpt = Annotated[float, typer.Option(
    "--speedup", help="With --timed: compress the gaps between arrivals K times (lifetimes "
    "kept), i.e. the same pods K times as often.", metavar="K")]
TimedOpt = Annotated[bool, typer.Option("--timed", help="Replay in trace time: pods arrive at "
                                        "creation_time and leave at deletion_time.")]
TieOpt = Annotated[str, typer.Option("--tie-break", help="rank: fixed random node order per "
                                     "run, as the paper's simulator; uniform: per pod.")]


#: --tune grows the pod list to this multiple of GPU capacity at most (the paper: 1.3);
#: pods are copied, so memory grows with it.
MAX_TUNE = 10.0
#: --speedup at most: arrivals a million times denser than the trace.
MAX_SPEEDUP = 1e6


def parse_seeds(text: str) -> list[int]:
    """'42-51' or '42,43' or '7' -> list of seeds."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part[1:]:
                a, b = part.split("-", 1) if not part.startswith("-") else ("", part)
                lo, hi = int(a), int(b)
                if hi < lo or hi - lo > 10_000:
                    raise ValueError
                seeds.extend(range(lo, hi + 1))
            else:
                seeds.append(int(part))
    except ValueError:
        raise BadInput(f"expected seeds like 42-51 or 42,43, got {text!r}", where="--seeds") \
            from None
    if not seeds or any(s < 0 for s in seeds):
        raise BadInput(f"expected non-negative seeds, got {text!r}", where="--seeds")
    return seeds


@contextmanager
def _progress(enabled: bool, total: int, label: str) -> Iterator[Callable[[int], None]]:
    if not enabled:
        yield lambda n: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as prog:
        task = prog.add_task(label, total=total)
        yield lambda n: prog.update(task, completed=n)


def _show(doc: ReplaySummary, c: Console) -> None:
    t = Table(title=f"openb replay: {doc.policy} on {Path(doc.trace.pods).name}, "
              f"tune {doc.tune}, seeds {doc.seeds[0]}..{doc.seeds[-1]}",
              title_justify="left")
    t.add_column("arrived %", justify="right")
    t.add_column("GPU alloc %", justify="right")
    t.add_column("sd", justify="right")
    t.add_column("frag % of GPUs", justify="right")
    curves = doc.curves
    for p in (50, 80, 90, 100, 110, 120, 130):
        if p < len(curves.alloc_pct):
            t.add_row(str(p), f"{curves.alloc_pct[p]:.2f}", f"{curves.alloc_sd[p]:.2f}",
                      f"{curves.frag_pct[p]:.2f}")
    c.print(t)
    failed = ", ".join(f"{k} {v:g}" for k, v in doc.failed_pods.items()) or "none"
    c.print(f"failed pods (mean per run): {failed}")
    c.print(f"{doc.pods_offered:,.0f} pods per run, {doc.wall_s:.2f} s "
            f"({doc.pods_per_s:,.0f} pods/s)")


def _show_timed(doc: TimedSummary, c: Console) -> None:
    ts = doc.timeseries
    t = Table(title=f"openb timed replay: {doc.policy} on {Path(doc.trace.pods).name}",
              title_justify="left")
    for col in ("time (h)", "GPU alloc %", "frag % of GPUs", "running pods"):
        t.add_column(col, justify="right")
    n = len(ts["time_s"])
    for i in sorted({int(x) for x in (n - 1) * pd.Series(range(11)) / 10}) if n else []:
        t.add_row(f"{ts['time_s'][i] / 3600:.1f}", f"{ts['alloc_pct'][i]:.2f}",
                  f"{ts['frag_pct'][i]:.2f}", f"{ts['running_pods'][i]:.0f}")
    c.print(t)
    c.print(f"GPU allocation: peak {doc.alloc_peak_pct:.2f} %, time-weighted mean "
            f"{doc.alloc_mean_pct:.2f} %; peak running pods {doc.running_peak:.0f}; "
            f"failed pods: {dict(doc.failed_pods) or 'none'}; {doc.wall_s:.2f} s")


def openb_cmd(
    nodes: NodesOpt,
    pods: PodsOpt,
    policy: PolicyOpt = "fgd",
    tune: TuneOpt = 1.3,
    seed: SeedOpt = 42,
    seeds: SeedsOpt = None,
    timed: TimedOpt = False,
    speedup: SpeedupOpt = 1.0,
    tie_break: TieOpt = "rank",
    as_json: JsonOpt = False,
    out: OutOpt = None,
) -> None:
    """Replay an openb trace with a placement policy (the FGD paper's experiment)."""
    pol = policy.strip().lower()
    if pol not in PLACEMENT_POLICIES:
        raise BadInput(f"unknown policy {policy!r} (choose from: {', '.join(PLACEMENT_POLICIES)})",
                       where="--policy")
    finite(tune, "--tune", lo=0, hi=MAX_TUNE)
    if speedup != 1.0 and not timed:
        raise BadInput("only applies with --timed", where="--speedup")
    finite(speedup, "--speedup", lo=0, hi=MAX_SPEEDUP, lo_open=True)
    if seed < 0:
        raise BadInput(f"must be >= 0, got {seed}", where="--seed")
    if tie_break not in ("rank", "uniform"):
        raise BadInput(f"must be rank or uniform, got {tie_break!r}", where="--tie-break")
    seed_list = parse_seeds(seeds) if seeds is not None else [seed]
    node_list = read_openb_nodes(nodes)
    pod_list = read_openb_pods(pods, node_list.models)
    show_progress = not as_json and console.is_terminal
    t0 = time.perf_counter()
    trace = trace_info(nodes, pods, node_list, pod_list)
    if timed:
        if not pod_list.has_times:
            raise BadInput("--timed needs creation_time (and deletion_time) for every pod",
                           source=str(pods), where="column creation_time")
        with _progress(show_progress, 2 * len(pod_list), f"{pol} timed") as cb:
            r = run_openb_timed(node_list, pod_list, pol, seed_list[0], progress=cb,
                                speedup=speedup)
        res = ReplayResult.from_timed(r, speedup=speedup, trace=trace,
                                      wall_s=time.perf_counter() - t0)
        timed_doc = res.summary
        assert isinstance(timed_doc, TimedSummary)
        emit(res.to_dict(), as_json=as_json, out=out, write_files=res.write,
             show=lambda c: _show_timed(timed_doc, c))
        return

    runs: list[RunResult] = []
    for s in seed_list:
        with _progress(show_progress, int(len(pod_list) * max(tune, 1.0) * 1.4),
                       f"{pol} seed {s}") as cb:
            runs.append(run_openb(node_list, pod_list, pol, s, tune, tie_break=tie_break,
                                  progress=cb))
    res = ReplayResult.from_runs(runs, policy=pol, tune=tune, tie_break=tie_break,
                                 trace=trace, wall_s=time.perf_counter() - t0)
    doc = res.summary
    assert isinstance(doc, ReplaySummary)
    emit(res.to_dict(), as_json=as_json, out=out, write_files=res.write,
         show=lambda c: _show(doc, c))


def register(app: typer.Typer) -> None:
    """Add ``replay`` (with ``openb``) to the root command."""
    replay = typer.Typer(help="Replay cluster traces through the simulator.",
                         no_args_is_help=True)
    replay.command("openb")(openb_cmd)
    app.add_typer(replay, name="replay")
