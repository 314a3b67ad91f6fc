"""A Korean planner's walk (headless chromium): the Overview leads with the year-by-year
shortage; the Plan page's PUE changes the plan; its link restores that state; the chart's
data downloads as XLSX (read back with openpyxl); the knobs save as a scenario that
``aifab plan`` accepts with the same result; the page prints to an A4 PDF without its
controls."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import openpyxl  # before the server's thread imports it for the download
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from tests.serve.conftest import in_english

pytestmark = pytest.mark.slow


def _until(driver: Any, script: str, timeout: float = 60) -> Any:
    return WebDriverWait(driver, timeout, poll_frequency=0.25).until(
        lambda d: d.execute_script(script))


def _card(driver: Any, key: str) -> Any:
    return _until(driver, "var li=Array.from(document.querySelectorAll('#plan-cards li'))"
                          f".find(function(l){{return l.querySelector('.k').textContent==="
                          f"{key!r}}});return li && li.querySelector('.v').textContent")


def _file(folder: Path, pattern: str, timeout: float = 60) -> Path:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        done = [p for p in folder.glob(pattern) if not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {pattern} downloaded into {folder}")


def test_korean_planner_walk(browser: Any, server: str, results: dict[str, Any],
                             tmp_path: Path) -> None:
    try:
        _walk(browser, server, results, tmp_path)
    finally:  # the language persists in the browser: leave it in English
        in_english(browser, server)


def _walk(browser: Any, server: str, results: dict[str, Any], tmp_path: Path) -> None:
    browser.execute_cdp_cmd("Page.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(tmp_path)})
    assert results["site"].wait(timeout=180) == 0
    site = json.loads((results["root"] / "runs" / "site-mini" / "site.json").read_text())
    first = min(site["unpowered_gpus_by_year"])
    # 1. Overview in Korean: the first card is the shortage of the first year
    browser.get(f"{server}/overview?lang=ko")
    _until(browser, "return document.documentElement.lang === 'ko' && "
                    "document.querySelectorAll('#ov-cards li').length >= 7")
    k = browser.find_element(By.CSS_SELECTOR, "#ov-cards li .k").text
    v = browser.find_element(By.CSS_SELECTOR, "#ov-cards li .v").text
    assert k == f"전력 대기 GPU, {first}"
    assert v == f"{site['unpowered_gpus_by_year'][first]:,}"
    short = sum(r["unpowered_it_mw"] for r in site["unpowered_gpus_by_owner"]
                if str(r["year"]) == first)
    src = browser.find_element(By.CSS_SELECTOR, "#ov-cards li .src").text
    assert src.startswith(f"부족한 IT 전력: {short:,.0f} MW; 전국")  # MW short, national scale
    # 2. Plan: PUE 1.5 changes facility power
    browser.get(f"{server}/plan?lang=ko")
    before = _card(browser, "시설 전력 (MW)")
    src = browser.find_element(By.ID, "src-facility-pue").text  # the source beside the knob
    assert src.startswith("출처: ") and "Uptime Institute" in src
    pue = _until(browser, "return document.getElementById('plan-pue')")
    pue.send_keys(Keys.CONTROL, "a")
    pue.send_keys("1.5", Keys.ENTER)
    after = _until(browser, "var li=Array.from(document.querySelectorAll('#plan-cards li'))"
                            ".find(function(l){return l.querySelector('.k').textContent==="
                            f"'시설 전력 (MW)'}});var v=li && li.querySelector('.v')"
                            f".textContent;return v !== {before!r} && v")
    link = _until(browser, "var a=document.getElementById('plan-share');"
                           "return a && a.href.includes('pue=1.5') && a.href")
    # 3. the link restores the state, in Korean
    browser.get(link)
    _until(browser, "var e=document.getElementById('plan-pue');"
                    "return document.documentElement.lang === 'ko' && e && e.value === '1.5'")
    assert _card(browser, "시설 전력 (MW)") == after
    # 4. the power chart's data as XLSX, read back with openpyxl
    _until(browser, "return document.querySelector('#plan-power .main-svg')")
    shown = browser.execute_script(
        "var d=document.querySelector('#plan-power .js-plotly-plot').data[1];"
        "return [d.name, Array.from(d.x), Array.from(d.y)]")
    button = browser.find_element(
        By.XPATH, "//figure[.//*[@id='plan-power']]//button[text()='XLSX']")
    browser.execute_script("arguments[0].click()", button)
    book = openpyxl.load_workbook(_file(tmp_path, "plan-power*.xlsx"))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("series", "x", "y")
    mine = [r for r in rows[1:] if r[0] == shown[0]]
    assert [r[1] for r in mine] == shown[1]
    assert [r[2] for r in mine] == pytest.approx(shown[2])
    # 5. save as scenario: aifab plan reads it and gives the page's facility power
    browser.execute_script("document.getElementById('plan-save').click()")
    yml = _file(tmp_path, "*-dashboard.yaml")
    out = subprocess.run([sys.executable, "-m", "aifab.cli", "plan", str(yml), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    mw = json.loads(out.stdout)["totals"]["facility_power_mw"]
    assert f"{mw:,.0f}" == after
    # 6. print: A4 PDF, controls hidden in print media
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        hidden = browser.execute_script(
            "return ['header.top', '.knobs', '.dls'].map(function(s){var e="
            "document.querySelector(s);return e && getComputedStyle(e).display})")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert hidden == ["none", "none", "none"]
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {
        "paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": True})["data"])
    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes, "no page in the PDF"
    for w, h in boxes:  # A4 is 595.3 x 841.9 pt; chromium rounds to its own units
        assert (float(w), float(h)) == pytest.approx((595.3, 841.9), abs=1.5)
