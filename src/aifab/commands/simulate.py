"""``aifab simulate``: the national digital twin over days to a year."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from aifab._io import versioned
from aifab.commands._common import (
    CatalogOpt,
    JsonOpt,
    OutOpt,
    ScenarioArg,
    ScenarioNameOpt,
    SetOpt,
    emit,
    err_console,
    load_cli_scenario,
)
from aifab.errors import BadInput

DaysOpt = Annotated[float | None, typer.Option("--days", help="Simulated days (sim.days).")]
PolicyOpt = Annotated[str | None, typer.Option(
    "--policy", help="Queue policy: fifo, backfill, fairshare (sim.queue_policy).")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Random seed (sim.seed).")]
ReplOpt = Annotated[int, typer.Option(
    "--replications", min=1, max=100,
    help="Run seeds S..S+R-1 and report 95 % confidence intervals.")]
CapsOpt = Annotated[Path | None, typer.Option(
    "--power-caps", help="Cap each owner's facility MW at what an `aifab site` result "
    "(site.json or its --json output) powers in --caps-year.", metavar="SITE_JSON")]
CapsYearOpt = Annotated[int | None, typer.Option(
    "--caps-year", help="Year of the siting result to take caps from (default: last).")]
ResumeOpt = Annotated[Path | None, typer.Option(
    "--resume", help="Continue a killed run from DIR/checkpoint (its --out).",
    metavar="DIR")]


@contextmanager
def _progress(enabled: bool, horizon_s: float) -> Iterator[Callable[[float], None]]:
    if not enabled:
        yield lambda t: None
        return
    with Progress(TextColumn("simulating"), BarColumn(), TextColumn("day {task.completed:.0f}"
                  "/{task.total:.0f}"), TimeElapsedColumn(), console=err_console,
                  transient=True) as prog:
        task = prog.add_task("sim", total=horizon_s / 86400.0)
        yield lambda t: prog.update(task, completed=t / 86400.0)


def _show(doc: dict[str, Any], c: Console) -> None:
    st = doc["stranded"]
    t = Table("metric", "value", title=f"National twin: {doc['scenario']} "
              f"({doc['days']:g} days, {doc['policy']})", title_justify="left")
    rows = [("accelerators", f"{doc['fleet']['accelerators']:,}"),
            ("utilisation", f"{doc['utilization']:.1%}"),
            ("stranded: power / fragmentation / no demand",
             f"{st['power']:.1%} / {st['fragmentation']:.1%} / {st['idle']:.1%}"),
            ("energy", f"{doc['energy_mwh']:,.0f} MWh (mean {doc['mean_power_mw']:,.0f} MW)"),
            ("tokens served", f"{doc['tokens_served']:.3g} "
             f"(NPU share {doc['inference']['npu_share']:.1%})"),
            ("training runs completed", str(doc["training_runs_completed"])),
            ("jobs completed / preemptions",
             f"{doc['jobs']['completed']:,} / {doc['jobs']['preemptions']:,}"),
            ("events", f"{doc['events']['total']:,} in {doc['wall_s']:.1f} s")]
    for k, v in rows:
        t.add_row(k, v)
    c.print(t)
    tt = Table("tenant", "kind", "wait p50 h", "p95 h", "p99 h", "share of entitlement",
               "preemptions", title="Tenants", title_justify="left")
    for r in doc["tenants"]:
        tt.add_row(r["tenant"], r["kind"], *(f"{r[k]:.2f}" if r[k] == r[k] else "-" for k in
                   ("wait_p50_h", "wait_p95_h", "wait_p99_h", "share_of_entitlement")),
                   str(r["preemptions"]))
    c.print(tt)


def simulate_cmd(
    scenario_file: ScenarioArg = None,
    scenario: ScenarioNameOpt = None,
    days: DaysOpt = None,
    policy: PolicyOpt = None,
    seed: SeedOpt = None,
    replications: ReplOpt = 1,
    set_: SetOpt = None,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
    resume: ResumeOpt = None,
    power_caps: CapsOpt = None,
    caps_year: CapsYearOpt = None,
) -> None:
    """Simulate the shared fleet: tenants, quotas, gangs, inference on GPUs/NPUs, power."""
    from aifab.sim.national import NationalSim, build_twin, get_policy, load_checkpoint, run_sim
    from aifab.sim.national.output import write_outputs
    from aifab.sim.national.replicate import confidence

    frames: dict[str, pd.DataFrame]
    if out is not None and out.exists() and not out.is_dir():
        raise BadInput("exists and is not a directory", source=str(out))
    bar = not as_json and err_console.is_terminal
    if resume is not None:
        if (scenario_file or scenario or days or policy or seed is not None or set_
                or replications > 1 or power_caps is not None):
            raise BadInput("--resume continues a run as it was: give only --out/--json",
                           where="--resume")
        sim = load_checkpoint(resume)
        out = out or resume
        with _progress(bar, sim.twin.horizon_s) as tick:
            doc, frames = run_sim(sim, checkpoint_dir=out / "checkpoint", progress=tick)
    else:
        sets = list(set_ or [])
        sets += [f"sim.days={days}"] if days is not None else []
        sets += [f"sim.queue_policy={policy}"] if policy is not None else []
        sets += [f"sim.seed={seed}"] if seed is not None else []
        scn, cat = load_cli_scenario(scenario_file, scenario, sets, catalog)
        if power_caps is not None:
            from aifab.sim.national.caps import caps_from_site

            _, caps = caps_from_site(power_caps, [o.name for o in scn.owners], caps_year)
            scn = scn.model_copy(update={"sim": scn.sim.model_copy(
                update={"power_cap_mw": {**caps, **scn.sim.power_cap_mw}})})
        elif caps_year is not None:
            raise BadInput("--caps-year needs --power-caps", where="--caps-year")
        get_policy(scn.sim.queue_policy)
        docs = []
        for r in range(replications):
            s = scn if r == 0 else scn.model_copy(
                update={"sim": scn.sim.model_copy(update={"seed": scn.sim.seed + r})})
            sim = NationalSim(build_twin(s, cat))
            ckpt = out / "checkpoint" if out is not None and r == 0 else None
            with _progress(bar, sim.twin.horizon_s) as tick:
                d, f = run_sim(sim, checkpoint_dir=ckpt, progress=tick)
            docs.append(d)
            if r == 0:
                doc, frames = d, f
        if replications > 1:
            doc = {**doc, "confidence": confidence(docs)}
    emit(doc, as_json=as_json, out=out,
         write_files=lambda tmp: write_outputs(versioned(doc), frames, tmp),
         show=lambda c: _show(doc, c))


def register(app: typer.Typer) -> None:
    """Add ``simulate`` to the root command."""
    app.command("simulate")(simulate_cmd)
