"""Callbacks of the Runs page: launch, progress, cancel, past runs, compare."""

from __future__ import annotations

import time
from typing import Any

import dash
import plotly.graph_objects as go
from dash import ALL, Input, Output, State, dcc, html

from aifab import PlanResult
from aifab.errors import AifabError, BadInput
from aifab.serve._i18n import KEYS, t
from aifab.serve._jobs import JobManager, JobProgress, JobRequest
from aifab.serve._pages import aria, graph, refused, run_label, table
from aifab.serve._paths import ResultsDir, kind_of
from aifab.sim.national import SimResult


def run_callbacks(app: dash.Dash, results: ResultsDir, manager: JobManager) -> None:
    @app.callback(Output("job-msg", "children"), Input("job-launch", "n_clicks"),
                  State("job-kind", "value"), State("job-scenario", "value"),
                  State("job-days", "value"), State("job-scale", "value"),
                  State("job-seed", "value"), State("job-policy", "value"),
                  State("job-hours", "value"), State("job-spec", "value"),
                  State("job-siting", "value"),
                  State("lang", "value"), prevent_initial_call=True)
    def launch(n: int, kind: str, scenario: str, days: Any, scale: Any, seed: Any,
               policy: Any, hours: Any, spec: Any, siting: Any, lang: str) -> Any:
        req = JobRequest(kind=kind, scenario=scenario, days=days, scale=scale, seed=seed,
                         policy=policy, hours=hours, spec=spec, siting=siting or None)
        try:
            job = manager.launch(req)
        except AifabError as exc:
            return html.Div(str(exc), className="error", role="alert")
        return [t("started", lang) + " ", html.Span(job.id, id="job-started")]

    @app.callback(Output("jobs-table", "children"), Output("past-runs", "children"),
                  Output("cmp-a", "options"), Output("cmp-b", "options"),
                  Input("jobs-tick", "n_intervals"), Input("job-msg", "children"),
                  State("lang", "value"), State("cmp-a", "options"))
    def refresh(_n: Any, _msg: Any, lang: str, old_opts: Any) -> Any:
        rows = []
        for j in manager.poll():
            prog = manager.progress(j)
            rel = results.rel(j.out)
            bar = (html.Progress(value=str(round(prog.fraction * 100)), max="100",
                                 **aria(f"{j.id} progress"), className=f"stage-{prog.stage}")
                   if prog.fraction is not None else html.Span("..."))
            end = j.ended or time.time()
            rows.append(html.Tr([
                html.Td(j.id), html.Td(t(j.kind, lang)),
                html.Td(t(f"state_{j.state}", lang), className=f"state-{j.state}",
                        id=f"state-{j.id}"),
                html.Td([bar, " ", html.Span(progress_text(prog, j.state, rel, lang),
                                             className="note", id=f"progress-{j.id}")]),
                html.Td(f"{end - j.started:,.0f} s"),
                html.Td(html.Button(t("cancel", lang), id={"type": "job-cancel", "id": j.id},
                                    className="secondary", n_clicks=0)
                        if j.state == "running" else
                        dcc.Link(t("open", lang), href=_open_href(j.kind, rel))
                        if j.state == "done" else ""),
            ]))
        jobs = (html.Table([html.Thead(html.Tr([html.Th(h, scope="col") for h in (
            "id", t("kind", lang), t("state", lang), t("progress", lang), t("time", lang), "")])),
            html.Tbody(rows)], className="tbl", id="jobs") if rows
            else html.P(t("none", lang), className="note"))
        runs = results.runs()
        past = html.Table([html.Thead(html.Tr([html.Th(h, scope="col") for h in (
            t("run", lang), t("kind", lang), "UTC", "", "")])), html.Tbody([
                html.Tr([html.Td(r.rel), html.Td(t(r.kind, lang)),
                         html.Td(f"{r.modified:%Y-%m-%d %H:%M}"),
                         html.Td([dcc.Link(t("open", lang), href=_open_href(r.kind, r.rel)),
                                  *(x for k in r.covers for x in (" · ", dcc.Link(
                                      t(_PAGE[k], lang), href=_open_href(k, r.rel))))]),
                         html.Td(html.A(t("report", lang), href=f"/files/{r.rel}/report.html",
                                        target="_blank")
                                 if (results.root / r.rel / "report.html").is_file() else "")])
                for r in runs])], className="tbl", id="runs") if runs else html.P(
            t("none", lang), className="note")
        opts = [{"label": run_label(r, lang), "value": r.rel} for r in runs]
        if opts == old_opts:  # leave an open menu alone
            return jobs, past, dash.no_update, dash.no_update
        return jobs, past, opts, opts

    @app.callback(Output("job-msg", "children", allow_duplicate=True),
                  Input({"type": "job-cancel", "id": ALL}, "n_clicks"),
                  prevent_initial_call=True)
    def cancel(clicks: list[int]) -> Any:
        trig = dash.ctx.triggered_id
        if not isinstance(trig, dict) or not any(clicks):
            return dash.no_update
        ok = manager.cancel(str(trig["id"]))
        return html.Span(f"cancelled {trig['id']}" if ok else f"{trig['id']} was not running")

    @app.callback(Output("cmp-body", "children"), Input("cmp-a", "value"),
                  Input("cmp-b", "value"), State("lang", "value"))
    def compare(a: str | None, b: str | None, lang: str) -> Any:
        if not a or not b:
            return html.P(t("pick_two", lang), className="note")
        docs = []
        figs = []
        for rel in (a, b):
            try:
                kind, doc = _run_doc(results, rel)
            except AifabError as exc:
                return refused(str(exc), lang)
            docs.append((kind, doc))
            if isinstance(doc, SimResult):
                figs.append((rel, doc.frames["timeseries"]))
        from aifab.serve._compare import compare_frames

        df, inputs = compare_frames(docs[0], docs[1], lang)
        df = df.rename(columns={"A": f"A: {a}", "B": f"B: {b}"})
        body: list[Any] = [table(df, "cmp-table", labels=False, lang=lang),
                           html.H3(t("inputs_differ", lang)),
                           table(inputs, "cmp-inputs", labels=False, lang=lang) if len(inputs)
                           else html.P(t("inputs_same", lang), className="note")]
        if len(figs) == 2:
            from aifab.report import SERIES_COLOURS, style_figure

            fig = go.Figure([go.Scatter(x=ts["t_h"] / 24, y=ts["allocated"], mode="lines",
                                        name=f"{ab}: {rel}", line={"color": c, "dash": d})
                             for (rel, ts), ab, c, d in zip(
                                 figs, "AB", (SERIES_COLOURS["run_a"], SERIES_COLOURS["run_b"]),
                                 ("solid", "dash"),
                                 strict=True)])
            fig.update_layout(xaxis_title="simulated day", yaxis_title="accelerators allocated",
                              yaxis_rangemode="nonnegative")
            body.append(graph("cmp-fig", style_figure(fig, title="Allocated accelerators",
                                                      height=320)))
        return body


