"""Warm-up before ``aifab serve`` says it is ready: do once what the first page view
would otherwise do cold, so that the Plan page's first load is as fast as a reload.

Cold, the first Plan page spent about 1.9 s in its plan callback (the serving model's
first search per device, then cached; the failure model's YAML; plotly's validators) and
1.4 s rendering its first layout (benchmarks/serve_bench.py, docs/benchmarks.md)."""

from __future__ import annotations

import time

from aifab.errors import AifabError
from aifab.serve._paths import ResultsDir


def warm_up(results: ResultsDir, scenario: str = "korea-2025") -> float:
    """Plan ``scenario`` and build, localise, describe and serialise its figures and every
    page's layout in both languages (the results are thrown away; the caches stay).
    Returns the seconds it took. A warm-up that cannot read its scenario or a file leaves
    the server as it was (its first page is then slower, not broken)."""
    t0 = time.perf_counter()
    try:
        import plotly.io as pio

        from aifab import plan
        from aifab.report import describe_figure, localise_figure, plan_figures, plan_summary
        from aifab.serve._cb_plan import load_scenario
        from aifab.serve._pages import PAGES, page_layout

        r = plan(load_scenario(results, scenario))
        plan_summary(r)
        for fig in plan_figures(r).values():
            for lang in ("en", "ko"):
                local = localise_figure(fig, lang)
                describe_figure(local, lang=lang)
                pio.to_json(local, validate=False)
        for lang in ("en", "ko"):
            for page in PAGES:
                if page != "runs":  # the Runs page lists jobs: nothing to warm
                    page_layout(page, lang, results, {})
    except (AifabError, OSError):
        pass
    return time.perf_counter() - t0
