"""The Dash app of ``aifab serve``: pages, callbacks and the results-folder file route."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import dash
from dash import Input, Output, State, dcc, html
from flask import Response, abort, request, send_file

from aifab.serve._cb_plan import plan_callbacks
from aifab.serve._cb_runs import run_callbacks
from aifab.serve._cb_views import view_callbacks
from aifab.serve._guard import ENDPOINT, bad_field
from aifab.serve._i18n import LANGS, t
from aifab.serve._jobs import JobManager
from aifab.serve._pages import PAGES, page_layout, refused
from aifab.serve._paths import PathRefused, ResultsDir, safe_path

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


def _query(search: str | None) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items() if v}


#: Host names a request may name when the server is bound to a loopback address.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_BODY = 4 * 1024 * 1024
"""Largest request body (bytes): a dashboard callback posts kilobytes."""


def _host_name(header: str) -> str:
    """The host of a ``Host`` header, without its port (IPv6 brackets removed)."""
    h = header.strip().lower()
    if h.startswith("["):
        return h[1:h.find("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


def allowed_hosts(bind: str, extra: list[str] | tuple[str, ...] = ()) -> set[str]:
    """Host names a server bound to ``bind`` answers to: the address itself, the loopback
    names when it is local (or a wildcard), and ``extra`` (``--allow-host``)."""
    names = {bind.lower(), *(e.lower() for e in extra)}
    if bind in LOCAL_HOSTS or bind in ("0.0.0.0", "::", ""):
        names |= set(LOCAL_HOSTS)
    return names


def _notice(exc: Exception) -> None:
    """Any callback that fails shows one line in the page's notice area (never a 500)."""
    from aifab.errors import AifabError

    text = str(exc) if isinstance(exc, AifabError) else \
        f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    dash.set_props("notice", {"children": f"cannot show this: {text}",
                              "style": {"display": "block"}})


def create_app(results_dir: Path | str, *, jobs: JobManager | None = None,
               hosts: set[str] | None = None, warm: bool = False) -> dash.Dash:
    """The dashboard over ``results_dir`` (created if missing). It reads and writes only
    inside that folder; any request for a path outside it is refused. ``hosts``: the Host
    header names it answers (default: the loopback names, see :func:`allowed_hosts`);
    others get 403 (DNS rebinding). ``warm``: plan the default scenario and build every
    page once before returning (``aifab serve`` does), so the first page loads warm."""
    results = ResultsDir(results_dir)
    manager = jobs or JobManager(results)
    allowed = set(hosts) if hosts is not None else allowed_hosts("127.0.0.1")
    app = dash.Dash(__name__, title="aifab", suppress_callback_exceptions=True,
                    serve_locally=True, update_title="", on_error=_notice,
                    eager_loading=True,  # plotly.js loads with the page, not after it
                    assets_folder=str(Path(__file__).with_name("assets")))
    app.index_string = app.index_string.replace("{%css%}", "{%css%}<style>" + _CSS + "</style>")
    app.index_string = app.index_string.replace("<html>", '<html lang="en">')
    app.layout = html.Div([
        dcc.Location(id="url"),
        dcc.Store(id="lang-attr"),  # the <html lang> follows the language switch
        dcc.Store(id="url-state"),  # the page's own query string (aifab.serve._urlstate)
        html.Header([html.Span("aifab", className="brand"), html.Nav(id="nav"),
                     html.Div([html.Label("Language / 언어", htmlFor="lang"),
                               dcc.RadioItems(id="lang", inline=True, value="en",
                                              options=[{"label": " English", "value": "en"},
                                                       {"label": " 한국어", "value": "ko"}],
                                              persistence=True)], className="field lang")],
                    className="top"),
        html.Div(id="notice", className="error", role="alert", style={"display": "none"}),
        html.Main(id="page"),
    ])
    server: Any = app.server
    server.config["aifab.results"] = results
    server.config["aifab.jobs"] = manager
    server.config["MAX_CONTENT_LENGTH"] = MAX_BODY

    served: set[str] = set()  # the outputs of the server's own callbacks (filled below)

    @server.before_request  # type: ignore[untyped-decorator]
    def check_host() -> Any:
        if _host_name(request.host or "") not in allowed:
            return Response("aifab serve: unknown Host header (see --allow-host)\n", 403,
                            mimetype="text/plain")
        if request.method == "POST" and request.path == ENDPOINT:
            why = bad_field(request.get_json(silent=True), served)
            if why is not None:
                return Response(f"aifab serve: {why}\n", 400, mimetype="text/plain")
        return None

    @server.route("/files/<path:rel>")  # type: ignore[untyped-decorator]
    def files(rel: str) -> Any:
        try:
            path = safe_path(results, rel)
        except PathRefused:
            abort(403)
        if not path.is_file():
            abort(404)
        return send_file(path)

    @app.callback(Output("page", "children"), Output("nav", "children"),
                  Output("notice", "style"),
                  Input("url", "pathname"), Input("url", "search"), Input("lang", "value"),
                  State("url-state", "data"))
    def render(pathname: str | None, search: str | None, lang: str | None,
               state: dict[str, str] | None) -> Any:
        if (dash.ctx.triggered_id == "lang" and isinstance(state, dict)
                and state.get("path") == pathname):
            search = state.get("search", search)  # the language changed: keep the view
        return (*_render(pathname, search, lang), {"display": "none"})  # a new page: no notice

    def _render(pathname: str | None, search: str | None, lang: str | None) -> Any:
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

    plan_callbacks(app, results)
    run_callbacks(app, results, manager)
    view_callbacks(app, results)
    served.update(k for k, v in app.callback_map.items() if "callback" in v)
    if warm:
        from aifab.serve._warm import warm_up

        warm_up(results)
    return app
