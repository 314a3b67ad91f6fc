"""One labels/units registry for reports, dashboard and terminal; Korean money; the page
text checks the browser tests rely on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aifab.report._labels import fmt_money, label, param_label
from aifab.report._lint import significant_digits, text_problems


@pytest.mark.parametrize(("v", "en", "ko"), [
    (8.54e11, "854 billion KRW", "8,540억 원"),
    (3.1e12, "3.1 trillion KRW", "3.1조 원"),
    (1.234e12, "1.23 trillion KRW", "1.23조 원"),
    (5e7, "50 million KRW", "5,000만 원"),
    (None, "-", "-"),
])
def test_money_in_words(v: float | None, en: str, ko: str) -> None:
    assert fmt_money(v) == en
    assert fmt_money(v, "ko") == ko


@pytest.mark.parametrize(("name", "en", "ko"), [
    ("facility.pue", "PUE", "PUE (전력 효율 지수)"),
    ("prices.tariff_krw_per_kwh", "electricity tariff (KRW/kWh)", "전기 요금 (원/kWh)"),
    ("fleets.2.delivery_year", "delivery year, fleet 3", "도입 연도, 플릿 3"),
    ("siting.unknown_knob_mw", "unknown knob (MW)", "unknown knob (MW)"),
])
def test_parameter_paths_get_labels(name: str, en: str, ko: str) -> None:
    assert param_label(name) == en
    assert param_label(name, "ko") == ko
    assert label(name) == en  # a dotted name given to label() is a parameter path


def test_per_year_metric_labels() -> None:
    assert label("unpowered_gpus.2027") == "GPUs waiting for power, 2027"
    assert label("unpowered_gpus.2027", "ko") == "전력 대기 GPU, 2027"
    assert label("facility_mw", "ko") == "시설 전력 (MW)"


def test_text_checks_find_what_a_planner_should_not_see() -> None:
    assert significant_digits("14,025.4493844") == 12
    assert significant_digits("0.09255") == 4
    bad = ("facility.pue 1.3; facility_mw 14,025.4493844 NaN; 0.09255 is fine; "
           "report.html and runs/sim-a are fine")
    assert text_problems(bad) == ["raw parameter path 'facility.pue'",
                                  "snake_case name 'facility_mw'",
                                  "long float '14,025.4493844'", "NaN"]
    assert text_problems("시설 전력 (MW) 602, Naver", "ko", names=["Naver"]) == []
    assert text_problems("시설 전력 facility power", "ko") == [
        "untranslated 'facility'", "untranslated 'power'"]
    # a file name is a name, also with a Korean particle right after it (no \b there)
    assert text_problems("이 스윕의 sweep.json에는 민감도가 없습니다", "ko") == []
    assert text_problems("이 스윕의 sweep json에는", "ko") == [
        "untranslated 'json'", "untranslated 'sweep'"]


OAT = """\
name: oat
scenario: korea-2025
stages: [plan]
parameters:
  facility.pue: {range: [1.1, 1.5]}
  prices.tariff_krw_per_kwh: {range: [150, 210]}
design: {kind: oat}
metrics:
  facility_mw: plan.totals.facility_power_mw
  annual_cost_krw: plan.totals.annual_cost_krw
"""


@pytest.mark.slow  # 2-10 s: make test and CI run it, make test-fast does not
def test_sweep_terminal_tables_use_the_labels(tmp_path: Path) -> None:
    spec = tmp_path / "oat.yaml"
    spec.write_text(OAT)
    out = subprocess.run([sys.executable, "-m", "aifab.cli", "sweep", str(spec), "--workers",
                          "0"], capture_output=True, text=True, timeout=180,
                         env={"COLUMNS": "120", "PATH": "/usr/bin:/bin",
                              "PYTHONPATH": ":".join(sys.path)})
    assert out.returncode == 0, out.stderr
    assert "Tornado: facility power (MW)" in out.stdout
    assert "electricity tariff (KRW/kWh)" in out.stdout and "billion KRW" in out.stdout
    assert text_problems(out.stdout) == []
