"""The Map page's layers (GPUs waiting for power at their owner's home region, hosting
capacity per substation) and region labels that do not collide (headless chromium,
English and Korean, 1440 and 390 px)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest
from selenium.webdriver.support.ui import WebDriverWait
from tests.serve.conftest import SLOW

from aifab.grid import read_site
from aifab.grid._site_blocks import HostingRow
from aifab.grid._site_result import OwnerWait
from aifab.serve._browser import axe_violations, console_errors
from aifab.serve._map import home_regions, map_coordinates, siting_figure

pytestmark = pytest.mark.slow


def _site(results: dict[str, Any]) -> Any:
    assert results["site"].wait(timeout=180 * SLOW) == 0
    return results["root"] / "runs" / "site-mini"


def test_waiting_and_hosting_layers(results: dict[str, Any]) -> None:
    d = _site(results)
    site = read_site(d)
    geo = map_coordinates()
    homes = home_regions(site.scenario, [results["root"] / "scenarios" / "mini.yaml"])
    assert homes == {"Naver": "Sejong", "Government": "Jeonnam"}
    # the mini run powers every GPU: make Naver's wait (the layer's input, as site.json
    # writes it) and give two sites a hosting capacity (site.json's hosting section)
    sites = geo[geo["kind"] == "site"].head(2)
    doc = replace(site, unpowered_gpus_by_owner=(OwnerWait("Naver", 2026, 7200, 5000, 7.9),),
                  hosting=tuple(HostingRow(s, "b", 2026, mw, {}, 1e3, "Seoul", 0.0, 0.0, None,
                                           math.nan, math.nan)
                                for s, mw in zip(sites["name"], (3028.1, 400.0), strict=True)))
    fig = siting_figure(doc, geo, 2026, homes)
    by_name = {t.name: t for t in fig.data if t.name}
    wait = next(t for n, t in by_name.items() if n.startswith("GPUs waiting for power"))
    reg = geo[(geo["kind"] == "region") & (geo["name"] == "Sejong")]
    assert (wait.x[0], wait.y[0]) == (float(reg["lon"].iloc[0]), float(reg["lat"].iloc[0]))
    assert "Naver: 5,000 GPUs waiting (8 MW IT)" in wait.hovertext[0]
    host = next(t for n, t in by_name.items() if n.startswith("hosting capacity"))
    assert host.visible == "legendonly" and len(host.x) == 2
    assert list(host.x) == [float(v) for v in sites["lon"]]
    assert "3,028 MW firm" in host.hovertext[0]
    assert host.marker.size[0] > host.marker.size[1]  # larger capacity, larger marker
    # in Korean (the page localises every figure): the layers' legend names and hover text
    from aifab.report import localise_figure
    from aifab.report._lint import text_problems

    ko = localise_figure(siting_figure(doc, geo, 2026, homes), "ko")
    said = [str(t.name or "") for t in ko.data]
    said += [str(h) for t in ko.data for h in ([t.hovertext] if isinstance(t.hovertext, str)
                                               else t.hovertext or [])]
    names = {"Naver", "Government"}  # owners stay names; sites and regions read in Korean
    assert text_problems("\n".join(said), "ko", names) == []
    assert "전력 대기 GPU, 2026년 (기관의 본거지 지역에 표시)" in said
    assert "Naver: 전력 대기 GPU 5,000개 (IT 8 MW), 2026년, 본거지 세종" in said
    assert any("확정 3,028 MW, 접속 가능 1,000 MW (2026년)" in s for s in said)
    # without site.json's sections (or in another year) no layer is drawn
    plain = siting_figure(replace(site, unpowered_gpus_by_owner=(), hosting=None), geo, 2026,
                          homes)
    assert not any((t.name or "").startswith(("GPUs waiting", "hosting")) for t in plain.data)


OVERLAPS = """
var t = Array.from(document.querySelectorAll('#map-graph .scatterlayer .textpoint text'))
  .filter(function(e){ return e.textContent; });
var r = t.map(function(e){ return e.getBoundingClientRect(); }), bad = [];
for (var i = 0; i < r.length; i++) for (var j = i + 1; j < r.length; j++) {
  var w = Math.min(r[i].right, r[j].right) - Math.max(r[i].left, r[j].left);
  var h = Math.min(r[i].bottom, r[j].bottom) - Math.max(r[i].top, r[j].top);
  if (w > 1 && h > 1) bad.push(t[i].textContent + ' / ' + t[j].textContent);
}
return [t.length, bad];
"""


@pytest.mark.parametrize(("width", "lang"), [(1440, "en"), (390, "en"), (390, "ko"),
                                             (1440, "ko")])
def test_region_labels_do_not_collide(browser: Any, server: str, results: dict[str, Any],
                                      width: int, lang: str) -> None:
    _site(results)
    console_errors(browser)  # drop what earlier tests' pages (other servers) left behind
    browser.set_window_size(width, 1000)
    try:
        browser.get(f"{server}/map?run=runs/site-mini&lang={lang}")
        n, bad = WebDriverWait(browser, 60 * SLOW, poll_frequency=0.25).until(
            lambda d: (lambda v: v if v[0] >= 17 else None)(d.execute_script(OVERLAPS)))
        assert n == 17 and bad == [], bad
        assert console_errors(browser, server) == []
        assert axe_violations(browser) == []
    finally:
        browser.set_window_size(1280, 1000)
        if lang != "en":
            browser.get(f"{server}/overview?lang=en")
            WebDriverWait(browser, 30 * SLOW).until(
                lambda d: d.execute_script("return document.documentElement.lang === 'en'"))
