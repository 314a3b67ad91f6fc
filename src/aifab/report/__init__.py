"""Terminal tables, charts and self-contained HTML reports."""

from aifab.report._html import Items, Section, figure_html, render_html, table_html
from aifab.report._plan import plan_figures, plan_html, plan_sections, plan_summary, print_plan
from aifab.report._style import (
    PALETTE,
    PLOTLY_CONFIG,
    describe_figure,
    fmt_big,
    fmt_int,
    fmt_mapping,
    fmt_num,
    fmt_share,
    format_frame,
    label,
    owner_colours,
    style_figure,
)

__all__ = [
    "PALETTE",
    "PLOTLY_CONFIG",
    "Items",
    "Section",
    "describe_figure",
    "figure_html",
    "fmt_big",
    "fmt_int",
    "fmt_mapping",
    "fmt_num",
    "fmt_share",
    "format_frame",
    "label",
    "owner_colours",
    "plan_figures",
    "plan_html",
    "plan_sections",
    "plan_summary",
    "print_plan",
    "render_html",
    "style_figure",
    "table_html",
]
