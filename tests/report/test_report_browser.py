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
    """`aifab report` with all three stages (plan, site, simulate) on a small scenario, in
    English (report.html) and Korean (report-ko.html, ``--lang en,ko``: the same run)."""
    d = tmp_path_factory.mktemp("report")
    (d / "mini.yaml").write_text(MINI)
    subprocess.run([sys.executable, "-m", "aifab.cli", "report", str(d / "mini.yaml"),
                    "--out", str(d / "out"), "--set", "siting.hours=24", "--days", "1",
                    "--set", "sim.scale=0.05", "--set", "sim.warmup_days=0.5", "--json",
                    "--lang", "en,ko"], check=True, capture_output=True)
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


# --- Korean, scale labels, print, screenshots ------------------------------------------

TEXT_JS = """
function shown(node, out) {  // visible text, leaving out parts marked lang="en" (citations)
  if (node.nodeType === 3) { out.push(node.textContent); return; }
  if (node.nodeType !== 1) return;
  var tag = node.tagName.toLowerCase();
  if (tag === 'script' || tag === 'style' || node.getAttribute('lang') === 'en'
      || node.hidden) return;
  for (var c of node.childNodes) shown(c, out);
  if (tag === 'p' || tag === 'li' || tag === 'td' || tag === 'th' || tag === 'div'
      || tag === 'h2' || tag === 'h3' || tag === 'dd' || tag === 'dt') out.push('\\n');
}
var out = []; shown(document.body, out);
var hover = [];
document.querySelectorAll('.plotly-graph-div').forEach(function (gd) {
  (gd.data || []).forEach(function (t) {
    [t.hovertemplate, t.hovertext, t.name].forEach(function (h) {
      (Array.isArray(h) ? h : [h]).forEach(function (x) {
        if (typeof x === 'string') hover.push(x.replace(/%\\{[^}]*\\}|<[^>]*>/g, ' '));
      });
    });
  });
});
return [out.join(' '), hover.join('\\n')];
"""


def _names(out: Path) -> list[str]:
    """What stays as it is in Korean: owner, site, accelerator and system names and the
    scenario's own name and description (the user's words)."""
    import json

    plan = json.loads((out / "plan.json").read_text())
    site = json.loads((out / "site.json").read_text())
    names = [plan["scenario"], "two owners, one delivery year"]
    names += [o["name"] for o in plan["owners"]]
    for f in plan["fleet"]:
        names += [str(f.get("accelerator_name", "")), str(f.get("system_name", ""))]
    names += [str(p["site"]) for p in site["placements"]]
    return names


@pytest.fixture(scope="module")
def report_ko(report: Path) -> Path:
    """The same report as ``report``, in Korean: the page ``--lang en,ko`` writes beside it
    from the same stages (tests/report/test_report_cli.py checks it equals a ``--lang ko``
    run's report.html)."""
    return report.parent / "report-ko.html"


def _load(d: Any, page: Path) -> None:
    d.get(page.as_uri())
    WebDriverWait(d, 60 * SLOW, poll_frequency=0.2).until(lambda x: x.execute_script(
        "return document.readyState === 'complete' && Array.from(document.querySelectorAll("
        "'.plotly-graph-div')).every(e => e._fullLayout && e.querySelector('svg.main-svg'))"))


def test_report_text_is_for_people_in_both_languages(page: Any, report: Path,
                                                     report_ko: Path) -> None:
    """Prose, tables, run context, chart text alternatives and every trace's hover text:
    no internal name or long float (English), and in Korean no English word but names,
    units and citations (marked lang="en"); <html lang> follows the language."""
    from aifab.report._lint import text_problems

    _load(page, report)
    text, hover = page.execute_script(TEXT_JS)
    assert "facility power" in text and "MW" in hover
    assert text_problems(text + "\n" + hover, "en") == []
    page.set_window_size(390, 900)
    try:
        _load(page, report_ko)
        assert page.execute_script("return document.documentElement.lang") == "ko"
        text, hover = page.execute_script(TEXT_JS)
        names = _names(report_ko.parent)
        assert "보유 가속기" in text and "예열" in text  # section prose and run context
        assert text_problems(text, "ko", names) == []
        assert text_problems(hover, "ko", names) == []
        assert "시설" in hover and "연도" in text
        cited = page.execute_script(
            "return Array.from(document.querySelectorAll('td[lang=en]')).length")
        assert cited > 0  # the citations are marked as English, not dropped
        folder = os.environ.get("AIFAB_SCREENSHOTS")
        if folder:
            page.execute_script("window.scrollTo(0, 0)")
            page.save_screenshot(str(Path(folder) / "report-top-ko.png"))
    finally:
        page.set_window_size(1024, 900)


