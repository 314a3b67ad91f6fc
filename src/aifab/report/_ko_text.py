"""Korean for the words of report tables, section prose and hover text.

The section builders write English; when a report is written in Korean
(``_labels.REPORT_LANG``), :func:`ko_cell` translates table headers and cells (exact
phrases, then patterns with numbers or names in them), :func:`ko_prose` the sentences of
the sections' paragraphs, and :func:`ko_hover` the words of hover templates. Sources
(citations of published documents) stay in their language and are marked ``lang="en"``
by the table (WCAG 3.1.2); names of owners and sites stay names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aifab.report._ko import KO, REGIONS, tr
from aifab.report._ko import localise_figure as _ko_figure

#: Table headers and cell words (exact).
CELLS: dict[str, str] = {
    "owner": "기관", "accelerator": "가속기", "kind": "종류", "system": "시스템",
    "count": "수량", "year": "연도", "facility MW": "시설 MW", "assumed": "가정",
    "note": "비고", "TWh/yr": "TWh/년", "bn KRW/yr": "십억 원/년", "M USD/yr": "백만 USD/년",
    "Mt CO2/yr": "Mt CO2/년", "total": "합계", "region": "지역", "fleet share": "이 보유분 비율",
    "source": "출처", "fleet": "보유 가속기", "rank (count)": "순위 (수량)",
    "T tokens/yr": "조 토큰/년", "405B runs/yr": "405B 학습/년",
    "T tokens/yr per GW": "GW당 조 토큰/년", "405B runs/yr per GW": "GW당 405B 학습/년",
    "failures/day": "고장/일", "swaps/day": "교체/일", "in repair": "수리 중",
    "techs/shift": "교대당 기술자", "tech FTE": "기술자 FTE", "operator FTE": "운영자 FTE",
    "parameter": "매개변수", "value": "값", "unit": "단위", "site": "부지", "metric": "지표",
    "ours": "본 모델", "reported": "보고값", "band": "허용 범위", "within": "범위 내",
    "tenant": "이용자", "tenants": "이용자 수", "preemptions": "선점", "jain": "Jain 지수",
    "public": "공공", "other": "기타", "yes": "예", "no": "아니오", "optimal": "최적",
    "validation": "검증", "consistency": "일관성", "this scenario": "이 시나리오",
    "load factor": "부하율", "tariff": "전기 요금", "exchange rate": "환율",
    "grid CO2 intensity": "전력망 CO2 배출 계수", "of nameplate": "정격 대비",
    "H100e dense FP8": "H100 환산 FP8 (밀집)", "H100e memory bandwidth": "H100 환산 메모리 대역폭",
    "accelerators": "가속기", "utilisation (allocated)": "가동률 (할당)",
    "unallocated: no power": "미할당: 전력 부족", "unallocated: fragmentation": "미할당: 단편화",
    "unallocated: no demand": "미할당: 수요 없음", "energy (MWh)": "에너지 (MWh)",
    "mean facility power (MW)": "평균 시설 전력 (MW)", "tokens served": "처리한 토큰",
    "NPU share of tokens": "토큰 중 NPU 비율", "training runs completed": "완료한 학습",
    "jobs completed": "완료한 작업", "gang topology misses (share)": "갱 배치 토폴로지 실패 (비율)",
    "Jain fairness (public tenants)": "Jain 공정성 (공공 이용자)",
    "interruptions per day": "일일 중단 횟수",
    "goodput (useful / allocated accelerator-hours)": "유효 처리율 (유효 / 할당 가속기-시간)",
    "accelerator-hours lost to failures (work + restart)":
        "고장으로 잃은 가속기-시간 (작업 + 재시작)",
    "share of accelerators in repair": "수리 중인 가속기 비율",
    "hot spares swapped in (accelerators)": "투입된 예비 가속기",
    "technicians busy (mean)": "작업 중인 기술자 (평균)",
    "inference replicas lost to failures": "고장으로 잃은 추론 복제본",
    "east-coast export, peak hour": "동해안 송출, 최대 부하 시간",
    "east-coast thermal and nuclear capacity": "동해안 화력 및 원자력 설비 용량",
    "east-coast (Gangwon) coal capacity factor": "동해안 (강원) 석탄 이용률",
    "west-coast (Chungnam) coal constrained off, peak hour":
        "서해안 (충남) 석탄 발전 제약, 최대 부하 시간",
    "east-coast coal constrained off, peak hour": "동해안 석탄 발전 제약, 최대 부하 시간",
    "west-coast limit: yearly cost saved by 1.3 GW more export":
        "서해안 송전 제약: 1.3 GW 추가 송전 시 연간 절감 비용",
    "nuclear share of generation": "발전량 중 원자력 비율",
    "coal share of generation": "발전량 중 석탄 비율",
    "Jeju wind and solar curtailed": "제주 풍력·태양광 출력 제한",
    "research": "연구", "finetune": "미세 조정", "pretrain": "사전 학습",
    "inference": "추론", "training": "학습", "none": "없음", "fairshare": "공정 배분",
    "interruptions/day": "중단/일", "goodput": "유효 처리율", "Korea": "한국",
    "fifo": "선착순", "priority": "우선순위",
}

#: Patterns for cells and headers with numbers or names in them.
_CELL_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"^(.+) \(rank\)$"), lambda m: f"{ko_cell(m.group(1))} (순위)"),
    (re.compile(r"^(.+) \(this scenario\)$"), lambda m: f"{m.group(1)} (이 시나리오)"),
    (re.compile(r"^(.+) \(assumed\)$"), lambda m: f"{ko_cell(m.group(1))} (가정)"),
    (re.compile(r"^(\d{4}) target$"), lambda m: f"{m.group(1)} 목표"),
    (re.compile(r"^(.+) server \((\d+) (GPUs|cards)\)$"),
     lambda m: f"{m.group(1)} 서버 ({'GPU' if m.group(3) == 'GPUs' else '카드'} {m.group(2)}개)"),
    (re.compile(r"^(.+) rack$"), lambda m: f"{m.group(1)} 랙"),
    (re.compile(r"^(.+) \(per GPU\)$"), lambda m: f"{m.group(1)} (GPU당)"),
    (re.compile(r"^(\d{4}) planned$"), lambda m: f"{m.group(1)} 계획"),
    (re.compile(r"^(\d{4}) (delivered|installed)$"), lambda m: f"{m.group(1)} 도입"),
    (re.compile(r"^self-sufficiency (\w+)$"),
     lambda m: f"전력 자급률: {REGIONS.get(m.group(1), m.group(1))}"),
    (re.compile(r"^(.+) power \(low end\)$"),
     lambda m: f"{ko_cell(m.group(1))} 전력 (하한)"),
    (re.compile(r"^([\d.,]+) of nameplate$"), lambda m: f"정격의 {m.group(1)}"),
    (re.compile(r"^([\d.,]+ ?%) of the fleet$"), lambda m: f"보유분의 {m.group(1)}"),
    (re.compile(r"^([\d.,]+) days, left out; the day axis starts there$"),
     lambda m: f"{m.group(1)}일, 제외 (일 축은 그 다음부터)"),
    (re.compile(r"^kW per (\d+) accelerators \(([\d.]+) kW each\)$"),
     lambda m: f"가속기 {m.group(1)}개당 kW (개당 {m.group(2)} kW)"),
    (re.compile(r"^([\d,]+) \(by cause, at eviction: (.+)\)$"),
     lambda m: f"{m.group(1)} (원인별, 축출 시점: "
               + re.sub(r"\bowner\b", "소유 기관", m.group(2)) + ")"),
)


def ko_cell(text: str) -> str:
    """A table header or cell in Korean (unchanged when no translation is known)."""
    if text in CELLS:
        return CELLS[text]
    if text in _PLACES:
        return _PLACES[text]
    for pat, fn in _CELL_PATTERNS:
        m = pat.match(text)
        if m:
            return fn(m)
    return str(tr(text, "ko"))


#: Candidate sites of the grid model (aifab/grid/data/sites.csv) in Korean.
SITES: dict[str, str] = {
    "Ulsan Mipo": "울산 미포", "Haenam Solaseado": "해남 솔라시도",
    "Gwangju AI centre": "광주 AI 센터", "Pohang": "포항",
    "Uljin-Gyeongju nuclear coast": "울진-경주 원전 해안", "Seosan": "서산",
    "Busan Gangseo": "부산 강서", "Uiwang": "의왕", "Yongin-Pyeongtaek": "용인-평택",
    "Chuncheon": "춘천", "Samcheok-Gangneung coast": "삼척-강릉 해안",
    "Saemangeum": "새만금", "Incheon Cheongna": "인천 청라", "Seoul Gasan": "서울 가산",
}
_PLACES = {**SITES, **REGIONS, "Korea": "한국"}
_PLACE_RE = re.compile(r"(?<![A-Za-z])(" + "|".join(sorted(_PLACES, key=len, reverse=True))
                       + r")(?![A-Za-z])")


def _regions(text: str) -> str:
    """Region names (and Korea) in ``text`` in Korean."""
    return _PLACE_RE.sub(lambda m: _PLACES[m.group(1)], text)


#: (English sentence pattern, Korean) for the sections' paragraphs, applied to their HTML.
PROSE: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"<p><b>([\d,]+)</b> accelerators \(<b>([\d,]+)</b> GPUs, <b>([\d,]+)</b> "
                r"NPUs\); IT power <b>([\d,.]+) MW</b>, facility power <b>([\d,.]+) MW</b>; "
                r"<b>([\d,.]+) TWh</b> a year ([^<]*)</p>"),
     lambda m: (f"<p>가속기 <b>{m.group(1)}</b>개 (GPU <b>{m.group(2)}</b>개, NPU "
                f"<b>{m.group(3)}</b>개), IT 전력 <b>{m.group(4)} MW</b>, 시설 전력 "
                f"<b>{m.group(5)} MW</b>, 연간 <b>{m.group(6)} TWh</b>: "
                + _regions(re.sub(r"([\d.]+%) of (\w+)", r"\2의 \1", m.group(7))) + "</p>")),
    (re.compile(r"<p>Status <b>(\w+)</b>, MIP gap ([\d.]+) % of the cost the fleet adds, "
                r"build ([\d.]+) s, solve ([\d.]+) s; ([\d,]+) variables, ([\d,]+) "
                r"constraints; ([^,<]*), (\d+) h per year\. Corridor expansions chosen: "
                r"([^<]*)\.</p>"),
     lambda m: (f"<p>상태 <b>{ko_cell(m.group(1))}</b>, MIP 간격: 보유분이 더하는 비용의 "
                f"{m.group(2)} %, 구성 {m.group(3)}초, 풀이 {m.group(4)}초, 변수 "
                f"{m.group(5)}개, 제약 {m.group(6)}개, {_time_method(m.group(7))}, 연간 "
                f"{m.group(8)}시간. 선택된 송전 회랑 증설: {ko_cell(m.group(9))}.</p>")),
    (re.compile(r"<h3>GPUs waiting for power</h3>"), "<h3>전력 대기 GPU</h3>"),
    (re.compile(r"<h3>Placements, (\d{4})</h3>"), r"<h3>배치, \1년</h3>"),
    (re.compile(r"<h3>Annual cost and CO2</h3>"), "<h3>연간 비용과 CO2</h3>"),
    (re.compile(r"<p>CO2 \(Mt/year\): "), "<p>CO2 (Mt/년): "),
    (re.compile(r"<li>(regions|carriers|generators|corridors|interfaces|sites|profiles): "),
     lambda m: "<li>" + {"regions": "지역", "carriers": "발전원", "generators": "발전기",
                         "corridors": "송전 회랑", "interfaces": "연계선",
                         "sites": "후보지", "profiles": "시간별 변동"}[m.group(1)] + ": "),
    (re.compile(r" \(synthetic\)</li>"), " (합성)</li>"),
    (re.compile(r"<p>Network: OpenStreetMap contributors \(ODbL 1\.0\), via "
                r"PyPSA-Earth/PyPSA-KR; province boundaries: Statistics Korea \(KOSTAT\) "
                r"2018, KOGL Type 1, simplified\.</p>"),
     '<p>전력망: <span lang="en">OpenStreetMap contributors (ODbL 1.0), via '
     "PyPSA-Earth/PyPSA-KR</span>; 시도 경계: 통계청 (KOSTAT) 2018, 공공누리 제1유형, "
     "단순화.</p>"),
    (re.compile(r'<p class="note">The first ([\d,.]+) simulated days are a warm-up, left '
                r"out of every figure and table: the day axis starts there\.</p>"),
     r'<p class="note">처음 \1 시뮬레이션 일은 예열 기간으로 모든 차트와 표에서 '
     r"제외했습니다. 일 축은 그 다음부터 시작합니다.</p>"),
    (re.compile(r'<p class="note">Tenant rows count jobs submitted after the warm-up; '
                r"preemptions after it of jobs submitted during it are in &ldquo;([^&]*)"
                r"&rdquo;, so the column adds up to the total\.</p>"),
     r'<p class="note">이용자 행은 예열 뒤에 제출된 작업만 셉니다. 예열 중 제출되어 그 뒤에 '
     r"선점된 작업은 &ldquo;\1&rdquo; 행에 있어 열의 합이 합계와 같습니다.</p>"),
    (re.compile(r'<p class="note">each figure as if the owner&#x27;s whole fleet did only that '
                r"work at the scenario load factor; inference: (.+?); training: (.+?) on "
                r"([\d.]+)T tokens \(aifab\.perf\) in ([\d,]+)-device jobs, times the expected "
                r"ETTR under failures \(aifab\.reliability: Llama 3 rates x family multiplier, "
                r"Young/Daly checkpoints\)</p>"),
     lambda m: ('<p class="note">각 값은 기관의 보유분 전체가 시나리오 부하율로 그 작업만 '
                f"한다고 본 것입니다. 추론: {_inference(m.group(1))}. 학습: {m.group(2)}, "
                f"{m.group(3)}조 토큰, 장치 {m.group(4)}개 작업 (성능 모델), 고장에 따른 기대 "
                "유효 학습 시간 비율(ETTR)을 곱함 (신뢰성 모델: Llama 3 고장률 x 장치 계열 "
                "배수, Young/Daly 체크포인트).</p>")),
    (re.compile(r'<p class="note">estimate: (\d+) shifts, ([\d.]+) productive h per '
                r"technician-shift, 95th-percentile shift workload, at least (\d+) per shift, "
                r"relief factor ([\d.]+) FTE per 24/7 seat; operators ([\d.]+) FTE per "
                r"facility MW \(sources in ([\w/.]+)\)</p>"),
     r'<p class="note">추정: 하루 \1교대, 기술자 교대당 실작업 \2시간, 교대 작업량의 '
     r"95백분위, 교대당 최소 \3명, 24시간 상시 자리당 \4 FTE, 운영자는 시설 MW당 \5 FTE "
     r"(출처: \6).</p>"),
    (re.compile(r"<h3>Calibration of the base case \(no AI load\)</h3>"),
     "<h3>기준 사례 보정 (AI 부하 없음)</h3>"),
)


_INFERENCE = (
    (r"workload mix of output tokens: ", "출력 토큰 기준 작업 혼합: "),
    (r"(\d+) in / (\d+) out", r"입력 \1 / 출력 \2"),
    (r"; each model at the device&#x27;s lowest precision and the search&#x27;s best layout",
     ", 모델마다 장치의 최저 정밀도와 탐색한 최적 배치"),
    (r" at the device&#x27;s lowest precision", ", 장치의 최저 정밀도"),
    (r"TPOT &lt;= (\d+) ms", r"TPOT \1 ms 이하"), (r" \(scenario workload\)", " (시나리오 작업)"),
)


def _inference(text: str) -> str:
    for pat, ko in _INFERENCE:
        text = re.sub(pat, ko, text)
    return text


def _time_method(text: str) -> str:
    if text.strip() == "peak-demand day standing for the year":
        return "최대 수요일 하루가 1년을 대표"
    m = re.fullmatch(r"(\d+) representative days?(.*)", text.strip())
    if m:
        return f"대표일 {m.group(1)}일" + m.group(2)
    return text


def ko_prose(body: str) -> str:
    """A section's HTML with its known English sentences in Korean."""
    for pat, ko in PROSE:
        body = pat.sub(ko, body)
    return body


