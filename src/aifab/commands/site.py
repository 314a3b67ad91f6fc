"""``aifab site``: place every AI-factory campus on the zonal grid model, year by year."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

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

HoursOpt = Annotated[
    int | None,
    typer.Option("--hours", help="Modelled hours per year: representative days x 24, or 8760 "
                                 "for the full year (default: scenario siting.hours, 144).",
                 metavar="N"),
]
NetworkOpt = Annotated[
    str | None,
    typer.Option("--network", help="clustered (default: 40 buses from the OSM network, "
                                   "linear power flow), zonal (one bus per region, transport "
                                   "model) or full (one bus per OSM substation).",
                 metavar="clustered|zonal|full"),
]
FlexShareOpt = Annotated[
    float | None,
    typer.Option("--flex-share", help="Offer, for every campus, curtailment of up to this share "
                                      "of the year's hours (e.g. 0.005), with the scenario's "
                                      "shed depth; reports the GPUs it connects.", metavar="S"),
]
LoadProfileOpt = Annotated[
    Path | None,
    typer.Option("--load-profile", help="Campuses draw the twin's hourly shape: an `aifab "
                                        "simulate --out DIR` (its campus_power_hourly.csv) "
                                        "instead of the flat load factor.", metavar="DIR"),
]
CoupleOpt = Annotated[
    bool,
    typer.Option("--couple-twin", help="Close the loop: run the twin, site with its load "
                                       "shape, run the twin under the caps siting gives, ... "
                                       "until no owner's cap moves by more than --tol-mw."),
]
RoundsOpt = Annotated[int, typer.Option("--rounds", min=1, max=20,
                                        help="Most twin -> site rounds with --couple-twin.")]
TolOpt = Annotated[float, typer.Option("--tol-mw", min=0.0,
                                       help="Consistency tolerance (facility MW per owner).")]
HostingOpt = Annotated[
    bool,
    typer.Option("--hosting", help="Also compute each candidate site's hosting capacity per "
                                   "year: firm MW the network takes there, and MW if "
                                   "curtailable 22/44/88 h a year (two LPs per bus and year)."),
]
TimeLimitOpt = Annotated[
    float | None, typer.Option("--time-limit", help="Solver time limit in seconds.", metavar="S")
]


def _show(result: Any, c: Console) -> None:
    last = max(result.years)
    p = result.placements
    t = Table(title=f"Placements by the end of {last} (facility MW at nameplate)")
    for col in ("owner", "site", "region", "MW", "GPUs"):
        t.add_column(col, justify="right" if col in ("MW", "GPUs") else "left")
    rows = p[p["year"] == last].sort_values(["owner", "mw"], ascending=[True, False])
    for _, r in rows.iterrows():
        t.add_row(r["owner"], r["site"], r["region"], f"{r['mw']:,.1f}", f"{r['gpus']:,}")
    c.print(t)
    u = Table(title="GPUs waiting for power")
    u.add_column("year")
    u.add_column("GPUs", justify="right")
    for y, v in result.unpowered_gpus_by_year.items():
        u.add_row(str(y), f"{v:,}")
    c.print(u)
    k = Table(title="Annual cost (trillion KRW) and CO2")
    for col in ("year", "generation", "sites", "corridors", "GPUs waiting", "total", "CO2 Mt"):
        k.add_column(col, justify="right")
    for _, r in result.annual_cost.iterrows():
        y = int(r["year"])
        k.add_row(str(y), *(f"{r[x] / 1e12:,.3f}" for x in (
            "generation_krw", "site_build_krw", "corridor_expansion_krw",
            "shortfall_penalty_krw", "total_krw")), f"{result.co2_mt_by_year[y]:,.1f}")
    c.print(k)
    if not result.hosting.empty:
        h = Table(title="Hosting capacity per site (MW; grid only, no other campuses)")
        shown = list(result.hosting.columns[:list(result.hosting.columns).index("connect_mw")
                                             + 1])  # the map columns are in JSON/CSV only
        for col in shown:
            h.add_column(col, justify="left" if col in ("site", "bus") else "right")
        for _, r in result.hosting[shown].iterrows():
            h.add_row(*(f"{v:,.0f}" if isinstance(v, float) else str(v) for v in r))
        c.print(h)
    cor = result.corridors.sort_values("max_loading_pct", ascending=False).head(6)
    c.print("Most loaded corridors: " + ", ".join(
        f"{r['name']} {r['max_loading_pct']:.0f} %" for _, r in cor.iterrows()))
    if result.expansions_built:
        c.print("Corridor expansions chosen: " + ", ".join(
            f"{k} ({v})" for k, v in result.expansions_built.items()))
    if result.calibration:
        ct = Table(title="Calibration of the base case (no AI load)")
        for col in ("kind", "metric", "ours", "reported", "band", "within"):
            ct.add_column(col, justify="left" if col in ("kind", "metric") else "right")
        for r in result.calibration:
            ct.add_row(r.kind, r.metric, f"{r.ours:,.1f}", f"{r.reported:,.1f}",
                       f"{r.low:g}-{r.high:g} {r.unit}", "yes" if r.within else "no")
        c.print(ct)
    f = result.flexibility
    if f:
        ft = Table(title=f"Flexibility (curtailment up to {f['flex_share']} of the hours)")
        for col in ("year", "GPUs connected by flexibility", "waiting without", "curtailed MWh",
                    "curtailed h (max campus)", "compute lost GPU-h"):
            ft.add_column(col, justify="right")
        for y in result.years:
            ft.add_row(str(y), f"{f['connected_gain_by_year'][y]:,}",
                       f"{f['unpowered_without_flex_by_year'][y]:,}",
                       f"{f['curtailed_mwh'][y]:,.0f}", f"{f['curtailed_hours'][y]:,.1f}",
                       f"{f['compute_lost_gpu_h'][y]:,.0f}")
        c.print(ft)
    _show_second_stage(result.second_stage, c)
    gap = result.mip_gap
    c.print(f"status {result.status}, MIP gap {gap * 100:.2f} % of the fleet's added cost, "
            f"build {result.build_s:.1f} s, solve {result.solve_s:.1f} s, "
            f"{result.model_size['variables']:,} variables, "
            f"{result.model_size['constraints']:,} constraints, "
            f"{result.time_method}, {result.hours_per_year} h/year")


def _show_second_stage(s: dict[str, Any], c: Console) -> None:
    """The full-network check or the full-year dispatch (stage 2), if run."""
    if not s:
        return
    full = s["kind"] == "full_network_check"
    t = Table(title=(f"Full-network check ({s['buses']} buses, {s['lines']} lines): "
                     f"{s['check']}, {s['lines_overloaded']} lines overloaded, "
                     f"{s['rounds_total']} re-solves" if full else
                     f"Full year ({s['blocks']} blocks of {s['block_days']} day(s))"))
    cols = (("redispatch_cost_krw", "redispatch (bn KRW)"), ("load_shed_mwh", "shed MWh"),
            ("campus_curtailed_mwh", "campus curtailed MWh"),
            ("gpus_unpowered_worst_hour", "GPUs off, worst hour")) if full else (
        ("generation_krw", "generation (trillion KRW)"), ("co2_mt", "CO2 Mt"),
        ("load_shed_mwh", "shed MWh"), ("campus_curtailed_mwh", "campus curtailed MWh"),
        ("gpus_unpowered_worst_hour", "GPUs off, worst hour"))
    t.add_column("year")
    for _, label in cols:
        t.add_column(label, justify="right")
    for y, row in s["by_year"].items():
        vals = []
        for key, _ in cols:
            v = float(row[key])
            vals.append(f"{v / 1e9:,.1f}" if key == "redispatch_cost_krw" else
                        f"{v / 1e12:,.3f}" if key == "generation_krw" else f"{v:,.1f}"
                        if key == "co2_mt" else f"{v:,.0f}")
        t.add_row(str(y), *vals)
    c.print(t)
    if full and s["overloaded_lines"]:
        c.print("Lines overloaded before their cut (worst first): " + ", ".join(
            f"{x['line']} {x['region0']}-{x['region1']} {x['loading_pct']:.0f} %"
            for x in s["overloaded_lines"][:5]))


def _show_coupling(cp: dict[str, Any], c: Console) -> None:
    t = Table(title=f"Twin <-> siting: {cp['rounds']} round(s), "
              f"{'consistent' if cp['converged'] else 'NOT consistent'} within "
              f"{cp['tol_mw']:g} MW (caps {cp['caps_year']})")
    for col in ("round", "twin mean MW", "siting caps MW (sum)", "largest cap change MW"):
        t.add_column(col, justify="right")
    for h in cp["history"]:
        ch = h["max_cap_change_mw"]
        t.add_row(str(h["round"]), f"{h['twin_mean_power_mw']:,.1f}",
                  f"{sum(h['siting_caps_mw'].values()):,.1f}",
                  "-" if ch is None else f"{ch:,.2f}")
    c.print(t)


def _show_coupled(cp: Any, c: Console) -> None:
    _show(cp.siting, c)
    _show_coupling(cp.to_dict(), c)


def _write(res: Any, siting: Any, tmp: Path) -> None:
    """The run folder: the typed result's files and its page (drawn at the solved
    siting's coordinates)."""
    from aifab.report import site_html, write_page

    res.write(tmp, page=lambda p: write_page(p, site_html(res, siting.geo)))


