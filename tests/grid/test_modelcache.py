"""The in-process model cache (grid._modelcache): a second build of the same network gives
the same network and the same LP to the bit, as new objects; any change misses."""

from __future__ import annotations

import pickle
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from aifab.grid import _modelcache, build_network, solve_siting
from aifab.grid._modelcache import network_and_model

from .conftest import toy_data, toy_problem

pytestmark = pytest.mark.slow  # nine model builds and two siting runs (about 20 s)


@pytest.fixture(autouse=True)
def _empty(monkeypatch, tmp_path):
    monkeypatch.setenv("AIFAB_CACHE_DIR", str(tmp_path))  # on (not "off"), this test's own
    _modelcache.clear()
    yield
    _modelcache.clear()


def _net(**kw):
    return build_network(toy_data(**kw), [2030], hours=24, ai_regions=["Seoul", "Gangwon"]
                         ).network


def _lp(m):
    """The LP a solver is given: matrix, bounds, costs, senses, right-hand sides, types."""
    mx = m.matrices
    return {"A": mx.A.toarray(), "b": mx.b, "c": mx.c, "lb": mx.lb, "ub": mx.ub,
            "sense": mx.sense, "vlabels": mx.vlabels, "clabels": mx.clabels,
            "vtypes": mx.vtypes}


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        assert x.shape == y.shape and x.dtype == y.dtype, k
        if x.dtype.kind == "f":
            assert np.array_equal(x.view(np.uint64), y.view(np.uint64)), k  # bit for bit
        else:
            assert np.array_equal(x, y), k


def _same_network(a, b):
    """Every component's tables and time series exactly (values, dtypes, index types), and
    the network's other state (snapshots, weightings, periods, objective settings)."""
    exact = {"check_exact": True, "check_index_type": True, "check_column_type": True}
    names = [c.name for c in a.components]
    assert names == [c.name for c in b.components]
    for ca, cb in zip(a.components, b.components, strict=True):
        pd.testing.assert_frame_equal(ca.static, cb.static, **exact)
        assert sorted(ca.dynamic) == sorted(cb.dynamic), ca.name
        for k in ca.dynamic:
            pd.testing.assert_frame_equal(ca.dynamic[k], cb.dynamic[k], **exact)
    sa, sb = a.__getstate__(), b.__getstate__()
    assert sa.keys() == sb.keys()
    for k in sa.keys() - {"_components", "_model", "_optimize_window", "optimize", "plot",
                          "statistics", "cluster"}:
        va, vb = sa[k], sb[k]
        if isinstance(va, pd.DataFrame | pd.Series):
            (pd.testing.assert_frame_equal if isinstance(va, pd.DataFrame)
             else pd.testing.assert_series_equal)(va, vb, **exact)
        else:
            assert pickle.dumps(va) == pickle.dumps(vb), k


def test_a_second_build_gives_copies_of_the_same_network_and_model(monkeypatch):
    monkeypatch.setattr(_modelcache, "KEEP", 3)
    n1, m1 = network_and_model(_net(), include_objective_constant=False)
    assert len(_modelcache._kept) == 1
    n2, m2 = network_and_model(_net(), include_objective_constant=False)
    assert len(_modelcache._kept) == 1  # taken, not built again
    assert n2 is not n1 and m2 is not m1 and n2.model is m2
    _same(_lp(m1), _lp(m2))
    _same_network(n1, n2)  # as create_model left it (it sets a few of its attributes)
    # a caller adds to its copy; the next copy is as built
    m2.add_variables(lower=0, upper=1, name="extra")
    _n3, m3 = network_and_model(_net(), include_objective_constant=False)
    assert "extra" not in m3.variables
    _same(_lp(m1), _lp(m3))
    # another network, or other arguments: built anew
    _n, other = network_and_model(_net(seoul_lng_mw=1999.0), include_objective_constant=False)
    assert len(_modelcache._kept) == 2
    lp, lp_other = _lp(m1), _lp(other)  # the LNG plant's limit is a row's right-hand side
    assert lp["A"].shape == lp_other["A"].shape and not np.array_equal(lp["b"], lp_other["b"])
    n = _net()
    _n, part = network_and_model(n, snapshots=list(n.snapshots[:12]),
                                 include_objective_constant=False)
    assert len(_modelcache._kept) == 3 and part.nvars < m1.nvars


def test_off_with_the_cache_dir_and_bounded(monkeypatch):
    monkeypatch.setenv("AIFAB_CACHE_DIR", "off")
    network_and_model(_net(), include_objective_constant=False)
    assert not _modelcache._kept
    monkeypatch.setenv("AIFAB_CACHE_DIR", "x")
    monkeypatch.setattr(_modelcache, "KEEP", 1)
    for mw in (2000.0, 2001.0):
        network_and_model(_net(seoul_lng_mw=mw), include_objective_constant=False)
    assert list(_modelcache._kept) == [_modelcache._key(_net(seoul_lng_mw=2001.0), {
        "include_objective_constant": False})]  # the newest
    _modelcache.clear()
    # the toy's model: 240 variables, about 230 kB pickled with its network; over the bound
    # it is dropped after pickling (100 kB) or, by its variables, not pickled (1 byte)
    dumps, pickled = pickle.dumps, []

    def counted(obj, *a, **k):
        pickled.append(type(obj))
        return dumps(obj, *a, **k)

    monkeypatch.setattr(pickle, "dumps", counted)
    for bound, times in ((100_000, 2), (1, 1)):  # the key's pickle, and the model's or not
        monkeypatch.setattr(_modelcache, "MAX_BYTES", bound)
        pickled.clear()
        network_and_model(_net(), include_objective_constant=False)
        assert not _modelcache._kept and len(pickled) == times


def test_a_siting_run_from_a_kept_model_is_the_same_run():
    p = toy_problem(100.0)
    first = solve_siting(p, toy_data(), calibrate_base=False)
    assert len(_modelcache._kept) == 1
    again = solve_siting(p, toy_data(), calibrate_base=False)
    assert len(_modelcache._kept) == 1
    a, b = first.to_dict(), again.to_dict()
    for d in (a, b):
        d.pop("build_s", None)
        d.pop("solve_s", None)
        d.get("dispatch", {}).pop("solve_s", None)
    assert a == b
    assert replace(first, solve_s=0.0, build_s=0.0).objective_krw == again.objective_krw
