"""One look for every chart and table: owner colours, number formats, labels, plotly config.

The report, the siting map, the twin's sections and the dashboard (``aifab serve``) all take
their colours and number formats from here, so an owner keeps one colour everywhere and a
count never shows as ``267,976.000``.

The palette is Okabe and Ito's (2008, "Color Universal Design"), distinguishable with the
common colour-vision deficiencies; the loading scale is cividis (Nuñez et al., 2018), which
is perceptually uniform and readable with red-green deficiency.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from aifab.report import _labels

#: Okabe-Ito, in the order owners get them (yellow last: low contrast on white).
PALETTE: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7",
                            "#56B4E9", "#000000", "#F0E442")
#: Colour for totals, "other" and series that are not owners.
NEUTRAL = "#595959"
#: Colours of series that are not owners (states, causes, sweep bands, compare runs): Paul
#: Tol's "muted" scheme (colour-blind safe), none of them an owner colour, so an owner's
#: colour means that owner and nothing else. The same series has the same colour in every
#: report and on every dashboard page.
SERIES_COLOURS: dict[str, str] = {
    "allocated": "#332288", "busy": "#117733", "inference": "#AA4499",
    "power_mw": NEUTRAL, "queued_owner": "#44AA99", "queued_public": "#999933",
    "stranded_power": "#882255", "stranded_fragmentation": "#DDCC77",
    "stranded_idle": "#88CCEE",
    "low": "#44AA99", "high": "#CC6677", "spread": "#332288",
    "run_a": "#332288", "run_b": "#CC6677",
    # failure causes (aifab.reliability CLASSES)
    "gpu": "#882255", "gpu_memory": "#CC6677", "gpu_other": "#DDCC77", "network": "#117733",
    "nic": "#44AA99", "host": "#332288", "software": "#AA4499",
}
#: Sequential, colour-blind-safe scale for loadings and shares (plotly's name).
SEQUENTIAL = "Cividis"
#: Corridor loading: cividis reversed, pale yellow idle to dark blue full, so congested
#: corridors are the most visible lines on the pale map.
LOADING_SCALE = "Cividis_r"

#: Plotly config for every chart: no upload to Plotly's cloud ("send data to cloud",
#: "edit in Chart Studio"), no logo; charts follow the width of their container.
#: (plotly.js 4 knows only ``showSendToCloud``; the older keys are rejected by plotly.py.)
PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "showSendToCloud": False,
    "modeBarButtonsToRemove": ["sendDataToCloud", "lasso2d", "select2d"],
    "responsive": True,
}

#: Plotly layout defaults shared by every chart (font, margins, white background).
LAYOUT: dict[str, Any] = {
    "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13,
             "color": "#1d2733"},
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "colorway": list(PALETTE),
    "hoverlabel": {"namelength": -1},
}


def owner_colours(owners: Iterable[str]) -> dict[str, str]:
    """One colour per owner, by position in the scenario's owner list (pass the full list).

    Every section that passes the same list gets the same colours, so Naver is the same
    blue in the plan, the siting map and the twin.
    """
    names = list(dict.fromkeys(str(o) for o in owners))
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def owner_colour(owner: str, owners: Iterable[str]) -> str:
    """The colour of ``owner`` among ``owners`` (NEUTRAL for one not in the list)."""
    return owner_colours(owners).get(owner, NEUTRAL)


def style_figure(fig: Any, *, title: str | None = None, height: int | None = None) -> Any:
    """Apply the shared layout (and a title/height) to a plotly figure; returns it."""
    fig.update_layout(**LAYOUT)
    if title is not None:
        fig.update_layout(title={"text": title})
    if height is not None:
        fig.update_layout(height=height)
    return fig


# --- numbers ---------------------------------------------------------------------------

def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and not math.isfinite(v)) or v is pd.NA


def fmt_int(v: Any) -> str:
    """A count: thousands separators, no decimals (``267,976``); ``-`` when missing."""
    if _missing(v):
        return "-"
    return f"{round(float(v)):,}"


def fmt_num(v: Any, digits: int | None = None) -> str:
    """A quantity: integers as integers, else 3 significant figures (at least 0 decimals).

    ``fmt_num(267976.0) == "267,976"``, ``fmt_num(6.0) == "6"``, ``fmt_num(0.8512) ==
    "0.851"``, ``fmt_num(1234.56) == "1,235"``, ``fmt_num(12.345) == "12.3"``.
    """
    if _missing(v):
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    x = float(v)
    if digits is not None:
        return f"{x:,.{digits}f}"
    if x == round(x) and abs(x) < 1e15:
        return f"{round(x):,}"
    ax = abs(x)
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:,.1f}"
    if ax >= 1:
        return f"{x:,.2f}"
    return f"{x:.3g}"


def fmt_share(v: Any, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage: ``0.851 -> "85.1%"``."""
    if _missing(v):
        return "-"
    return f"{float(v) * 100:,.{digits}f}%"


