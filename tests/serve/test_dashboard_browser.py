"""The dashboard in a real browser (Debian's headless chromium): every page loads and draws
its charts with no console error and no serious axe-core violation; a knob moves a figure;
a simulation launched from the Runs page finishes; paths outside the folder are refused."""

from __future__ import annotations

import http.client
import os
import time
from typing import Any
from urllib.parse import urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from aifab.serve._browser import axe_violations, console_errors

pytestmark = pytest.mark.slow
#: Every wait is a condition with a timeout; a busy CI machine scales the timeouts
#: (.ci/run sets AIFAB_TEST_WAIT_SCALE), never the conditions.
SLOW = float(os.environ.get("AIFAB_TEST_WAIT_SCALE", "1"))

def _shot(driver: Any, name: str) -> None:
    import os
    from pathlib import Path

    folder = os.environ.get("AIFAB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def _js(driver: Any, script: str, timeout: float = 30) -> Any:
    """Wait until ``script`` returns something truthy; return it."""
    return WebDriverWait(driver, timeout * SLOW, poll_frequency=0.2).until(
        lambda d: d.execute_script(script))


def _open(driver: Any, url: str, title: str, charts: int = 0) -> None:
    driver.get(url)
    _js(driver, f"var e=document.getElementById('page-title');"
                f"return e && e.textContent === {title!r}")
    if charts:
        _js(driver, f"return document.querySelectorAll('.js-plotly-plot .main-svg').length "
                    f">= {charts}")
    _js(driver, "return !document.querySelector('._dash-loading, [data-dash-is-loading=true]')")


PAGES = [("overview", "Overview", 0), ("plan", "Plan", 5), ("runs", "Runs", 0),
         ("twin", "Twin", 5), ("sweeps", "Sweeps", 2)]


@pytest.mark.parametrize(("page", "title", "charts"), PAGES)
def test_page_loads_clean_and_accessible(browser: Any, server: str, page: str, title: str,
                                         charts: int) -> None:
    console_errors(browser)  # drain
    _open(browser, f"{server}/{page}", title, charts)
    if page == "overview":
        cards = _js(browser, "return document.querySelectorAll('#ov-cards li').length")
        assert cards >= 7
        text = browser.find_element(By.ID, "ov-cards").text
        assert "260,000" in text and "utilisation" in text.lower()
    if page == "runs":
        _js(browser, "return document.querySelectorAll('#runs tbody tr').length >= 4")
    assert console_errors(browser, server) == []
    assert axe_violations(browser) == []
    _shot(browser, f"serve-{page}")


def _trace_y(driver: Any, gid: str, trace: int) -> list[float]:
    return list(driver.execute_script(
        f"return Array.from(document.querySelector('#{gid} .js-plotly-plot').data"
        f"[{trace}].y)"))


def test_plan_knob_moves_the_figure(browser: Any, server: str) -> None:
    _open(browser, f"{server}/plan", "Plan", 5)
    before = _trace_y(browser, "plan-power", 1)  # facility MW by owner
    pue = browser.find_element(By.ID, "plan-pue")
    pue.send_keys(Keys.CONTROL, "a")
    pue.send_keys("1.5", Keys.ENTER)
    WebDriverWait(browser, 20 * SLOW).until(lambda d: _trace_y(d, "plan-power", 1) != before)
    after = _trace_y(browser, "plan-power", 1)
    for a, b in zip(after, before, strict=True):  # facility MW = IT MW x PUE
        assert a == pytest.approx(b * 1.5 / 1.3, rel=1e-9)
    naver = browser.execute_script("return document.getElementById(arguments[0])",
                                   '{"owner":"Naver","type":"plan-count"}')
    naver.send_keys(Keys.CONTROL, "a")
    naver.send_keys("30000", Keys.ENTER)
    _js(browser, "return document.getElementById('plan-cards').textContent.includes('230,000')")
    assert console_errors(browser, server) == []


def test_bad_knob_is_one_line_not_a_crash(browser: Any, server: str) -> None:
    _open(browser, f"{server}/plan", "Plan", 5)
    lf = browser.find_element(By.ID, "plan-lf")
    lf.send_keys(Keys.CONTROL, "a")
    lf.send_keys("7", Keys.ENTER)
    msg = _js(browser, "var e=document.querySelector('#plan-error [role=alert]');"
                       "return e && e.textContent")
    assert "load_factor" in msg and "\n" not in msg
    assert console_errors(browser, server) == []


def test_launch_simulation_and_see_it_finish(browser: Any, server: str) -> None:
    _open(browser, f"{server}/runs", "Runs")
    for fid, value in (("job-days", "1"), ("job-scale", "0.01")):
        el = browser.find_element(By.ID, fid)
        el.send_keys(Keys.CONTROL, "a")
        el.send_keys(value)
    browser.find_element(By.ID, "job-launch").click()
    started = _js(browser, "var e=document.getElementById('job-started');"
                           "return e && e.textContent")
    jid = started.removeprefix("started ").strip()
    state = _js(browser, f"var e=document.getElementById('state-{jid}');"
                         "return e && e.textContent !== 'running' && e.textContent", timeout=90)
    assert state == "done"
    _js(browser, f"return document.getElementById('runs').textContent.includes('{jid}')")
    browser.find_element(By.CSS_SELECTOR, f"a[href='/twin?run=runs/{jid}']").click()
    _js(browser, "return document.querySelectorAll('.js-plotly-plot .main-svg').length >= 5")
    assert f"runs/{jid}" in browser.find_element(By.ID, "twin-run").text
    assert console_errors(browser, server) == []


def test_open_a_run_by_url(browser: Any, server: str) -> None:
    _open(browser, f"{server}/twin?run=runs/sim-b", "Twin", 5)
    ctx = browser.find_element(By.ID, "twin-context").text
    assert "seed 1" in ctx and "The first 0.5 days are a warm-up" in ctx
    assert console_errors(browser, server) == []


def test_paths_outside_the_folder_are_refused(browser: Any, server: str) -> None:
    _open(browser, f"{server}/twin?run=../../etc", "Twin")
    assert "outside the results folder" in browser.find_element(By.ID, "refused").text
    _open(browser, f"{server}/map?run=/etc", "Map")
    assert "absolute paths" in browser.find_element(By.ID, "refused").text
    u = urlparse(server)
    for raw in ("/files/../../../etc/passwd", "/files/%2e%2e/%2e%2e/etc/passwd",
                "/files/..%2f..%2fetc%2fpasswd", "/files//etc/passwd"):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        conn.request("GET", raw)
        resp = conn.getresponse()
        body = resp.read()
        # refused, or (an empty path segment) routed to the app's own page: never a file
        assert resp.status in (403, 404) or body.lstrip().startswith(b"<!DOCTYPE html>"), raw
        assert b"root:" not in body
        conn.close()
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("GET", "/files/runs/sim-a/summary.json")
    assert conn.getresponse().status == 200
    console_errors(browser)


def test_korean_labels(browser: Any, server: str) -> None:
    _open(browser, f"{server}/overview", "Overview")
    browser.find_element(By.CSS_SELECTOR, "#lang input[value=ko]").click()
    _js(browser, "return document.getElementById('page-title').textContent === '개요'")
    assert "계획" in browser.find_element(By.ID, "nav").text
    _js(browser, "return document.querySelectorAll('#ov-cards li').length >= 7")
    _shot(browser, "serve-overview-ko")
    browser.find_element(By.CSS_SELECTOR, "#lang input[value=en]").click()
    _js(browser, "return document.getElementById('page-title').textContent === 'Overview'")
    assert console_errors(browser, server) == []


def test_map_page_after_siting_run(browser: Any, server: str, results: dict[str, Any]) -> None:
    site = results["site"]
    t0 = time.monotonic()
    rc = site.wait(timeout=180 * SLOW)
    assert rc == 0, site.stderr.read().decode()
    _open(browser, f"{server}/map", "Map", 1)
    names = browser.execute_script(
        "return document.querySelector('#map-graph .js-plotly-plot').data.map(t => t.name)")
    assert {"Naver", "Government"} <= set(names)
    assert console_errors(browser, server) == []
    assert axe_violations(browser) == []
    _shot(browser, "serve-map")
    assert time.monotonic() - t0 < 180


def _choose(driver: Any, dropdown_id: str, value: str) -> None:
    driver.execute_script("document.getElementById(arguments[0]).click()", dropdown_id)
    _js(driver, f"return document.querySelector('[role=listbox] input[value=\"{value}\"]')")
    driver.execute_script(
        f"document.querySelector('[role=listbox] input[value=\"{value}\"]')"
        ".closest('label').click()")


def test_compare_two_runs_side_by_side(browser: Any, server: str) -> None:
    _open(browser, f"{server}/runs", "Runs")
    _js(browser, "return document.querySelectorAll('#runs tbody tr').length >= 3")
    _choose(browser, "cmp-a", "runs/sim-a")
    _choose(browser, "cmp-b", "runs/sim-b")
    table = _js(browser, "var e=document.getElementById('cmp-table'); return e && e.innerText")
    assert "A: runs/sim-a" in table and "B: runs/sim-b" in table and "utilisation" in table
    _js(browser, "return document.querySelectorAll('#cmp-fig .main-svg').length > 0")
    seeds = browser.execute_script(
        "return Array.from(document.querySelectorAll('#cmp-inputs tr'))"
        ".filter(r => r.cells[0].textContent === 'Seed').map(r => [r.cells[1].textContent,"
        " r.cells[2].textContent])")
    assert seeds == [["0", "1"]]  # the input that differs (days, scale and policy do not)
    rows = browser.execute_script(
        "return Array.from(document.querySelectorAll('#cmp-table tbody tr'))"
        ".map(r => Array.from(r.cells).map(c => c.textContent))")
    util = next(r for r in rows if r[0] == "utilisation")
    a, b = (float(v.rstrip("%")) for v in util[1:3])
    assert util[3] == f"{b - a:+.1f} pp" or abs(float(util[3][:-3]) - (b - a)) <= 0.1
    assert util[4] == "-" or util[4].endswith("%")
    assert any(r[0] == "energy per day, whole fleet (MWh)" for r in rows)
    assert console_errors(browser, server) == []


def test_cancel_a_running_simulation(browser: Any, server: str, results: dict[str, Any]) -> None:
    _open(browser, f"{server}/runs", "Runs")
    for fid, value in (("job-days", "60"), ("job-scale", "0.2")):
        el = browser.find_element(By.ID, fid)
        el.send_keys(Keys.CONTROL, "a")
        el.send_keys(value)
    browser.find_element(By.ID, "job-launch").click()
    jid = _js(browser, "var e=document.getElementById('job-started');"
                       "return e && e.textContent").removeprefix("started ").strip()
    # progress from the run's structured events: the warm-up named as such, then days of 60
    text = _js(browser, f"var e=document.getElementById('progress-{jid}');"
                        "return e && /^(warm-up \\(not counted\\) · day [0-9.]+\\/7|simulating · "
                        "day [0-9.]+\\/60)/.test(e.textContent) && e.textContent", timeout=60)
    assert "8/8" not in text and "\x1b" not in text
    assert _js(browser, "return document.querySelector('#jobs progress[class^=stage-]')")
    button = f'{{"id":"{jid}","type":"job-cancel"}}'
    _js(browser, "return document.getElementById(arguments[0])".replace(
        "arguments[0]", repr(button)))
    browser.execute_script("document.getElementById(arguments[0]).click()", button)
    state = _js(browser, f"var e=document.getElementById('state-{jid}');"
                         "return e && e.textContent !== 'running' && e.textContent", timeout=30)
    assert state == "cancelled"
    # --out is written atomically: no results (at most the resumable checkpoint folder)
    assert not (results["root"] / "runs" / jid / "summary.json").exists()
    assert console_errors(browser, server) == []


def _report_traces(page: str, div_id: str) -> list[dict[str, Any]]:
    """The traces of chart ``div_id`` in a static report (its ``Plotly.newPlot`` call)."""
    import base64
    import json
    import re

    import numpy as np

    m = re.search(r"Plotly\.newPlot\(\s*" + re.escape(json.dumps(div_id)) + r",\s*", page)
    assert m, f"no chart {div_id} in the report"
    traces, _ = json.JSONDecoder().raw_decode(page, m.end())
    for tr in traces:  # plotly.py may store arrays as base64 typed arrays
        for k in ("x", "y"):
            v = tr.get(k)
            if isinstance(v, dict) and "bdata" in v:
                tr[k] = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return list(traces)


def test_sweep_page_draws_the_stored_tornado_like_the_report(
        browser: Any, server: str, results: dict[str, Any]) -> None:
    """A one-at-a-time sweep (PUE moves facility power; tariff and load factor do not):
    the Sweeps page draws the sensitivity stored in sweep.json with the report's builder,
    so PUE is the widest bar, the others are zero, and every bar equals the report's."""
    import re

    _open(browser, f"{server}/sweeps?run=runs/sweep-oat", "Sweeps", 4)
    data = _js(browser, "var e=document.querySelector('#sweep-sens-0 .js-plotly-plot');"
                        "return e && e.data && e.data.length === 2 && e.data")
    report = (results["root"] / "runs" / "sweep-oat" / "report.html").read_text()
    rep = _report_traces(report, "sweep-sens-0")
    for ours, theirs in zip(data, rep, strict=True):
        assert ours["y"] == theirs["y"] and ours["base"] == pytest.approx(theirs["base"])
        assert ours["x"] == pytest.approx(theirs["x"], rel=1e-12)
    low, high = data
    assert high["y"][-1] == "PUE"  # widest, drawn on top
    moving = {y for tr in data for y, x in zip(tr["y"], tr["x"], strict=True) if abs(x) > 1e-9}
    assert moving == {"PUE"}
    assert high["x"][-1] > 50 and low["x"][-1] < -50  # MW either side of the base
    alt = browser.find_element(By.ID, "sweep-sens-0-alt").get_attribute("textContent")
    ends = [float(v.replace(",", "")) for v in re.findall(r"PUE: ([\d,.]+)", alt)]
    assert len(ends) == 2 and min(ends) < high["base"] < max(ends)  # not zero
    head = browser.find_element(By.ID, "sweep-head").text
    assert head == "7 of 7 variants finished (oat design)."
    assert console_errors(browser, server) == []


def test_older_sweep_without_stored_sensitivity_says_so(browser: Any, server: str) -> None:
    _open(browser, f"{server}/sweeps?run=runs/sweep-pue", "Sweeps", 2)
    note = _js(browser, "var e=document.getElementById('sweep-sens-note');"
                        "return e && e.textContent")
    assert "stores no sensitivity" in note
    assert "39 of 40 variants" in browser.find_element(By.ID, "sweep-body").text
    assert browser.find_elements(By.CSS_SELECTOR, "[id^=sweep-year-]")  # per-year fan


def test_npu_knob_adds_npus_and_their_share(browser: Any, server: str) -> None:
    _open(browser, f"{server}/plan", "Plan", 5)
    npus = browser.find_element(By.ID, "plan-npus")
    npus.send_keys(Keys.CONTROL, "a")
    npus.send_keys("26000", Keys.ENTER)
    # the default scenario already has NPUs (and an NPU share card): wait for the new count
    text = _js(browser, "var e=document.getElementById('plan-cards');"
                        "return e.textContent.includes('26,000') && e.innerText")
    assert "26,000" in text and "9.1%" in text  # 26,000 / (260,000 + 26,000)
    assert console_errors(browser, server) == []
