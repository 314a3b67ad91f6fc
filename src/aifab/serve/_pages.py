"""Page layouts of the dashboard (Dash components); callbacks live in ``_app``."""

from __future__ import annotations

from typing import Any, cast

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from aifab.report import PLOTLY_CONFIG, describe_figure, format_frame
from aifab.serve._i18n import t
from aifab.serve._paths import ResultsDir

PAGES = ("overview", "plan", "map", "runs", "twin", "sweeps")


def aria(label: str) -> dict[str, Any]:
    """Keyword arguments that give a Dash component an ``aria-label``."""
    return {"aria-label": label}


def page_lang(lang: str | None = None) -> str:
    """``lang``, or else the page's language as the running callback was given it (its
    ``State("lang", "value")``), or else English: a chart built in a callback follows the
    page's language even where the callback does not pass it on."""
    if lang is not None:
        return lang
    from dash import callback_context
    from dash.exceptions import MissingCallbackContextException

    try:
        states = callback_context.states
    except MissingCallbackContextException:
        return "en"
    value = states.get("lang.value")
    return value if value in ("en", "ko") else "en"


def graph(gid: str, fig: go.Figure | None = None, lang: str | None = None) -> html.Figure:
    """A chart in a <figure> with an aria label and its text alternative, in ``lang``
    (default: the page's language, :func:`page_lang`)."""
    from aifab.report import localise_figure

    lang = page_lang(lang)
    fig = localise_figure(fig if fig is not None else go.Figure(), lang)
    title = fig.layout.title.text if fig.layout.title is not None else None
    from aifab.serve._cb_export import downloads

    return html.Figure([
        dcc.Graph(id=gid, figure=fig, config=cast(Any, PLOTLY_CONFIG)),
        html.Figcaption([html.Details([html.Summary(t("chart_text", lang)),
                                       html.P(describe_figure(fig, lang=lang),
                                              id=f"{gid}-alt")]),
                         downloads(gid, lang)], className="alt"),
    ], className="chart", **aria(title or gid))


def cards(items: list[tuple[str, str, str]]) -> html.Ul:
    """Summary cards: (label, value, source note)."""
    return html.Ul([html.Li([html.Span(v, className="v"), html.Span(k, className="k"),
                             html.Span(src, className="src")])
                    for k, v, src in items], className="strip", **aria("Summary"))


def field(label_text: str, control: Any, fid: str) -> html.Div:
    """A labelled form control."""
    return html.Div([html.Label(label_text, htmlFor=fid), control], className="field")


def refused(message: str, lang: str) -> html.Div:
    """The notice shown when a requested path is outside the results folder."""
    return html.Div([html.B(t("refused", lang) + ": "), message], role="alert",
                    id="refused", className="refused")


def scenario_options(results: ResultsDir, lang: str = "en") -> list[dict[str, str]]:
    """Embedded scenarios and the scenario files inside the results folder."""
    from aifab.scenario import embedded_scenarios

    return ([{"label": f"{k} ({t('embedded', lang)})", "value": k}
             for k in embedded_scenarios()]
            + [{"label": p, "value": p} for p in results.scenario_files()])


def run_label(run: Any, lang: str = "en") -> str:
    """What a menu shows for a run: its folder, kind (in ``lang``) and when it was written."""
    kind = t("report_kind" if run.kind == "report" else run.kind, lang)
    return f"{run.rel} ({kind}, {run.modified:%Y-%m-%d %H:%M} UTC)"


def run_options(results: ResultsDir, kinds: tuple[str, ...] | None,
                lang: str = "en") -> list[dict[str, str]]:
    """Menu entries for the runs of some kinds, newest first."""
    return [{"label": run_label(r, lang), "value": r.rel} for r in results.runs(kinds)]


def page_layout(page: str, lang: str, results: ResultsDir, query: dict[str, str]) -> Any:
    """The static frame of a page; its figures are filled by callbacks."""
    from aifab.serve._cb_export import export_parts

    return [*_layout(page, lang, results, query), *export_parts()]