#: Hover-template words (longest first), applied around plotly's ``%{...}`` fields.
HOVER: tuple[tuple[str, str], ...] = (
    ("T tokens/year", "조 토큰/년"), ("TWh/year", "TWh/년"), ("MW facility", "MW 시설"),
    ("H100e", "H100 환산"), ("accelerators", "가속기"), ("in repair", "수리 중"),
    ("facility", "시설"), ("waiting", "대기"), ("loading", "부하율"), ("campus", "캠퍼스"),
    ("corridor", "송전 회랑"), ("GPUs", "GPU"), ("year", "연도"), ("day", "일"),
)


_PHRASES = sorted(((k, v) for k, v in {**KO, **CELLS}.items() if " " in k),
                  key=lambda kv: -len(kv[0]))


#: Hover text of the siting map (plain text, not templates).
_HOVERTEXT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(.+): ([\d,]+) MW, max loading (\d+) % in (\d{4})$"),
     r"\1: \2 MW, 최대 부하율 \3 % (\4년)"),
    (re.compile(r"^(\d+) lines at (\d+)-(\d+) %$"), r"송전선 \1개, 부하율 \2-\3 %"),
    (re.compile(r"^(.+) \(candidate, unused in (\d{4})\)$"), r"\1 (후보지, \2년 미사용)"),
    (re.compile(r"^(.+) at (.+): ([\d,.]+) MW in (\d{4})$"), r"\1, \2: \3 MW (\4년)"),
    # the dashboard map's layers (serve/_map.py): waiting GPUs, hosting capacity
    (re.compile(r"^(.+): ([\d,]+) GPUs waiting \(([\d,.]+) MW IT\) in (\d{4}), home region "
                r"(.+)$"), r"\1: 전력 대기 GPU \2개 (IT \3 MW), \4년, 본거지 \5"),
    (re.compile(r"^(.+): ([\d,.]+) MW firm, ([\d,.]+) MW connectable in (\d{4})$"),
     r"\1: 확정 \2 MW, 접속 가능 \3 MW (\4년)"),
)


