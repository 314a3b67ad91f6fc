"""M/M/c against Erlang C and Little's law.

c = 16 accelerators (two 8-GPU servers), single-accelerator jobs, exponential service of
mean 1 h on the reference device, Poisson arrivals at rho = 0.8, FIFO. About 46,000 jobs
after a one-day warm-up; the tolerance on the mean wait is four standard errors from 20
batch means (plus 2 % for the warm-up bias), so the test fails by chance far less than
once in 10,000 runs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from aifab.sim.national import finish, new_run

C, MU_PER_H, RHO = 16, 1.0, 0.8
LAM_PER_H = RHO * C * MU_PER_H


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load a = lambda/mu."""
    s = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (s + top)


@pytest.mark.slow  # about 3-13 s: make test and CI run it, make test-fast does not
def test_mmc_matches_erlang_c_and_little(kit):
    days = 150
    scn = kit.small([kit.b200("Gov", C)], {
        "days": days, "warmup_days": 1, "queue_policy": "fifo", "seed": 7,
        "tenants": [{"name": "t", "owner": "Gov", "rates_per_h": {"mm": LAM_PER_H}}],
        "classes": {"mm": kit.exp_class(1.0 / MU_PER_H)},
    })
    sim = new_run(scn)
    _res = finish(sim)
    doc, frames = _res.to_dict(), _res.to_frames()
    jobs = frames["jobs"]
    waits = jobs["wait_s"].dropna().to_numpy() / 3600.0
    a = LAM_PER_H / MU_PER_H
    pw = erlang_c(C, a)
    w_theory = pw / (C * MU_PER_H - LAM_PER_H)
    batches = np.array_split(waits, 20)
    means = np.array([b.mean() for b in batches])
    se = means.std(ddof=1) / math.sqrt(len(means))
    assert abs(waits.mean() - w_theory) < 4 * se + 0.02 * w_theory, (waits.mean(), w_theory, se)
    pws = np.array([(b > 1e-9).mean() for b in batches])
    se_p = pws.std(ddof=1) / math.sqrt(len(pws))
    assert abs(pws.mean() - pw) < 4 * se_p + 0.005, (pws.mean(), pw, se_p)
    # Little's law on the queue: time-average queue length = arrival rate x mean wait.
    horizon_h = days * 24.0
    lq = float(doc["tenants"][0]["queue_mean"])
    lam_obs = len(jobs) / horizon_h
    assert abs(lq - lam_obs * waits.mean()) < 0.03 * lq + 0.01
    # Utilisation = rho.
    assert abs(doc["utilization"] - RHO) < 0.02
