"""`aifab report`: plan, siting and the national twin in one self-contained page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aifab.cli import app

runner = CliRunner()
FAST = ["--set", "sim.scale=0.01", "--set", "sim.warmup_days=0.5", "--days", "1"]


@pytest.mark.slow  # heavy: runs in make test and CI, not in make test-fast
def test_report_all_stages(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    r = runner.invoke(app, ["report", "--out", str(out), "--json", "--site-caps",
                            "--set", "siting.hours=24", *FAST])
    assert r.exit_code == 0, r.output
    head = json.loads(r.stdout)
    assert head["schema_version"] == 1 and head["scenario"] == "korea-2025"
    assert head["plan"]["accelerators"] == 268_000  # 260,000 GPUs + 8,000 assumed NPUs
    assert set(head["site"]["unpowered_gpus_by_year"]) == {"2026", "2027", "2028"}
    assert 0 < head["simulate"]["utilization"] <= 1
    from aifab.report import plotly_file_name

    js = plotly_file_name()
    assert {p.name for p in out.iterdir()} == {"plan.json", "site.json", "simulate.json",
                                              "report.json", "report.html", ".aifab-run", js}
    page = (out / "report.html").read_text()
    for anchor in ("sec-fleet", "sec-siting", "sec-national", "site-map", "nat-ts-0", "h100e"):
        assert f'id="{anchor}"' in page
    assert "plotly.js v" not in page and f'<script src="{js}">' in page  # the folder's copy
    assert "plotly.js v" in (out / js).read_text()[:200]
    # The twin ran under the siting result's power caps: each owner's MW in the last year.
    site = json.loads((out / "site.json").read_text())
    caps = head["site"]["twin_power_caps"]
    assert caps["year"] == 2028
    for owner, mw in caps["mw"].items():
        placed = sum(p["mw"] for p in site["placements"]
                     if p["owner"] == owner and p["year"] == 2028)
        assert mw == placed
    assert set(caps["mw"]) == {"Naver", "Samsung", "SK", "Hyundai", "Government"}


def test_report_without_site_and_bad_flags(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    r = runner.invoke(app, ["report", "--out", str(out), "--no-site", "--no-simulate"])
    assert r.exit_code == 0, r.output
    from aifab.report import plotly_file_name

    assert {p.name for p in out.iterdir()} == {"plan.json", "report.json", "report.html",
                                              ".aifab-run", plotly_file_name()}
    bad = tmp_path / "bad"
    r = runner.invoke(app, ["report", "--out", str(bad), "--no-site", "--site-caps"])
    assert r.exit_code == 2 and "--site-caps needs the siting stage" in r.stderr
    assert not bad.exists()
    r = runner.invoke(app, ["report", "--out", str(bad), "--set", "facility.pue=0"])
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1
    assert not bad.exists()


def _chart_text(page: str) -> str:
    """Titles, axis titles and series names of every chart in a report page."""
    import re

    out = []
    for m in re.finditer(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*", page):
        dec = json.JSONDecoder()
        traces, end = dec.raw_decode(page, m.end())
        layout, _ = dec.raw_decode(page, page.index("{", end))
        out += [str(tr.get("name", "")) for tr in traces if tr.get("showlegend", True)]
        for k, v in layout.items():
            if k == "title" or k.startswith(("xaxis", "yaxis")) or k == "legend":
                title = v.get("text") if k == "title" else (v.get("title") or {}).get("text")
                out.append(str(title or ""))
    return "\n".join(out)


def test_report_in_korean(tmp_path: Path) -> None:
    """``--lang ko``: <html lang="ko">, headings, summary and every chart's title, axes and
    legend in Korean (owner names stay names); a bad --lang is a one-line error, exit 2."""
    from aifab import load_scenario, plan
    from aifab.report._lint import text_problems

    out = tmp_path / "ko"
    r = runner.invoke(app, ["report", "--no-site", "--no-simulate", "--lang", "ko",
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    page = (out / "report.html").read_text()
    assert '<html lang="ko">' in page and "<h2>보유 가속기</h2>" in page
    res = plan(load_scenario("korea-2025"))
    from aifab.report._labels import fmt_big_ko

    cost = fmt_big_ko(res.totals.annual_cost_krw)  # e.g. 8,067억
    assert cost.endswith("억")
    assert (f'<span class="v">{cost}</span><span class="k">전기 요금 (원/년)</span>'
            in page)
    names = [s.name for s in res.owners] + [p.name for p in res.peers]
    charts = _chart_text(page)
    assert "기관별 전력 (MW)" in charts
    assert text_problems(charts, "ko", names) == []
    bad = runner.invoke(app, ["report", "--no-site", "--no-simulate", "--lang", "xx",
                              "--out", str(tmp_path / "xx")])
    assert bad.exit_code == 2 and "--lang" in bad.output


def test_both_languages_from_one_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--lang en,ko`` writes report.html in English and report-ko.html in Korean from the
    same stages, byte for byte the pages of a ``--lang en`` and a ``--lang ko`` run;
    ``ko,en`` the other way round. A language twice or unknown in the list is exit 2.
    (The pages' "Generated ... on" time is fixed by SOURCE_DATE_EPOCH: runs a minute apart
    said different minutes, a flake of this test in CI.)"""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    def pages(lang: str) -> dict[str, bytes]:
        out = tmp_path / lang.replace(",", "-")
        r = runner.invoke(app, ["report", "--no-site", "--no-simulate", "--lang", lang,
                                "--out", str(out)])
        assert r.exit_code == 0, r.output
        return {p.name: p.read_bytes() for p in out.glob("report*.html")}

    en, ko, both, swapped = pages("en"), pages("ko"), pages("en,ko"), pages("ko,en")
    assert set(en) == set(ko) == {"report.html"}
    assert both == {"report.html": en["report.html"], "report-ko.html": ko["report.html"]}
    assert swapped == {"report.html": ko["report.html"], "report-en.html": en["report.html"]}
    assert b'<html lang="ko">' in both["report-ko.html"]
    again = runner.invoke(app, ["report", "--no-site", "--no-simulate", "--lang", "en",
                                "--out", str(tmp_path / "en-ko")])
    assert again.exit_code == 0, again.output
    assert not (tmp_path / "en-ko" / "report-ko.html").exists()  # no older run's page left
    for bad in ("en,en", "en,xx", "en,"):
        r = runner.invoke(app, ["report", "--no-site", "--no-simulate", "--lang", bad,
                                "--out", str(tmp_path / "bad")])
        assert r.exit_code == 2 and "--lang" in r.output, bad
        assert not (tmp_path / "bad").exists()


def test_source_date_epoch_sets_the_generated_time(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """SOURCE_DATE_EPOCH (reproducible builds) is the time the page says it was made; a
    value that is not seconds since 1970 is exit 2 naming it, and nothing is written."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    args = ["report", "--no-site", "--no-simulate", "--out"]
    r = runner.invoke(app, [*args, str(tmp_path / "a")])
    assert r.exit_code == 0, r.output
    page = (tmp_path / "a" / "report.html").read_text(encoding="utf-8")
    assert "on 2025-12-01 00:00 UTC." in page
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    r = runner.invoke(app, [*args, str(tmp_path / "b")])
    assert r.exit_code == 2 and "SOURCE_DATE_EPOCH" in r.output
    assert not (tmp_path / "b").exists()
