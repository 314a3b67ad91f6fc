"""Options and output helpers shared by every sub-command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from aifab._io import atomic_out_dir, to_json, versioned
from aifab._terminal import fit, table
from aifab.catalog import Catalog, load_catalog
from aifab.errors import BadInput
from aifab.scenario import Scenario, load_scenario

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", help="Write result files into DIR (atomically).", metavar="DIR"),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario field: PATH=VALUE (dotted path).",
                 metavar="PATH=VALUE"),
]
CatalogOpt = Annotated[
    list[Path] | None,
    typer.Option("--catalog", help="Extra catalogue file (YAML/CSV) of accelerators/systems.",
                 metavar="FILE"),
]

ScenarioArg = Annotated[
    str | None,
    typer.Argument(help="Scenario file (YAML/TOML) or embedded name; default: korea-2025.",
                   metavar="SCENARIO_FILE"),
]
ScenarioNameOpt = Annotated[
    str | None, typer.Option("--scenario", help="Embedded scenario name (see `aifab scenarios`).")
]

console = Console()
err_console = Console(stderr=True)

__all__ = ["fit", "table"]  # re-exported for the command modules


def load_cli_scenario(scenario_file: str | None, scenario: str | None,
                      sets: list[str] | None, catalog: list[Path] | None,
                      ) -> tuple[Scenario, Catalog]:
    """The scenario and catalogue a command's SCENARIO_FILE/--scenario/--set/--catalog name."""
    if scenario_file is not None and scenario is not None:
        raise typer.BadParameter("give a SCENARIO_FILE or --scenario, not both")
    cat = load_catalog(catalog or [])
    scn = load_scenario(scenario_file or scenario, sets or [], catalog=cat)
    # Regions named in compare_with are resolved by aifab.power (a layer above scenario):
    # check them here, where the file is known, so the message names it.
    # Models in workload.inference are perf's (also a layer above): the same, so that an
    # unknown one names the file when the scenario loads, not when plan measures the mix.
    from aifab.perf import default_models
    from aifab.power import regions_for

    source = scenario_file or scenario or "korea-2025"
    try:
        regions_for(scn)
    except BadInput as exc:
        raise BadInput(str(exc), source=source) from None
    models = default_models().models
    for i, it in enumerate(scn.workload.inference):
        if it.model not in models:
            raise BadInput(f"unknown model {it.model!r} (known: {', '.join(sorted(models))})",
                           source=source, where=f"workload.inference[{i}].model")
    return scn, cat


def emit(doc: dict[str, Any], *, as_json: bool, out: Path | None,
         write_files: Callable[[Path], None] | None = None,
         show: Callable[[Console], None] | None = None) -> None:
    """Finish a command: write ``--out`` files atomically, then print JSON or tables."""
    doc = versioned(doc)
    if out is not None:
        with atomic_out_dir(out) as tmp:
            if write_files is not None:
                write_files(tmp)
    if as_json:
        typer.echo(to_json(doc))
    elif show is not None:
        show(console)
    if out is not None and not as_json:
        err_console.print(f"wrote results to {out}")
