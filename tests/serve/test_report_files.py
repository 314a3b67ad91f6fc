"""Static reports opened through the dashboard (``/files/``, as the Runs page links them):
each loads its run folder's ``plotly-<version>.min.js`` over HTTP and draws every chart,
with no notice and no console error (headless chromium)."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.support.ui import WebDriverWait
from tests.serve.conftest import SLOW

from aifab.report import plotly_file_name
from aifab.serve._browser import console_errors

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("rel", ["runs/sim-a/report.html", "runs/sweep-oat/report.html",
                                 "runs/site-mini/site.html"])
def test_report_draws_through_the_dashboard(browser: Any, server: str,
                                            results: dict[str, Any], rel: str) -> None:
    if "site" in rel:
        assert results["site"].wait(timeout=180 * SLOW) == 0
    folder = results["root"] / rel.rsplit("/", 1)[0]
    assert (folder / plotly_file_name()).is_file()
    page = (results["root"] / rel).read_text(encoding="utf-8")
    assert f'<script src="{plotly_file_name()}"></script>' in page and len(page) < 500_000
    console_errors(browser)  # drain
    browser.get(f"{server}/files/{rel}")
    WebDriverWait(browser, 60 * SLOW, poll_frequency=0.2).until(lambda d: d.execute_script(
        "var g=document.querySelectorAll('.plotly-graph-div');return g.length>0&&"
        "Array.from(g).every(e=>e._fullLayout&&e.querySelector('svg.main-svg'))"))
    assert browser.execute_script("return document.getElementById('needs-plotly').hidden")
    assert browser.execute_script("return !!(window.Plotly && window.Plotly.version)")
    assert console_errors(browser) == []
