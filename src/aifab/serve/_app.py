"""The Dash app of ``aifab serve``: pages, callbacks and the results-folder file route."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import dash
import pandas as pd
from dash import ALL, Input, Output, State, dcc, html
from flask import abort, send_file

from aifab.errors import AifabError, BadInput
from aifab.report._style import (
    fmt_big,
    fmt_int,
    fmt_num,
    fmt_share,
    format_frame,
    label,
)
from aifab.serve import _figures as F
from aifab.serve._i18n import LANGS, t, tl
from aifab.serve._jobs import JobManager, JobRequest
from aifab.serve._pages import PAGES, aria, cards, graph, page_layout, refused
from aifab.serve._paths import PathRefused, ResultsDir

_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2733}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:1rem;padding:.6rem 1rem;
background:#0b3a5b;color:white}
header.top a{color:white;margin-right:.9rem;text-decoration:none;font-weight:500}
header.top a:hover,header.top a:focus{text-decoration:underline}
header.top .brand{font-weight:700;margin-right:1rem}
header.top label{color:white}
main{max-width:1200px;margin:0 auto;padding:0 1rem 2rem}
.note{color:#4a5563;font-size:.85rem}
ul.strip{display:flex;flex-wrap:wrap;gap:.6rem;list-style:none;padding:0;margin:1rem 0}
ul.strip li{background:#f3f5f8;border-radius:6px;padding:.5rem .8rem;min-width:10rem}
ul.strip .v{display:block;font-size:1.35rem;font-weight:600}
ul.strip .k{display:block;font-size:.82rem;color:#4a5563}
ul.strip .src{display:block;font-size:.72rem;color:#4a5563}
.cols{display:flex;flex-wrap:wrap;gap:1.2rem}.knobs{flex:0 0 280px}.figs{flex:1 1 600px;min-width:0}
.cols2{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
.cols5{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.8rem}
.field{margin:.5rem 0}.field label{display:block;font-size:.85rem;margin-bottom:.15rem}
.field input{width:100%;padding:.3rem;border:1px solid #767676;border-radius:4px}
fieldset{border:1px solid #ccd;border-radius:6px}
button{background:#0b3a5b;color:white;border:0;border-radius:4px;padding:.45rem 1rem;
cursor:pointer;margin:.5rem .5rem .5rem 0}
button.secondary{background:#8a1c00}
.refused,.error{background:#fdecea;border:1px solid #b3261e;color:#6b1510;padding:.5rem;
border-radius:4px;margin:.6rem 0}
table.tbl{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
table.tbl th,table.tbl td{padding:.25rem .5rem;border-bottom:1px solid #e3e6ea;text-align:left}
table.tbl th{background:#f3f5f8}
figure.chart{margin:.6rem 0}figcaption.alt{font-size:.8rem;color:#4a5563}
progress{width:10rem}
"""


def _table(df: pd.DataFrame, tid: str | None = None) -> html.Table:
    shown = format_frame(df)
    return html.Table([
        html.Thead(html.Tr([html.Th(c, scope="col") for c in shown.columns])),
        html.Tbody([html.Tr([html.Td(v) for v in row])
                    for row in shown.itertuples(index=False, name=None)]),
    ], className="tbl", id=tid or "")


def _query(search: str | None) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items() if v}