def fmt_big(v: Any) -> str:
    """A large amount in words: ``2.55e11 -> "255 billion"``, ``3.1e12 -> "3.1 trillion"``."""
    if _missing(v):
        return "-"
    if _labels.REPORT_LANG.get() == "ko":  # a report written in Korean: 억, 조
        return _labels.fmt_big_ko(v)
    x = float(v)
    for scale, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(x) >= scale:
            return f"{fmt_num(x / scale)} {word}"
    return fmt_num(x)


def is_money(name: str) -> bool:
    """Whether a metric holds an amount of money in KRW, judged by its name."""
    n = name.lower()
    return n.endswith("_krw") or "_krw_" in n or n.endswith("_krw_per_year")


def fmt_value(name: str, v: Any, lang: str = "en") -> str:
    """One value of the metric ``name``: money in words (``854 billion KRW``, ``8,540억
    원``), shares as %, other quantities to 3 significant figures."""
    if is_money(name):
        return _labels.fmt_money(v, lang)
    if is_share_column(name):
        return fmt_share(v)
    return fmt_num(v)


def money_axis(name: str, lang: str = "en") -> tuple[float, str]:
    """(divisor, unit) that puts an amount of money on a readable axis: billions of KRW
    in English, 억 원 in Korean; (1, "") for a metric that is not money."""
    if not is_money(name):
        return 1.0, ""
    return (1e8, "억 원") if lang == "ko" else (1e9, "billion KRW")


def fmt_mapping(d: Mapping[Any, Any], fmt: Any = None, sep: str = "; ") -> str:
    """A small mapping as text (``2026: 206.5; 2027: 210.3``), never raw JSON."""
    f = fmt or fmt_num
    return sep.join(f"{label(str(k))}: {f(v)}" for k, v in d.items())


def fmt(v: Any, kind: str = "num") -> str:
    """Format one value by its kind: ``count``, ``share``, ``big`` or ``num`` (default).

    For tables that mix kinds in one column (metric | value), e.g.
    ``[("accelerators", fmt(doc["fleet"]["accelerators"], "count")), ...]``.
    """
    f = {"count": fmt_int, "share": fmt_share, "big": fmt_big}.get(kind, fmt_num)
    return str(f(v))


# --- maps ------------------------------------------------------------------------------

def loading_colour(pct: float) -> str:
    """A corridor's loading (0-100 %) on reversed cividis: pale yellow idle, dark blue full.

    Colour-blind-safe, unlike a red-green ramp; pair it with ``loading_colourbar``.
    """
    from plotly.colors import sample_colorscale

    x = max(0.0, min(1.0, float(pct) / 100.0))
    return str(sample_colorscale(LOADING_SCALE, [x])[0])


def loading_colourbar(title: str = "max loading (%)") -> Any:
    """An invisible trace that draws the loading colour bar (0-100 %) beside a map."""
    import plotly.graph_objects as go

    return go.Scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
                      marker={"colorscale": LOADING_SCALE, "cmin": 0, "cmax": 100, "color": [0],
                              "showscale": True,
                              "colorbar": {"title": {"text": title}, "ticksuffix": " %",
                                           "thickness": 12, "len": 0.5}})


def capacity_legend(widths: Mapping[float, float], unit: str = "MW") -> list[Any]:
    """Legend entries for line widths: ``{capacity: width_px}`` -> one dummy trace each."""
    import plotly.graph_objects as go

    return [go.Scatter(x=[None], y=[None], mode="lines", name=f"{fmt_num(cap)} {unit}",
                       line={"color": NEUTRAL, "width": w}, legendgroup="capacity",
                       legendgrouptitle={"text": "corridor capacity"}, hoverinfo="skip")
            for cap, w in sorted(widths.items())]


