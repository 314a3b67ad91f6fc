"""Reproduce the FGD paper's table: 6 policies x openb traces x 10 seeds, ours vs published.

Usage: python benchmarks/fgd_reproduce.py [--seeds 42-51] [--jobs 2] [--traces default,...]
                                         [--engine pool|ray]
Writes docs/fgd-reproduction.md (and prints it). Takes ~1.5 s per run on one core.
``--engine ray`` runs the same table as the sweep spec benchmarks/fgd_sweep.yaml on an
embedded local Ray (``aifab sweep``), with --jobs workers.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from aifab.commands.replay import parse_seeds
from aifab.sim import run_openb
from aifab.workload import read_openb_nodes, read_openb_pods

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "openb"
POLICIES = {"random": "01-Random", "dotprod": "02-DotProd", "clustering": "03-GpuClustering",
            "packing": "04-GpuPacking", "bestfit": "05-BestFit", "fgd": "06-FGD"}
TOL = {"fgd": 1.0, "bestfit": 1.0}  # others 1.5
TRACES = ("default", "cpu050", "gpushare40", "gpuspec10", "multigpu20")

NOTES = """\
## How the engine matches the paper's simulator

The protocol (../shared/reference/fgd-protocol.md) leaves out details that move the results
by several points; we read the authors' Go simulator (hkust-adsl/kubernetes-scheduler-simulator)
to settle them, and reimplemented them (no code copied):

- **Tie-breaking.** The simulator prefixes node names with a random permutation once per run
  and, among equal best scores, takes the lexicographically smallest name. Ties are thus broken
  by a fixed random node order, not per pod. With per-pod uniform ties FGD reached only 90.8 %
  at 100 % arrived on seed 42 (published 95.2 %): CPU-only pods, which FGD scores equally on
  many nodes, get spread over idle 8-GPU nodes and later block 8-GPU pods. With the fixed order
  they pile onto the same nodes. `--tie-break uniform` keeps the stock-Kubernetes behaviour.
- **Integer scores.** Every plugin returns an integer 0..100 (FGD: `trunc(100 * sigmoid(
  (frag_before - frag_after) / 1000))`; BestFit, DotProd truncated similarly; Packing and
  Clustering in integer arithmetic), so ties are common and the tie rule matters.
- **GPU choice.** FGD picks, for a shared-GPU pod, the first GPU with the best (integer)
  score; DotProd, Clustering, Packing and BestFit use best-fit GPU selection (least free milli
  that fits); Random picks a random fitting GPU. Whole-GPU pods take the lowest-index free GPUs.
- **Target workload.** Shapes are (CPU, number of GPUs, milli per GPU, allowed models), no
  memory; the most frequent shapes up to 95 % of the pods (one at a time), ties ordered by
  larger CPU, milli, GPU count first. CPU-only shapes count all free GPU milli as fragmented.
- **Random.** Uniform over feasible nodes per pod (its own random pre-score), so the rank
  order does not apply; re-using cached state groups would silently bias it.
- **Inflation.** Per the protocol: copies drawn with replacement until the next would pass
  1.3 x capacity, then one shuffle. The Go simulator draws from Go's generator, so our seed 42
  is not the paper's seed 42: only means over seeds are comparable.

Feasibility checks CPU, memory, GPU model and GPUs; fragmentation (and FGD) ignore memory, as
in the paper's simulator.

## Remaining differences

