"""Simulator speed: one openb experiment, a national-scale run, and how cost scales.

Usage: python benchmarks/sim_bench.py [--quick] [--write]
``--write`` replaces the "Replay (openb, FGD reproduction)" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from datetime import UTC, datetime
from pathlib import Path

from aifab.sim import run_openb
from aifab.sim.synthetic import run_national
from aifab.workload import read_openb_nodes, read_openb_pods

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "openb"
SECTION = "## Replay (openb, FGD reproduction)"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores visible, Python {platform.python_version()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller national run")
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    a = ap.parse_args()
    nodes = read_openb_nodes(DATA / "openb_node_list_gpu_node.csv")
    pods = read_openb_pods(DATA / "openb_pod_list_default.csv", nodes.models)
    out: list[str] = [SECTION, "",
                      f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by "
                      f"`benchmarks/sim_bench.py` on {machine()} (machine shared with other "
                      "jobs; single process).", ""]

    walls = []
    for _ in range(3):
        r = run_openb(nodes, pods, "fgd", 42, 1.3)
        walls.append(r.wall_s)
    med = statistics.median(walls)
    out += ["| experiment | pods | wall (median of 3) | best | pods/s | target |",
            "|---|---|---|---|---|---|",
            f"| openb default, FGD, tune 1.3, seed 42 (1,213 nodes) | {r.pods:,} | {med:.2f} s |"
            f" {min(walls):.2f} s | {r.pods / med:,.0f} | < 5 s (paper's simulator: ~10 min) |"]
    print(out[-1], flush=True)

    n_nodes, n_pods = (8_125, 50_000) if a.quick else (32_500, 200_000)
    nr = run_national(pods, n_nodes, n_pods, "fgd", 42)
    out.append(f"| synthetic national: {n_nodes:,} nodes x 8 GPUs ({nr.gpus:,} GPUs), FGD, "
               f"openb pod mix | {n_pods:,} | {nr.wall_s:.1f} s | - | {nr.pods_per_s:,.0f} | "
               "< 60 s |")
    print(out[-1], flush=True)
    out += ["", f"National run: {nr.alloc_pct:.1f} % of GPUs allocated, {nr.placed:,} pods "
            f"placed; {nr.stats.rescored_nodes / n_pods:.1f} nodes rescored per pod on average, "
            f"{nr.stats.scored_states / n_pods:.1f} distinct node states scored per pod.", ""]

    out += ["Scaling (FGD, openb pod mix, 8-GPU nodes):", "",
            "| nodes | pods | wall | us per pod |", "|---|---|---|---|"]
    grid = [(8_125, 12_500), (8_125, 25_000), (8_125, 50_000), (2_000, 25_000),
            (32_500, 25_000)]
    for nn, pp in grid:
        x = run_national(pods, nn, pp, "fgd", 1)
        out.append(f"| {nn:,} | {pp:,} | {x.wall_s:.2f} s | {1e6 * x.wall_s / pp:,.0f} |")
        print(out[-1], flush=True)
    out += ["",
            "Why it scales: a policy's score depends only on a node's state and the pod's "
            "shape, so scores are cached per shape and only nodes changed since that shape was "
            "last seen are rescored (on average a few dozen per pod, independent of cluster "
            "size); large rescoring batches are deduplicated by hashing node states, so the "
            "thousands of identical idle nodes of a fleet are scored once. What remains linear "
            "in nodes is one vectorised argmax over the cached scores per pod (a few us per "
            "thousand nodes). Cost per pod is therefore roughly constant in pods and grows "
            "sub-linearly with nodes.", "",
            f"One openb experiment is about {600 / med:,.0f}x faster than the ~10 minutes the "
            "paper reports for its simulator on 2 vCPUs. The full fidelity table is produced by "
            "`benchmarks/fgd_reproduce.py` (docs/fgd-reproduction.md).", ""]
    text = "\n".join(out)
    print(text)
    if a.write:
        doc = ROOT / "docs" / "benchmarks.md"
        cur = doc.read_text()
        start = cur.index(SECTION)
        nxt = cur.find("\n## ", start + len(SECTION))
        doc.write_text(cur[:start] + text + "\n" + (cur[nxt + 1:] if nxt != -1 else ""))


if __name__ == "__main__":
    main()