def create_app(results_dir: Path | str, *, jobs: JobManager | None = None) -> dash.Dash:
    """The dashboard over ``results_dir`` (created if missing). It reads and writes only
    inside that folder; any request for a path outside it is refused."""
    results = ResultsDir(results_dir)
    manager = jobs or JobManager(results)
    app = dash.Dash(__name__, title="aifab", suppress_callback_exceptions=True,
                    serve_locally=True, update_title="",
                    assets_folder=str(Path(__file__).with_name("assets")))
    app.index_string = app.index_string.replace("{%css%}", "{%css%}<style>" + _CSS + "</style>")
    app.index_string = app.index_string.replace("<html>", '<html lang="en">')
    app.layout = html.Div([
        dcc.Location(id="url"),
        html.Header([html.Span("aifab", className="brand"), html.Nav(id="nav"),
                     html.Div([html.Label("Language / 언어", htmlFor="lang"),
                               dcc.RadioItems(id="lang", inline=True, value="en",
                                              options=[{"label": " English", "value": "en"},
                                                       {"label": " 한국어", "value": "ko"}],
                                              persistence=True)], className="field lang")],
                    className="top"),
        html.Main(id="page"),
    ])
    server: Any = app.server
    server.config["aifab.results"] = results
    server.config["aifab.jobs"] = manager

    @server.route("/files/<path:rel>")
    def files(rel: str) -> Any:
        try:
            path = results.resolve(rel)
        except PathRefused:
            abort(403)
        if not path.is_file():
            abort(404)
        return send_file(path)

    @app.callback(Output("page", "children"), Output("nav", "children"),
                  Input("url", "pathname"), Input("url", "search"), Input("lang", "value"))
    def render(pathname: str | None, search: str | None, lang: str | None) -> Any:
        lang = lang if lang in LANGS else "en"
        page = (pathname or "/").strip("/").split("/")[0] or "overview"
        query = _query(search)
        nav = [dcc.Link(t(p, lang), href=f"/{p}", id=f"nav-{p}") for p in PAGES]
        if page not in PAGES:
            return [html.H1("Not found", id="page-title")], nav
        for key in ("run", "scenario"):
            if key in query:
                try:
                    results.resolve(query[key]) if key == "run" else None
                except PathRefused as exc:
                    return [html.H1(t(page, lang), id="page-title"), refused(str(exc), lang)], nav
        return page_layout(page, lang, results, query), nav

    _plan_callbacks(app, results)
    _run_callbacks(app, results, manager)
    _view_callbacks(app, results)
    return app


def _load_scenario(results: ResultsDir, name: str) -> Any:
    from aifab.scenario import embedded_scenarios, load_scenario

    if name in embedded_scenarios():
        return load_scenario(name)
    return load_scenario(str(results.resolve(name)))


#: The NPU the Plan page adds (catalogue accelerator and system ids): FuriosaAI RNGD,
#: the Korean inference NPU the twin's default NPU pools also use.
NPU_CARD = ("rngd", "rngd-server")


def _npu_owner(scn: Any) -> str:
    """Who gets the NPU cards: the first public owner (the national centre), else the first."""
    public = [o.name for o in scn.owners if o.kind == "public"]
    return public[0] if public else str(scn.owners[0].name)


