"""URL state for every page, and a combined report that opens in every page it covers
(headless chromium, English at 1440 px and Korean at 390 px)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.support.ui import WebDriverWait
from tests.serve.conftest import LANG_KEPT, SLOW, in_english

from aifab.serve import ResultsDir
from aifab.serve._browser import axe_violations, console_errors

pytestmark = pytest.mark.slow


def _until(driver: Any, script: str, timeout: float = 30, shown: str = "") -> Any:
    """Wait until ``script`` returns something true. ``shown``: the ids of elements whose
    text a timeout reports, with the address and the console's errors (a wait that fails
    under load says what the page showed instead)."""
    try:
        return WebDriverWait(driver, timeout * SLOW, poll_frequency=0.2).until(
            lambda d: d.execute_script(script))
    except TimeoutException:
        if not shown:
            raise
        seen = driver.execute_script(
            "return arguments[0].map(function(i){var e=document.getElementById(i);"
            "return i + ': ' + (e ? JSON.stringify(e.innerText.slice(0, 400)) : 'absent')})",
            shown.split())
        raise AssertionError(f"waited {timeout * SLOW:.0f} s for {script!r} at "
                             f"{driver.current_url}; the page showed " + "; ".join(seen)
                             + "; console: " + " | ".join(console_errors(driver))) from None


def _open(driver: Any, url: str) -> None:
    driver.get(url)
    _until(driver, "var e=document.getElementById('page-title'); return e && e.textContent")


def _choose(driver: Any, dropdown_id: str, value: str) -> None:
    driver.execute_script("document.getElementById(arguments[0]).click()", dropdown_id)
    sel = f"[role=listbox] input[value=\"{value}\"]"
    _until(driver, f"return document.querySelector('{sel}')")
    driver.execute_script(f"document.querySelector('{sel}').closest('label').click()")


def _query(driver: Any) -> dict[str, str]:
    return dict(driver.execute_script(
        "return Object.fromEntries(new URLSearchParams(window.location.search))"))


def _value(driver: Any, cid: str) -> str:
    """A dash dropdown's chosen value as the page shows it (its text, once it has one)."""
    return str(_until(driver, f"var e=document.getElementById('{cid}');"
                              "return e && e.innerText.trim()"))


def test_each_page_puts_its_state_in_the_address(browser: Any, server: str,
                                                 results: dict[str, Any]) -> None:
    console_errors(browser)  # drop what earlier tests' pages (other servers) left behind
    browser.set_window_size(1440, 1000)
    in_english(browser, server)  # whatever language earlier tests left kept
    # Twin: the run chosen is in the address; the address reopens it
    _open(browser, f"{server}/twin")
    _choose(browser, "twin-run", "runs/sim-b")
    _until(browser, "return new URLSearchParams(location.search).get('run') === 'runs/sim-b'")
    _open(browser, f"{server}/overview")
    _open(browser, f"{server}/twin?run=runs/sim-b")
    assert "runs/sim-b" in _value(browser, "twin-run")
    _until(browser, "var e=document.getElementById('twin-context');"
                    "return e && e.textContent.includes('seed 1')",
           shown="twin-run twin-body notice")
    # the language switch keeps the view and goes into the address too
    browser.execute_script("document.querySelector('#lang input[value=ko]').click()")
    _until(browser, "return document.documentElement.lang === 'ko' && "
                    "new URLSearchParams(location.search).get('lang') === 'ko'")
    _until(browser, "var e=document.getElementById('page-title');"
                    "return e && e.textContent === '디지털 트윈'")
    assert _query(browser) == {"run": "runs/sim-b", "lang": "ko"}
    assert "runs/sim-b" in _value(browser, "twin-run")
    browser.execute_script("document.querySelector('#lang input[value=en]').click()")
    _until(browser, "return document.documentElement.lang === 'en' && "
                    "!new URLSearchParams(location.search).has('lang')")
    # Runs: the two compared runs
    _open(browser, f"{server}/runs")
    _choose(browser, "cmp-a", "runs/sim-a")
    _choose(browser, "cmp-b", "runs/sim-b")
    _until(browser, "var q=new URLSearchParams(location.search);"
                    "return q.get('a') === 'runs/sim-a' && q.get('b') === 'runs/sim-b'")
    _open(browser, f"{server}/runs?a=runs/sim-a&b=runs/sim-b")
    _until(browser, "return document.getElementById('cmp-table')")
    # Overview: the scenario; Plan: the knobs (its share link) in the address bar
    _open(browser, f"{server}/overview?scenario=korea-2025")
    assert _value(browser, "ov-scenario")
    _open(browser, f"{server}/plan")
    _until(browser, "return new URLSearchParams(location.search).get('pue')")
    _until(browser, "return document.getElementById('plan-nochange')")  # scenario's values
    box = browser.find_element("id", "plan-pue")
    box.clear()
    box.send_keys("1.5\n")
    _until(browser, "return new URLSearchParams(location.search).get('pue') === '1.5'")
    # "what changed" against the scenario: PUE, and facility power up by PUE's ratio
    changed = _until(browser, "var e=document.getElementById('plan-changed-inputs');"
                              "return e && e.innerText")
    assert "PUE" in changed and "1.50" in changed
    figs = _until(browser, "var e=document.getElementById('plan-changed-figures');"
                           "return e && e.innerText")
    from aifab.scenario import load_scenario

    pue = load_scenario("korea-2025").facility.pue
    assert f"{(1.5 / pue - 1) * 100:+.1f}%" in figs
    # Map: run and year from the address
    assert results["site"].wait(timeout=180 * SLOW) == 0
    _open(browser, f"{server}/map?run=runs/site-mini&year=2026")
    assert "runs/site-mini" in _value(browser, "map-run")
    _until(browser, "return document.querySelector('#map-graph .js-plotly-plot')")
    errors = console_errors(browser, server)
    assert errors == [], "\n".join(errors)


