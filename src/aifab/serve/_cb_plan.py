"""Callbacks of the Plan page: knobs per scenario, figures through ``aifab.plan()``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import dash
import plotly.graph_objects as go
from dash import ALL, Input, Output, State, dcc, html

from aifab import PlanResult
from aifab.errors import AifabError, BadInput
from aifab.serve._compare import fleet_counts, plan_changes
from aifab.serve._i18n import t, tl
from aifab.serve._pages import cards
from aifab.serve._paths import ResultsDir


def load_scenario(results: ResultsDir, name: str) -> Any:
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


def _is_npu(accelerator: str) -> bool:
    from aifab.catalog import default_catalog
    from aifab.report import accelerator_kind

    return accelerator_kind(default_catalog(), accelerator) == "npu"


def plan_callbacks(app: dash.Dash, results: ResultsDir) -> None:
    from aifab import plan
    from aifab.report import plan_figures, plan_summary
    from aifab.scenario import Scenario

    @app.callback(Output("plan-knobs", "children"), Input("plan-scenario", "value"),
                  State("lang", "value"), State("url", "search"))
    def knobs(name: str, lang: str, search: str | None = None) -> Any:
        try:
            scn = load_scenario(results, name)
        except AifabError as exc:
            return html.Div(str(exc), className="error", role="alert")
        counts, n_npus = fleet_counts(scn, _is_npu)  # GPUs by owner; NPUs: their own knob
        fac, pr = scn.facility, scn.prices
        q = shared_state(search)  # a shared link's knob values win over the scenario's

        sources = dict(scn.sources or {})

        def source(path: str) -> Any:
            """The scenario's source of a knob's value, beside it (quoted in English)."""
            text = sources.get(path)
            if not text:
                return None
            return html.P([t("source", lang) + ": ", html.Span(text, lang="en")],
                          className="src", id=f"src-{path.replace('.', '-')}")

        def num(fid: Any, label: str, value: Any, step: Any, lo: Any = None,
                hi: Any = None, path: str = "") -> html.Div:
            # Dash renders a dict id as JSON with sorted keys: the label must match it.
            lid = fid if isinstance(fid, str) else json.dumps(fid, sort_keys=True,
                                                              separators=(",", ":"))
            return html.Div([html.Label(label, htmlFor=lid),
                             dcc.Input(id=fid, type="number", value=value, step=step, min=lo,
                                       max=hi, debounce=True), source(path)],
                            className="field")

        return [
            *(num({"type": "plan-count", "owner": o}, f"{t('count_of', lang)} {o}", n, 1, 0)
              for o, n in counts.items()),
            num("plan-pue", t("pue", lang), q.get("pue", fac.pue), 0.01, 1.0, 3.0,
                "facility.pue"),
            num("plan-lf", t("load_factor", lang), q.get("lf", fac.load_factor), 0.01, 0.01,
                1.0, "facility.load_factor"),
            html.Div([html.Label(t("system_power", lang), htmlFor="plan-sp"),
                      dcc.Dropdown(id="plan-sp", options=[{"label": t(v, lang), "value": v}
                                                        for v in ("low", "mid", "high")],
                                   value=q.get("sp", fac.system_power), clearable=False),
                      source("facility.system_power")], className="field"),
            num("plan-tariff", t("tariff", lang), q.get("tariff", pr.tariff_krw_per_kwh), 1, 1,
                path="prices.tariff_krw_per_kwh"),
            num("plan-npus", f"{t('npu_cards', lang)} ({_npu_owner(scn)})",
                q.get("npus", n_npus), 8, 0),
        ]

    outs = ["plan-power", "plan-energy", "plan-growth", "plan-h100e", "plan-output"]

    @app.callback(
        Output("plan-cards", "children"), Output("plan-error", "children"),
        *(Output(o, "figure") for o in outs), *(Output(f"{o}-alt", "children") for o in outs),
        Output("plan-share", "href"), Output("plan-scn", "data"),
        Output("plan-changed", "children"),
        Input({"type": "plan-count", "owner": ALL}, "value"),
        State({"type": "plan-count", "owner": ALL}, "id"),
        Input("plan-pue", "value"), Input("plan-lf", "value"), Input("plan-sp", "value"),
        Input("plan-tariff", "value"), Input("plan-npus", "value"),
        State("plan-scenario", "value"), State("lang", "value"))
    def update(counts: list[Any], ids: list[dict[str, str]], pue: Any, lf: Any, sp: Any,
               tariff: Any, npus: Any, name: str, lang: str) -> Any:
        nothing = [dash.no_update] * (2 * len(outs) + 3)
        try:
            base = load_scenario(results, name)
            want = {i["owner"]: c for i, c in zip(ids, counts, strict=True)}
            doc = base.model_dump()
            have, have_npus = fleet_counts(base, _is_npu)
            if npus is not None and (float(npus) < 0 or float(npus) != int(float(npus))):
                raise BadInput("NPU cards must be a whole number of at least 0", where="npus")
            fleets = []
            for f in doc["fleets"]:
                if _is_npu(f["accelerator"]):  # the scenario's NPUs scale to the knob
                    k = f["count"] if npus is None else round(
                        f["count"] * float(npus) / have_npus)
                    if k > 0:
                        fleets.append({**f, "count": k})
                    continue
                new = want.get(f["owner"], have[f["owner"]])
                if new is None or float(new) < 0:
                    raise BadInput(f"GPUs of {f['owner']} must be a count of at least 0",
                                   where=f"counts.{f['owner']}")
                k = round(f["count"] * float(new) / have[f["owner"]])
                if k > 0:
                    fleets.append({**f, "count": k})
            if npus and not have_npus:
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
        from aifab.report import describe_figure, fmt_money, localise_figure

        figs = plan_figures(r)
        items = [(tl(k, lang), fmt_money(r.totals.annual_cost_krw, lang)
                  if lang == "ko" and k.startswith("electricity cost (KRW") else v, "")
                 for k, v in plan_summary(r)]
        empty = go.Figure()
        empty.update_layout(title="No output figures: the perf model has no device here")
        fig_list = [localise_figure(figs.get(o.removeprefix("plan-"), empty), lang)
                    for o in outs]
        link = "/plan?" + urlencode({"scenario": name, "lang": lang, "pue": pue, "lf": lf,
                                     "sp": sp, "tariff": tariff, "npus": npus})
        return (cards(items), "", *fig_list,
                *(describe_figure(f, lang=lang) for f in fig_list), link,
                scn.model_dump(mode="json", exclude_none=True),
                _changed(base, scn, base_plan(base), r, lang))

    base_plans: dict[str, PlanResult] = {}

    def base_plan(base: Any) -> PlanResult:
        """The plan of a scenario's own values (kept: each knob change compares with it)."""
        key = base.model_dump_json()
        if key not in base_plans:
            if len(base_plans) > 8:
                base_plans.clear()
            base_plans[key] = plan(base)
        return base_plans[key]

    @app.callback(Output("plan-yaml", "data"), Input("plan-save", "n_clicks"),
                  State("plan-scn", "data"), prevent_initial_call=True)
    def save(_n: int, doc: dict[str, Any] | None) -> Any:
        """The Plan page's scenario, knobs applied, as YAML that ``aifab plan`` accepts."""
        import yaml

        if not doc:
            return dash.no_update
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
        name = re.sub(r"[^A-Za-z0-9_-]", "-", str(doc.get("name", "scenario")))
        return {"content": text, "filename": f"{name}-dashboard.yaml", "base64": False,
                "type": "application/yaml"}