def _plan_callbacks(app: dash.Dash, results: ResultsDir) -> None:
    from aifab import plan
    from aifab.report._plan import plan_figures, plan_summary
    from aifab.scenario import Scenario

    @app.callback(Output("plan-knobs", "children"), Input("plan-scenario", "value"),
                  State("lang", "value"))
    def knobs(name: str, lang: str) -> Any:
        try:
            scn = _load_scenario(results, name)
        except AifabError as exc:
            return html.Div(str(exc), className="error", role="alert")
        counts: dict[str, int] = {}
        for f in scn.fleets:
            counts[f.owner] = counts.get(f.owner, 0) + f.count
        fac, pr = scn.facility, scn.prices

        def num(fid: Any, label: str, value: Any, step: Any, lo: Any = None,
                hi: Any = None) -> html.Div:
            # Dash renders a dict id as JSON with sorted keys: the label must match it.
            lid = fid if isinstance(fid, str) else json.dumps(fid, sort_keys=True,
                                                              separators=(",", ":"))
            return html.Div([html.Label(label, htmlFor=lid),
                             dcc.Input(id=fid, type="number", value=value, step=step, min=lo,
                                       max=hi, debounce=True)],
                            className="field")

        return [
            *(num({"type": "plan-count", "owner": o}, f"{t('count_of', lang)} {o}", n, 1, 0)
              for o, n in counts.items()),
            num("plan-pue", t("pue", lang), fac.pue, 0.01, 1.0, 3.0),
            num("plan-lf", t("load_factor", lang), fac.load_factor, 0.01, 0.01, 1.0),
            html.Div([html.Label(t("system_power", lang), htmlFor="plan-sp"),
                      dcc.Dropdown(id="plan-sp", options=["low", "mid", "high"],
                                   value=fac.system_power, clearable=False)],
                     className="field"),
            num("plan-tariff", t("tariff", lang), pr.tariff_krw_per_kwh, 1, 1),
            num("plan-npus", f"{t('npu_cards', lang)} ({_npu_owner(scn)})", 0, 8, 0),
        ]

    outs = ["plan-power", "plan-energy", "plan-growth", "plan-h100e", "plan-output"]

    @app.callback(
        Output("plan-cards", "children"), Output("plan-error", "children"),
        *(Output(o, "figure") for o in outs), *(Output(f"{o}-alt", "children") for o in outs),
        Input({"type": "plan-count", "owner": ALL}, "value"),
        State({"type": "plan-count", "owner": ALL}, "id"),
        Input("plan-pue", "value"), Input("plan-lf", "value"), Input("plan-sp", "value"),
        Input("plan-tariff", "value"), Input("plan-npus", "value"),
        State("plan-scenario", "value"), State("lang", "value"))
    def update(counts: list[Any], ids: list[dict[str, str]], pue: Any, lf: Any, sp: Any,
               tariff: Any, npus: Any, name: str, lang: str) -> Any:
        nothing = [dash.no_update] * (2 * len(outs))
        try:
            base = _load_scenario(results, name)
            want = {i["owner"]: c for i, c in zip(ids, counts, strict=True)}
            doc = base.model_dump()
            have: dict[str, int] = {}
            for f in base.fleets:
                have[f.owner] = have.get(f.owner, 0) + f.count
            fleets = []
            for f in doc["fleets"]:
                new = want.get(f["owner"], have[f["owner"]])
                if new is None or float(new) < 0:
                    raise BadInput(f"GPUs of {f['owner']} must be a count of at least 0",
                                   where=f"counts.{f['owner']}")
                k = round(f["count"] * float(new) / have[f["owner"]])
                if k > 0:
                    fleets.append({**f, "count": k})
            if npus:
                if float(npus) < 0 or float(npus) != int(float(npus)):
                    raise BadInput("NPU cards must be a whole number of at least 0",
                                   where="npus")
                fleets.append({"owner": _npu_owner(base), "accelerator": NPU_CARD[0],
                               "system": NPU_CARD[1], "count": int(float(npus)),
                               "delivery_year": min(f.delivery_year for f in base.fleets),
                               "assumed": True, "note": "NPU cards added in the dashboard"})
            if not fleets:
                raise BadInput("the fleet is empty: give at least one owner some GPUs",
                               where="counts")
            doc["fleets"] = fleets
            doc["facility"] = {**doc["facility"], "pue": pue, "load_factor": lf,
                               "system_power": sp}
            doc["prices"] = {**doc["prices"], "tariff_krw_per_kwh": tariff}
            try:
                scn = Scenario.model_validate(doc)
            except Exception as exc:  # pydantic ValidationError: name the first field
                errs: list[Any] = getattr(exc, "errors", lambda: [])()
                where = ".".join(str(p) for p in errs[0]["loc"]) if errs else "scenario"
                msg = errs[0]["msg"] if errs else str(exc)
                raise BadInput(msg, where=where) from None
            r = plan(scn)
        except AifabError as exc:
            return (dash.no_update, html.Div(str(exc), className="error", role="alert"),
                    *nothing)
        from aifab.report._style import describe_figure

        figs = plan_figures(r)
        items = [(tl(k, lang), v, "") for k, v in plan_summary(r)]
        fig_list = [figs.get(o.removeprefix("plan-"), figs["power"]) for o in outs]
        return (cards(items), "", *fig_list, *(describe_figure(f) for f in fig_list))


