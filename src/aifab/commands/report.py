"""``aifab report``: plan, siting and the national twin of one scenario in one HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from aifab._io import to_json, versioned, write_text
from aifab.commands._common import (
    CatalogOpt,
    JsonOpt,
    ScenarioArg,
    ScenarioNameOpt,
    SetOpt,
    emit,
    err_console,
    load_cli_scenario,
)
from aifab.errors import BadInput
from aifab.plan import plan

NoSiteOpt = Annotated[bool, typer.Option("--no-site", help="Skip the grid siting stage.")]
NoSimOpt = Annotated[bool, typer.Option("--no-simulate", help="Skip the national twin.")]
DaysOpt = Annotated[float | None, typer.Option(
    "--days", help="Simulated days for the twin (default: the scenario's sim.days).")]
SiteCapsOpt = Annotated[bool, typer.Option(
    "--site-caps", help="Cap each owner's power in the twin at what siting powers in its "
                        "last year (needs the siting stage).")]
OutReqOpt = Annotated[Path, typer.Option("--out", help="Directory for the report and its data.",
                                         metavar="DIR")]


def _headline(plan_doc: dict[str, Any], site_doc: dict[str, Any] | None,
              sim_doc: dict[str, Any] | None) -> dict[str, Any]:
    t = plan_doc["totals"]
    out: dict[str, Any] = {
        "scenario": plan_doc["scenario"],
        "plan": {k: t[k] for k in ("accelerators", "facility_power_mw", "annual_energy_twh",
                                   "annual_cost_krw", "annual_co2_mt")},
        "shares": {c["region"]: c["share"] for c in plan_doc["comparisons"]},
    }
    if site_doc is not None:
        out["site"] = {"status": site_doc["status"],
                       "unpowered_gpus_by_year": site_doc["unpowered_gpus_by_year"]}
        if "twin_power_caps" in site_doc:
            out["site"]["twin_power_caps"] = site_doc["twin_power_caps"]
    if sim_doc is not None:
        out["simulate"] = {k: sim_doc[k] for k in ("days", "policy", "utilization", "stranded",
                                                   "energy_mwh", "tokens_served")}
    return out


def _show(head: dict[str, Any], c: Console) -> None:
    t = Table("stage", "result", title=f"aifab report: {head['scenario']}",
              title_justify="left")
    p = head["plan"]
    t.add_row("plan", f"{p['accelerators']:,} accelerators, {p['facility_power_mw']:,.0f} MW, "
              f"{p['annual_energy_twh']:.2f} TWh/yr ("
              + ", ".join(f"{v:.1%} of {k}" for k, v in head["shares"].items()) + ")")
    if "site" in head:
        wait = ", ".join(f"{y}: {n:,}" for y, n in head["site"]["unpowered_gpus_by_year"].items())
        t.add_row("site", f"{head['site']['status']}; GPUs waiting for power {wait}")
    if "simulate" in head:
        s = head["simulate"]
        st = s["stranded"]
        t.add_row("simulate", f"{s['days']:g} days, {s['policy']}: utilisation "
                  f"{s['utilization']:.1%}; stranded power {st['power']:.1%}, fragmentation "
                  f"{st['fragmentation']:.1%}, no demand {st['idle']:.1%}")
    c.print(t)


def report_cmd(
    scenario_file: ScenarioArg = None,
    scenario: ScenarioNameOpt = None,
    set_: SetOpt = None,
    catalog: CatalogOpt = None,
    out: OutReqOpt = Path("aifab-report"),
    no_site: NoSiteOpt = False,
    no_simulate: NoSimOpt = False,
    days: DaysOpt = None,
    site_caps: SiteCapsOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """One report for a scenario: plan, grid siting and the national twin (report.html)."""
    from aifab.report import plan_sections, render_html

    if site_caps and no_site:
        raise BadInput("--site-caps needs the siting stage (drop --no-site)", where="--site-caps")
    sets = list(set_ or []) + ([f"sim.days={days}"] if days is not None else [])
    scn, cat = load_cli_scenario(scenario_file, scenario, sets, catalog)
    quiet = as_json or not err_console.is_terminal

    def say(msg: str) -> None:
        if not quiet:
            err_console.print(f"[dim]aifab report: {msg}[/dim]")

    say("plan")
    result = plan(scn, cat)
    plan_doc = {"scenario": result.scenario, **result.to_dict()}
    sections = plan_sections(result)
    files: dict[str, str] = {"plan.json": to_json(versioned(plan_doc))}

    site_doc = None
    if not no_site:
        from aifab.grid import site, site_sections

        say("site (grid model, about 30 s for the national default)")
        sres = site(scn, catalog=cat)
        site_doc = {"scenario": scn.name, **sres.to_dict()}
        sections += site_sections(sres)
        files["site.json"] = to_json(versioned(site_doc))
        if site_caps:
            from aifab.sim.national import apply_caps, caps_from_siting

            caps = caps_from_siting(sres, [o.name for o in scn.owners])
            site_doc["twin_power_caps"] = caps.to_dict()
            scn = apply_caps(scn, caps)

    sim_doc = None
    if not no_simulate:
        from aifab.report import sim_sections
        from aifab.sim.national import simulate

        say(f"simulate ({scn.sim.days:g} days)")
        sim_res = simulate(scn, catalog=cat)
        sim_doc = sim_res.to_dict()
        sections += sim_sections(sim_res)
        files["simulate.json"] = to_json(versioned(sim_doc))

    head = _headline(plan_doc, site_doc, sim_doc)
    html = render_html(f"aifab report: {scn.name}", sections, scn.description)

    def write(tmp: Path) -> None:
        for name, text in files.items():
            write_text(tmp / name, text)
        write_text(tmp / "report.json", to_json(versioned(head)))
        write_text(tmp / "report.html", html)

    emit(head, as_json=as_json, out=out, write_files=write, show=lambda c: _show(head, c))


def register(app: typer.Typer) -> None:
    """Add ``aifab report`` to the CLI."""
    app.command("report")(report_cmd)