def progress_text(prog: JobProgress, state: str, rel: str, lang: str) -> str:
    """A job's status line for people: where a finished job wrote its results (the folder
    inside the results folder, never a server path); a failed one's error; otherwise its
    stage (the twin's warm-up named as such), the event's detail and, while it runs, the
    time left (a cancelled job: where it stopped). In Korean the detail is
    given only where it is numbers (the twin's days, the sweep's variants)."""
    if state == "done":
        return f"{t('wrote', lang)} {rel}"
    if state == "failed":
        return prog.message  # the CLI's error line
    if not prog.stage:
        return ""
    parts = [t(f"stage_{prog.stage}", lang) if f"stage_{prog.stage}" in KEYS
             else prog.stage]
    detail = prog.message
    if prog.stage in ("warm-up", "simulating"):
        detail = detail.replace("warm-up ", "")
        if lang == "ko":
            detail = detail.replace("day ", "").replace("seed", "시드").replace(" of ", "/")
            detail = f"{detail}일" if "(" not in detail else detail.replace(" (", "일 (", 1)
    elif prog.stage == "sweep" and lang == "ko":
        detail = detail.replace(" variants", "")
    elif lang == "ko":
        detail = ""
    if detail:
        parts.append(detail)
    if (state == "running" and prog.eta_s is not None and prog.fraction is not None
            and prog.fraction < 1):
        left = (f"{prog.eta_s:,.0f} s" if prog.eta_s < 90 else f"{prog.eta_s / 60:,.0f} min")
        if lang == "ko":
            left = left.replace(" s", "초").replace(" min", "분")
        parts.append(f"{left} {t('eta', lang)}")
    return " · ".join(parts)


_PAGE = {"simulate": "twin", "site": "map", "sweep": "sweeps"}


def _open_href(kind: str, rel: str) -> str:
    page = _PAGE.get(kind)
    return f"/{page}?run={rel}" if page else f"/files/{rel}/report.html"


def _run_doc(results: ResultsDir, rel: str) -> tuple[str, dict[str, Any] | SimResult | PlanResult]:
    """A run's kind and its result: a twin run (with its time series) and a plan typed, a
    siting and a sweep read typed and given as their documents, a report's JSON."""
    from aifab.grid import site_file
    from aifab.report import report_doc_file

    d = results.resolve(rel)
    kind = kind_of(d)
    if kind == "simulate":
        return kind, results.read_twin(rel, ("timeseries",))
    if kind == "sweep":
        return kind, results.read_sweep(rel, variants=False)[0].to_dict()
    if kind == "plan":
        return kind, results.read_plan(rel)
    if site_file(d).is_file():  # a siting (or a combined report's), read typed
        return "site", results.read_site(rel).to_dict()
    if report_doc_file(d).is_file():
        return "report", results.read_report(rel, ()).headline.to_dict()
    raise BadInput("not a run folder", source=rel)
