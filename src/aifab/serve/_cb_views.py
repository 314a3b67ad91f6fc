"""Callbacks of the read-only pages: Overview, Twin, Map and Sweeps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dash
from dash import Input, Output, State, dcc, html

from aifab.errors import AifabError
from aifab.report import fmt_big, fmt_int, fmt_money, fmt_num, fmt_share
from aifab.serve import _figures as F
from aifab.serve._cb_plan import load_scenario
from aifab.serve._i18n import t, tl
from aifab.serve._pages import cards, graph, refused, table
from aifab.serve._paths import PathRefused, ResultsDir, kind_of
from aifab.sim.national import SimResult


def view_callbacks(app: dash.Dash, results: ResultsDir) -> None:
    from aifab.serve._cb_export import export_callbacks
    from aifab.serve._map import home_regions, map_coordinates, siting_figure

    export_callbacks(app)

    from aifab.serve._urlstate import url_callbacks

    url_callbacks(app)  # the address bar follows each page's state and the language

    @app.callback(Output("lang", "value"), Input("url", "search"), State("lang", "value"))
    def lang_from_url(search: str | None, lang: str | None) -> Any:
        """A shared link's ``?lang=ko`` sets the language."""
        from urllib.parse import parse_qs

        want = parse_qs((search or "").lstrip("?")).get("lang", [None])[0]
        return want if want in ("en", "ko") and want != lang else dash.no_update

    @app.callback(Output("ov-cards", "children"), Input("ov-scenario", "value"),
                  State("lang", "value"))
    def overview(name: str, lang: str) -> Any:
        from aifab import plan

        try:
            r = plan(load_scenario(results, name))
        except AifabError as exc:
            return html.Div(str(exc), className="error", role="alert")
        from aifab.catalog import default_catalog
        from aifab.report import accelerator_kind

        tt = r.totals
        cat = default_catalog()
        npus = sum(f.count for f in r.fleet if accelerator_kind(cat, f.accelerator) == "npu")
        items: list[tuple[str, str, str]] = []
        site = results.runs(("site",))
        if site:  # the finding first: the shortage, year by year
            src = f"{t('national', lang)}: {t('from_run', lang)} {site[0].rel}"
            try:
                sres = results.read_site(site[0].rel)
            except AifabError as exc:  # a broken site.json: say which field, on the card
                items.append((t("waiting", lang), "-", f"{t('cannot_read', lang)}: {exc}"))
            else:
                short: dict[str, float] = {}  # IT MW the waiting GPUs need, by year
                for row in sres.unpowered_gpus_by_owner:
                    short[str(row.year)] = short.get(str(row.year), 0.0) + row.unpowered_it_mw
                for y, n in sorted(sres.unpowered_gpus_by_year.items()):
                    mw = (f"{t('mw_short', lang)} {fmt_num(short[y], 0)} MW; " if y in short
                          else "")
                    items.append((f"{t('waiting', lang)}, {y}", fmt_int(n), mw + src))
        else:
            items.append((t("waiting", lang), "-", t("no_site_run", lang)))
        src = f"{t('national', lang)}: {t('from_plan', lang)} {name}"
        items += [(t("gpus", lang), fmt_int(tt.accelerators - npus), src),
                  *([(t("npus", lang), fmt_int(npus), src)] if npus else []),
                  (t("it_mw", lang), fmt_num(tt.it_power_mw, 0), src),
                  (t("facility_mw", lang), fmt_num(tt.facility_power_mw, 0), src),
                  (t("twh", lang), fmt_num(tt.annual_energy_twh, 2), src),
                  (t("cost", lang), fmt_money(tt.annual_cost_krw, lang) if lang == "ko"
                   else fmt_big(tt.annual_cost_krw), src)]
        seoul = [c for c in r.comparisons if c.region == "Seoul"]
        if seoul:
            items.append((t("share_seoul", lang), fmt_share(seoul[0].share), src))
        sim = results.runs(("simulate",))
        if sim:
            src = f"{t('from_run', lang)} {sim[0].rel} ({sim[0].modified:%Y-%m-%d %H:%M} UTC)"
            try:
                twin = results.read_twin(sim[0].rel).summary
            except AifabError as exc:  # a broken summary: say which field, on the card
                items.append((t("utilisation", lang), "-", f"{t('cannot_read', lang)}: {exc}"))
            else:
                src = f"{t('twin_sample', lang)} {fmt_share(twin.scale, 0)}: {src}"
                items.append((t("utilisation", lang), fmt_share(twin.utilization), src))
                if twin.reliability is not None:
                    items.append((t("goodput", lang), fmt_share(twin.reliability.goodput), src))
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
            if kind_of(d) == "report":  # a combined report's twin: no tables
                return _report_twin(results, d, results.read_twin(results.rel(d)), lang)
            res = results.read_twin(results.rel(d), F.TWIN_TABLES)
            figs = F.twin_figures(res)
            ctx = F.twin_context(res, lang)
        except PathRefused as exc:
            return refused(str(exc), lang)
        except (AifabError, OSError, KeyError) as exc:
            return html.Div(f"{t('cannot_read', lang)}: {exc}", className="error",
                            role="alert")
        head = F.twin_headline(res.summary)
        return [html.P(ctx, className="note", id="twin-context"),
                cards([(tl(k, lang), v, "") for k, v in head.items() if k not in
                       ("days", "policy", "seed", "scale")]),
                *(graph(k, f, lang) for k, f in figs.items())]

    @app.callback(Output("map-year-box", "children"), Input("map-run", "value"),
                  State("lang", "value"), State("url-state", "data"), State("url", "search"))
    def map_years(rel: str | None, lang: str, state: Any, search: str | None) -> Any:
        try:
            d = pick(rel, ("site",))
        except PathRefused as exc:
            return refused(str(exc), lang)
        if d is None:
            return html.P(t("no_site_run", lang), className="note")
        try:
            years = list(results.read_site(results.rel(d)).years)
        except AifabError as exc:  # a broken site.json: one line naming the file and field
            return html.Div(f"{t('cannot_read', lang)}: {exc}", className="error",
                            role="alert")
        return html.Div([html.Label(t("year", lang), htmlFor="map-year"),
                         dcc.Slider(id="map-year", min=min(years), max=max(years), step=None,
                                    marks={y: str(y) for y in years},
                                    value=_wanted_year(years, state, search))],
                        className="field")

    @app.callback(Output("map-body", "children"), Input("map-year", "value"),
                  State("map-run", "value"), State("lang", "value"))
    def map_body(year: int | None, rel: str | None, lang: str) -> Any:
        try:
            d = pick(rel, ("site",))
            if d is None:
                return ""
            sres = results.read_site(results.rel(d))
            homes = home_regions(sres.scenario, [
                results.resolve(f) for f in results.scenario_files()])
            fig = siting_figure(sres, map_coordinates(), year, homes)
        except PathRefused as exc:
            return refused(str(exc), lang)
        except AifabError as exc:
            return html.Div(str(exc), className="error", role="alert")
        return graph("map-graph", fig, lang)

    @app.callback(Output("sweep-body", "children"), Input("sweep-run", "value"),
                  State("lang", "value"))
    def sweeps(rel: str | None, lang: str) -> Any:
        from aifab.report import (
            headline_text,
            sensitivity_note,
            summary_frame,
            sweep_figures,
            sweep_values,
        )

        try:
            d = pick(rel, ("sweep",))
            if d is None:
                return html.P(t("no_sweep_run", lang), className="note")
            doc, variants = results.read_sweep(results.rel(d))
            values = sweep_values(variants)
        except PathRefused as exc:
            return refused(str(exc), lang)
        except (AifabError, OSError) as exc:
            return html.Div(f"{t('cannot_read', lang)}: {exc}", className="error",
                            role="alert")
        if not values:
            return html.P(t("no_metrics", lang), className="note")
        figs = sweep_figures(doc, values, lang)
        sens = [graph(k, f, lang) for k, f in figs.items() if k.startswith("sweep-sens")]
        return [html.P(headline_text(doc, values, lang), className="note", id="sweep-head"),
                table(summary_frame(values, lang), "sweep-summary", labels=False, lang=lang),
                *(graph(k, f, lang) for k, f in figs.items()
                  if not k.startswith("sweep-sens")),
                html.H2(t("sensitivity", lang)),
                html.P(sensitivity_note(doc, lang), className="note", id="sweep-sens-note"),
                *sens]


def _report_twin(results: ResultsDir, d: Path, res: SimResult, lang: str) -> Any:
    """The twin of a combined report (``aifab report --out``): its headline figures; the
    report keeps no time series, so its charts are in report.html."""
    rel = results.rel(d)
    head = F.twin_headline(res.summary)
    return [html.P([t("report_twin", lang), " ",
                    html.A("report.html", href=f"/files/{rel}/report.html", target="_blank")],
                   className="note", id="twin-context"),
            cards([(tl(k, lang), v, "") for k, v in head.items() if k not in
                   ("days", "policy", "seed", "scale")])]


def _wanted_year(years: list[int], state: Any, search: str | None) -> int:
    """The year the address asks for (``?year=``, as the page last recorded it, or as the
    link gave it) when this run has it; else the last year."""
    from urllib.parse import parse_qs

    for q in ((state or {}).get("search") if isinstance(state, dict) else None, search):
        want = parse_qs((q or "").lstrip("?")).get("year", [""])[0]
        if want.isdigit() and int(want) in years:
            return int(want)
    return max(years)
