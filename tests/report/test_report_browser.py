"""The static report in headless chromium (as CI opens it): no console error, every chart
drawn, no cloud button, tables within a 1024 px window, no serious axe-core violation."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from aifab.serve._browser import axe_violations, chromium_paths, console_errors, headless_chromium

pytestmark = pytest.mark.slow
SLOW = float(os.environ.get("AIFAB_TEST_WAIT_SCALE", "1"))
"""Scales every wait's timeout (a busy CI machine sets it; .ci/run)."""

MINI = """\
schema_version: 1
name: mini
description: two owners, one delivery year
owners:
  - {name: Naver, home_region: Sejong}
  - {name: Government, kind: public, home_region: Jeonnam}
fleets:
  - {owner: Naver, accelerator: gb200, system: gb200-nvl72, count: 7200, delivery_year: 2026}
  - {owner: Government, accelerator: b200, system: dgx-b200, count: 4000, delivery_year: 2026}
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`aifab report` with all three stages (plan, site, simulate) on a small scenario."""
    d = tmp_path_factory.mktemp("report")
    (d / "mini.yaml").write_text(MINI)
    subprocess.run([sys.executable, "-m", "aifab.cli", "report", str(d / "mini.yaml"),
                    "--out", str(d / "out"), "--set", "siting.hours=24", "--days", "1",
                    "--set", "sim.scale=0.05", "--set", "sim.warmup_days=0.5", "--json"],
                   check=True, capture_output=True)
    return d / "out" / "report.html"


@pytest.fixture(scope="module")
def page(report: Path) -> Iterator[Any]:
    if chromium_paths() is None:
        pytest.skip("chromium/chromedriver not installed (apt-get install chromium "
                    "chromium-driver; .ci/run does this)")
    with headless_chromium(1024, 900) as d:
        d.get(report.as_uri())
        WebDriverWait(d, 60 * SLOW, poll_frequency=0.2).until(lambda x: x.execute_script(
            "return document.readyState === 'complete'"))
        # Charts off the first screen are drawn one at a time after the page has loaded.
        WebDriverWait(d, 60 * SLOW, poll_frequency=0.2).until(lambda x: x.execute_script(
            "return Array.from(document.querySelectorAll('.plotly-graph-div'))"
            ".every(e => e._fullLayout && e.querySelector('svg.main-svg'))"))
        yield d


def test_no_console_errors_and_every_chart_drawn(page: Any, report: Path) -> None:
    assert console_errors(page) == []
    n_divs, n_drawn = page.execute_script(
        "var d = document.querySelectorAll('.plotly-graph-div');"
        "return [d.length, Array.from(d).filter(e => e.querySelector('svg.main-svg')"
        " && e._fullLayout).length]")
    assert n_divs >= 15  # plan, siting and twin charts
    assert n_drawn == n_divs
    text = report.read_text()
    assert n_divs == text.count('class="plotly-graph-div"')


def test_no_cloud_buttons_no_logo(page: Any) -> None:
    titles = page.execute_script(
        "return Array.from(document.querySelectorAll('.modebar-btn'))"
        ".map(b => b.getAttribute('data-title') || '')")
    assert titles, "charts have a toolbar"
    assert not [t for t in titles if "cloud" in t.lower() or "chart studio" in t.lower()]
    assert page.execute_script("return document.querySelectorAll('.modebar-btn--logo').length") == 0


def test_fits_1024_and_has_viewport_and_text_alternatives(page: Any) -> None:
    assert page.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth")
    overflow = page.execute_script(
        "return Array.from(document.querySelectorAll('.tblwrap'))"
        ".filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.getAttribute('aria-label'))")
    assert overflow == []
    assert page.execute_script(
        "return document.querySelector('meta[name=viewport]').content").startswith(
        "width=device-width")
    figs = page.execute_script(
        "return Array.from(document.querySelectorAll('figure.chart'))"
        ".map(f => [f.getAttribute('aria-label'), f.querySelector('figcaption').textContent])")
    assert figs and all(label and len(alt) > 20 for label, alt in figs)
    strip = page.execute_script("return document.querySelector('ul.strip').textContent")
    assert "11,200" in strip and "facility power (MW)" in strip


def test_no_serious_accessibility_violations(page: Any) -> None:
    assert axe_violations(page) == []
    folder = os.environ.get("AIFAB_SCREENSHOTS")
    if folder:
        page.execute_script("window.scrollTo(0, 0)")
        page.save_screenshot(str(Path(folder) / "report-top.png"))
