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
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

#: Okabe-Ito, in the order owners get them (yellow last: low contrast on white).
PALETTE: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7",
                            "#56B4E9", "#000000", "#F0E442")
#: Colour for totals, "other" and series that are not owners.
NEUTRAL = "#595959"
#: Sequential, colour-blind-safe scale for loadings and shares (plotly's name).
SEQUENTIAL = "Cividis"

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
    x = float(v)
    for scale, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(x) >= scale:
            return f"{fmt_num(x / scale)} {word}"
    return fmt_num(x)


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
    """A corridor's loading (0-100 %) on the cividis scale: dark blue idle, yellow full.

    Colour-blind-safe, unlike a red-green ramp; pair it with ``loading_colourbar``.
    """
    from plotly.colors import sample_colorscale

    x = max(0.0, min(1.0, float(pct) / 100.0))
    return str(sample_colorscale(SEQUENTIAL, [x])[0])


def loading_colourbar(title: str = "max loading (%)") -> Any:
    """An invisible trace that draws the loading colour bar (0-100 %) beside a map."""
    import plotly.graph_objects as go

    return go.Scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
                      marker={"colorscale": SEQUENTIAL, "cmin": 0, "cmax": 100, "color": [0],
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

#: Human labels for internal names used in results (columns, JSON keys).
LABELS: dict[str, str] = {
    "stranded_power": "unallocated: no power",
    "stranded_fragmentation": "unallocated: fragmentation",
    "stranded_idle": "unallocated: no demand",
    "power": "no power",
    "fragmentation": "fragmentation",
    "idle": "no demand",
    "allocated": "allocated",
    "busy": "busy (training and batch)",
    "inference": "serving inference",
    "queued_owner": "queued: owners' jobs",
    "queued_public": "queued: public tenants' jobs",
    "jct_p50_h": "job completion time, median (h)",
    "jct_mean_h": "job completion time, mean (h)",
    "wait_p50_h": "wait, median (h)",
    "wait_p95_h": "wait, 95th percentile (h)",
    "wait_p99_h": "wait, 99th percentile (h)",
    "wait_mean_h": "wait, mean (h)",
    "share_of_entitlement": "share of entitlement",
    "quota_share": "quota",
    "entitled_accelerators": "entitled accelerators",
    "accelerator_h": "accelerator-hours",
    "jobs_submitted": "jobs submitted",
    "jobs_completed": "jobs completed",
    "queue_mean": "mean queue length",
    "queued_at_end": "queued at end",
    "shortfall_penalty_krw": "GPUs waiting for power (penalty, KRW)",
    "generation_krw": "generation (KRW)",
    "site_build_krw": "campus build, annuity (KRW)",
    "corridor_expansion_krw": "corridor expansion, annuity (KRW)",
    "load_shed_krw": "load shed (KRW)",
    "load_shed_mwh": "load shed (MWh)",
    "total_krw": "total (KRW)",
    "it_power_mw": "IT power (MW)",
    "facility_power_mw": "facility power (MW)",
    "annual_energy_twh": "energy (TWh/year)",
    "annual_cost_krw": "electricity cost (KRW/year)",
    "annual_cost_usd": "electricity cost (USD/year)",
    "annual_co2_mt": "CO2 (Mt/year)",
    "energy_mwh": "energy (MWh)",
    "mean_power_mw": "mean facility power (MW)",
    "peak_power_mw": "peak facility power (MW)",
    "power_mw": "facility power (MW)",
    "tokens_served": "tokens served",
    "npu_share": "NPU share of tokens",
    "utilization": "utilisation (allocated)",
    "busy_utilization": "utilisation (busy)",
    "topology_miss_share": "gang topology misses (share)",
    "jain_public": "Jain fairness, public tenants",
    "jain_all": "Jain fairness, all tenants",
    "p_nom_mw": "capacity (MW)",
    "max_loading_pct": "max loading (%)",
    "blocks_mw": "blocks (MW)",
    "mw": "MW",
    "gpus": "GPUs",
    "t_h": "time (h)",
}

_SUFFIXES = (("_pct", "%"), ("_mw", "MW"), ("_mwh", "MWh"), ("_twh", "TWh"), ("_krw", "KRW"),
             ("_usd", "USD"), ("_h", "h"), ("_s", "s"), ("_mt", "Mt"), ("_kw", "kW"))


def label(name: str) -> str:
    """A human label for an internal name (``jct_p50_h -> "job completion time, median (h)"``).

    Known names come from LABELS; others lose underscores, ``pNN`` becomes "NNth
    percentile" and a unit suffix becomes a bracketed unit.
    """
    if name in LABELS:
        return LABELS[name]
    m = re.fullmatch(r"(.+)_(\d{4})", name)
    if m and m.group(1) in LABELS:  # per-year column, e.g. max_loading_pct_2027
        return f"{LABELS[m.group(1)]}, {m.group(2)}"
    unit = ""
    for suf, u in _SUFFIXES:
        if name.endswith(suf) and len(name) > len(suf):
            name, unit = name[: -len(suf)], u
            break
    words = name.replace("_", " ")
    words = re.sub(r"\bp50\b", "median", words)
    words = re.sub(r"\bp(\d\d?)\b", r"\1th percentile", words)
    return f"{words} ({unit})" if unit else words


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


def describe_figure(fig: Any, max_points: int = 8) -> str:
    """A short text alternative for a plotly figure: its title and each series' values."""
    lay = fig.layout
    title = (lay.title.text or "") if lay.title is not None else ""
    parts = [title.rstrip(".") + "." if title else "Chart."]
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
        nums = [float(v) for v in ys if isinstance(v, (int, float)) and not _missing(v)]
        if len(ys) <= max_points:
            pts = ", ".join(f"{x}: {fmt_num(y) if isinstance(y, (int, float)) else y}"
                            for x, y in zip(xs, ys, strict=False))
        elif nums:
            pts = (f"{len(ys)} points from {xs[0]} to {xs[-1]}, min {fmt_num(min(nums))}, "
                   f"max {fmt_num(max(nums))}, last {fmt_num(nums[-1])}")
        else:
            continue
        parts.append(f"{name}: {pts}." if name else f"{pts}.")
    return " ".join(parts)
