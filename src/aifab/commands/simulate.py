"""``aifab simulate``: the national digital twin over days to a year."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from aifab._io import to_json, versioned
from aifab._progress import chain, twin_events
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

if TYPE_CHECKING:
    from aifab.sim.national import CurtailWindow, SiteConstraints

DaysOpt = Annotated[float | None, typer.Option("--days", help="Simulated days (sim.days).")]
PolicyOpt = Annotated[str | None, typer.Option(
    "--policy", help="Queue policy: fifo, backfill, fairshare (sim.queue_policy).")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Random seed (sim.seed).")]
ReplOpt = Annotated[int, typer.Option(
    "--replications", min=1, max=100,
    help="Run seeds S..S+R-1 and report 95 % confidence intervals.")]
CapsOpt = Annotated[Path | None, typer.Option(
    "--power-caps", help="Cap each owner's facility MW at what an `aifab site` result "
    "(its --out folder, its site.json or its --json output) powers in --caps-year; its "
    "hourly curtailment, if any, becomes curtailment windows (see --curtail).",
    metavar="SITE_DIR|SITE_JSON")]
CapsYearOpt = Annotated[int | None, typer.Option(
    "--caps-year", help="Year of the siting result to take caps from (default: last).")]
CurtailOpt = Annotated[Path | None, typer.Option(
    "--curtail", help="Curtailment windows (CSV: start_h after the warm-up, duration_h, "
    "depth as a share of the campus draw, owner or *): the twin pauses training, then moves "
    "or sheds inference; --json gains `flexibility`. Checkpointed with the run.",
    metavar="CSV")]
ResumeOpt = Annotated[Path | None, typer.Option(
    "--resume", help="Continue a killed run from DIR/checkpoint (its --out); scenario "
    "flags, if given, must match the checkpoint's.", metavar="DIR")]


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


ForceOpt = Annotated[bool, typer.Option(
    "--force", help="Overwrite another run's results or checkpoint in --out.")]
KueueDirOpt = Annotated[Path | None, typer.Option(
    "--kueue", help="Tenants, quotas and policies from Kueue manifests; the twin admits, "
    "borrows and preempts by them (with --policy: tenants only; docs/sched.md).",
    metavar="DIR")]
KaiDirOpt = Annotated[Path | None, typer.Option(
    "--kai", help="Tenants, quotas and policies from KAI scheduler Queues; the twin admits "
    "by them (with --policy: tenants only; docs/sched.md).",
    metavar="DIR")]


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
    force: ForceOpt = False,
    curtail: CurtailOpt = None,
    kueue: KueueDirOpt = None,
    kai: KaiDirOpt = None,
) -> None:
    """Simulate the shared fleet: tenants, quotas, gangs, inference on GPUs/NPUs, power."""
    from aifab.catalog import load_catalog
    from aifab.report import print_sim, write_sim_outputs
    from aifab.sim.national import (
        Runner,
        TwinRequest,
        checkpoint_dir,
        finish,
        finish_run_dir,
        get_queue_policy,
        load_checkpoint,
        prepare_run_dir,
        run_twin,
        save_checkpoint,
    )

    if caps_year is not None and power_caps is None:
        raise BadInput("--caps-year needs --power-caps", where="--caps-year")
    scn = cat = None
    kpol = None  # the imported Kueue/KAI admission as the twin's queue policy
    constraints: SiteConstraints | None = None
    if resume is None or scenario_file or scenario or days is not None or policy or \
            seed is not None or set_ or power_caps is not None:
        sets = list(set_ or [])
        sets += [f"sim.days={days}"] if days is not None else []
        sets += [f"sim.queue_policy={policy}"] if policy is not None else []
        sets += [f"sim.seed={seed}"] if seed is not None else []
        scn, cat = load_cli_scenario(scenario_file, scenario, sets, catalog)
        from aifab.sched import read_dir, with_manifests

        # one of the flags: its folder is read once, for the tenants and the policy (both:
        # with_manifests says so)
        path = kueue if kai is None else kai if kueue is None else None
        read = None if path is None else read_dir(path)
        scn = with_manifests(scn, cat, kueue, kai,
                             lambda n: err_console.print(f"not modelled: {n}", markup=False,
                                                       soft_wrap=True),
                             keep_policy=policy is not None, read=read)
        if (kueue or kai) is not None and policy is None:  # the twin admits by them
            from aifab.sched import twin_policy

            if replications > 1 or resume is not None:
                raise BadInput("a run under Kueue/KAI semantics is one run (no "
                               "--replications or --resume); --policy NAME runs the twin's "
                               "own policy on the imported tenants", where="--kueue/--kai")
            assert read is not None  # one flag, else with_manifests has refused
            kpol = twin_policy(read, scn)
        if power_caps is not None:
            constraints = _constraints(power_caps, [o.name for o in scn.owners], caps_year)
        get_queue_policy(scn.sim.queue_policy)
    bar = not as_json and err_console.is_terminal
    if resume is not None:
        if replications > 1:
            raise BadInput("--resume continues one run (no --replications)", where="--resume")
        if curtail is not None:
            raise BadInput("a resumed run keeps the curtailment windows its checkpoint "
                           "holds (no --curtail with --resume)", where="--curtail")
        cat = cat or load_catalog(catalog or [])
        expect = constraints.apply(scn) if constraints is not None and scn else scn
        run, scn = load_checkpoint(resume, cat, expect=expect)
        out = out or resume
        prepare_run_dir(out, force, keep_checkpoint=out.resolve() == resume.resolve())
    elif out is not None:
        prepare_run_dir(out, force)
    assert scn is not None and cat is not None

    def ckpt(r: Runner) -> None:
        assert out is not None and scn is not None and cat is not None
        save_checkpoint(r, scn, cat, checkpoint_dir(out))

    windows: tuple[CurtailWindow, ...] = ()
    if curtail is not None:
        from aifab.sim.national import read_curtailment

        windows = tuple(read_curtailment(curtail, [o.name for o in scn.owners]))
    request = None
    if resume is None:
        request = TwinRequest(scn, catalog=cat, constraints=constraints, windows=windows,
                              replications=replications, policy=kpol).check()
        scn = request.run_scenario  # what checkpoints record
    with _progress(bar, (scn.sim.warmup_days + scn.sim.days) * 86400.0) as tick:
        tick = chain(tick, twin_events(scn.sim.warmup_days, scn.sim.days, replications))
        if request is None:
            result = finish(run, checkpoint=ckpt if out else None, progress=tick)
        else:
            result = run_twin(request, checkpoint=ckpt if out and kpol is None else None,
                              progress=tick)
    doc = result.to_dict()
    adm = None
    if kpol is not None:
        from aifab.sched import admission_report

        adm = doc["admission"] = _loops(admission_report(kpol))

    def files(tmp: Path) -> None:
        write_sim_outputs(result, tmp)
        if adm is not None:  # rule L9
            (tmp / "admission.json").write_text(to_json(versioned(adm)) + "\n")

    emit(doc, as_json=as_json, out=out, write_files=files,
         show=lambda c: print_sim(result, c))
    if out is not None:
        finish_run_dir(out)


def _loops(rep: dict[str, Any]) -> dict[str, Any]:
    """Say where admission looped (rule L9, docs/sched.md) on stderr, the ten loops over
    the most instants first; the report."""
    loops = sorted(rep["loops"], key=lambda lp: (-lp["instants"], lp["first_day"]))
    for lp in loops[:10]:
        qs = lp["cluster_queues"]
        err_console.print(
            f"admission looped at {lp['instants']} instants (days {lp['first_day']:.3f}-"
            f"{lp['last_day']:.3f}): {len(lp['workloads'])} workloads of "
            f"{', '.join(qs[:6])}{' ...' if len(qs) > 6 else ''} preempted and admitted "
            "again every cycle until the engine's cycle limit (preemptor thrashing: "
            "kubernetes-sigs/kueue#13662, #14543; Kueue's PrioritizePreemptorWorkloads "
            "gate is for it)", markup=False, soft_wrap=True)
    if len(loops) > 10:
        err_console.print(f"... and {len(loops) - 10:,} more loops over "
                          f"{sum(lp['instants'] for lp in loops[10:]):,} instants (`admission` "
                          "in --json or admission.json)", markup=False, soft_wrap=True)
    other = rep["instants_at_cycle_limit"] - sum(lp["instants"] for lp in rep["loops"])
    if other > 0:
        err_console.print(f"{other} instants ended at the engine's cycle limit without a "
                          "repeat found", markup=False, soft_wrap=True)
    und = rep["undone"]
    if und["preemptions"]:  # rule L10
        top = ", ".join(f"{c['cluster_queue']} ({c['preemptions']:,})"
                        for c in und["cluster_queues"][:3])
        err_console.print(
            f"{und['preemptions']:,} preemptions of {und['workloads']:,} workloads were undone "
            f"at {und['instants']:,} instants (the victim admitted again in the same instant; "
            f"{und['running_jobs_stopped']:,} running jobs stopped and started again); most in "
            f"{top}", markup=False, soft_wrap=True)
    again = rep.get("again") or {}
    if again.get("workloads"):  # rule L11
        w = again["most"][0]
        err_console.print(
            f"{again['workloads']:,} workloads were preempted {again['at_least']} times or "
            f"more ({again['preemptions']:,} preemptions); most: {w['workload']} of "
            f"{w['cluster_queue']}, {w['preemptions']:,} times (days {w['first_day']:.3f}-"
            f"{w['last_day']:.3f}): the victim admitted again before its preemptor "
            "(kubernetes-sigs/kueue#14543)", markup=False, soft_wrap=True)
    return rep


def _constraints(path: Path, owners: list[str], year: int | None) -> SiteConstraints:
    """The twin inputs of an ``aifab site`` result: a site run folder (``site --out``),
    read typed by :func:`aifab.grid.read_site`, or a JSON file (site.json or ``site
    --json``). Exit 2 naming the file and field on a bad one."""
    import json

    from aifab._io import read_text_file
    from aifab.sim.national import site_constraints

    if path.is_dir():
        from aifab.grid import read_site, site_file

        return site_constraints(read_site(path), owners, year, str(site_file(path)))

    try:
        doc = json.loads(read_text_file(path, "siting result"))
    except json.JSONDecodeError as exc:
        raise BadInput(f"not JSON ({exc.msg}, line {exc.lineno})", source=str(path)) from None
    return site_constraints(doc if isinstance(doc, dict) else {}, owners, year, str(path))


def register(app: typer.Typer) -> None:
    """Add ``simulate`` to the root command."""
    app.command("simulate")(simulate_cmd)
