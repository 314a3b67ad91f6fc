"""Throughput under latency targets (data/slo.csv; issue 19): MLPerf Inference server and
interactive rows, shown beside the calibration and never fitted. They check the
continuous-batching TPOT that plan and the twin rely on, predicted as a user asks
(``perf infer --tpot-ms --ttft-s``)."""

from __future__ import annotations

import statistics

from aifab.perf._slo import slo_rows, slo_rows_raw


def test_every_row_names_its_source_limits_and_offline_rate() -> None:
    raw = slo_rows_raw()
    assert len(raw) >= 8
    for r in raw:
        assert r["url"].startswith("https://") and r["source"] and r["date"]
        assert "99th percentile" in r["source"]  # MLPerf's limits are tail latencies
        assert float(r["tpot_ms"]) > 0 and float(r["ttft_s"]) > 0
        # a latency target never raises a system's throughput
        assert 0 < float(r["value"]) <= float(r["offline_value"])
        if r["input_lo"] != r["input_hi"]:
            assert "assumed" in r["assumptions"]


def test_the_table_beats_the_roofline_on_what_a_target_costs() -> None:
    auto = {r.id: r for r in slo_rows("auto")}
    roof = {r.id: r for r in slo_rows("roofline")}
    assert any(r.engine.startswith("table") for r in auto.values())
    for rid, a in auto.items():
        if a.engine.startswith("table"):
            # 1 point of slack: where the target binds in neither engine both ratios are
            # about 1 and differ by the table's interpolation only
            assert all(abs(x) <= abs(y) + 0.01 for x, y in
                       zip(a.ratio_errors, roof[rid].ratio_errors, strict=True)), rid

    def med(rows: dict[str, object]) -> float:
        return statistics.median(max(abs(e) for e in r.ratio_errors)  # type: ignore[attr-defined]
                                 for r in rows.values())

    # tolerance 30 %: the tail model covers the decode batch's Poisson fluctuation only
    # (no prefill queue before TTFT, which long 405B / DeepSeek prompts need), and two
    # models' input lengths are assumed (docs/perf-engines.md, "Throughput under latency
    # targets")
    assert med(auto) <= 0.30
    assert med(auto) < med(roof)


def test_reading_the_limits_as_percentiles_moves_towards_the_published_rates() -> None:
    # the same rows with the targets read as means (how plan reads its own targets): every
    # row predicts at least the p99 rate, and the p99 reading is nearer on the median
    for eng in ("auto", "roofline"):
        p99 = {r.id: r for r in slo_rows(eng, 99.0)}
        mean = {r.id: r for r in slo_rows(eng, None)}
        for rid, r in p99.items():
            assert all(a <= b * (1 + 1e-9) for a, b in
                       zip(r.predicted, mean[rid].predicted, strict=True)), (eng, rid)
        med99 = statistics.median(max(abs(e) for e in r.ratio_errors) for r in p99.values())
        med = statistics.median(max(abs(e) for e in r.ratio_errors) for r in mean.values())
        assert med99 <= med


def test_loose_targets_cost_what_was_published() -> None:
    # Llama 2 70B server (TPOT 200 ms, short prompts): the published systems lose 1-6 %
    # to the target; a steady-batch model must too, within 10 points (the tail-latency
    # effect is small when the target hardly binds)
    for eng in ("auto", "roofline"):
        rows = [r for r in slo_rows(eng) if r.scenario == "server" and r.tpot_ms >= 200]
        assert len(rows) >= 3
        for r in rows:
            assert all(abs(e) <= 0.10 for e in r.ratio_errors), (eng, r.id)


def test_absolute_rates_where_the_lengths_are_known() -> None:
    # tolerance 30 %: the same submissions' offline rates are 16-27 % above the table
    # (MLPerf-tuned TensorRT-LLM builds), and the tail-latency limits pull the other way
    rows = [r for r in slo_rows("auto") if r.errors is not None]
    assert len(rows) >= 5
    for r in rows:
        assert r.errors is not None
        assert all(abs(e) <= 0.30 for e in r.errors), r.id
