"""``aifab plan``, ``aifab scenarios`` and ``aifab catalog``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from aifab._io import to_json, versioned, write_text
from aifab.catalog import load_catalog
from aifab.commands._common import (
    CatalogOpt,
    JsonOpt,
    OutOpt,
    ScenarioArg,
    ScenarioNameOpt,
    SetOpt,
    console,
    emit,
    load_cli_scenario,
)
from aifab.plan import PlanResult, plan
from aifab.scenario import embedded_scenarios


def _write_plan(result: PlanResult, doc: dict[str, object], tmp: Path) -> None:
    from aifab.report import plan_html

    write_text(tmp / "plan.json", to_json(doc))
    for name, frame in result.to_frames().items():
        frame.to_csv(tmp / f"{name}.csv", index=False)
    write_text(tmp / "report.html", plan_html(result))


UncertaintyOpt = Annotated[bool, typer.Option(
    "--uncertainty", help="Add P5-P95 ranges of the headline figures, sampled (Latin "
    "hypercube) from the documented ranges of their assumptions (docs/sweep.md).")]
SamplesOpt = Annotated[int, typer.Option(
    "--samples", min=8, max=100_000, help="Samples for --uncertainty.", metavar="N")]
UncSeedOpt = Annotated[int, typer.Option("--seed", min=0, help="Seed for --uncertainty.")]


def plan_cmd(
    scenario_file: ScenarioArg = None,
    scenario: ScenarioNameOpt = None,
    set_: SetOpt = None,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
    uncertainty: UncertaintyOpt = False,
    samples: SamplesOpt = 128,
    seed: UncSeedOpt = 0,
) -> None:
    """Fleet, capacity (H100-equivalents), power, energy, cost, comparisons and peers."""
    scn, cat = load_cli_scenario(scenario_file, scenario, set_, catalog)
    result = plan(scn, cat)
    doc: dict[str, Any] = {"scenario": result.scenario, **result.to_dict()}
    doc.pop("description", None)

    from aifab.report import print_plan

    if not uncertainty:
        emit(doc, as_json=as_json, out=out,
             write_files=lambda tmp: _write_plan(result, versioned(doc), tmp),
             show=lambda c: print_plan(result, c))
        return
    from aifab.sweep import plan_uncertainty
    from aifab.sweep._plan_cli import print_uncertainty, write_uncertainty

    unc = plan_uncertainty(scn, cat, samples=samples, seed=seed)
    doc["totals_range"] = unc.totals_range
    doc["uncertainty"] = {k: v for k, v in unc.to_dict().items() if k != "totals_range"}

    def write(tmp: Path) -> None:
        _write_plan(result, versioned(doc), tmp)
        write_uncertainty(result, unc, tmp)

    def show(c: Console) -> None:
        print_plan(result, c)
        print_uncertainty(unc, c, result)

    emit(doc, as_json=as_json, out=out, write_files=write, show=show)


def scenarios_cmd(as_json: JsonOpt = False) -> None:
    """List the embedded scenarios."""
    items = embedded_scenarios()
    if as_json:
        typer.echo(to_json(versioned({"scenarios": [
            {"name": k, "description": v} for k, v in items.items()]})))
        return
    t = Table("name", "description")
    for k, v in items.items():
        t.add_row(k, v)
    console.print(t)


def catalog_cmd(catalog: CatalogOpt = None, as_json: JsonOpt = False) -> None:
    """List accelerators and systems with their key specs and sources."""
    cat = load_catalog(catalog or [])
    if as_json:
        typer.echo(to_json(versioned({
            "accelerators": [a.model_dump() for a in cat.accelerators.values()],
            "systems": [s.model_dump() for s in cat.systems.values()],
        })))
        return
    t = Table("id", "name", "kind", "mem GB", "TB/s", "BF16 TF", "FP8 TF", "FP4 TF", "TDP W",
              "domain", "source", title="Accelerators (dense peak)", title_justify="left")
    for a in cat.accelerators.values():
        t.add_row(a.id, a.name, a.kind, f"{a.mem_gb:g}", f"{a.bw_tbps:g}",
                  *(f"{v:,.0f}" if v else "-" for v in (a.tflops_bf16, a.tflops_fp8,
                                                        a.tflops_fp4)),
                  f"{a.tdp_w:,.0f}", str(a.domain_size),
                  a.source + (" [uncertain]" if a.uncertain else ""))
    console.print(t)
    s = Table("id", "name", "accelerator", "per system", "kW", "form", "source",
              title="Systems", title_justify="left")
    for x in cat.systems.values():
        kw = f"{x.power_kw:g}" + (f"-{x.power_kw_high:g}" if x.power_kw_high and
                                  x.power_kw_high != x.power_kw else "")
        s.add_row(x.id, x.name, x.accelerator, str(x.accelerators_per_system), kw, x.form,
                  x.source)
    console.print(s)


def register(app: typer.Typer) -> None:
    """Add plan, scenarios and catalog to the root command."""
    app.command("plan")(plan_cmd)
    app.command("scenarios")(scenarios_cmd)
    app.command("catalog")(catalog_cmd)