def _run_callbacks(app: dash.Dash, results: ResultsDir, manager: JobManager) -> None:
    @app.callback(Output("job-msg", "children"), Input("job-launch", "n_clicks"),
                  State("job-kind", "value"), State("job-scenario", "value"),
                  State("job-days", "value"), State("job-scale", "value"),
                  State("job-seed", "value"), State("job-policy", "value"),
                  State("job-hours", "value"), State("job-spec", "value"),
                  prevent_initial_call=True)
    def launch(n: int, kind: str, scenario: str, days: Any, scale: Any, seed: Any,
               policy: Any, hours: Any, spec: Any) -> Any:
        req = JobRequest(kind=kind, scenario=scenario, days=days, scale=scale, seed=seed,
                         policy=policy, hours=hours, spec=spec)
        try:
            job = manager.launch(req)
        except AifabError as exc:
            return html.Div(str(exc), className="error", role="alert")
        return html.Span(f"started {job.id}", id="job-started")

    @app.callback(Output("jobs-table", "children"), Output("past-runs", "children"),
                  Output("cmp-a", "options"), Output("cmp-b", "options"),
                  Input("jobs-tick", "n_intervals"), Input("job-msg", "children"),
                  State("lang", "value"), State("cmp-a", "options"))
    def refresh(_n: Any, _msg: Any, lang: str, old_opts: Any) -> Any:
        rows = []
        for j in manager.poll():
            frac, msg = manager.progress(j)
            rel = results.rel(j.out)
            bar = (html.Progress(value=str(round(frac * 100)), max="100",
                                 **aria(f"{j.id} progress"))
                   if frac is not None else html.Span("..."))
            end = j.ended or time.time()
            rows.append(html.Tr([
                html.Td(j.id), html.Td(j.kind),
                html.Td(j.state, className=f"state-{j.state}", id=f"state-{j.id}"),
                html.Td([bar, " ", html.Span(msg, className="note")]),
                html.Td(f"{end - j.started:,.0f} s"),
                html.Td(html.Button(t("cancel", lang), id={"type": "job-cancel", "id": j.id},
                                    className="secondary", n_clicks=0)
                        if j.state == "running" else
                        dcc.Link(t("open", lang), href=_open_href(j.kind, rel))
                        if j.state == "done" else ""),
            ]))
        jobs = (html.Table([html.Thead(html.Tr([html.Th(h, scope="col") for h in (
            "id", t("kind", lang), t("state", lang), t("progress", lang), "time", "")])),
            html.Tbody(rows)], className="tbl", id="jobs") if rows
            else html.P(t("none", lang), className="note"))
        runs = results.runs()
        past = html.Table([html.Thead(html.Tr([html.Th(h, scope="col") for h in (
            t("run", lang), t("kind", lang), "UTC", "", "")])), html.Tbody([
                html.Tr([html.Td(r.rel), html.Td(r.kind), html.Td(f"{r.modified:%Y-%m-%d %H:%M}"),
                         html.Td(dcc.Link(t("open", lang), href=_open_href(r.kind, r.rel))),
                         html.Td(html.A(t("report", lang), href=f"/files/{r.rel}/report.html",
                                        target="_blank")
                                 if (results.root / r.rel / "report.html").is_file() else "")])
                for r in runs])], className="tbl", id="runs") if runs else html.P(
            t("none", lang), className="note")
        opts = [{"label": r.label, "value": r.rel} for r in runs]
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
                  Input("cmp-b", "value"))
    def compare(a: str | None, b: str | None) -> Any:
        if not a or not b:
            return html.P("Pick two runs.", className="note")
        cols: dict[str, dict[str, str]] = {}
        figs = []
        for rel in (a, b):
            try:
                kind, doc = _run_doc(results, rel)
            except AifabError as exc:
                return refused(str(exc), "en")
            cols[rel] = F.headline(kind, doc)
            if kind == "simulate":
                figs.append((rel, pd.read_parquet(results.resolve(rel) / "timeseries.parquet")))
        keys = list(dict.fromkeys(k for c in cols.values() for k in c))
        df = pd.DataFrame({"figure": keys, **{f"A: {a}": [cols[a].get(k, "-") for k in keys],
                                              f"B: {b}": [cols[b].get(k, "-") for k in keys]}})
        body: list[Any] = [_table(df, "cmp-table")]
        if len(figs) == 2:
            import plotly.graph_objects as go

            from aifab.report._style import style_figure

            fig = go.Figure([go.Scatter(x=ts["t_h"] / 24, y=ts["allocated"], mode="lines",
                                        name=f"{ab}: {rel}", line={"color": c, "dash": d})
                             for (rel, ts), ab, c, d in zip(
                                 figs, "AB", ("#0072B2", "#D55E00"), ("solid", "dash"),
                                 strict=True)])
            fig.update_layout(xaxis_title="simulated day", yaxis_title="accelerators allocated",
                              yaxis_rangemode="nonnegative")
            body.append(graph("cmp-fig", style_figure(fig, title="Allocated accelerators",
                                                      height=320)))
        return body


