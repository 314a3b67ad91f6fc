"""``aifab sweep``: run a spec's variants on Ray; summary, sensitivity, Parquet and HTML."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from aifab._progress import chain, sweep_events
from aifab.commands._common import JsonOpt, OutOpt, emit, err_console
from aifab.errors import BadInput

SpecArg = Annotated[Path | None, typer.Argument(
    help="Sweep spec (YAML/JSON): base scenario, parameters, design, stages, metrics.",
    metavar="SPEC")]
AddressOpt = Annotated[str | None, typer.Option(
    "--address", help="Ray cluster to use (e.g. ray://head:10001 or auto); default: an "
    "embedded local Ray.", metavar="ADDR")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", help="Variants at once (local Ray: its CPUs; default all cores). 0 runs "
    "serially in this process without Ray.", metavar="N")]
ResumeOpt = Annotated[Path | None, typer.Option(
    "--resume", help="Continue a killed sweep from DIR (its --out): runs only the variants "
    "missing from DIR/journal.jsonl.", metavar="DIR")]
RetryOpt = Annotated[bool, typer.Option("--retry-failed",
                                        help="Run failed variants again on a rerun/resume.")]


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[int, int], None]]:
    if not enabled:
        yield lambda done, total: None
        return
    with Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("ETA"), TimeRemainingColumn(), console=err_console,
                  transient=True) as prog:
        task = prog.add_task("sweep", total=None)

        def tick(done: int, total: int) -> None:
            prog.update(task, completed=done, total=total)

        yield tick


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _show(doc: dict[str, Any], c: Console) -> None:
    from aifab.report import fmt_value, label, param_label

    t = Table("metric", "P5", "P50", "P95", title=f"Sweep {doc['name']}: {doc['variants']:,} "
              f"variants ({doc['design']}), {doc['done']:,} done, {doc['failed']:,} failed, "
              f"{doc['wall_s']:.1f} s", title_justify="left")
    for m, v in doc["summary"].items():
        t.add_row(label(m), *(fmt_value(m, v[k]) for k in ("p5", "p50", "p95")))
    c.print(t)
    sens = doc["sensitivity"]
    for m, per in sens["metrics"].items():
        if not per:
            continue
        if sens["method"] == "sobol":
            s = Table("parameter", "S1", "ST", title=f"Sobol indices: {label(m)}",
                      title_justify="left")
            for p, v in sorted(per.items(), key=lambda kv: -kv[1]["ST"]):
                s.add_row(param_label(p), f"{v['S1']:.3f} ± {v['S1_conf']:.3f}",
                          f"{v['ST']:.3f} ± {v['ST_conf']:.3f}")
        elif sens["method"] == "tornado":
            base = next(iter(per.values()))["base_metric"]
            s = Table("parameter", "low -> high", "metric at low", "at high", "swing",
                      title=f"Tornado: {label(m)} (base {fmt_value(m, base)})",
                      title_justify="left")
            for p, v in per.items():
                s.add_row(param_label(p), f"{_fmt(v['low'])} -> {_fmt(v['high'])}",
                          fmt_value(m, v["metric_low"]), fmt_value(m, v["metric_high"]),
                          fmt_value(m, v["swing"]))
        else:
            s = Table("parameter", "Spearman rho", title=f"Rank correlation: {label(m)}",
                      title_justify="left")
            for p, v in per.items():
                s.add_row(param_label(p), f"{v['rho']:+.3f}" if v["rho"] == v["rho"] else "-")
        c.print(s)
    for e in doc["errors"][:5]:
        c.print(f"[yellow]failed ({e['variants']}):[/] {e['error']}")
    if doc.get("designs"):
        _show_designs(doc["designs"], c)


def _show_designs(designs: dict[str, Any], c: Console) -> None:
    from aifab.report import fmt_value, label

    rows = designs["rows"]
    names = [", ".join(f"{k.split('.', 1)[-1]}={_fmt(v)}" for k, v in r["params"].items())
             or "all" for r in rows]
    t = Table("metric", *names, title="Per design: mean (min-max over "
              f"{', '.join(designs['over']) or 'variants'})", title_justify="left")
    t.add_row("done", *(f"{r['done']}/{r['variants']}" for r in rows))
    for m in (rows[0]["metrics"] if rows else {}):
        t.add_row(label(m), *(f"{fmt_value(m, r['metrics'][m]['mean'])} ("
                              f"{fmt_value(m, r['metrics'][m]['min'])}-"
                              f"{fmt_value(m, r['metrics'][m]['max'])})" for r in rows))
    c.print(t)


def sweep_cmd(
    spec_file: SpecArg = None,
    address: AddressOpt = None,
    workers: WorkersOpt = None,
    out: OutOpt = None,
    resume: ResumeOpt = None,
    retry_failed: RetryOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run scenario variants (grid, random, LHS, Saltelli, one-at-a-time) on Ray."""
    from aifab.sweep import load_spec, load_state_spec, sweep, sweep_document, write_designs

    if resume is not None:
        if spec_file is not None:
            raise BadInput("--resume continues the sweep in DIR with its own spec: give no "
                           "SPEC", where="--resume")
        if out is not None and out.resolve() != resume.resolve():
            raise BadInput("--resume writes into DIR itself: give no other --out",
                           where="--out")
        spec = load_state_spec(resume)
        out = resume
    elif spec_file is None:
        raise BadInput("give a SPEC file (or --resume DIR)", where="SPEC")
    else:
        spec = load_spec(spec_file)
    if out is not None and out.exists() and not out.is_dir():
        raise BadInput("exists and is not a directory", source=str(out))
    with _progress(not as_json and err_console.is_terminal) as tick:
        tick = chain(tick, sweep_events())
        result = sweep(spec, workers=workers, address=address, state_dir=out,
                       retry_failed=retry_failed, progress=tick)
    typed = sweep_document(result)  # with the designs over seeds (quota stage)
    doc = typed.to_dict()
    emit(doc, as_json=as_json, out=out,
         write_files=lambda tmp: write_designs(result, tmp, typed),
         show=lambda c: _show(doc, c))
    if typed.variants and typed.failed == typed.variants:
        first = typed.errors[0].error if typed.errors else "see the results"
        raise BadInput(f"all {typed.failed:,} variants failed (first error: {first})",
                       where="sweep")


def register(app: typer.Typer) -> None:
    """Add ``sweep`` to the root command."""
    app.command("sweep")(sweep_cmd)
