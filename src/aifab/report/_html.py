"""Self-contained HTML pages: plotly's JS embedded once, so a report opens offline.

The page (``templates/page.html.j2``) has a viewport meta, a summary strip and the run
context at the top (gathered from the sections' ``summary`` and ``context``), tables that
wrap to fit a 1024 px window, and every chart inside a ``<figure>`` with an aria label and
a text alternative.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import jinja2
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from aifab import __version__
from aifab.report._style import PALETTE, PLOTLY_CONFIG, describe_figure, fmt_num, format_frame

#: (label, value) pairs, already formatted for people.
Items = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Section:
    """A titled block of a report: HTML made from tables and figures.

    ``summary`` items go into the strip at the top of the page and ``context`` items
    (days, policy, seed, warm-up...) into the run-context box, in section order.
    """

    title: str
    body_html: str
    anchor: str = ""
    summary: Items = ()
    context: Items = ()


def figure_html(fig: go.Figure, div_id: str, alt: str | None = None) -> str:
    """A plotly figure as a ``<figure>`` with an aria label and a text alternative.

    The chart relies on the page's embedded plotly.js; its toolbar has no cloud/upload
    buttons (``_style.PLOTLY_CONFIG``); series without a colour of their own take the
    Okabe-Ito palette. ``alt`` defaults to a summary of the traces.
    """
    if fig.layout.colorway is None:  # series without their own colour: Okabe-Ito
        fig = go.Figure(fig)
        fig.update_layout(colorway=list(PALETTE))
    title = fig.layout.title.text if fig.layout.title is not None else None
    name = title or div_id
    text = alt if alt is not None else describe_figure(fig)
    div = str(pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=div_id,
                          config=PLOTLY_CONFIG))
    return (f'<figure class="chart" aria-label="{html.escape(name)}">{div}'
            f'<figcaption class="alt"><details><summary>Chart as text</summary>'
            f"{html.escape(text)}</details></figcaption></figure>")


def table_html(df: pd.DataFrame, floatfmt: str | None = None, *, labels: bool = True) -> str:
    """A DataFrame as an HTML table that fits its page: counts as integers, shares as %,
    thousands separators, human column labels (``labels``); numbers right-aligned.

    ``floatfmt`` (e.g. ``"{:,.1f}"``) forces a format for non-integral floats; integral
    values always show as integers.
    """
    d = df
    if floatfmt is not None:
        d = df.copy()
        for c in d.columns:
            if pd.api.types.is_float_dtype(d[c]):
                d[c] = [("-" if v != v else fmt_num(v) if float(v).is_integer()
                         else floatfmt.format(v)) for v in d[c]]
    shown = format_frame(d, labels=labels)
    numeric = [(pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]))
               or (floatfmt is not None and pd.api.types.is_float_dtype(df[c]))
               for c in df.columns]
    cls = ['class="num"' if n else "" for n in numeric]
    head = "".join(f"<th {c} scope=\"col\">{html.escape(str(h))}</th>"
                   for c, h in zip(cls, shown.columns, strict=True))
    rows = "".join(
        "<tr>" + "".join(f"<td {c}>{html.escape(str(v))}</td>"
                         for c, v in zip(cls, row, strict=True)) + "</tr>"
        for row in shown.itertuples(index=False, name=None))
    return (f'<div class="tblwrap" tabindex="0" role="region" aria-label="table: '
            f'{html.escape(", ".join(str(h) for h in shown.columns[:3]))}">'
            f'<table class="tbl"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>")


_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5rem auto;
max-width:1100px;color:#1d2733;padding:0 1rem;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}
h2{border-bottom:1px solid #ccd;padding-bottom:.3rem;margin-top:2.2rem}
h2.small{font-size:1rem;border:0;margin:.2rem 0}
.tblwrap{max-width:100%;overflow-x:auto}
table.tbl{border-collapse:collapse;font-size:.82rem;margin:.6rem 0;max-width:100%}
table.tbl th,table.tbl td{padding:.25rem .45rem;border-bottom:1px solid #e3e6ea;text-align:left;
vertical-align:top}
table.tbl th{background:#f3f5f8;font-weight:600}
table.tbl .num{text-align:right;white-space:nowrap}table.tbl th.num{white-space:normal}
.note{color:#4a5563;font-size:.85rem}
nav a{margin-right:1rem;display:inline-block}
.row{display:flex;flex-wrap:wrap;gap:1em}.row>div{flex:0 1 auto;max-width:100%;overflow-x:auto}
ul.strip{display:flex;flex-wrap:wrap;gap:.6rem;list-style:none;padding:0;margin:1rem 0}
ul.strip li{background:#f3f5f8;border-radius:6px;padding:.5rem .8rem;min-width:9rem}
ul.strip .v{display:block;font-size:1.3rem;font-weight:600}
ul.strip .k{display:block;font-size:.8rem;color:#4a5563}
section.context{background:#fafbfc;border:1px solid #e3e6ea;border-radius:6px;
padding:.4rem .8rem;margin:.6rem 0}
section.context dl{display:grid;gap:.15rem 1rem;
grid-template-columns:repeat(auto-fill,minmax(8rem,max-content) minmax(9rem,1fr));
margin:.3rem 0;
font-size:.85rem}
section.context dt{color:#4a5563}section.context dd{margin:0}
figure.chart{margin:.8rem 0;max-width:100%}
figcaption.alt{font-size:.8rem;color:#4a5563}
@media (max-width:600px){body{padding:0 .4rem}ul.strip li{min-width:7rem}}
"""


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("aifab.report", "templates"),
        autoescape=True, trim_blocks=False, lstrip_blocks=False)
    return env.get_template("page.html.j2")


def _anchor(s: Section, i: int) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", s.anchor) if s.anchor else str(i)


def render_html(title: str, sections: list[Section], subtitle: str = "", *,
                summary: Items = (), context: Items = (), lang: str = "en") -> str:
    """A complete page with plotly.js inlined (about 4.5 MB; no network needed).

    The summary strip and run context are ``summary``/``context`` followed by those of
    each section, in order (a label given twice keeps its first value).
    """
    def merged(first: Items, attr: str) -> list[tuple[str, str]]:
        seen: dict[str, str] = dict(first)
        for s in sections:
            for k, v in getattr(s, attr):
                seen.setdefault(k, v)
        return list(seen.items())

    secs = [{"id": _anchor(s, i), "title": s.title, "body_html": Markup(s.body_html)}
            for i, s in enumerate(sections)]
    return _template().render(
        lang=lang, title=title, subtitle=subtitle, css=Markup(_CSS),
        plotly_js=Markup(get_plotlyjs()), summary=merged(summary, "summary"),
        context=merged(context, "context"), sections=secs, version=__version__,
        stamp=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")) + "\n"


__all__ = ["Items", "Section", "figure_html", "render_html", "table_html"]