def _open_href(kind: str, rel: str) -> str:
    page = {"simulate": "twin", "site": "map", "sweep": "sweeps"}.get(kind)
    return f"/{page}?run={rel}" if page else f"/files/{rel}/report.html"


def _run_doc(results: ResultsDir, rel: str) -> tuple[str, dict[str, Any]]:
    d = results.resolve(rel)
    for kind, name in (("sweep", "sweep.json"), ("simulate", "summary.json"),
                       ("site", "site.json"), ("report", "report.json"), ("plan", "plan.json")):
        if (d / name).is_file():
            return kind, results.read_json(f"{rel}/{name}")
    raise BadInput("not a run folder", source=rel)


def _view_callbacks(app: dash.Dash, results: ResultsDir) -> None:
    from aifab.serve._map import load_siting, siting_figure

    @app.callback(Output("ov-cards", "children"), Input("ov-scenario", "value"),
                  State("lang", "value"))
    def overview(name: str, lang: str) -> Any:
        from aifab import plan

        try:
            r = plan(_load_scenario(results, name))
        except AifabError as exc:
            return html.Div(str(exc), className="error", role="alert")
        from aifab.catalog import default_catalog
        from aifab.report._plan import accelerator_kind

        tt = r.totals
        cat = default_catalog()
        npus = sum(f.count for f in r.fleet if accelerator_kind(cat, f.accelerator) == "npu")
        src = f"{t('from_plan', lang)} {name}"
        items = [(t("gpus", lang), fmt_int(tt.accelerators - npus), src),
                 *([(t("npus", lang), fmt_int(npus), src)] if npus else []),
                 (t("it_mw", lang), fmt_num(tt.it_power_mw, 0), src),
                 (t("facility_mw", lang), fmt_num(tt.facility_power_mw, 0), src),
                 (t("twh", lang), fmt_num(tt.annual_energy_twh, 2), src),
                 (t("cost", lang), fmt_big(tt.annual_cost_krw), src)]
        seoul = [c for c in r.comparisons if c.region == "Seoul"]
        if seoul:
            items.append((t("share_seoul", lang), fmt_share(seoul[0].share), src))
        site = results.runs(("site",))
        if site:
            doc = results.read_json(f"{site[0].rel}/site.json")
            wait = doc.get("unpowered_gpus_by_year", {})
            if wait:
                y = max(wait)
                items.append((f"{t('waiting', lang)} ({y})", fmt_int(wait[y]),
                              f"{t('from_run', lang)} {site[0].rel}"))
        else:
            items.append((t("waiting", lang), "-", t("no_site_run", lang)))
        sim = results.runs(("simulate",))
        if sim:
            doc = results.read_json(f"{sim[0].rel}/summary.json")
            items.append((t("utilisation", lang), fmt_share(doc.get("utilization")),
                          f"{t('from_run', lang)} {sim[0].rel}"))
            if "goodput" in doc:
                items.append((t("goodput", lang), fmt_share(doc["goodput"]),
                              f"{t('from_run', lang)} {sim[0].rel}"))
        else:
            items.append((t("utilisation", lang), "-", t("no_sim_run", lang)))
        return cards(items)

    def pick(rel: str | None, kinds: tuple[str, ...]) -> Path | None:
        if rel:
            return results.resolve(rel)
        runs = results.runs(kinds)
        return results.resolve(runs[0].rel) if runs else None

    @app.callback(Output("twin-body", "children"), Input("twin-run", "value"),
                  State("lang", "value"))
    def twin(rel: str | None, lang: str) -> Any:
        try:
            d = pick(rel, ("simulate",))
            if d is None:
                return html.P(t("no_sim_run", lang), className="note")
            doc = results.read_json(f"{results.rel(d)}/summary.json")
            figs = F.twin_figures(d, doc)
        except PathRefused as exc:
            return refused(str(exc), lang)
        except (AifabError, OSError, KeyError) as exc:
            return html.Div(f"cannot read this run: {exc}", className="error", role="alert")
        head = F.headline("simulate", doc)
        ctx = F.twin_context(d, doc)
        return [html.P(ctx, className="note", id="twin-context"),
                cards([(tl(k, lang), v, "") for k, v in head.items() if k not in
                       ("days", "policy", "seed", "scale")]),
                *(graph(k, f) for k, f in figs.items())]

    @app.callback(Output("map-year-box", "children"), Input("map-run", "value"),
                  State("lang", "value"))
    def map_years(rel: str | None, lang: str) -> Any:
        try:
            d = pick(rel, ("site",))
        except PathRefused as exc:
            return refused(str(exc), lang)
        if d is None:
            return html.P(t("no_site_run", lang), className="note")
        years = [int(y) for y in results.read_json(f"{results.rel(d)}/site.json")["years"]]
        return html.Div([html.Label(t("year", lang), htmlFor="map-year"),
                         dcc.Slider(id="map-year", min=min(years), max=max(years), step=None,
                                    marks={y: str(y) for y in years}, value=max(years))],
                        className="field")

    @app.callback(Output("map-body", "children"), Input("map-year", "value"),
                  State("map-run", "value"), State("lang", "value"))
    def map_body(year: int | None, rel: str | None, lang: str) -> Any:
        try:
            d = pick(rel, ("site",))
            if d is None:
                return ""
            result = load_siting(d)
            fig = siting_figure(result, year)
        except PathRefused as exc:
            return refused(str(exc), lang)
        except AifabError as exc:
            return html.Div(str(exc), className="error", role="alert")
        return graph("map-graph", fig)

    @app.callback(Output("sweep-body", "children"), Input("sweep-run", "value"),
                  State("lang", "value"))
    def sweeps(rel: str | None, lang: str) -> Any:
        try:
            d = pick(rel, ("sweep",))
            if d is None:
                return html.P(t("no_sweep_run", lang), className="note")
            variants = pd.read_parquet(d / "variants.parquet")
        except PathRefused as exc:
            return refused(str(exc), lang)
        except (AifabError, OSError) as exc:
            return html.Div(f"cannot read this sweep: {exc}", className="error", role="alert")
        metrics = F.sweep_metrics(variants)
        if not metrics:
            return html.P("This sweep has no metric columns.", className="note")
        ok = F._ok(variants)
        summary = pd.DataFrame([{
            "metric": label(m.removeprefix("metric.")),
            "P5": ok[m].quantile(0.05), "P50": ok[m].quantile(0.5), "P95": ok[m].quantile(0.95),
        } for m in metrics])
        n_ok, n_all = len(ok), len(variants)
        return [html.P(f"{n_ok:,} of {n_all:,} variants finished.", className="note"),
                _table(summary, "sweep-summary"), graph("sweep-fan", F.fan_figure(variants)),
                html.Div([html.Label(t("metric", lang), htmlFor="sweep-metric"),
                          dcc.Dropdown(id="sweep-metric", value=metrics[0], clearable=False,
                                       options=[{"label": m[7:], "value": m} for m in metrics])],
                         className="field"),
                html.Div(id="sweep-tornado-box")]

    @app.callback(Output("sweep-tornado-box", "children"), Input("sweep-metric", "value"),
                  State("sweep-run", "value"))
    def tornado(metric: str, rel: str | None) -> Any:
        d = pick(rel, ("sweep",))
        if d is None or not metric:
            return ""
        variants = pd.read_parquet(d / "variants.parquet")
        return graph("sweep-tornado", F.tornado_figure(variants, metric))