# --- labels ----------------------------------------------------------------------------

def label(name: str, lang: str | None = None) -> str:
    """A human label for an internal name (``jct_p50_h -> "job completion time, median (h)"``),
    from the one registry in ``_labels`` (English or Korean; by default the language of the
    report being written, ``_labels.REPORT_LANG``)."""
    return _labels.label(name, lang or _labels.REPORT_LANG.get())


# --- tables ----------------------------------------------------------------------------

_SHARE_WORDS = ("share", "utilization", "utilisation", "fraction", "jain")


def is_share_column(name: str) -> bool:
    """Whether a column holds shares in [0, 1] (shown as %), judged by its name."""
    n = name.lower()
    return any(w in n for w in _SHARE_WORDS) and not n.endswith("_pct")


def format_frame(df: pd.DataFrame, *, labels: bool = True,
                 shares: Iterable[str] = ()) -> pd.DataFrame:
    """A copy with every number formatted as text (counts as integers, shares as %) and,
    with ``labels``, human column labels. Text columns pass through unchanged."""
    share_cols = set(shares)
    out = pd.DataFrame(index=df.index)
    for c in df.columns:
        col = df[c]
        name = str(c)
        if pd.api.types.is_bool_dtype(col):
            vals = ["yes" if bool(v) else "" for v in col]
        elif pd.api.types.is_numeric_dtype(col):
            if name in share_cols or is_share_column(name):
                vals = [fmt_share(v) for v in col]
            elif name == "year" or name.endswith("_year"):
                vals = ["-" if _missing(v) else str(int(v)) for v in col]
            else:
                vals = [fmt_num(v) for v in col]
        else:
            vals = ["" if _missing(v) else str(v) for v in col]
        out[label(name) if labels else name] = vals
    return out


def _x(v: Any) -> str:
    """An x value of a text alternative: numbers to 4 significant figures."""
    if isinstance(v, float) and not _missing(v):
        return fmt_num(v)
    return str(v)


def describe_figure(fig: Any, max_points: int = 8, lang: str = "en") -> str:
    """A short text alternative for a plotly figure: its title and each series' values
    (a bar drawn from a ``base`` is described by where it ends, base + length)."""
    lay = fig.layout
    title = (lay.title.text or "") if lay.title is not None else ""
    ko = lang == "ko"
    parts = [title.rstrip(".") + "." if title else ("차트." if ko else "Chart.")]
    for tr in fig.data[:12]:
        name = getattr(tr, "name", None) or ""
        xs = getattr(tr, "x", None)
        ys = getattr(tr, "y", None)
        if getattr(tr, "orientation", None) == "h":
            xs, ys = ys, xs
        if xs is None or ys is None:
            continue
        xs, ys = list(xs), list(ys)
        if not ys:
            continue
        base = getattr(tr, "base", None)
        if isinstance(base, (int, float)) and not isinstance(base, bool):
            ys = [y + base if isinstance(y, (int, float)) else y for y in ys]
        nums = [float(v) for v in ys if isinstance(v, (int, float)) and not _missing(v)]
        if len(ys) <= max_points:
            pts = ", ".join(f"{_x(x)}: {fmt_num(y) if isinstance(y, (int, float)) else y}"
                            for x, y in zip(xs, ys, strict=False))
        elif nums:
            known = [x for x in xs if x is not None and not _missing(x)] or ["-"]
            x0, x1 = _x(known[0]), _x(known[-1])
            pts = ((f"{len(ys)}개 점, {x0}부터 {x1}까지, 최소 {fmt_num(min(nums))}, "
                    f"최대 {fmt_num(max(nums))}, 마지막 {fmt_num(nums[-1])}") if ko else
                   (f"{len(ys)} points from {x0} to {x1}, min {fmt_num(min(nums))}, "
                    f"max {fmt_num(max(nums))}, last {fmt_num(nums[-1])}"))
        else:
            continue
        parts.append(f"{name}: {pts}." if name else f"{pts}.")
    return " ".join(parts)
