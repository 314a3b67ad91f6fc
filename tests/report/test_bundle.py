"""One copy of plotly.js per run folder (issue 21): pages load ``plotly-<version>.min.js``
from beside them; a page copied alone says what it needs, in its language, without script
errors; the tables still read."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from plotly.offline import get_plotlyjs
from selenium.webdriver.support.ui import WebDriverWait

from aifab import load_scenario, plan
from aifab.report import (
    Section,
    plan_html,
    plotly_file_name,
    render_html,
    report_language,
    table_html,
    write_page,
)
from aifab.serve._browser import chromium_paths, console_errors, headless_chromium

SLOW = float(os.environ.get("AIFAB_TEST_WAIT_SCALE", "1"))
"""Scales every wait's timeout (a busy CI machine sets it; .ci/run)."""


def test_pages_in_one_folder_share_one_copy(tmp_path: Path) -> None:
    res = plan(load_scenario("korea-2025"))
    page = plan_html(res)
    assert page.count(get_plotlyjs()) == 1  # the library's string stays self-contained
    write_page(tmp_path / "report.html", page)
    js = tmp_path / plotly_file_name()
    stamp = js.stat().st_mtime_ns
    import pandas as pd

    write_page(tmp_path / "other.html",
               render_html("other", [Section("T", table_html(pd.DataFrame({"a": [1]})))]))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["report.html", "other.html", js.name])
    assert js.stat().st_mtime_ns == stamp  # the same copy is not written again
    assert js.read_text(encoding="utf-8") == get_plotlyjs()
    assert js.name.startswith("plotly-") and js.name.endswith(".min.js")
    assert js.name[len("plotly-"):-len(".min.js")] in get_plotlyjs()[:200]  # its version
    for name in ("report.html", "other.html"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert f'<script src="{js.name}"></script>' in text
        assert len(text) < 500_000 and "plotly.js v" not in text
    js.write_text("stale", encoding="utf-8")  # a damaged copy is replaced
    write_page(tmp_path / "report.html", page)
    assert js.read_text(encoding="utf-8") == get_plotlyjs()



def _cli(*args: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from aifab.cli import app

    r = CliRunner().invoke(app, list(args))
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r.exit_code, r.stderr


SIM = ("simulate", "--set", "sim.scale=0.01", "--set", "sim.warmup_days=0.5", "--days", "0.5")


@pytest.mark.slow  # 2-10 s: make test and CI run it, make test-fast does not
def test_commands_share_the_folder_copy_and_own_it(tmp_path: Path) -> None:
    """plan, plan --uncertainty and simulate write the folder's plotly file as their own:
    a run again (same command, or another with --force) works and leaves one good copy; a
    folder of another command (or of an unmarked run) is refused and left untouched."""
    out, js = tmp_path / "D", plotly_file_name()
    assert _cli("plan", "--out", str(out), "--json")[0] == 0
    assert (out / js).read_text(encoding="utf-8") == get_plotlyjs()
    assert f'<script src="{js}"></script>' in (out / "report.html").read_text()
    code, err = _cli("plan", "--uncertainty", "--samples", "16", "--out", str(out), "--json")
    assert code == 0, err  # the same command again: its own plotly file is no obstacle
    page = (out / "report.html").read_text()
    assert "Uncertainty" in page and f'<script src="{js}"></script>' in page
    assert len(page) < 500_000 and [p.name for p in out.glob("plotly-*")] == [js]
    code, err = _cli(*SIM, "--out", str(out))
    assert code == 2 and "holds a run of `aifab plan`" in err and "--force" in err
    code, err = _cli(*SIM, "--out", str(out), "--force")
    assert code == 0, err
    assert (out / js).read_text(encoding="utf-8") == get_plotlyjs()
    assert f'<script src="{js}"></script>' in (out / "report.html").read_text()
    code, err = _cli(*SIM, "--out", str(out))  # its own results: refused without --force
    assert code == 2 and "--force" in err
    assert _cli(*SIM, "--out", str(out), "--force")[0] == 0
    assert (out / js).read_text(encoding="utf-8") == get_plotlyjs()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["D"]  # no temporary folder left
    # Foreign folders: another command's marker, or an unmarked run; neither is written.
    for name, marker in (("foreign", '{"schema_version": 1, "command": "nosuch"}\n'),
                         ("unmarked", None)):
        other = tmp_path / name
        other.mkdir()
        if marker is not None:
            (other / ".aifab-run").write_text(marker)
        (other / "report.html").write_text("theirs")
        before = sorted(p.name for p in other.iterdir())
        code, err = _cli("plan", "--out", str(other))
        assert code == 2 and "--force" in err, err
        assert sorted(p.name for p in other.iterdir()) == before
        assert (other / "report.html").read_text() == "theirs"


@pytest.fixture(scope="module")
def driver() -> Any:
    if chromium_paths() is None:
        pytest.skip("chromium/chromedriver not installed (apt-get install chromium "
                    "chromium-driver; .ci/run does this)")
    with headless_chromium(1024, 900) as d:
        yield d


def _open(d: Any, page: Path) -> None:
    d.get(page.as_uri())
    WebDriverWait(d, 60 * SLOW, poll_frequency=0.2).until(
        lambda x: x.execute_script("return document.readyState === 'complete'"))


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_copied_alone_says_what_it_needs(driver: Any, tmp_path: Path, lang: str) -> None:
    res = plan(load_scenario("korea-2025"))
    with report_language(lang):
        page = plan_html(res)
    folder = tmp_path / "run"
    write_page(folder / "report.html", page)
    # With its folder: every chart drawn (the later ones after the first screen), no notice.
    _open(driver, folder / "report.html")
    n = driver.execute_script("return document.querySelectorAll('.plotly-graph-div').length")
    assert n >= 5
    WebDriverWait(driver, 60 * SLOW, poll_frequency=0.2).until(lambda x: x.execute_script(
        "return Array.from(document.querySelectorAll('.plotly-graph-div'))"
        ".every(e => e._fullLayout && e.querySelector('svg.main-svg'))"))
    assert driver.execute_script("return document.getElementById('needs-plotly').hidden")
    assert console_errors(driver) == []
    # Copied alone: the notice names the file, in the page's language; tables still read.
    alone = tmp_path / "elsewhere"
    alone.mkdir()
    shutil.copy(folder / "report.html", alone / "report.html")
    _open(driver, alone / "report.html")
    notice = driver.execute_script(
        "var n = document.getElementById('needs-plotly');"
        "return n.hidden ? '' : n.innerText")
    assert plotly_file_name() in notice
    assert ("필요합니다" in notice) if lang == "ko" else ("need the file" in notice)
    assert driver.execute_script("return document.querySelectorAll('table.tbl').length") >= 3
    errors = [e for e in console_errors(driver) if plotly_file_name() not in e]
    assert errors == []  # only the missing file itself is reported, no script error


#: Run in every new document before its own scripts: note when the real plotly.js (one
#: with a version) is assigned to ``window.Plotly``.
_WATCH = """(function(){var p;Object.defineProperty(window,'Plotly',{configurable:true,
get:function(){return p},set:function(v){p=v;if(v&&v.version&&!window.__plotlyAt){
window.__plotlyAt=performance.now()}}})})();"""


@pytest.mark.slow
def test_first_screen_paints_before_plotly_js(driver: Any, tmp_path: Path) -> None:
    """The shared page paints its headings, strip and tables before plotly.js has run (its
    ``<script src>`` is at the end of ``<body>``, the charts queued until then); the
    self-contained page, with plotly.js in ``<head>``, paints only after it."""
    import re

    page = plan_html(plan(load_scenario("korea-2025")))
    write_page(tmp_path / "report.html", page)
    (tmp_path / "inlined.html").write_text(page, encoding="utf-8")
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    head, body = text.split("</head>", 1)
    assert "<script src" not in head and "Plotly.newPlot" not in head
    assert body.index(f'<script src="{plotly_file_name()}">') > body.rindex("Plotly.newPlot")
    assert re.search(r"</main>\s*<footer>.*</footer>\s*<script src=", body, re.S)
    watch = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _WATCH})
    try:
        times = {}
        for name in ("report.html", "inlined.html"):
            _open(driver, tmp_path / name)
            WebDriverWait(driver, 60 * SLOW, poll_frequency=0.2).until(lambda x: x.execute_script(
                "return Array.from(document.querySelectorAll('.plotly-graph-div'))"
                ".every(e => e._fullLayout && e.querySelector('svg.main-svg'))"))
            times[name] = driver.execute_script(
                "var p=performance.getEntriesByName('first-contentful-paint');"
                "return [p.length ? p[0].startTime : null, window.__plotlyAt || null]")
    finally:
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", watch)
    paint, plotly_at = times["report.html"]
    assert paint is not None and plotly_at is not None
    assert paint < plotly_at, times  # the first screen did not wait for plotly.js
    paint, plotly_at = times["inlined.html"]
    assert paint is not None and plotly_at is not None and paint > plotly_at, times
