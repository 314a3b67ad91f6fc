"""``aifab admit``: would this job be admitted now, why not, and when; ``aifab queues``:
a scenario's tenants, quotas and policies as Kueue and KAI manifests."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from aifab.commands._common import (
    CatalogOpt,
    JsonOpt,
    ScenarioArg,
    ScenarioNameOpt,
    SetOpt,
    console,
    err_console,
    load_cli_scenario,
)
from aifab.errors import BadInput

if TYPE_CHECKING:
    from aifab.sched import RunState

JobArg = Annotated[Path, typer.Argument(help="Job, JobSet or PyTorchJob manifest with the "
                                        "kueue.x-k8s.io/queue-name label.", metavar="JOB.yaml")]
KueueOpt = Annotated[Path | None, typer.Option(
    "--kueue", help="Kueue manifests (ClusterQueue, Cohort, LocalQueue, ResourceFlavor, "
    "WorkloadPriorityClass, Topology).", metavar="DIR")]
KaiOpt = Annotated[Path | None, typer.Option("--kai", help="KAI scheduler Queue manifests.",
                                             metavar="DIR")]
StateOpt = Annotated[Path | None, typer.Option(
    "--state", help="The cluster now: `kubectl get workloads -A -o json` (admitted and "
    "pending Workloads), or a run folder of `aifab simulate --out` (its running and queued "
    "jobs; its waits give the forecast).", metavar="RUN_DIR|WORKLOADS.json")]


def run_state(folder: Path, flag: str) -> RunState:
    """A twin run folder (``aifab simulate --out RUN``) as what admission and replay read:
    its tenants, jobs table and scale, through :meth:`SimResult.read` (exit 2 naming the
    summary file and field when one is missing or mistyped)."""
    from aifab.sched import RunState
    from aifab.sim.national import SimResult, summary_file

    summary = summary_file(folder)
    if not summary.is_file():
        raise BadInput(f"not a run folder of `aifab simulate --out` (no {summary.name})",
                       source=str(folder), where=flag)
    result = SimResult.read(folder)
    frames = result.frames
    for table in ("tenants", "jobs"):
        if table not in frames:
            raise BadInput(f"no {table} table ({table}.parquet): not a run folder of "
                           "`aifab simulate --out`", source=str(folder), where=flag)
    return RunState(str(folder), result.scale, tuple(str(t) for t in frames["tenants"]["tenant"]),
                    frames["jobs"])


def _state(path: Path | None, flag: str) -> Path | RunState | None:
    """``--state``/``--jobs``: a run folder is read here (sched reads no run folder);
    files (a Workload export, a sacct CSV) are passed on as they are."""
    return run_state(path, flag) if path is not None and path.is_dir() else path


def _one(kueue: Path | None, kai: Path | None, flag: str) -> Path:
    if (kueue is None) == (kai is None):
        raise BadInput("give one of --kueue DIR or --kai DIR", where=flag)
    return kueue or kai  # type: ignore[return-value]


def admit_cmd(job: JobArg, kueue: KueueOpt = None, kai: KaiOpt = None,
              state: StateOpt = None, as_json: JsonOpt = False) -> None:
    """What-if admission: admitted now? if not, why (quota, flavor, topology, priority) and
    when (from a twin run)."""
    from aifab._io import to_json, versioned
    from aifab.sched import admit, one_line, read_dir

    m = read_dir(_one(kueue, kai, "--kueue"))
    doc = admit(m, job, _state(state, "--state"))
    if as_json:
        typer.echo(to_json(versioned(doc)))
        return
    console.print(one_line(doc), markup=False, highlight=False, soft_wrap=True)
    for note in doc["unsupported"]:
        err_console.print(f"not modelled: {note}", markup=False, highlight=False)


def queues_cmd(scenario_file: ScenarioArg = None, scenario: ScenarioNameOpt = None,
               kueue: KueueOpt = None, kai: KaiOpt = None, set_: SetOpt = None,
               catalog: CatalogOpt = None) -> None:
    """Write the scenario's tenants, quotas and policies as Kueue and/or KAI manifests."""
    from aifab.sched import export_manifests

    if kueue is None and kai is None:
        raise BadInput("give --kueue DIR and/or --kai DIR to write to", where="--kueue")
    scn, cat = load_cli_scenario(scenario_file, scenario, list(set_ or []), catalog)
    for p in export_manifests(scn, cat, kueue=kueue, kai=kai):
        console.print(str(p), markup=False, highlight=False)


DesignsArg = Annotated[list[Path], typer.Argument(
    help="Quota designs: directories of Kueue or KAI manifests.", metavar="DIR...")]
JobsOpt = Annotated[Path, typer.Option(
    "--jobs", help="Workload history: Slurm sacct export (CSV, | or , separated), "
    "`kubectl get workloads -A -o json`, or a run folder of `aifab simulate --out`.",
    metavar="FILE|RUN_DIR")]
MapOpt = Annotated[list[str] | None, typer.Option(
    "--map", help="History tenant (sacct Account) to ClusterQueue.",
    metavar="TENANT=CLUSTERQUEUE")]


GraceOpt = Annotated[float | None, typer.Option(
    "--grace", min=0.0, help="Seconds from a preemption until the victim's pods are gone "
    "(Kueue holds its quota until then; 0: freed at once) [default: 30, Kubernetes' "
    "terminationGracePeriodSeconds]", metavar="SECONDS", show_default=False)]


def compare_cmd(designs: DesignsArg, jobs: JobsOpt, map_: MapOpt = None,
                grace: GraceOpt = None, as_json: JsonOpt = False) -> None:
    """Replay a workload history through quota designs: per-tenant wait, utilisation,
    preemptions, fairness."""
    from aifab._io import to_json, versioned
    from aifab.commands._common import table
    from aifab.sched import compare_designs

    mapping: dict[str, str] = {}
    for item in map_ or []:
        k, sep, v = item.partition("=")
        if not sep or not k or not v:
            raise BadInput(f"{item!r} is not TENANT=CLUSTERQUEUE", where="--map")
        mapping[k] = v
    hist = _state(jobs, "--jobs")
    assert hist is not None
    doc = compare_designs(list(designs), hist, mapping, grace)
    if as_json:
        typer.echo(to_json(versioned(doc)))
        return
    rows = []
    for d, r in doc["designs"].items():
        d = Path(d).name
        for t, s in r["tenants"].items():
            if not s["jobs"]:
                continue
            rows.append([d, t, s["jobs"], f"{s['wait_p50_h']:.2f}", f"{s['wait_p95_h']:.2f}",
                         f"{s['gpu_h']:,.0f}", s["preemptions"]])
        rows.append([d, "(all)", r["jobs"], "", "", f"utilisation {r['utilization']:.1%}",
                     f"Jain {r['jain_fairness']:.3f}"])
    t = table("design", "tenant", "jobs", "p50 h", "p95 h", "GPU-h", "preempt.")
    for row in rows:
        t.add_row(*(str(x) for x in row))
    console.print(t)


def register(app: typer.Typer) -> None:
    """Add ``admit``, ``queues`` and ``compare-queues`` to the root command."""
    app.command("admit")(admit_cmd)
    app.command("queues")(queues_cmd)
    app.command("compare-queues")(compare_cmd)
