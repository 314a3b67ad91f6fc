"""One registry of human labels and units, in English and Korean.

Every metric, parameter and series name that results carry (columns, JSON keys, sweep
parameter paths such as ``facility.pue``) gets its label here; the static reports, the
dashboard (``aifab serve``) and the terminal tables all call :func:`label` /
:func:`param_label`, so a name reads the same everywhere and never shows raw
(``facility_mw``, ``prices.tariff_krw_per_kwh``).

Korean amounts of money use 억 (10^8) and 조 (10^12) (:func:`fmt_money`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

#: The language static reports are written in (``aifab report --lang ko``); the
#: dashboard passes its language explicitly and never sets this.
REPORT_LANG: ContextVar[str] = ContextVar("aifab_report_lang", default="en")
REPORT_LANGS = ("en", "ko")
"""The languages a report is written in."""


@contextmanager
def report_language(lang: str) -> Iterator[None]:
    """Write the reports built inside this block in ``lang`` ("en" or "ko")."""
    token = REPORT_LANG.set(lang)
    try:
        yield
    finally:
        REPORT_LANG.reset(token)

#: name -> (English label with unit, Korean label with unit).
LABELS: dict[str, tuple[str, str]] = {
    "stranded_power": ("unallocated: no power", "미할당: 전력 부족"),
    "stranded_fragmentation": ("unallocated: fragmentation", "미할당: 단편화"),
    "stranded_idle": ("unallocated: no demand", "미할당: 수요 없음"),
    "power": ("no power", "전력 부족"),
    "fragmentation": ("fragmentation", "단편화"),
    "idle": ("no demand", "수요 없음"),
    "allocated": ("allocated", "할당됨"),
    "busy": ("busy (training and batch)", "사용 중 (학습 및 배치)"),
    "inference": ("serving inference", "추론 서비스"),
    "queued_owner": ("queued: owners' jobs", "대기: 소유 기관 작업"),
    "queued_public": ("queued: public tenants' jobs", "대기: 공공 이용자 작업"),
    "jct_p50_h": ("job completion time, median (h)", "작업 완료 시간, 중앙값 (시간)"),
    "jct_mean_h": ("job completion time, mean (h)", "작업 완료 시간, 평균 (시간)"),
    "wait_p50_h": ("wait, median (h)", "대기 시간, 중앙값 (시간)"),
    "wait_p95_h": ("wait, 95th percentile (h)", "대기 시간, 95백분위 (시간)"),
    "wait_p99_h": ("wait, 99th percentile (h)", "대기 시간, 99백분위 (시간)"),
    "wait_mean_h": ("wait, mean (h)", "대기 시간, 평균 (시간)"),
    "share_of_entitlement": ("share of entitlement", "배정량 대비 사용률"),
    "quota_share": ("quota", "할당 비율"),
    "entitled_accelerators": ("entitled accelerators", "배정 가속기"),
    "accelerator_h": ("accelerator-hours", "가속기-시간"),
    "jobs_submitted": ("jobs submitted", "제출 작업"),
    "jobs_completed": ("jobs completed", "완료한 작업"),
    "queue_mean": ("mean queue length", "평균 대기열 길이"),
    "queued_at_end": ("queued at end", "종료 시 대기"),
    "shortfall_penalty_krw": ("GPUs waiting for power (penalty, KRW)",
                              "전력 대기 GPU (벌점, 원)"),
    "generation_krw": ("generation (KRW)", "발전 (원)"),
    "site_build_krw": ("campus build, annuity (KRW)", "캠퍼스 건설, 연간 환산 (원)"),
    "corridor_expansion_krw": ("corridor expansion, annuity (KRW)",
                               "송전 회랑 증설, 연간 환산 (원)"),
    "load_shed_krw": ("load shed (KRW)", "부하 차단 (원)"),
    "load_shed_mwh": ("load shed (MWh)", "부하 차단 (MWh)"),
    "total_krw": ("total (KRW)", "합계 (원)"),
    "it_power_mw": ("IT power (MW)", "IT 전력 (MW)"),
    "facility_power_mw": ("facility power (MW)", "시설 전력 (MW)"),
    "annual_energy_twh": ("energy (TWh/year)", "에너지 (TWh/년)"),
    "annual_cost_krw": ("electricity cost (KRW/year)", "전기 요금 (원/년)"),
    "annual_cost_usd": ("electricity cost (USD/year)", "전기 요금 (USD/년)"),
    "annual_co2_mt": ("CO2 (Mt/year)", "CO2 (Mt/년)"),
    "energy_mwh": ("energy (MWh)", "에너지 (MWh)"),
    "mean_power_mw": ("mean facility power (MW)", "평균 시설 전력 (MW)"),
    "peak_power_mw": ("peak facility power (MW)", "최대 시설 전력 (MW)"),
    "power_mw": ("facility power (MW)", "시설 전력 (MW)"),
    "tokens_served": ("tokens served", "처리 토큰"),
    "npu_share": ("NPU share of tokens", "토큰 중 NPU 비율"),
    "utilization": ("utilisation (allocated)", "가동률 (할당)"),
    "busy_utilization": ("utilisation (busy)", "가동률 (사용 중)"),
    "topology_miss_share": ("gang topology misses (share)", "갱 토폴로지 불일치 (비율)"),
    "jain_public": ("Jain fairness, public tenants", "Jain 공정성, 공공 이용자"),
    "jain_all": ("Jain fairness, all tenants", "Jain 공정성, 전체 이용자"),
    "p_nom_mw": ("capacity (MW)", "용량 (MW)"),
    "max_loading_pct": ("max loading (%)", "최대 부하율 (%)"),
    "blocks_mw": ("blocks (MW)", "블록 (MW)"),
    "mw": ("MW", "MW"),
    "gpus": ("GPUs", "GPU"),
    "t_h": ("time (h)", "시간 (시간)"),
    # names sweep specs commonly give their metrics (docs/sweep.md)
    "facility_mw": ("facility power (MW)", "시설 전력 (MW)"),
    "it_mw": ("IT power (MW)", "IT 전력 (MW)"),
    "energy_twh": ("energy (TWh/year)", "에너지 (TWh/년)"),
    "cost_krw": ("electricity cost (KRW/year)", "전기 요금 (원/년)"),
    "seoul_share": ("share of Seoul's electricity", "서울 전력 소비 대비"),
    "utilisation": ("utilisation (allocated)", "가동률 (할당)"),
    "goodput": ("goodput", "유효 처리율"),
    "unpowered_gpus": ("GPUs waiting for power", "전력 대기 GPU"),
    "waiting_gpus": ("GPUs waiting for power", "전력 대기 GPU"),
    "accelerators": ("accelerators", "가속기"),
    # failure causes (aifab.reliability CLASSES)
    "gpu": ("GPU", "GPU"),
    "gpu_memory": ("GPU memory", "GPU 메모리"),
    "gpu_other": ("GPU, other", "GPU 기타"),
    "network": ("network", "네트워크"),
    "nic": ("network card", "네트워크 카드"),
    "host": ("host", "호스트"),
    "software": ("software", "소프트웨어"),
    "in_repair": ("in repair (share of the fleet)", "수리 중 (보유 대비)"),
}

#: sweep parameter paths (scenario ``--set`` paths and stage flags) -> (English, Korean).
PARAMS: dict[str, tuple[str, str]] = {
    "facility.pue": ("PUE", "PUE (전력 효율 지수)"),
    "facility.load_factor": ("load factor", "부하율"),
    "facility.system_power": ("system power level", "시스템 전력 수준"),
    "prices.tariff_krw_per_kwh": ("electricity tariff (KRW/kWh)", "전기 요금 (원/kWh)"),
    "prices.krw_per_usd": ("exchange rate (KRW/USD)", "환율 (원/USD)"),
    "prices.grid_kg_co2_per_kwh": ("grid carbon intensity (kg CO2/kWh)",
                                   "전력망 탄소 집약도 (kg CO2/kWh)"),
    "sim.seed": ("random seed", "난수 시드"),
    "sim.days": ("simulated days", "시뮬레이션 일수"),
    "sim.scale": ("share of the fleet simulated", "시뮬레이션 규모 (보유 대비)"),
    "sim.queue_policy": ("queue policy", "대기열 정책"),
    "site.hours": ("hours per year modelled", "연간 모델 시간"),
}

_FLEET = re.compile(r"fleets\.(\d+)\.(count|delivery_year)")

_SUFFIXES = (("_pct", "%", "%"), ("_mw", "MW", "MW"), ("_mwh", "MWh", "MWh"),
             ("_twh", "TWh", "TWh"), ("_krw", "KRW", "원"), ("_usd", "USD", "USD"),
             ("_h", "h", "시간"), ("_s", "s", "초"), ("_mt", "Mt", "Mt"), ("_kw", "kW", "kW"))


def _ko(lang: str) -> bool:
    return lang == "ko"


def label(name: str, lang: str = "en") -> str:
    """A human label for an internal name (``jct_p50_h -> "job completion time, median (h)"``).

    Known names come from LABELS; a per-year name (``max_loading_pct_2027``,
    ``unpowered_gpus.2027``) gets its year after a comma; others lose underscores, ``pNN``
    becomes "NNth percentile" and a unit suffix becomes a bracketed unit. A dotted
    parameter path goes through :func:`param_label`.
    """
    i = 1 if _ko(lang) else 0
    if name in LABELS:
        return LABELS[name][i]
    m = re.fullmatch(r"(.+)[._](\d{4})", name)
    if m:  # per-year column, e.g. max_loading_pct_2027 or unpowered_gpus.2027
        return f"{label(m.group(1), lang)}, {m.group(2)}"
    if "." in name:
        return param_label(name, lang)
    unit = ""
    for suf, u_en, u_ko in _SUFFIXES:
        if name.endswith(suf) and len(name) > len(suf):
            name, unit = name[: -len(suf)], (u_ko if i else u_en)
            break
    words = name.replace("_", " ")
    words = re.sub(r"\bp50\b", "median", words)
    words = re.sub(r"\bp(\d\d?)\b", r"\1th percentile", words)
    return f"{words} ({unit})" if unit else words


def param_label(path: str, lang: str = "en") -> str:
    """A sweep parameter's label (``prices.tariff_krw_per_kwh -> "electricity tariff
    (KRW/kWh)"``); an unknown path is labelled by its last part."""
    i = 1 if _ko(lang) else 0
    if path in PARAMS:
        return PARAMS[path][i]
    m = _FLEET.fullmatch(path)
    if m:
        what = (("GPU count", "GPU 수"), ("delivery year", "도입 연도"))[m.group(2) != "count"]
        return f"{what[i]}, {'플릿' if i else 'fleet'} {int(m.group(1)) + 1}"
    last = path.rsplit(".", 1)[-1]
    if last.endswith("_per_kwh"):
        return label(last.removesuffix("_per_kwh").removesuffix("_krw"), lang) + " (KRW/kWh)"
    return label(last, lang)