def _strip(d: Any) -> list[str]:
    return d.execute_script(
        "return Array.from(document.querySelectorAll('ul.strip li .k')).map(e => e.textContent)")


def test_combined_report_labels_national_and_twin_scales(page: Any, report: Path,
                                                         report_ko: Path) -> None:
    """The twin's sample (5 % of the fleet here) and the national plan side by side, each
    labelled, in both languages; shares and ratios carry no scale."""
    _load(page, report)
    keys = _strip(page)
    i = keys.index("facility power (MW), national")
    assert keys[i + 1] == "mean facility power (MW), twin sample (5% of the fleet)"
    assert "GPUs, national" in keys and "GPUs, twin sample (5% of the fleet)" in keys
    assert "utilisation (allocated)" in keys
    _load(page, report_ko)
    keys = _strip(page)
    i = keys.index("시설 전력 (MW), 전국")
    assert keys[i + 1] == "평균 시설 전력 (MW), 트윈 표본 (보유분의 5%)"


def _pages_text(pdf: bytes) -> list[str]:
    import io

    from pypdf import PdfReader

    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_prints_to_a4_with_no_table_cut_and_charts_on_the_page(
        page: Any, report: Path, report_ko: Path, lang: str) -> None:
    """Chrome's print-to-PDF (DevTools Page.printToPDF): A4 pages; every table's first and
    last rows on one page; in print media each chart (drawn at the 1024 px window's width)
    fits the A4 text width and height."""
    import base64
    import re

    _load(page, report if lang == "en" else report_ko)
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        # A4 less the @page margins (210 - 2 x 10 mm, 297 - 2 x 12 mm) in CSS px.
        width, height = 190 / 25.4 * 96, 273 / 25.4 * 96
        sizes = page.execute_script(
            "return Array.from(document.querySelectorAll('figure.chart svg.main-svg'))"
            ".map(s => {var r = s.getBoundingClientRect(); return [r.width, r.height]})")
        breaks = page.execute_script(
            "return Array.from(document.querySelectorAll('table.tbl, figure.chart'))"
            ".map(e => getComputedStyle(e).breakInside)")
        rows = page.execute_script(
            "return Array.from(document.querySelectorAll('table.tbl')).map(t => {"
            "var r = t.querySelectorAll('tbody tr'); return [r.length ? r[0].innerText : '',"
            " r.length ? r[r.length - 1].innerText : '']})")
    finally:
        page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert sizes and all(w <= width and h <= height for w, h in sizes), sizes
    assert set(breaks) == {"avoid"}
    pdf = base64.b64decode(page.execute_cdp_cmd("Page.printToPDF", {
        "printBackground": True, "preferCSSPageSize": True})["data"])
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes and all((float(w), float(h)) == pytest.approx((595.3, 841.9), abs=1.5)
                         for w, h in boxes)  # A4 in pt
    texts = _pages_text(pdf)
    assert len(texts) >= 4

    def where(row: str) -> set[int]:
        cells = " ".join(row.split())
        return {i for i, t in enumerate(texts) if cells and cells in t}

    checked = 0
    for first, last in rows:
        a, b = where(first), where(last)
        if len(a) == 1 and len(b) == 1:  # rows whose text is unique in the document
            assert a == b, (first, last)
            checked += 1
    assert checked >= 5  # enough tables were found in the PDF's text to mean something


def test_siting_map_takes_its_half_of_the_row(page: Any, report: Path) -> None:
    """The map beside the siting tables is drawn at its share of the row, not squeezed to
    the width of its empty box (it was 116 px wide at 1024 px)."""
    _load(page, report)
    width, row = page.execute_script(
        "var g = document.getElementById('site-map');"
        "return [g.getBoundingClientRect().width,"
        " g.closest('.row').getBoundingClientRect().width]")
    assert width >= 0.4 * row
