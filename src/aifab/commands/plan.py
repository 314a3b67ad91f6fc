"""``aifab plan``, ``aifab scenarios`` and ``aifab catalog``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from aifab._io import to_json, versioned, write_text
from aifab._plan import PlanResult, plan
from aifab.catalog import load_catalog
from aifab.commands._common import (
    CatalogOpt,
    JsonOpt,
    OutOpt,
    ScenarioArg,
    ScenarioNameOpt,
    SetOpt,
    emit,
    fit,
    load_cli_scenario,
    table,
)
from aifab.scenario import embedded_scenarios, embedded_text


def _write_plan(result: PlanResult, tmp: Path, extra: dict[str, Any] | None = None) -> None:
    from aifab.report import plan_html, write_page

    result.write(tmp, extra, page=lambda path: write_page(path, plan_html(result)))


UncertaintyOpt = Annotated[bool, typer.Option(
    "--uncertainty", help="Add P5-P95 ranges of the headline figures, sampled (Latin "
    "hypercube) from the documented ranges of their assumptions (docs/sweep.md).")]
SamplesOpt = Annotated[int, typer.Option(
    "--samples", min=8, max=100_000, help="Samples for --uncertainty.", metavar="N")]
UncSeedOpt = Annotated[int, typer.Option("--seed", min=0, help="Seed for --uncertainty.")]
ManifestsOpt = Annotated[Path | None, typer.Option(
    "--manifests", help="Also write the scenario's tenants, quotas and policies as Kueue "
    "(DIR/kueue) and KAI (DIR/kai) manifests (docs/sched.md).", metavar="DIR")]


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
    manifests: ManifestsOpt = None,
) -> None:
    """Fleet, capacity (H100-equivalents), power, energy, cost, comparisons and peers."""
    scn, cat = load_cli_scenario(scenario_file, scenario, set_, catalog)
    if manifests is not None:
        from aifab.commands._common import err_console
        from aifab.sched import export_manifests

        for p in export_manifests(scn, cat, kueue=manifests / "kueue", kai=manifests / "kai"):
            err_console.print(f"wrote {p}", markup=False, soft_wrap=True)
    result = plan(scn, cat)
    doc = result.document()

    from aifab.report import print_plan

    if not uncertainty:
        emit(doc, as_json=as_json, out=out,
             write_files=lambda tmp: _write_plan(result, tmp),
             show=lambda c: print_plan(result, c))
        return
    from aifab.sweep import plan_uncertainty, print_uncertainty, write_uncertainty

    unc = plan_uncertainty(scn, cat, samples=samples, seed=seed)
    extra = {"totals_range": unc.totals_range,
             "uncertainty": {k: v for k, v in unc.to_dict().items() if k != "totals_range"}}
    doc |= extra

    def write(tmp: Path) -> None:
        _write_plan(result, tmp, extra)
        write_uncertainty(result, unc, tmp)

    def show(c: Console) -> None:
        print_plan(result, c)
        print_uncertainty(unc, c, result)

    emit(doc, as_json=as_json, out=out, write_files=write, show=show)


def scenarios_cmd(as_json: JsonOpt = False, out: OutOpt = None) -> None:
    """List the embedded scenarios."""
    items = embedded_scenarios()
    doc = {"scenarios": [{"name": k, "description": v} for k, v in items.items()]}

    def write(tmp: Path) -> None:
        write_text(tmp / "scenarios.json", to_json(versioned(doc)))
        for name in items:  # the embedded files, to start a scenario of one's own from
            write_text(tmp / f"{name}.yaml", embedded_text(name))

    def show(c: Console) -> None:
        t = table("name", "description", wrap=("description",))
        for k, v in items.items():
            t.add_row(k, v)
        c.print(fit(t), crop=False)

    emit(doc, as_json=as_json, out=out, write_files=write, show=show)


def catalog_cmd(catalog: CatalogOpt = None, as_json: JsonOpt = False, out: OutOpt = None) -> None:
    """List accelerators and systems with their key specs and sources."""
    cat = load_catalog(catalog or [])
    accs = [a.model_dump(mode="json") for a in cat.accelerators.values()]
    syss = [s.model_dump(mode="json") for s in cat.systems.values()]
    doc = {"accelerators": accs, "systems": syss}

    def write(tmp: Path) -> None:
        import pandas as pd

        write_text(tmp / "catalog.json", to_json(versioned(doc)))
        pd.DataFrame(accs).to_csv(tmp / "accelerators.csv", index=False)
        pd.DataFrame(syss).to_csv(tmp / "systems.csv", index=False)

    def show(c: Console) -> None:
        t = table("id", "kind", "mem GB", "TB/s", "BF16", "FP8", "FP4", "TDP W", "domain",
                  title="Accelerators (dense peak TFLOPS; domain: devices per NVLink domain)")
        for a in cat.accelerators.values():
            t.add_row(a.id, a.kind, f"{a.mem_gb:g}", f"{a.bw_tbps:g}",
                      *(f"{v:,.0f}" if v else "-" for v in (a.tflops_bf16, a.tflops_fp8,
                                                            a.tflops_fp4)),
                      f"{a.tdp_w:,.0f}", str(a.domain_size))
        c.print(fit(t), crop=False)
        s = table("id", "accelerator", "per system", "kW", "form", title="Systems")
        for x in cat.systems.values():
            kw = f"{x.power_kw:g}" + (f"-{x.power_kw_high:g}" if x.power_kw_high and
                                      x.power_kw_high != x.power_kw else "")
            s.add_row(x.id, x.accelerator, str(x.accelerators_per_system), kw, x.form)
        c.print(fit(s), crop=False)
        src = table("id", "name and source", wrap=("name and source",), title="Sources")
        for a in cat.accelerators.values():
            flag = " [uncertain]" if a.uncertain else ""
            src.add_row(a.id, f"{a.name}: {a.source}{flag}")
        for x in cat.systems.values():
            src.add_row(x.id, f"{x.name}: {x.source}")
        c.print(fit(src), crop=False)

    emit(doc, as_json=as_json, out=out, write_files=write, show=show)


def register(app: typer.Typer) -> None:
    """Add plan, scenarios and catalog to the root command."""
    app.command("plan")(plan_cmd)
    app.command("scenarios")(scenarios_cmd)
    app.command("catalog")(catalog_cmd)
