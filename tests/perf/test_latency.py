"""Single-user latency records with speculative decoding (data/latency.csv; issue 19):
validation rows, shown and never fitted."""

from __future__ import annotations

from aifab.perf._latency import latency_rows, latency_rows_raw


def test_every_row_names_its_source_and_assumed_acceptance() -> None:
    raw = latency_rows_raw()
    assert len(raw) >= 3
    for r in raw:
        assert r["url"].startswith("https://") and r["source"] and r["date"]
        assert "assumed" in r["assumptions"]  # no record states its acceptance rate
        assert 0.0 < float(r["accept_lo"]) <= float(r["accept_hi"]) < 1.0
        assert int(r["spec_k"]) >= 1


def test_predictions_over_the_assumed_acceptance_range() -> None:
    auto = {r.id: r for r in latency_rows("auto")}
    roof = {r.id: r for r in latency_rows("roofline")}
    for rid, a in auto.items():
        lo, hi = a.predicted
        assert 0 < lo <= hi  # more accepted draft tokens, more tokens per second per user
        if a.engine.startswith("table"):
            # where the aiconfigurator table times the record it is nearer the published
            # value than the roofline at both ends of the range (docs/perf-engines.md)
            r = roof[rid]
            assert all(abs(x) <= abs(y) for x, y in zip(a.errors, r.errors, strict=True)), rid
    # DeepSeek-R1 on 8 x B200 with 3 MTP layers: the table covers it
    assert auto["trtllm-blog1-8xb200-deepseek-r1-mtp3-gtc"].engine == "table+spec"
