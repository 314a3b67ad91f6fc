"""Every dashboard page, in English (1280 px) and Korean (390 px, a phone), as a planner
reads it: no raw internal names, long floats or "NaN"; in Korean no English left,
``<html lang="ko">`` (WCAG 3.1.1) and no serious or critical axe-core violation."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from selenium.webdriver.support.ui import WebDriverWait

from aifab.report._lint import text_problems
from aifab.serve._browser import axe_violations

pytestmark = pytest.mark.slow

#: page -> JavaScript condition that says it has drawn
READY = {
    "overview": "document.querySelectorAll('#ov-cards li').length >= 7",
    "plan": "document.querySelectorAll('#plan-power .main-svg').length > 0 && "
            "document.querySelector('#plan-cards li')",
    "runs": "document.querySelectorAll('#runs tbody tr').length >= 4",
    "twin": "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 5",
    "sweeps": "document.querySelector('#sweep-sens-2 .main-svg')",
    "map": "document.querySelector('#map-graph .main-svg')",
    # views a link opens beyond a page's first state: two runs compared, an older sweep,
    # the Plan page with a knob moved (its what-changed tables)
    "plan-changed": "document.querySelector('#plan-power .main-svg') && "
                    "document.querySelectorAll('#plan-changed-figures tbody tr').length > 0",
    "runs-compare": "document.querySelector('#cmp-fig .main-svg') && "
                    "document.querySelectorAll('#cmp-table tbody tr').length >= 5",
    "sweeps-fan": "document.querySelector('#sweep-head') && "
                  "document.querySelectorAll('#sweep-body .main-svg').length > 0",
}
#: page -> the rest of its address (the run or runs it shows)
QUERY = {"sweeps": "&run=runs/sweep-oat", "runs-compare": "&a=runs/sim-a&b=runs/sim-b",
         "sweeps-fan": "&run=runs/sweep-pue", "plan-changed": "&scenario=korea-2025&pue=1.5"}
#: the page's visible text and its charts' text, less passages marked as English quotes
#: (``lang="en"``: the scenario's sources beside the knobs, cited as written, WCAG 3.1.2),
#: then what a chart shows only on hover or in its legend: every trace's hover template
#: (less its ``%{...}`` fields and tags), hover text and name
_TEXT = ("var b=document.body.innerText;document.querySelectorAll('main [lang=en]')"
         ".forEach(function(e){b=b.split(e.innerText).join(' ')});var p=[b];"
         "document.querySelectorAll('svg text').forEach(function(e){p.push(e.textContent)});"
         "document.querySelectorAll('.js-plotly-plot').forEach(function(g){(g.data||[])"
         ".forEach(function(t){[t.hovertemplate,t.hovertext,t.name].forEach(function(h){"
         "(Array.isArray(h)?h:[h]).forEach(function(x){if(typeof x==='string')"
         "p.push(x.replace(/%\\{[^}]*\\}|<[^>]*>/g,' '))})})})});"
         "return p.join('\\n')")


def _names(root: Any) -> set[str]:
    """Proper names a Korean page may show as they are: owners, peers, places, tenants."""
    from aifab import load_scenario, plan

    r = plan(load_scenario("korea-2025"))
    names = ({s.name for s in r.owners} | {p.name for p in r.peers}
             | {c.region for c in r.comparisons} | {f.accelerator for f in r.fleet})
    for d in (root / "runs").glob("sim-*"):
        ten = pd.read_parquet(d / "tenants.parquet")
        names |= {str(v) for c in ("tenant", "owner") if c in ten for v in ten[c]}
    return names


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("page", list(READY))
def test_page_text_is_for_people(browser: Any, server: str, results: dict[str, Any],
                                 page: str, lang: str) -> None:
    if page == "map":
        assert results["site"].wait(timeout=180) == 0
    browser.set_window_size(390 if lang == "ko" else 1280, 1000)
    browser.get(f"{server}/{page.split('-')[0]}?lang={lang}{QUERY.get(page, '')}")
    wait = WebDriverWait(browser, 60, poll_frequency=0.25)
    wait.until(lambda d: d.execute_script(f"return document.documentElement.lang === "
                                          f"{lang!r} && !!({READY[page]})"))
    wait.until(lambda d: d.execute_script(
        "return !document.querySelector('[data-dash-is-loading=true]')"))
    text = browser.execute_script(_TEXT)
    problems = text_problems(text, lang, _names(results["root"]))
    try:
        assert problems == [], f"{page} ({lang}): {problems}"
        if lang == "ko":
            assert axe_violations(browser) == []
    finally:
        browser.set_window_size(1280, 1000)
        if lang != "en":  # the language persists in the browser: leave it in English
            browser.get(f"{server}/overview?lang=en")
            wait.until(lambda d: d.execute_script(
                "return document.documentElement.lang === 'en'"))
