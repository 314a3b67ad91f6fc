"""One copy of plotly.js per run folder.

:func:`aifab.report.render_html` returns a self-contained page (plotly.js inlined, about
4.8 MB), which is what a library caller holding the string needs. When a command writes a
page into its run folder it goes through :func:`write_page` instead: the page then loads
``plotly-<version>.min.js`` from the same folder (a relative ``<script src>``, so it still
opens offline from ``file://`` and through ``aifab serve``'s ``/files/``), and that file is
written once per folder and version, however many pages the folder holds. The version in
the name keeps reports written by different plotly versions in one folder working.

A page copied without its ``plotly-<version>.min.js`` says so at its top, in its own
language (the ``needs-plotly`` notice), and its tables and text still read; the charts
stay empty rather than failing with script errors.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from plotly.offline import get_plotlyjs

from aifab._io import write_text

#: The id of the notice a page shows when its shared plotly.js is missing.
NOTICE_ID = "needs-plotly"


#: Charts near the window draw while the page loads; the others are queued and drawn one
#: at a time after ``DOMContentLoaded`` (the page paints and scrolls in between), or at
#: once before printing. Each chart's script still calls ``Plotly.newPlot``.
DEFER_JS = (
    "(function(){var P=window.Plotly;if(!P||!P.newPlot)return;var draw=P.newPlot,q=[],"
    "go=false;function near(e){var r=e.getBoundingClientRect();return r.top<innerHeight*1.5"
    "&&r.bottom>-innerHeight/2}function run(j){j.ok(draw.apply(P,j.a))}function next(){"
    "var j=q.shift();if(j){run(j);setTimeout(next,0)}}function all(){while(q.length)"
    "run(q.shift())}P.newPlot=function(){var a=arguments,e=typeof a[0]==='string'?"
    "document.getElementById(a[0]):a[0];if(go||!e||near(e))return draw.apply(P,a);"
    "return new Promise(function(ok){q.push({a:a,ok:ok})})};"
    "document.addEventListener('DOMContentLoaded',function(){go=true;setTimeout(next,0)});"
    "addEventListener('beforeprint',all)})();")


@cache
def plotly_file_name() -> str:
    """``plotly-<version>.min.js``: the version from the bundle's own header."""
    m = re.search(r"plotly\.js v(\d+\.\d+\.\d+)", get_plotlyjs()[:400])
    return f"plotly-{m.group(1) if m else 'bundle'}.min.js"


def inline_block() -> str:
    """The ``<script>`` that inlines plotly.js in a page from ``render_html``."""
    return f'<script type="text/javascript">{get_plotlyjs()}</script>'


def shared_block(name: str | None = None) -> str:
    """A ``<script src>`` for the shared copy, then a guard: without it, a stub ``Plotly``
    (no script errors) and the page's notice shown."""
    name = name or plotly_file_name()
    return (f'<script src="{name}"></script>\n'
            "<script>if(!window.Plotly){window.Plotly={newPlot:function(){"
            "return Promise.resolve()}};document.addEventListener('DOMContentLoaded',"
            f"function(){{var n=document.getElementById('{NOTICE_ID}');"
            "if(n){n.hidden=false}})}</script>")


def shared_page(page: str) -> str:
    """``page`` (from ``render_html``) loading the folder's plotly.js instead of its own."""
    block = inline_block()
    if block not in page:
        raise ValueError("not a page from aifab.report.render_html (no inlined plotly.js)")
    return page.replace(block, shared_block(), 1)


def write_page(path: Path, page: str) -> None:
    """Write ``page`` to ``path`` loading ``plotly-<version>.min.js`` from beside it, and
    write that file unless the folder already holds the same copy."""
    js = path.parent / plotly_file_name()
    bundle = get_plotlyjs()
    try:
        same = js.stat().st_size == len(bundle.encode("utf-8")) and \
            js.read_text(encoding="utf-8") == bundle
    except OSError:
        same = False
    if not same:
        write_text(js, bundle)
    write_text(path, shared_page(page))


__all__ = ["DEFER_JS", "NOTICE_ID", "plotly_file_name", "shared_page", "write_page"]
