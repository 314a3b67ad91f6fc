"""Korean for the fixed words of charts (titles, axes, legends, hover text).

The figure builders write English; :func:`localise_figure` turns a finished figure into
Korean in place: exact phrases from :data:`KO`, then patterns with numbers or names in
them (:data:`PATTERNS`), and names from the labels registry. Owner and place names stay
as they are (they are names).
"""

from __future__ import annotations

import re
from typing import Any

from aifab.report._labels import LABELS

#: English phrase -> Korean (chart titles, axis titles, legend entries).
KO: dict[str, str] = {
    # plan
    "IT power": "IT 전력",
    "facility power (IT x PUE)": "시설 전력 (IT x PUE)",
    "hatched: IT; solid: facility": "빗금: IT, 채움: 시설",
    "Power by owner (MW)": "기관별 전력 (MW)",
    "Annual energy by owner (TWh)": "기관별 연간 에너지 (TWh)",
    "TWh/year": "TWh/년",
    "H100-equivalents": "H100 환산",
    "metric (pattern)": "지표 (무늬)",
    "H100-equivalents by metric": "지표별 H100 환산",
    "accelerators": "가속기",
    "Peers: count and H100-equivalents": "비교 대상: 수량과 H100 환산",
    "year": "연도",
    "Installed facility power by year (MW, cumulative)": "연도별 설치 시설 전력 (MW, 누적)",
    "trillion tokens/year": "조 토큰/년",
    "AI factory output: inference tokens per year": "AI 팩토리 산출: 연간 추론 토큰",
    "No output figures: the perf model has no device here":
        "산출 차트 없음: 성능 모델에 해당 장치가 없습니다",
    # twin
    "Accelerators in use": "사용 중인 가속기",
    "simulated day (from the start, warm-up included)": "시뮬레이션 일 (시작부터, 예열 포함)",
    "simulated day": "시뮬레이션 일",
    "Facility power": "시설 전력",
    "Unallocated accelerators by cause": "원인별 미할당 가속기",
    "hours": "시간",
    "pattern": "무늬",
    "Queue wait by tenant (hours)": "이용자별 대기 시간 (시간)",
    "entitlement": "배정량",
    "received / entitled": "사용 / 배정",
    "Accelerator-hours received / entitlement": "배정 대비 사용 가속기-시간",
    "Allocated accelerators": "할당된 가속기",
    "accelerators allocated": "할당된 가속기",
    # siting map and site report
    "corridor max<br>loading %": "송전 회랑<br>최대 부하율 %",
    "unused candidate site": "미사용 후보지",
    "GPUs waiting for power": "전력 대기 GPU",
    "Powered facility MW by owner, and GPUs waiting": "기관별 전력 공급 시설 MW와 대기 GPU",
    "GPUs waiting": "대기 GPU",
    "max loading (%)": "최대 부하율 (%)",
    "Most loaded corridors: max loading % by year": "부하가 높은 송전 회랑: 연도별 최대 부하율 %",
    "corridor capacity": "송전 회랑 용량",
    "median": "중앙값",
    "day (from the start, warm-up included)": "일 (시작부터, 예열 포함)",
    "dense BF16": "BF16 (밀집)", "dense FP8": "FP8 (밀집)",
    "memory bandwidth": "메모리 대역폭", "memory capacity": "메모리 용량",
    "H100e dense BF16": "H100 환산 BF16 (밀집)",
    "H100e memory capacity": "H100 환산 메모리 용량",
    "jobs": "작업", "Queued jobs": "대기 작업",
    "Queue wait (hours)": "대기 시간 (시간)",
    # report sections, summary strip and run context
    "AI factory output": "AI 팩토리 산출", "Assumptions": "가정",
    "Capacity (H100-equivalents)": "용량 (H100 환산)", "Comparisons and peers": "비교와 해외 사례",
    "Curtailment response": "출력 제한 대응", "Failures and repairs": "고장과 수리",
    "Fleet": "보유 가속기", "Flexible campuses": "유연 캠퍼스", "Grid data": "전력망 데이터",
    "National simulation": "국가 시뮬레이션", "People (estimate)": "인력 (추정)",
    "Power and energy": "전력과 에너지", "Siting (grid model)": "입지 (전력망 모델)",
    "Siting by year": "연도별 입지", "Tenants and fairness": "이용자와 공정성",
    "Summary": "요약", "Ranges": "범위", "Sensitivity": "민감도",
    "GPUs": "GPU", "NPUs": "NPU", "NPU share of accelerators": "가속기 중 NPU 비율",
    "deliveries": "도입 일정", "scenario": "시나리오", "queue policy": "대기열 정책",
    "scale": "규모", "seed": "시드", "simulated days": "시뮬레이션 일수", "warm-up": "예열",
    "share of Seoul's electricity": "서울 전력 소비 대비",
    "Accelerators": "가속기", "Costs added by the fleet, trillion KRW/year (system generation "
    "cost shown in the table)": "보유분이 더하는 비용, 조 원/년 (계통 발전 비용은 표에)",
    "Interruptions per day by cause": "원인별 일일 중단 횟수",
    "Accelerators in repair (end of day)": "수리 중인 가속기 (일 마감)",
    "accelerators in repair": "수리 중인 가속기",
    "Effective training time ratio by job class": "작업 종류별 유효 학습 시간 비율",
    "ETTR by tenant": "이용자별 유효 학습 시간 비율 (ETTR)",
    "bar pattern; colour: owner": "막대 무늬, 색: 기관", "public": "공공",
    "research": "연구", "finetune": "미세 조정", "pretrain": "사전 학습",
    "trillion KRW/year": "조 원/년", "day": "일", "interruptions": "중단 횟수",
    "interruptions per day": "일일 중단 횟수",
}