def _layout(page: str, lang: str, results: ResultsDir, query: dict[str, str]) -> Any:
    head = html.H1(t(page, lang), id="page-title")
    if page == "overview":
        return [head, html.P([t("results_dir", lang) + ": ", html.Code(results.root.name)],
                             className="note"),
                field(t("scenario", lang), dcc.Dropdown(
                    id="ov-scenario", options=scenario_options(results, lang),
                    value=query.get("scenario", "korea-2025"),
                    clearable=False), "ov-scenario"),
                html.Div(id="ov-cards")]
    if page == "plan":
        return [head,
                html.Div([
                    html.Div([
                        html.H2(t("knobs", lang)),
                        field(t("scenario", lang), dcc.Dropdown(
                            id="plan-scenario", options=scenario_options(results, lang),
                            value=query.get("scenario", "korea-2025"), clearable=False),
                            "plan-scenario"),
                        html.Div(id="plan-knobs"),
                    ], className="knobs"),
                    html.Div([
                        html.Div([html.A(t("share_link", lang), id="plan-share", href=""),
                                  html.Button(t("save_scenario", lang), id="plan-save",
                                              n_clicks=0, type="button", className="dl"),
                                  dcc.Store(id="plan-scn"), dcc.Download(id="plan-yaml")],
                                 className="share"),
                        html.Div(id="plan-error", role="status"),
                        html.Div(id="plan-cards"),
                        html.Section(id="plan-changed"),
                        *(graph(g, None, lang) for g in ("plan-power", "plan-energy", "plan-growth",
                                                         "plan-h100e", "plan-output")),
                    ], className="figs"),
                ], className="cols")]
    if page == "map":
        return [head, field(t("run", lang), dcc.Dropdown(
                    id="map-run", options=run_options(results, ("site",), lang),
                    value=query.get("run") or _latest(results, "site"),
                    placeholder=t("no_site_run", lang)), "map-run"),
                html.Div(id="map-year-box"), html.Div(id="map-body")]
    if page == "twin":
        return [head, field(t("run", lang), dcc.Dropdown(
                    id="twin-run", options=run_options(results, ("simulate",), lang),
                    value=query.get("run") or _latest(results, "simulate"),
                    placeholder=t("no_sim_run", lang)), "twin-run"),
                html.Div(id="twin-body")]
    if page == "sweeps":
        return [head, field(t("run", lang), dcc.Dropdown(
                    id="sweep-run", options=run_options(results, ("sweep",), lang),
                    value=query.get("run") or _latest(results, "sweep"),
                    placeholder=t("no_sweep_run", lang)), "sweep-run"),
                html.Div(id="sweep-body")]
    if page == "runs":
        return [head, _runs_form(lang, results),
                html.H2(t("jobs", lang)), html.Div(id="jobs-table"),
                html.H2(t("past_runs", lang)), html.Div(id="past-runs"),
                html.H2(t("compare", lang)),
                html.Div([field(ab, dcc.Dropdown(id=f"cmp-{ab.lower()}", options=[
                    {"label": query[ab.lower()], "value": query[ab.lower()]}]
                    if ab.lower() in query else [], value=query.get(ab.lower())),
                    f"cmp-{ab.lower()}") for ab in "AB"],
                         className="cols2"),
                html.Div(id="cmp-body"),
                dcc.Interval(id="jobs-tick", interval=1000)]
    return [html.H1("Not found", id="page-title")]


def _latest(results: ResultsDir, kind: str) -> str | None:
    runs = results.runs((kind,))
    return runs[0].rel if runs else None


def _runs_form(lang: str, results: ResultsDir) -> html.Form:
    from aifab.serve._jobs import available_kinds
    from aifab.sim.national import QUEUE_POLICIES

    kinds = [{"label": t(k, lang), "value": k, "disabled": k not in available_kinds()}
             for k in ("simulate", "site", "sweep")]
    specs = [{"label": p, "value": p} for p in results.scenario_files()]

    def num(fid: str, key: str, value: Any, step: Any) -> html.Div:
        return field(t(key, lang), dcc.Input(id=fid, type="number", value=value, step=step,
                                             debounce=False), fid)

    return html.Form([
        html.Fieldset([html.Legend(t("kind", lang)),
                       dcc.RadioItems(id="job-kind", options=kinds, value="simulate",
                                      inline=True)]),
        field(t("scenario", lang), dcc.Dropdown(id="job-scenario",
                                                options=scenario_options(results, lang),
                                                value="korea-2025", clearable=False),
              "job-scenario"),
        html.Div([num("job-days", "days", 2, "any"), num("job-scale", "scale", 0.01, "any"),
                  num("job-seed", "seed", 0, 1),
                  field(t("policy", lang), dcc.Dropdown(
                      id="job-policy",
                      options=[{"label": t(p, lang), "value": p} for p in QUEUE_POLICIES],
                      value=None, placeholder=t("scenario_default", lang)), "job-policy"),
                  num("job-hours", "hours", 144, 24)], className="cols5"),
        field(t("spec", lang), dcc.Dropdown(id="job-spec", options=specs, value=None),
              "job-spec"),
        field(t("siting_run", lang), dcc.Dropdown(
            id="job-siting", options=[{"label": r.rel, "value": r.rel}
                                      for r in results.runs(("site",))],
            value=None, placeholder=t("no_siting", lang)), "job-siting"),
        html.Button(t("launch", lang), id="job-launch", type="button", n_clicks=0),
        html.Div(id="job-msg", role="status"),
    ], className="runform")


def table(df: pd.DataFrame, tid: str | None = None, *, labels: bool = True,
          lang: str = "en") -> Any:
    """A formatted table; with an id, CSV and XLSX buttons under it."""
    from aifab.serve._cb_export import downloads

    shown = format_frame(df, labels=labels)
    tbl = html.Table([
        html.Thead(html.Tr([html.Th(c, scope="col") for c in shown.columns])),
        html.Tbody([html.Tr([html.Td(v) for v in row])
                    for row in shown.itertuples(index=False, name=None)]),
    ], className="tbl", id=tid or "")
    return html.Div([tbl, downloads(tid, lang)]) if tid else tbl