def ko_hovertext(text: str) -> str:
    """A plain hover text in Korean (map corridors, sites, regions)."""
    for pat, ko in _HOVERTEXT:
        text = pat.sub(ko, text)
    return _regions(text)


def localise_figure(fig: Any, lang: str) -> Any:
    """:func:`aifab.report._ko.localise_figure` (titles, axes, legends), then each trace's
    hover templates, hover text and category labels (job classes, corridors, regions)."""
    _ko_figure(fig, lang)
    if lang != "ko":
        return fig
    for t in fig.data:
        hover = getattr(t, "hovertemplate", None)
        if isinstance(hover, str) and hover:
            t.hovertemplate = ko_hover(hover)
        elif hover is not None and not isinstance(hover, str):
            t.hovertemplate = [ko_hover(str(h)) for h in hover]
        htext = getattr(t, "hovertext", None)
        if isinstance(htext, str) and htext:
            t.hovertext = ko_hovertext(htext)
        elif htext is not None and not isinstance(htext, str):
            t.hovertext = [ko_hovertext(str(h)) for h in htext]
        for axis in ("x", "y"):
            vals = getattr(t, axis, None)
            if vals is not None and not isinstance(vals, str) and len(vals) and all(
                    isinstance(v, str) for v in vals):
                setattr(t, axis, [KO.get(v) or ko_places(v) for v in vals])
    return fig


def ko_hover(template: str) -> str:
    """A hover template in Korean: exact phrases from the chart words, then words, leaving
    ``%{...}`` fields and HTML tags alone."""
    parts = re.split(r"(%\{[^}]*\}|<[^>]*>)", template)
    out = []
    for p in parts:
        if not p or p.startswith(("%{", "<")):
            out.append(p)
            continue
        for en, ko in _PHRASES:
            if en in p:
                p = re.sub(r"(?<!\w)" + re.escape(en) + r"(?!\w)", ko, p)
        for en, ko in HOVER:
            p = re.sub(r"\b" + re.escape(en) + r"\b", ko, p)
        out.append(_regions(p))
    return "".join(out)


__all__ = [
    "CELLS",
    "HOVER",
    "PROSE",
    "ko_cell",
    "ko_hover",
    "ko_hovertext",
    "ko_places",
    "ko_prose",
]


def ko_places(text: str) -> str:
    """Region names in ``text`` in Korean (axis categories such as corridor names), and the
    peers' "(this scenario)" / "(assumed)" tags."""
    return _regions(text.replace(" (this scenario)", " (이 시나리오)")
                    .replace(" (assumed)", " (가정)"))
