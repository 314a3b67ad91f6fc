"""URL state for every page: the address bar follows what the page shows (run, year,
scenario, compared runs, the Plan page's knobs, language), so that a copied address
reopens the same view. Updated in the browser (``history.replaceState``: no reload, no
new history entry); the page layouts read the same names back from the query string."""

from __future__ import annotations

import json

import dash
from dash import Input, Output

#: Page paths -> (query name, component id) pairs the address bar records.
PAGE_STATE: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = {
    ("/", "/overview"): (("scenario", "ov-scenario"),),
    ("/map",): (("run", "map-run"), ("year", "map-year")),
    ("/twin",): (("run", "twin-run"),),
    ("/sweeps",): (("run", "sweep-run"),),
    ("/runs",): (("a", "cmp-a"), ("b", "cmp-b")),
}

_SYNC = """function() {
    var names = %s, paths = %s, args = arguments, path = window.location.pathname;
    if (paths.indexOf(path) < 0) { return window.dash_clientside.no_update; }
    var p = new URLSearchParams(window.location.search);
    for (var i = 0; i < names.length; i++) {
        var v = args[i];
        if (v === null || v === undefined || v === '') { p.delete(names[i]); }
        else { p.set(names[i], String(v)); }
    }
    var q = p.toString(), search = q ? '?' + q : '';
    if (search !== window.location.search) {
        window.history.replaceState(window.history.state, '', path + search);
    }
    return {path: path, search: search};
}"""

_PLAN = """function(href) {
    if (!href || window.location.pathname !== '/plan') {
        return window.dash_clientside.no_update;
    }
    var u = new URL(href, window.location.origin);
    if (u.search !== window.location.search) {
        window.history.replaceState(window.history.state, '', '/plan' + u.search);
    }
    return {path: '/plan', search: u.search};
}"""

_LANG = """function(lang) {
    lang = lang || 'en';
    document.documentElement.lang = lang;  // WCAG 3.1.1: the page's language
    var p = new URLSearchParams(window.location.search);
    if (lang === 'en') { p.delete('lang'); } else { p.set('lang', lang); }
    var q = p.toString(), search = q ? '?' + q : '';
    if (search !== window.location.search) {
        window.history.replaceState(window.history.state, '', window.location.pathname + search);
    }
    return lang;
}"""


def url_callbacks(app: dash.Dash) -> None:
    """Keep the address bar in step with each page's state (and the language)."""
    # WCAG 3.1.1: the page's language follows the language switch; so does ?lang=.
    app.clientside_callback(  # type: ignore[no-untyped-call]
        _LANG, Output("lang-attr", "data"), Input("lang", "value"))
    for paths, pairs in PAGE_STATE.items():
        for name, cid in pairs:  # one callback each: the map's year appears after its run
            app.clientside_callback(  # type: ignore[no-untyped-call]
                _SYNC % (json.dumps([name]), json.dumps(list(paths))),
                Output("url-state", "data", allow_duplicate=True), Input(cid, "value"),
                prevent_initial_call=True)
    app.clientside_callback(  # type: ignore[no-untyped-call]
        _PLAN, Output("url-state", "data", allow_duplicate=True), Input("plan-share", "href"),
        prevent_initial_call=True)