FGD, BestFit, Random and DotProd agree with the paper within 0.2 point on every trace.
Clustering and Packing differ most (up to -0.6 point on multigpu20, -0.3 on default, +0.35 on
gpushare40), always in the same direction for both. Their seed-to-seed sd is 0.3-0.6 point, so
the difference of two 10-seed means has a standard error of ~0.2 point: the gaps are one to
three standard errors and change sign between traces (gpushare40 is above the paper), which
points mostly to sampling noise (different random streams for inflation, shuffling and node
order), though a small systematic difference in these two policies cannot be excluded. The two
policies share the best-fit GPU choice and differ from BestFit only in their scores, which we
reimplemented from the simulator's integer arithmetic. We did not chase them further. The
paper's simulator also replaces a zero CPU request by Kubernetes' default of 100 milli-CPU; no
openb pod requests zero CPU, so we do not model it.
"""


def _one(args: tuple[str, str, int]) -> dict[str, object]:
    trace, policy, seed = args
    nodes = read_openb_nodes(DATA / "openb_node_list_gpu_node.csv")
    pods = read_openb_pods(DATA / f"openb_pod_list_{trace}.csv", nodes.models)
    r = run_openb(nodes, pods, policy, seed, 1.3)
    return {"trace": trace, "policy": policy, "seed": seed, "alloc_100": r.alloc_pct[100],
            "alloc_130": r.alloc_pct[130], "frag_100": r.frag_pct[100],
            "frag_130": r.frag_pct[130], "pods": r.pods, "wall_s": r.wall_s}


def _sweep_rows(traces: list[str], policies: list[str], seeds: list[int],
                jobs: int) -> list[dict[str, object]]:
    """The same runs as ``_one`` over the jobs, as the sweep spec fgd_sweep.yaml on Ray."""
    from aifab.sweep import load_spec, sweep

    spec = load_spec(Path(__file__).resolve().parent / "fgd_sweep.yaml")
    pods = {t: str(DATA / f"openb_pod_list_{t}.csv") for t in traces}
    params = dict(spec.parameters)
    for key, vals in (("replay.pods", list(pods.values())), ("replay.policy", policies),
                      ("replay.seed", seeds)):
        params[key] = params[key].model_copy(update={"values": vals})
    res = sweep(spec.model_copy(update={"parameters": params}), workers=jobs)
    trace_of = {v: k for k, v in pods.items()}
    rows: list[dict[str, object]] = []
    for r in res.records:
        if not r.ok:
            raise SystemExit(f"variant {r.id} failed: {r.error}")
        p, m = r.params, r.metrics
        rows.append({"trace": trace_of[p["replay.pods"]], "policy": p["replay.policy"],
                     "seed": p["replay.seed"], "alloc_100": m["alloc_100"],
                     "alloc_130": m["alloc_130"], "frag_100": m["frag_100"],
                     "frag_130": m["frag_130"], "pods": m["pods"], "wall_s": r.wall_s})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", default="42-51")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--traces", default=",".join(TRACES))
    ap.add_argument("--policies", default=",".join(POLICIES))
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "fgd-reproduction.md")
    ap.add_argument("--csv", type=Path, default=None, help="also write per-run results here")
    ap.add_argument("--engine", choices=("pool", "ray"), default="pool",
                    help="process pool, or the sweep spec fgd_sweep.yaml on Ray")
    a = ap.parse_args()
    seeds = parse_seeds(a.seeds)
    traces = a.traces.split(",")
    policies = a.policies.split(",")
    jobs = [(t, p, s) for t in traces for p in policies for s in seeds]
    t0 = time.perf_counter()
    if a.engine == "ray":
        rows = _sweep_rows(traces, policies, seeds, a.jobs)
    else:
        with ProcessPoolExecutor(a.jobs) as ex:
            rows = list(ex.map(_one, jobs))
    total = time.perf_counter() - t0
    ours = pd.DataFrame(rows)
    paper = pd.read_csv(DATA / "fgd_expected_analysis_allo_discrete.csv")
    pfrag = pd.read_csv(DATA / "fgd_expected_analysis_frag_discrete.csv")

    lines = [
        "# FGD reproduction: ours vs the paper (openb traces)",
        "",
        f"Generated by `benchmarks/fgd_reproduce.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC,"
        f" {platform.processor() or platform.machine()}, {a.jobs} worker process(es)"
        f"{' on Ray (benchmarks/fgd_sweep.yaml)' if a.engine == 'ray' else ''}; "
        f"{len(jobs)} runs in {total:.0f} s ({ours.wall_s.mean():.2f} s per run, mean "
        f"{(ours.pods / ours.wall_s).mean():,.0f} pods/s per process).",
        "",
        f"GPU allocation (% of 6,212 GPUs) at 100 % and 130 % arrived demand, tune 1.3, "
        f"seeds {seeds[0]}-{seeds[-1]} (mean, sd over seeds). Paper: mean of its 10 seeds "
        "(`fgd_expected_analysis_allo_discrete.csv`). Tolerance: 1.0 point for FGD and BestFit,"
        " 1.5 for the others.",
        "",
        "| trace | policy | ours @100 | paper @100 | diff | ours @130 | paper @130 | diff "
        "| frag @100 ours / paper | ok |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    all_ok = True
    order_lines = []
    for t in traces:
        sub_p = paper[paper.workload == f"openb_pod_list_{t}"]
        sub_f = pfrag[pfrag.workload == f"openb_pod_list_{t}"]
        a130 = {}
        for p in policies:
            o = ours[(ours.trace == t) & (ours.policy == p)]
            pp = sub_p[sub_p.sc_policy == POLICIES[p]]
            pf = sub_f[sub_f.sc_policy == POLICIES[p]]
            tol = TOL.get(p, 1.5)
            d100 = o.alloc_100.mean() - pp["100"].mean()
            d130 = o.alloc_130.mean() - pp["130"].mean()
            ok = abs(d100) <= tol and abs(d130) <= tol
            all_ok &= ok
            a130[p] = o.alloc_130.mean()
            lines.append(
                f"| {t} | {p} | {o.alloc_100.mean():.2f} ({o.alloc_100.std():.2f}) | "
                f"{pp['100'].mean():.2f} ({pp['100'].std():.2f}) | {d100:+.2f} | "
                f"{o.alloc_130.mean():.2f} ({o.alloc_130.std():.2f}) | "
                f"{pp['130'].mean():.2f} ({pp['130'].std():.2f}) | {d130:+.2f} | "
                f"{o.frag_100.mean():.2f} / {pf['100'].mean():.2f} | "
                f"{'yes' if ok else '**no**'} |")
        if {"fgd", "bestfit", "random"} <= set(a130):
            good = a130["fgd"] > a130["bestfit"] > a130["random"]
            all_ok &= good
            order_lines.append(f"- {t}: FGD {a130['fgd']:.2f} > BestFit {a130['bestfit']:.2f} >"
                               f" Random {a130['random']:.2f} at 130 %: "
                               f"{'yes' if good else '**no**'}")
    lines += ["", "Ordering at 130 % arrived:", "", *order_lines, "",
              f"**All within tolerance and ordered: {'yes' if all_ok else 'no'}.**", "",
              "Fragmentation is the paper's measure (expected fragmented GPU milli against the "
              "trace's target workload) as % of GPU capacity.", "", NOTES]
    text = "\n".join(lines) + "\n"
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(text)
    if a.csv is not None:
        ours.to_csv(a.csv, index=False)
    print(text)


if __name__ == "__main__":
    main()