#: knob -> how to read it from a shared link's query
def _level(v: str) -> str | None:
    return v if v in ("low", "mid", "high") else None


_KNOBS: dict[str, Callable[[str], Any]] = {"pue": float, "lf": float, "tariff": float,
                                           "npus": int, "sp": _level}


def shared_state(search: str | None) -> dict[str, Any]:
    """The Plan page's knob values in a shared link (``?pue=1.5&sp=high``); values that do
    not read are left out (the scenario's own value is used)."""
    from urllib.parse import parse_qs

    out: dict[str, Any] = {}
    for k, v in parse_qs((search or "").lstrip("?")).items():
        if k in _KNOBS and v:
            try:
                val = _KNOBS[k](v[0])
            except ValueError:
                continue
            if val is not None:
                out[k] = val
    return out


def _changed(base: Any, scn: Any, base_plan: PlanResult, now: PlanResult, lang: str) -> Any:
    """The Plan page's "what changed": the knobs that differ from the scenario's values and
    the headline figures, scenario (A) and now (B), with B - A and the change in %."""
    from aifab.serve._pages import table

    figs, inputs = plan_changes(base, scn, base_plan, now, _is_npu, lang)
    head = html.H2(t("what_changed", lang))
    if not len(inputs):
        return [head, html.P(t("no_change", lang), className="note", id="plan-nochange")]
    return [head, table(inputs, "plan-changed-inputs", labels=False, lang=lang),
            table(figs, "plan-changed-figures", labels=False, lang=lang)]
