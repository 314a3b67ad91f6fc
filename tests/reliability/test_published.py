"""Checks against published results and theory (issue 11): Llama 3 and Young/Daly."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from aifab.reliability import ettr
from aifab.reliability._checks import llama3, young_daly


@pytest.mark.slow
def test_llama3_reproduction() -> None:
    """16,384 H100 for 54 days: 419 unexpected interruptions and effective training time
    above 90 % (Llama 3 paper), with the packaged detection times (167 s per interruption
    on average; set from their sources, not fitted to this row)."""
    c = llama3(range(20))
    # tolerance from the issue: mean within 10 % of 419, and 419 inside the 95 % CI
    assert abs(c.interruptions_mean - 419) <= 0.10 * 419
    lo, hi = c.interruptions_ci95
    assert lo <= 419 <= hi
    # shares: 20 runs x ~419 events give a share's sd of about 0.5 points; allow 2.5 points
    for cls, pub in c.published_shares.items():
        assert abs(c.shares[cls] - pub) <= 0.025, (cls, c.shares[cls], pub)
    # paper: effective training time above 90 %, for its one run. The model's expected
    # ETTR must reach it (20 seeds give 0.902, the closed form 0.903); single runs spread
    # with their failure count (sd 0.0034 over the seeds), so a seed may fall short by at
    # most 0.005 (1.5 sd; the worst of the 20 is 0.897)
    assert c.ettr_mean >= 0.90 and c.ettr_closed_form >= 0.90
    assert c.ettr_min >= 0.90 - 0.005
    assert c.ettr_mean == pytest.approx(c.ettr_closed_form, abs=0.005)
    assert 0 < c.in_repair_share < 0.05 and c.spares_used_mean > 0


@pytest.mark.slow
def test_young_daly_peak() -> None:
    """The simulated ETTR curve agrees with Daly's closed form point by point, and peaks
    within 10 % of sqrt(2 delta M) and within 5 % of the exact optimum of Daly's curve
    (delta/M = 1/120: the first-order formula is about 4 % long; CRN noise a few %)."""
    y = young_daly(tuple(np.geomspace(0.5, 2.0, 9)), seeds=range(2), horizon_h=2000.0)
    for sim, th in zip(y.ettr_sim, y.ettr_daly, strict=True):
        assert sim == pytest.approx(th, abs=0.005)
    exact = minimize_scalar(lambda t: -ettr(t, y.write_s, y.restart_s, y.mtti_s),
                            bounds=(1.0, 10 * y.young_daly_s), method="bounded").x
    assert abs(y.peak_ratio - 1) <= 0.10
    assert y.peak_s == pytest.approx(exact, rel=0.05)
    assert max(y.ettr_sim) > y.ettr_sim[0] and max(y.ettr_sim) > y.ettr_sim[-1]


@pytest.mark.slow
def test_llama3_detection_costs_what_the_closed_form_says() -> None:
    """Without detection time (Meta-like instant detection) every seed is above 90 %, and
    the Monte Carlo agrees with the closed form both ways (within 0.005, the same
    tolerance): the hung gangs cost what the closed form's longer restart costs, more
    than 0.005 of ETTR."""
    from aifab.reliability._checks import _uniform_no_detect

    off = llama3(range(20), _uniform_no_detect())
    assert off.ettr_min >= 0.90
    assert off.ettr_mean == pytest.approx(off.ettr_closed_form, abs=0.005)
    on = llama3(range(2))
    assert on.ettr_closed_form < off.ettr_closed_form - 0.005
    assert on.ettr_mean < off.ettr_mean - 0.005
