"""Terminal tables, charts and self-contained HTML reports."""

from aifab.report._grid import flex_curve_figure, site_html, site_sections, siting_map
from aifab.report._html import Section, figure_html, render_html, table_html
from aifab.report._plan import plan_html, plan_sections, print_plan

__all__ = [
    "Section",
    "figure_html",
    "flex_curve_figure",
    "plan_html",
    "plan_sections",
    "print_plan",
    "render_html",
    "site_html",
    "site_sections",
    "siting_map",
    "table_html",
]