#: Korean names of the 17 regions (provinces and metropolitan cities) on the map.
REGIONS: dict[str, str] = {
    "Seoul": "서울", "Busan": "부산", "Daegu": "대구", "Incheon": "인천", "Gwangju": "광주",
    "Daejeon": "대전", "Ulsan": "울산", "Sejong": "세종", "Gyeonggi": "경기", "Gangwon": "강원",
    "Chungbuk": "충북", "Chungnam": "충남", "Jeonbuk": "전북", "Jeonnam": "전남",
    "Gyeongbuk": "경북", "Gyeongnam": "경남", "Jeju": "제주",
}

#: (English pattern, Korean template) for phrases with numbers or names in them.
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Campuses and corridor loading, (\d{4})"), r"캠퍼스와 송전 회랑 부하율, \1년"),
    (re.compile(r"GPUs waiting for power: ([\d,]+)"), r"전력 대기 GPU: \1"),
    (re.compile(r"^GPUs waiting for power, (\d{4}) \(at the owner's home region\)$"),
     r"전력 대기 GPU, \1년 (기관의 본거지 지역에 표시)"),
    (re.compile(r"^hosting capacity per substation, (\d{4}) \(firm MW\)$"),
     r"변전소별 수용 용량, \1년 (확정 MW)"),
    (re.compile(r"^GPUs waiting for power, (\d{4})$"), r"전력 대기 GPU, \1"),
    (re.compile(r"^campus ([\d,]+) MW$"), r"캠퍼스 \1 MW"),
    (re.compile(r"corridor ([\d.]+) GW"), r"송전 회랑 \1 GW"),
    (re.compile(r"year (\d{4})"), r"\1년"),
    (re.compile(r"^H100e (.+)$"), r"H100 환산 \1"),
    (re.compile(r"^([AB]): (.+)$"), r"\1: \2"),
)

_BY_EN = {en: ko for en, ko in LABELS.values()}


def tr(text: Any, lang: str) -> Any:
    """``text`` in ``lang`` (unchanged in English, or when no translation is known)."""
    if lang != "ko" or not isinstance(text, str) or not text:
        return text
    if text in KO:
        return KO[text]
    if text in _BY_EN:
        return _BY_EN[text]
    if text in REGIONS:
        return REGIONS[text]
    for pat, ko in PATTERNS:
        text = pat.sub(ko, text)
    return text


def _title(obj: Any, lang: str) -> None:
    t = getattr(obj, "title", None)
    if t is not None and getattr(t, "text", None):
        t.text = tr(t.text, lang)


def localise_figure(fig: Any, lang: str) -> Any:
    """Put a plotly figure's title, axis and legend titles, series names, annotations and
    slider labels into ``lang`` (in place); returns the figure."""
    if lang != "ko":
        return fig
    lay = fig.layout
    _title(lay, lang)
    _title(lay.legend, lang)
    for key in list(lay.to_plotly_json()):
        if key.startswith(("xaxis", "yaxis")):
            _title(lay[key], lang)
    for tr_ in fig.data:
        if getattr(tr_, "name", None):
            tr_.name = tr(tr_.name, lang)
        text = getattr(tr_, "text", None)
        if text is not None and not isinstance(text, str):
            names = [str(t) for t in text]
            if names and all(n in REGIONS for n in names):
                tr_.text = [REGIONS[n] for n in names]  # region labels on the map
        lg = getattr(tr_, "legendgrouptitle", None)
        if lg is not None and lg.text:
            lg.text = tr(lg.text, lang)
        marker = getattr(tr_, "marker", None)
        cb = getattr(marker, "colorbar", None) if marker is not None else None
        if cb is not None:
            _title(cb, lang)
    for ann in lay.annotations or ():
        if ann.text:
            ann.text = tr(ann.text, lang)
    for slider in lay.sliders or ():
        if slider.currentvalue and slider.currentvalue.prefix:
            slider.currentvalue.prefix = "연도 "
        for step in slider.steps or ():
            args = list(step.args or ())
            if len(args) > 1 and isinstance(args[1], dict) and "title" in args[1]:
                args[1] = {**args[1], "title": tr(args[1]["title"], lang)}
                step.args = args
    return fig


__all__ = ["KO", "REGIONS", "localise_figure", "tr"]
