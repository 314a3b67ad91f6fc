"""``aifab report``: plan, siting and the national twin of one scenario in one HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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

NoSiteOpt = Annotated[bool, typer.Option("--no-site", help="Skip the grid siting stage.")]
NoSimOpt = Annotated[bool, typer.Option("--no-simulate", help="Skip the national twin.")]
DaysOpt = Annotated[float | None, typer.Option(
    "--days", help="Simulated days for the twin (default: the scenario's sim.days).")]
SiteCapsOpt = Annotated[bool, typer.Option(
    "--site-caps", help="Cap each owner's power in the twin at what siting powers in its "
                        "last year (needs the siting stage).")]
OutReqOpt = Annotated[Path, typer.Option("--out", help="Directory for the report and its data.",
                                         metavar="DIR")]

LangOpt = Annotated[str, typer.Option(
    "--lang", help="Language of report.html: en (default) or ko (Korean: charts, tables, "
                   "headings, money in 억/조 원); en,ko (or ko,en) writes the second language "
                   "beside it as report-<lang>.html from the same run.")]


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
    lang: LangOpt = "en",
) -> None:
    """One report for a scenario: plan, grid siting and the national twin (report.html)."""
    from aifab.report import build_report, print_report

    if site_caps and no_site:
        raise BadInput("--site-caps needs the siting stage (drop --no-site)", where="--site-caps")
    sets = list(set_ or []) + ([f"sim.days={days}"] if days is not None else [])
    scn, cat = load_cli_scenario(scenario_file, scenario, sets, catalog)
    quiet = as_json or not err_console.is_terminal

    def say(msg: str) -> None:
        if not quiet:
            err_console.print(f"[dim]aifab report: {msg}[/dim]")

    from aifab.report import REPORT_LANGS, report_language

    langs = [x.strip() for x in lang.split(",")]
    if any(x not in REPORT_LANGS for x in langs) or len(set(langs)) != len(langs):
        raise BadInput(f"must be en, ko, en,ko or ko,en, not {lang!r}", where="--lang")
    with report_language(langs[0]):
        result = build_report(scn, cat, site=not no_site, simulate=not no_simulate,
                              site_caps=site_caps, say=say)
    result = result.with_pages(langs[1:])
    emit(result.to_dict(), as_json=as_json, out=out, write_files=result.write,
         show=lambda c: print_report(result, c))
    for name in result.older_pages():  # an older run's page in another language
        (out / name).unlink(missing_ok=True)


def register(app: typer.Typer) -> None:
    """Add ``aifab report`` to the CLI."""
    app.command("report")(report_cmd)
