"""The hardware detection time is uncertain: its published regimes run from tens of
seconds (the failure flagged by the machine or the collective library) to the 10-minute
collective timeout. The headline ETTR is therefore reported as a range over them
(``TrainingReliability.ettr_range``, ``perf train``), and Llama 3's published "more than
90 %" narrows the range Meta's regime can have been in (docs/reliability.md)."""

from __future__ import annotations

import pytest

from aifab.reliability import failure_model, training_reliability
from aifab.reliability._checks import LLAMA3_GPUS, _uniform, llama3_detection_range


def test_the_hardware_detection_time_has_a_published_range() -> None:
    fm = failure_model()
    lo, hi = fm.detect_range_s
    assert (lo, hi) == (30.0, 600.0)
    assert all(lo < fm.detect_for(c) < hi for c in fm.hardware)
    src = fm.sources["detect"]
    for cite in ("pytorch/pytorch#110947", "2406.04594", "2509.16293", "2602.00277"):
        assert cite in src


def test_llama3_ettr_over_the_range() -> None:
    """ETTR falls as detection grows, by what Daly's formula says: 0.913 at 30 s, 0.903
    at the packaged 180 s, 0.874 at 600 s. Meta's > 90 % allows at most about 218 s with
    our 5-minute restart: inside the range and above the packaged figure, so the
    packaged figure is consistent with Meta, and the range's slow end is not."""
    r = llama3_detection_range()
    low, packaged, high = r.ettr
    assert low > packaged > high
    assert low >= 0.90 > high
    assert r.range_s[0] < r.packaged_s < r.meta_max_s < r.range_s[1]
    fm = _uniform()
    # the same figures through perf train's closed form (the run's own 54 days)
    t = training_reliability(LLAMA3_GPUS, 54.0, "hopper", fm)
    assert t.ettr_range == pytest.approx((high, low), rel=1e-12)
    assert t.ettr == pytest.approx(packaged, rel=1e-12)
    assert t.detect_range_s == r.range_s
    # each end is the ETTR of a model whose hardware is detected at that time
    for x, e in zip(r.range_s, (low, high), strict=True):
        assert training_reliability(LLAMA3_GPUS, 54.0, "hopper",
                                    fm.with_hardware_detect(x)).ettr == pytest.approx(e)


def test_the_range_moves_with_the_failure_rate() -> None:
    """Detection costs per interruption: at twice the failure rate the range is wider
    (the physics moves it), at a tenth it nearly closes."""
    def width(scale: float) -> float:
        lo, hi = training_reliability(16384, 30.0, "hopper",
                                      failure_model().scaled(scale)).ettr_range
        return hi - lo
    assert width(2.0) > width(1.0) > 5 * width(0.1)
