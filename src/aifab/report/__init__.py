"""Terminal tables, charts and self-contained HTML reports."""

from aifab.report._html import Section, figure_html, render_html, table_html
from aifab.report._pipeline import ReportResult, build_report, print_report
from aifab.report._plan import plan_html, plan_sections, print_plan
from aifab.report._sim import print_sim, sim_sections, write_sim_outputs

__all__ = [
    "ReportResult",
    "Section",
    "build_report",
    "figure_html",
    "plan_html",
    "plan_sections",
    "print_plan",
    "print_report",
    "print_sim",
    "render_html",
    "sim_sections",
    "table_html",
    "write_sim_outputs",
]
