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

In the shared form plotly.js does not hold up the page's first screen: the ``<head>``
asks for the file early (``<link rel="preload">``, read while the page is parsed) and
defines a stand-in ``Plotly`` that queues each chart's ``Plotly.newPlot`` (:data:`QUEUE_JS`),
and the ``<script src>`` sits at the end of ``<body>``, so the headings, the summary strip
and the tables are laid out and painted while the browser reads and compiles plotly.js
(about 4.8 MB: most of a cold page's time). Then :data:`DRAIN_JS` draws the queued charts
near the window at once and the others one at a time (all at once before printing).
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


#: In ``<head>`` of a shared page: a stand-in ``Plotly`` whose ``newPlot`` queues the call
#: (the real plotly.js replaces it when it has loaded, at the end of ``<body>``).
QUEUE_JS = ("(function(){var q=[];window.__aifabCharts=q;window.Plotly={newPlot:function(){"
            "var a=arguments;return new Promise(function(ok){q.push({a:a,ok:ok})})}}})();")

#: After the shared ``<script src>``: without plotly.js (the page was copied alone) show the
#: notice and leave the charts queued (no script error); with it, draw the queued charts
#: near the window now and the others one at a time, or all before printing.
DRAIN_JS = (
    "(function(){var q=window.__aifabCharts||[],P=window.Plotly,later=[];"
    "if(!P||!P.version){var n=document.getElementById('" + NOTICE_ID + "');"
    "if(n){n.hidden=false}return}"
    "function near(e){var r=e.getBoundingClientRect();return r.top<innerHeight*1.5"
    "&&r.bottom>-innerHeight/2}function run(j){j.ok(P.newPlot.apply(P,j.a))}"
    "q.splice(0).forEach(function(j){var a=j.a,e=typeof a[0]==='string'?"
    "document.getElementById(a[0]):a[0];if(!e||near(e)){run(j)}else{later.push(j)}});"
    "function next(){var j=later.shift();if(j){run(j);setTimeout(next,0)}}"
    "setTimeout(next,0);addEventListener('beforeprint',function(){"
    "while(later.length){run(later.shift())}})})();")


def shared_block(name: str | None = None) -> str:
    """The end of a shared page's ``<body>``: the ``<script src>`` for the folder's copy,
    then :data:`DRAIN_JS`."""
    name = name or plotly_file_name()
    return f'<script src="{name}"></script>\n<script>{DRAIN_JS}</script>\n'


def shared_page(page: str) -> str:
    """``page`` (from ``render_html``) loading the folder's plotly.js instead of its own,
    without holding up its first screen (see the module docstring)."""
    block = inline_block()
    if block not in page or "</body>" not in page:
        raise ValueError("not a page from aifab.report.render_html (no inlined plotly.js)")
    head = (f'<link rel="preload" href="{plotly_file_name()}" as="script">\n'
            f"<script>{QUEUE_JS}</script>")
    page = page.replace(block, head, 1).replace(f"<script>{DEFER_JS}</script>", "", 1)
    at = page.rindex("</body>")
    return page[:at] + shared_block() + page[at:]


def inlined_page(page: str) -> str:
    """A shared page (from :func:`shared_page`) made self-contained again, as
    ``render_html`` writes it (for comparisons: ``benchmarks/report_bench.py``)."""
    head = (f'<link rel="preload" href="{plotly_file_name()}" as="script">\n'
            f"<script>{QUEUE_JS}</script>")
    if head not in page:
        raise ValueError("not a shared page (from aifab.report.shared_page)")
    page = page.replace(shared_block(), "", 1)
    return page.replace(head, inline_block() + f"\n<script>{DEFER_JS}</script>", 1)


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


__all__ = ["DEFER_JS", "DRAIN_JS", "NOTICE_ID", "QUEUE_JS", "inlined_page", "plotly_file_name",
           "shared_page", "write_page"]