def test_a_shared_links_language_is_kept_until_english_is_asked_for(browser: Any,
                                                                     server: str) -> None:
    """A page opened with ``?lang=ko`` keeps Korean in the browser (Dash's persistence of
    the language switch), so the next page without ``?lang`` is Korean too; ``in_english``
    (which the browser tests use to start from English) puts English back."""
    kept = f"return JSON.parse(localStorage.getItem('{LANG_KEPT}') || 'null')"
    browser.get(f"{server}/overview?lang=ko")
    _until(browser, "var e=document.getElementById('page-title');"
                    "return e && e.textContent === '개요'")
    assert browser.execute_script(kept)[0] == "ko"
    _open(browser, f"{server}/twin")
    _until(browser, "var e=document.getElementById('page-title');"
                    "return e && e.textContent === '디지털 트윈'")
    in_english(browser, server)
    assert browser.execute_script(kept)[0] == "en"
    _open(browser, f"{server}/twin")
    _until(browser, "var e=document.getElementById('page-title');"
                    "return e && e.textContent === 'Twin'")
    assert "lang" not in _query(browser)


@pytest.fixture
def report_server(results: dict[str, Any], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A results folder holding a combined report (``aifab report --out``'s files: plan,
    site.json, simulate.json, report.json, report.html) assembled from the session's real
    siting run and simulation (simulate.json is the twin's to_dict, as summary.json is)."""
    from werkzeug.serving import make_server

    from aifab.serve import create_app

    assert results["site"].wait(timeout=180 * SLOW) == 0
    rep = tmp_path / "res" / "runs" / "report-mini"
    rep.mkdir(parents=True)
    shutil.copy(results["root"] / "runs" / "site-mini" / "site.json", rep / "site.json")
    shutil.copy(results["root"] / "runs" / "sim-a" / "summary.json", rep / "simulate.json")
    from aifab import load_scenario, plan
    from aifab._io import to_json, versioned
    from aifab.grid import read_site
    from aifab.report import ReportDoc
    from aifab.sim.national import SimResult

    the_plan = plan(load_scenario(results["root"] / "scenarios" / "mini.yaml"))
    (rep / "plan.json").write_text(to_json(versioned(the_plan.to_dict())))
    head = ReportDoc.of(the_plan, read_site(rep), None, SimResult.read(
        results["root"] / "runs" / "sim-a", ()))
    (rep / "report.json").write_text(to_json(versioned(head.to_dict())))
    (rep / "report.html").write_text("<!doctype html><html lang=en><title>r</title></html>")
    app = create_app(tmp_path / "res")
    from werkzeug.serving import BaseWSGIServer

    srv: BaseWSGIServer = make_server("127.0.0.1", 0, app.server, threaded=True)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{srv.server_port}", tmp_path / "res"
    srv.shutdown()
    th.join(timeout=10)


def test_a_combined_report_opens_in_every_page_it_covers(
        browser: Any, report_server: tuple[str, Path]) -> None:
    server, root = report_server
    runs = ResultsDir(root).runs()
    assert [(r.kind, r.covers) for r in runs] == [("report", ("site", "simulate"))]
    assert [r.rel for r in ResultsDir(root).runs(("simulate",))] == ["runs/report-mini"]
    console_errors(browser)  # drop what earlier tests' pages (other servers) left behind
    for width, lang in ((1440, "en"), (390, "ko")):
        browser.set_window_size(width, 900)
        _open(browser, f"{server}/runs?lang={lang}")
        _until(browser, f"return document.documentElement.lang === '{lang}'")
        _until(browser, "return document.querySelector(\"#runs a[href='/twin?run=runs/"
                        "report-mini']\") && document.querySelector(\"#runs a[href='/map?"
                        "run=runs/report-mini']\")")
        kind = _until(browser, "return document.querySelector('#runs tbody td:nth-child(2)')"
                               ".textContent")
        assert kind == ("report" if lang == "en" else "보고서")
        browser.execute_script("document.querySelector(\"#runs a[href='/twin?run=runs/"
                               "report-mini']\").click()")
        _until(browser, "return document.getElementById('twin-context')")
        util = _until(browser, "var li=Array.from(document.querySelectorAll('#twin-body li'));"
                               "return li.length && li.map(function(l){return l.textContent})")
        assert any("%" in u for u in util)
        _open(browser, f"{server}/map?run=runs/report-mini&lang={lang}")
        names = _until(browser, "var g=document.querySelector('#map-graph .js-plotly-plot');"
                                "return g && g.data.map(function(t){return t.name})")
        assert {"Naver", "Government"} <= set(names)
        assert console_errors(browser) == []
        assert axe_violations(browser) == []
    browser.get(f"{server}/overview?lang=en")
    _until(browser, "return document.documentElement.lang === 'en'")
    browser.set_window_size(1280, 1000)