def site_cmd(
    scenario_file: ScenarioArg = None,
    scenario: ScenarioNameOpt = None,
    set_: SetOpt = None,
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
    out: OutOpt = None,
    hours: HoursOpt = None,
    time_limit: TimeLimitOpt = None,
    network: NetworkOpt = None,
    flex_share: FlexShareOpt = None,
    load_profile: LoadProfileOpt = None,
    couple_twin: CoupleOpt = False,
    rounds: RoundsOpt = 5,
    tol_mw: TolOpt = 1.0,
    hosting: HostingOpt = False,
) -> None:
    """Grid-aware siting: campuses per owner, site and year on a clustered network of Korea."""
    from aifab._progress import chain, site_events
    from aifab.grid import SiteResult, read_load_profile, site

    scn, cat = load_cli_scenario(scenario_file, scenario, set_, catalog)
    if couple_twin and load_profile is not None:
        raise BadInput("--couple-twin makes its own load profile (no --load-profile)",
                       where="--load-profile")
    profile = read_load_profile(load_profile) if load_profile is not None else None
    if couple_twin:
        from aifab.grid import profile_from_frame
        from aifab.sim.national import couple

        def site_with(s: Any, frame: Any) -> Any:
            return site(s, catalog=cat, hours=hours, time_limit_s=time_limit, network=network,
                        flex_share=flex_share,
                        load_profile=profile_from_frame(frame, "the twin's campus power"))

        cp = couple(scn, site_with, catalog=cat, rounds=rounds, tol_mw=tol_mw)
        res = SiteResult.from_siting(scn.name, cp.siting, coupling=cp.to_dict())
        emit(res.to_dict(), as_json=as_json, out=out,
             write_files=lambda tmp: _write(res, cp.siting, tmp),
             show=lambda c: _show_coupled(cp, c))
        return
    if as_json or not err_console.is_terminal:
        result = site(scn, catalog=cat, hours=hours, time_limit_s=time_limit,
                      network=network, flex_share=flex_share, load_profile=profile,
                      hosting=hosting, progress=site_events(hosting))
    else:
        with err_console.status("aifab site: starting") as status:
            result = site(scn, catalog=cat, hours=hours, time_limit_s=time_limit,
                          network=network, flex_share=flex_share, load_profile=profile,
                          progress=chain(lambda msg: status.update(f"aifab site: {msg}"),
                                         site_events(hosting)),
                          hosting=hosting)
    typed = SiteResult.from_siting(scn.name, result, load_profile=profile)
    emit(typed.to_dict(), as_json=as_json, out=out,
         write_files=lambda tmp: _write(typed, result, tmp),
         show=lambda c: _show(result, c))


def register(app: typer.Typer) -> None:
    """Add ``aifab site`` to the CLI."""
    app.command("site")(site_cmd)
