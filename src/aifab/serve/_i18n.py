"""English and Korean labels of the dashboard (``t(key, lang)``)."""

from __future__ import annotations

LANGS = ("en", "ko")

_T: dict[str, tuple[str, str]] = {
    "app": ("aifab: national AI factory planner", "aifab: 국가 AI 팩토리 플래너"),
    "overview": ("Overview", "개요"),
    "plan": ("Plan", "계획"),
    "map": ("Map", "지도"),
    "runs": ("Runs", "실행"),
    "twin": ("Twin", "디지털 트윈"),
    "sweeps": ("Sweeps", "스윕"),
    "language": ("Language", "언어"),
    "scenario": ("Scenario", "시나리오"),
    "gpus": ("GPUs", "GPU"),
    "npus": ("NPUs", "NPU"),
    "it_mw": ("IT power (MW)", "IT 전력 (MW)"),
    "facility_mw": ("Facility power (MW)", "시설 전력 (MW)"),
    "twh": ("Energy (TWh/year)", "에너지 (TWh/년)"),
    "share_seoul": ("Share of Seoul's electricity", "서울 전력 소비 대비"),
    "waiting": ("GPUs waiting for power", "전력 대기 GPU"),
    "utilisation": ("Utilisation", "가동률"),
    "goodput": ("Goodput", "유효 처리율"),
    "cost": ("Electricity cost (KRW/year)", "전기 요금 (원/년)"),
    "co2": ("CO2 (Mt/year)", "CO2 (Mt/년)"),
    "from_plan": ("plan of", "계획:"),
    "from_run": ("run", "실행:"),
    "no_site_run": ("no siting run yet (launch one under Runs)",
                    "입지 실행 결과 없음 (실행 탭에서 시작)"),
    "no_sim_run": ("no simulation yet (launch one under Runs)",
                   "시뮬레이션 결과 없음 (실행 탭에서 시작)"),
    "no_sweep_run": ("no sweep yet: run `aifab sweep SPEC --out` into this folder",
                     "스윕 결과 없음: `aifab sweep SPEC --out`으로 이 폴더에 저장"),
    "count_of": ("GPUs of", "GPU 수:"),
    "pue": ("PUE", "PUE (전력 효율 지수)"),
    "load_factor": ("Load factor", "부하율"),
    "system_power": ("System power", "시스템 전력"),
    "tariff": ("Tariff (KRW/kWh)", "전기 요금 (원/kWh)"),
    "knobs": ("Knobs", "조정 값"),
    "npu_cards": ("NPU cards (FuriosaAI RNGD) added", "추가 NPU 카드 (FuriosaAI RNGD)"),
    "kind": ("Kind", "종류"),
    "days": ("Days", "일수"),
    "scale": ("Scale (share of the fleet)", "규모 (보유 가속기 대비 비율)"),
    "seed": ("Seed", "시드"),
    "policy": ("Queue policy", "대기열 정책"),
    "hours": ("Hours per year (site)", "연간 시간 수 (입지)"),
    "spec": ("Sweep spec file (in the results folder)", "스윕 명세 파일 (결과 폴더 내)"),
    "siting_run": ("Siting (twin runs: a site run's caps and curtailment)",
                   "입지 (트윈 실행: 입지 실행의 전력 상한과 감축)"),
    "no_siting": ("none (the scenario's own power)", "없음 (시나리오 자체 전력)"),
    "launch": ("Launch", "시작"),
    "cancel": ("Cancel", "취소"),
    "jobs": ("Jobs of this session", "이번 세션 작업"),
    "past_runs": ("Runs in the results folder", "결과 폴더의 실행"),
    "open": ("open", "열기"),
    "report": ("report", "보고서"),
    "compare": ("Compare two runs", "두 실행 비교"),
    "run": ("Run", "실행"),
    "year": ("Year", "연도"),
    "metric": ("Metric", "지표"),
    "state": ("State", "상태"),
    "progress": ("Progress", "진행"),
    "refused": ("Refused", "거부됨"),
    "results_dir": ("Results folder", "결과 폴더"),
    "none": ("none", "없음"),
    "chart_text": ("Chart as text", "차트 내용 (텍스트)"),
    "cannot_read": ("cannot read this run", "이 실행을 읽을 수 없습니다"),
    "no_metrics": ("This sweep has no metric columns.", "이 스윕에는 지표 열이 없습니다."),
    "sensitivity": ("Sensitivity", "민감도"),
    "national": ("national", "전국"),
    "embedded": ("embedded", "내장"),
    "wrote": ("results in", "결과 폴더:"),
    "download": ("Download", "내려받기"),
    "source": ("Source", "출처"),
    "mw_short": ("IT power short:", "부족한 IT 전력:"),
    "figure": ("figure", "지표"), "change": ("change", "변화율"), "input": ("input", "입력"),
    "inputs_differ": ("Inputs that differ", "다른 입력"),
    "inputs_same": ("The two runs have the same inputs.", "두 실행의 입력이 같습니다."),
    "warmup_days": ("warm-up days", "예열 일수"), "name": ("name", "이름"),
    "design": ("design", "설계"), "years": ("years", "연도"),
    "share_link": ("Link to this view", "이 화면 링크"),
    "save_scenario": ("Save as scenario (YAML)", "시나리오로 저장 (YAML)"),
    "started": ("started", "시작됨:"),
    "state_running": ("running", "실행 중"), "state_done": ("done", "완료"),
    "state_failed": ("failed", "실패"), "state_cancelled": ("cancelled", "취소됨"),
    "stage_warm-up": ("warm-up (not counted)", "예열 (집계 제외)"),
    "stage_simulating": ("simulating", "시뮬레이션"), "stage_sweep": ("variants", "변형 실행"),
    "stage_loading": ("loading grid data", "전력망 데이터 읽기"),
    "stage_stage-1": ("stage 1: screening", "1단계: 선별"),
    "stage_network": ("building network", "전력망 모델 구성"),
    "stage_model": ("building optimisation model", "최적화 모델 구성"),
    "stage_reference": ("grid without AI load", "AI 부하 없는 전력망"),
    "stage_fewest": ("fewest GPUs waiting", "대기 GPU 최소화"),
    "stage_solving": ("solving", "최적화 계산"), "stage_results": ("reading results", "결과 읽기"),
    "stage_flexibility": ("solving without flexibility", "유연성 없이 재계산"),
    "stage_calibration": ("calibrating the base case", "기준 사례 보정"),
    "stage_redispatch": ("re-dispatch with the siting fixed", "입지 고정 재급전"),
    "stage_hosting": ("hosting capacity", "수용 용량"), "stage_siting": ("siting", "입지 선정"),
    "eta": ("left", "남음"),
    "state_queued": ("queued", "대기 중"), "time": ("time", "경과 시간"),
    "pick_two": ("Pick two runs.", "비교할 실행 두 개를 고르세요."),
    "scenario_default": ("scenario default", "시나리오 기본값"),
    "simulate": ("simulation", "시뮬레이션"),
    "site": ("siting", "입지"),
    "sweep": ("sweep", "스윕"),
    "report_kind": ("report", "보고서"),
    "what_changed": ("What changed against the scenario", "시나리오 대비 변경 사항"),
    "no_change": ("The knobs hold the scenario's own values: nothing changed.",
                  "조정 값이 시나리오 값과 같습니다: 변경 없음."),
    "scenario_value": ("scenario (A)", "시나리오 (A)"), "now_value": ("now (B)", "현재 (B)"),
    "report_twin": ("The twin of a combined report: its headline figures; its charts are in",
                    "종합 보고서의 디지털 트윈: 주요 수치만 표시합니다. 그래프:"),
    "fifo": ("first come, first served", "선착순"),
    "backfill": ("backfill", "백필"),
    "fairshare": ("fair share", "공정 분배"),
    "low": ("low", "낮음"), "mid": ("mid", "중간"), "high": ("high", "높음"),
    "twin_sample": ("twin sample of", "트윈 표본, 보유 대비"),
}


def t(key: str, lang: str = "en") -> str:
    """The label for ``key`` in ``lang`` (English for an unknown language)."""
    en, ko = _T.get(key, (key, key))
    return ko if lang == "ko" else en


#: Korean for report labels the dashboard words its own way (the rest come from
#: ``aifab.report.tr``, as the report has them).
_KO_LABELS = {
    "utilisation": "가동률", "preemptions": "선점",
    "energy per day, whole fleet (MWh)": "하루 에너지, 전체 보유 기준 (MWh)",
    "jobs completed per day, whole fleet": "하루 완료한 작업, 전체 보유 기준",
    "preemptions per day, whole fleet": "하루 선점, 전체 보유 기준",
    "variants": "변형", "done": "완료", "failed": "실패",
}


def tl(label: str, lang: str = "en") -> str:
    """A report label in ``lang`` (unchanged in English or when no translation exists)."""
    if lang != "ko":
        return label
    from aifab.report import tr

    return _KO_LABELS.get(label) or str(tr(label, lang))


KEYS = frozenset(_T)
"""Every key that has a label."""
