"""CSV and XLSX of every table and chart: a pair of buttons under each (``downloads``);
the browser collects what the chart or table shows (series, x, y; or the table's cells)
and the server writes the file (XLSX with openpyxl)."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import dash
import pandas as pd
from dash import ALL, Input, Output, dcc, html

from aifab.serve._i18n import t

#: Collects the rows of the chart or table whose button was pressed (in the browser, so
#: a chart's data is what it draws now, after any knob).
_COLLECT = """
function(clicks) {
  var trig = dash_clientside.callback_context.triggered;
  if (!trig.length || !trig[0].value) { return dash_clientside.no_update; }
  var id = JSON.parse(trig[0].prop_id.split('.')[0]);
  var el = document.getElementById(id.target);
  if (!el) { return dash_clientside.no_update; }
  var rows = [];
  var plot = el.querySelector('.js-plotly-plot') || (el.data ? el : null);
  if (plot) {
    (plot.data || []).forEach(function(tr) {
      var xs = tr.x || [], ys = tr.y || [];
      var n = Math.max(xs.length || 0, ys.length || 0);
      for (var i = 0; i < n; i++) {
        var r = {series: tr.name || '', x: xs[i], y: ys[i]};
        if (typeof tr.base === 'number') { r.base = tr.base; }
        rows.push(r);
      }
    });
  } else {
    var tbl = el.tagName === 'TABLE' ? el : el.querySelector('table');
    var heads = Array.from(tbl.querySelectorAll('thead th')).map(function(h) {
      return h.textContent; });
    tbl.querySelectorAll('tbody tr').forEach(function(tr) {
      var r = {};
      Array.from(tr.cells).forEach(function(c, i) { r[heads[i] || ('column ' + i)] =
        c.textContent; });
      rows.push(r);
    });
  }
  return {target: id.target, fmt: id.fmt, rows: rows, at: Date.now()};
}
"""


def downloads(target: str, lang: str = "en") -> html.Div:
    """CSV and XLSX buttons for the chart or table with element id ``target``."""
    def label(fmt: str) -> dict[str, Any]:
        return {"aria-label": f"{t('download', lang)} {fmt.upper()}: {target}"}

    return html.Div([
        html.Button(fmt.upper(), id={"type": "dl-btn", "target": target, "fmt": fmt},
                    n_clicks=0, className="dl", type="button", **label(fmt))
        for fmt in ("csv", "xlsx")], className="dls")


def export_parts() -> list[Any]:
    """The components a page needs for its downloads (one per page)."""
    return [dcc.Store(id="dl-request"), dcc.Download(id="dl")]


def export_callbacks(app: dash.Dash) -> None:
    app.clientside_callback(  # type: ignore[no-untyped-call]
        _COLLECT, Output("dl-request", "data"),
        Input({"type": "dl-btn", "target": ALL, "fmt": ALL}, "n_clicks"),
        prevent_initial_call=True)

    @app.callback(Output("dl", "data"), Input("dl-request", "data"),
                  prevent_initial_call=True)
    def send(req: dict[str, Any] | None) -> Any:
        if not req or not isinstance(req.get("rows"), list):
            return dash.no_update
        name = re.sub(r"[^A-Za-z0-9_-]", "-", str(req.get("target", "data")))[:60] or "data"
        return frame_file(pd.DataFrame(req["rows"]), name, str(req.get("fmt")))


def frame_file(df: pd.DataFrame, name: str, fmt: str) -> dict[str, Any]:
    """What ``dcc.Download`` sends: ``name.xlsx`` (openpyxl) or ``name.csv`` (UTF-8 with a
    byte-order mark, so spreadsheet programs read Korean text right)."""
    buf = io.BytesIO()
    if fmt == "xlsx":
        df.to_excel(buf, index=False, sheet_name=name[:31], engine="openpyxl")
        filename = f"{name}.xlsx"
    else:
        buf.write(df.to_csv(index=False).encode("utf-8-sig"))
        filename = f"{name}.csv"
    return {"content": base64.b64encode(buf.getvalue()).decode("ascii"),
            "filename": filename, "base64": True, "type": None}