# --- numbers in words ---------------------------------------------------------------------

def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and not math.isfinite(v))


def _sig3(x: float) -> str:
    ax = abs(x)
    if x == round(x):
        return f"{round(x):,}"
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:,.1f}"
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def fmt_big_ko(v: Any) -> str:
    """A large amount in Korean units: ``8.54e11 -> "8,540억"``, ``3.1e12 -> "3.1조"``,
    ``2.6e5 -> "26만"``; ``-`` when missing."""
    if _missing(v):
        return "-"
    x = float(v)
    if abs(x) >= 1e12:
        return f"{_sig3(x / 1e12)}조"
    if abs(x) >= 1e8:
        return f"{round(x / 1e8):,}억"
    if abs(x) >= 1e4:
        return f"{_sig3(x / 1e4)}만"
    return _sig3(x)


def fmt_money(v: Any, lang: str = "en", currency: str = "KRW") -> str:
    """An amount of money: ``8.54e11 -> "854 billion KRW"`` (en), ``"8,540억 원"`` (ko)."""
    if _missing(v):
        return "-"
    if _ko(lang):
        unit = "원" if currency == "KRW" else f" {currency}"
        return f"{fmt_big_ko(v)} {unit}".replace("  ", " ")
    x = float(v)
    for scale, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(x) >= scale:
            return f"{_sig3(x / scale)} {word} {currency}"
    return f"{_sig3(x)} {currency}"


__all__ = ["LABELS", "PARAMS", "REPORT_LANG", "fmt_big_ko", "fmt_money", "label",
           "param_label", "report_language"]
