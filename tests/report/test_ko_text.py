"""Korean for report tables, prose and hover text (report/_ko_text.py), and the combined
report's scale labels (report/_pipeline.scale_labels)."""

from __future__ import annotations

import re

import pandas as pd

from aifab import load_scenario, plan
from aifab.report import Section, plan_sections, report_language, table_html
from aifab.report._ko_text import ko_cell, ko_hover, ko_hovertext, ko_prose
from aifab.report._lint import text_problems
from aifab.report._pipeline import scale_labels


def test_cells_headers_and_patterns() -> None:
    assert ko_cell("owner") == "기관" and ko_cell("public") == "공공"
    assert ko_cell("Jeonnam") == "전남"
    assert ko_cell("H100e dense BF16 (rank)") == "H100 환산 BF16 (밀집) (순위)"
    assert ko_cell("self-sufficiency Seoul") == "전력 자급률: 서울"
    assert ko_cell("0.9 of nameplate") == "정격의 0.9"
    assert ko_cell("5% of the fleet") == "보유분의 5%"
    assert ko_cell("Naver") == "Naver"  # names stay names
    assert ko_cell("an unknown phrase") == "an unknown phrase"


def test_table_in_korean_marks_citations_english() -> None:
    df = pd.DataFrame({"region": ["Seoul"], "fleet share": [0.097],
                       "source": ["KEPCO electricity sales 2022"]})
    with report_language("ko"):
        page = table_html(df)
    assert ">지역</th>" in page and ">출처</th>" in page and "<td >서울</td>" in page
    assert '<td lang="en">KEPCO electricity sales 2022</td>' in page
    assert 'lang="en"' not in table_html(df)  # English pages mark nothing


def test_plan_prose_in_korean() -> None:
    res = plan(load_scenario("korea-2025"))
    with report_language("ko"):
        body = "".join(s.body_html for s in plan_sections(res))
    ko = ko_prose(body)
    assert "accelerators (<b>" in body and "accelerators (<b>" not in ko
    assert f"가속기 <b>{res.totals.accelerators:,}</b>개" in ko
    assert "서울의 " in ko  # "9.7% of Seoul" -> "서울의 9.7%"
    assert "each figure as if" not in ko and "추정: 하루 3교대" in ko


def test_hover_in_korean_keeps_fields() -> None:
    assert ko_hover("%{x}: %{y:.2f} TWh/year<extra></extra>") == \
        "%{x}: %{y:.2f} TWh/년<extra></extra>"
    assert ko_hover("%{x}: %{y:,.0f} MW facility<extra></extra>") == \
        "%{x}: %{y:,.0f} MW 시설<extra></extra>"
    out = ko_hovertext("Seoul-Gyeonggi 2: 4,000 MW, max loading 97 % in 2028")
    assert out == "서울-경기 2: 4,000 MW, 최대 부하율 97 % (2028년)"
    assert text_problems(ko_hovertext("Naver at Seosan: 120.0 MW in 2026"), "ko",
                         ["Naver", "Seosan"]) == []


def _secs() -> list[Section]:
    return [Section("Fleet", "", "fleet", summary=(("GPUs", "260,000"),
                                                    ("facility power (MW)", "602"),
                                                    ("share of Seoul's electricity", "9.7%"))),
            Section("National simulation", "", "national",
                    summary=(("GPUs", "13,000"), ("utilisation (allocated)", "61%"),
                             ("mean facility power (MW)", "21")))]


def test_scale_labels_side_by_side() -> None:
    secs, strip = scale_labels(_secs(), 0.05)
    assert all(s.summary == () for s in secs)
    assert list(strip) == [
        ("GPUs, national", "260,000"), ("facility power (MW), national", "602"),
        ("mean facility power (MW), twin sample (5% of the fleet)", "21"),
        ("share of Seoul's electricity", "9.7%"),
        ("GPUs, twin sample (5% of the fleet)", "13,000"),
        ("utilisation (allocated)", "61%")]
    with report_language("ko"):
        _, strip = scale_labels(_secs(), 0.05)
    keys = [k for k, _ in strip]
    assert keys[1:3] == ["시설 전력 (MW), 전국", "평균 시설 전력 (MW), 트윈 표본 (보유분의 5%)"]


def test_every_calibration_metric_reads_in_korean() -> None:
    """The siting report's calibration table names each check by its metric: every one the
    grid package defines has Korean (a new check without it fails here, not only in the
    browser test of the Korean report)."""
    from aifab.grid._calibration import _METRICS

    names = [m[0] for m in _METRICS]
    assert len(names) >= 14
    untranslated = [n for n in names if not re.search("[가-힣]", ko_cell(n))]
    assert untranslated == []
