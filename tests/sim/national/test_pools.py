"""Gang placement in one pool: compact first, spill counted, all or nothing."""

from __future__ import annotations

import numpy as np

from aifab.sim.national._pools import PoolState


def test_fits_in_one_domain_best_fit():
    p = PoolState(0, domains=3, domain_size=8)
    p.free[:] = [8, 3, 5]
    p.free_total = 16
    doms, cnt = p.place(3, spill=False)
    assert doms.tolist() == [1] and cnt.tolist() == [3]
    assert p.free.tolist() == [8, 0, 5]


def test_large_gang_takes_whole_domains_plus_best_fit_remainder():
    p = PoolState(0, domains=4, domain_size=72)
    p.free[:] = [72, 10, 72, 40]
    p.free_total = 194
    doms, cnt = p.place(150, spill=False)
    assert sorted(zip(doms.tolist(), cnt.tolist(), strict=True)) == [(0, 72), (1, 6), (2, 72)]


def test_spill_only_when_allowed_and_all_or_nothing():
    p = PoolState(0, domains=3, domain_size=8)
    p.free[:] = [4, 4, 4]
    p.free_total = 12
    assert p.place(6, spill=False) is None
    doms, cnt = p.place(6, spill=True)
    assert int(cnt.sum()) == 6 and len(doms) == 2
    assert p.place(7, spill=True) is None  # only 6 left: nothing is taken
    assert p.free_total == 6 and int(p.free.sum()) == 6
    p.release(doms, cnt)
    assert p.free.tolist() == [4, 4, 4]
    p.check()


def test_place_one_domain():
    p = PoolState(0, domains=2, domain_size=8)
    assert p.place_one_domain(8) == 0
    assert p.place_one_domain(8) == 1
    assert p.place_one_domain(1) == -1
    p.release_one(0, 8)
    assert np.array_equal(p.free, [8, 0])
