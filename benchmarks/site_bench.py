"""Benchmark ``aifab site``: build and solve time and model size of the Korean default.

Cases: the default representative days (target: under 60 s to a 1 % MIP gap on 2 cores),
more representative days, and the full 8,760-hour year (one year, the last delivery year,
since three full years do not fit this machine's time budget). Prints a table and, with
``--write``, replaces the "## Siting (grid model)" section of docs/benchmarks.md.

    python benchmarks/site_bench.py [--write] [--skip-full-year] [--network-full] [--monolithic]
                                    [--full-year-limit S] [--blocks] [--zonal]

``--blocks`` also solves the default with 10 and 40 MW blocks: GPUs waiting must differ
by less than 10 % across 10/20/40 MW (issue 20); the spread is printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

from aifab.errors import AifabError
from aifab.grid import load_grid_data, problem_from_scenario, solve_siting
from aifab.scenario import load_scenario

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
HEADING = "## Siting (grid model)"


def run_case(label: str, overrides: list[str]) -> dict[str, object]:
    """Solve the korea-2025 scenario with ``overrides``; return timings and sizes."""
    t0 = time.perf_counter()
    scn = load_scenario(None, overrides)
    problem = problem_from_scenario(scn)
    data = load_grid_data(problem.options.data_dir)
    try:
        r = solve_siting(problem, data)
    except AifabError as exc:  # e.g. no incumbent within the time limit
        row = {"case": label, "hours": problem.options.hours, "years": len(problem.years()),
               "status": f"failed: {exc}", "gap": float("nan"), "build_s": float("nan"),
               "solve_s": float("nan"), "wall_s": time.perf_counter() - t0, "variables": 0,
               "constraints": 0, "integer_variables": 0, "unpowered": {}, "expansions": {},
               "rss_mib": float("nan")}
        print(f"{label}: {row}", flush=True)
        return row
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux: KiB)
    rss_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    row = {"case": label, "hours": r.hours_per_year, "years": len(r.years),
           "status": r.status, "gap": r.mip_gap, "build_s": r.build_s, "solve_s": r.solve_s,
           "wall_s": wall, "rss_mib": rss, "rss_workers_mib": rss_workers, **r.model_size,
           "unpowered": dict(r.unpowered_gpus_by_year), "expansions": dict(r.expansions_built),
           "second_stage": {k: v for k, v in r.second_stage.items()
                            if k not in ("overloaded_lines",)}}
    print(f"{label}: {row}", flush=True)
    return row


def block_spread(rows: list[dict[str, object]]) -> str:
    """GPUs waiting per year across the block sizes and the largest spread over the years
    ((max - min) / max; target < 10 %, issue 20)."""
    waits: list[dict[int, int]] = [dict(r["unpowered"]) for r in rows]  # type: ignore[call-overload]
    years = sorted({y for w in waits for y in w})
    worst, parts = 0.0, []
    for y in years:
        v = [w.get(y, 0) for w in waits]
        sp = (max(v) - min(v)) / max(v) if max(v) > 0 else 0.0
        worst = max(worst, sp)
        parts.append(f"{y}: {'/'.join(f'{x:,}' for x in v)} ({sp:.1%})")
    return (f"GPUs waiting with 20/10/40 MW blocks, by year: {'; '.join(parts)}; "
            f"largest spread {worst:.1%} (target < 10 %)")


def table(rows: list[dict[str, object]]) -> str:
    lines = ["| case | h/year x years | status | MIP gap | build | solve | total | variables "
             "| constraints | integers | peak memory | GPUs waiting by year |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        wait = ", ".join(f"{y}: {v:,}" for y, v in r["unpowered"].items())  # type: ignore[attr-defined]
        lines.append(
            f"| {r['case']} | {r['hours']} x {r['years']} | {r['status']} "
            f"| {float(r['gap']) * 100:.2f} % | {float(r['build_s']):.1f} s "  # type: ignore[arg-type]
            f"| {float(r['solve_s']):.1f} s | {float(r['wall_s']):.1f} s "  # type: ignore[arg-type]
            f"| {int(r['variables']):,} | {int(r['constraints']):,} "  # type: ignore[call-overload]
            f"| {int(r['integer_variables'])} "  # type: ignore[call-overload]
            f"| {float(r['rss_mib']):,.0f} MiB | {wait} |")  # type: ignore[arg-type]
    for r in rows:
        s2: dict[str, object] = r.get("second_stage") or {}  # type: ignore[assignment]
        if s2:
            lines.append(f"\n{r['case']}, stage 2: {s2} (worker processes' peak memory "
                         f"{float(r['rss_workers_mib']):,.0f} MiB)")  # type: ignore[arg-type]
    return "\n".join(lines)


def write_section(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    start = doc.index(HEADING)
    nxt = doc.find("\n## ", start + len(HEADING))
    end = len(doc) if nxt < 0 else nxt + 1
    DOC.write_text(doc[:start] + text.rstrip() + "\n\n" + doc[end:], encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    ap.add_argument("--skip-full-year", action="store_true")
    ap.add_argument("--full-year-limit", type=float, default=900.0)
    ap.add_argument("--network-full", action="store_true",
                    help="also solve the bus-level network (--network full, 24 h, 300 s limit)")
    ap.add_argument("--blocks", action="store_true",
                    help="also solve the default with 10 and 40 MW blocks")
    ap.add_argument("--zonal", action="store_true", help="also solve the zonal model")
    ap.add_argument("--skip-8-days", action="store_true")
    ap.add_argument("--monolithic", action="store_true",
                    help="also try the one-year 8760-h MIP in one piece (slow)")
    args = ap.parse_args()
    rows = [run_case("default: clustered 40 buses, 20 MW blocks, peak day + 3 days", [])]
    if args.blocks:
        rows += [run_case(f"default with {b} MW blocks", [f"siting.block_mw={b}"])
                 for b in (10, 40)]
        print(block_spread(rows[-3:]), flush=True)
    if args.zonal:
        rows.append(run_case("zonal transport model (17 buses, no KVL)",
                             ["siting.network=zonal"]))
    if not args.skip_8_days:
        rows.append(run_case("8 representative days (300 s limit)",
                             ["siting.hours=192", "siting.time_limit_s=300"]))
    if not args.skip_full_year:
        rows.append(run_case("full year, 3 years, two-stage (96 h siting, then 8760 h "
                             "dispatch in 5-day blocks, 2 workers)",
                             ["siting.hours=8760",
                              f"siting.time_limit_s={args.full_year_limit}"]))
    if args.network_full:
        rows.append(run_case("full-network check (clustered siting, then 484 buses day by day "
                             "with cuts), 96 h x 3", ["siting.network=full"]))
    if args.monolithic:
        rows.append(run_case("full year, last year only, monolithic MIP",
                             ["siting.hours=8760", "siting.years=[2028]",
                              "siting.full_year=monolithic",
                              f"siting.time_limit_s={args.full_year_limit}"]))
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = (f"{HEADING}\n\nMeasured {when} by `benchmarks/site_bench.py` on "
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores visible, "
            f"Python {platform.python_version()}, HiGHS with 2 threads (machine shared with "
            "other jobs). Scenario korea-2025 (260k GPUs, deliveries 2026-2028), packaged "
            "grid data; the MIP gap is measured on the cost the fleet adds (objective less "
            "the no-AI reference LP), see docs/grid.md.\n\n" + table(rows) + "\n")
    print(text)
    if args.write:
        write_section(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
