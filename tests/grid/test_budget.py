"""Daily energy budgets (issue 20, item 5): a carrier's availability below its
``budget_max_pu`` is an energy limit per day, not an hourly derate, so the plant can meet a
short evening peak from the same day's energy. Hand-solvable one-bus and toy networks."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from aifab.grid._budget import NAME, add_energy_budgets
from aifab.grid._network import build_network
from aifab.grid._profiles import TimeSlices
from aifab.grid._solver import solve_highs
from aifab.grid._stage2 import WarmLP

from .conftest import toy_data

# each test builds and solves two or three tiny LPs (about 0.5 s each)
pytestmark = pytest.mark.slow


def _carriers(cap: float | None) -> pd.DataFrame:
    return pd.DataFrame([{"carrier": "coal", "budget_max_pu": cap}]).set_index("carrier")


def _one_bus(load: np.ndarray, cap: float | None) -> tuple[float, float]:
    """Coal 100 MW at availability 0.3 and shedding at 10,000 per MWh on one bus; returns
    (shed MWh, coal MWh)."""
    import pypsa

    n = pypsa.Network()
    n.set_snapshots(list(range(len(load))))
    n.add("Bus", "b")
    n.add("Carrier", ["coal", "shed"])
    n.add("Load", "l", bus="b", p_set=pd.Series(load, index=n.snapshots))
    n.add("Generator", "coal", bus="b", carrier="coal", p_nom=100.0, marginal_cost=1.0,
          p_max_pu=pd.Series(0.3, index=n.snapshots))
    n.add("Generator", "shed", bus="b", carrier="shed", p_nom=1e3, marginal_cost=1e4)
    m = n.optimize.create_model()
    data: Any = SimpleNamespace(carriers=_carriers(cap))
    add_energy_budgets(m, SimpleNamespace(network=n), data)
    assert (NAME in m.constraints) == (cap is not None)
    assert solve_highs(m).has_solution
    p = m.variables["Generator-p"].solution.to_pandas()
    return float(p["shed"].sum()), float(p["coal"].sum())


def test_a_budget_meets_a_short_peak_from_the_days_energy() -> None:
    # day 0: 20 MW all day but 60 MW at 18:00 (520 MWh, under the 0.3 x 24 x 100 = 720
    # budget); day 1: 40 MW flat (960 MWh, over it by 240)
    day0 = np.where(np.arange(24) == 18, 60.0, 20.0)
    load = np.concatenate([day0, np.full(24, 40.0)])
    shed, coal = _one_bus(load, None)  # hourly derate: 30 MW every hour
    assert shed == pytest.approx(30.0 + 10.0 * 24)
    shed, coal = _one_bus(load, 0.6)  # budget, up to 60 MW an hour
    assert shed == pytest.approx(240.0)  # only the energy day 1 lacks
    assert coal == pytest.approx(520.0 + 720.0)
    shed, _ = _one_bus(load, 0.5)  # the ceiling binds at the peak: 10 MW short
    assert shed == pytest.approx(10.0 + 240.0)


def test_a_ceiling_below_the_availability_changes_nothing() -> None:
    load = np.where(np.arange(24) == 18, 60.0, 20.0)
    assert _one_bus(load, 0.2) == pytest.approx(_one_bus(load, None))


def _toy_days() -> tuple[TimeSlices, Any]:
    data = toy_data(seoul_lng_mw=320.0)
    car = data.carriers.copy()
    car["peak_months"] = [None, "6-9", None]
    car["peak_availability"] = [None, "0.9", None]
    car["budget_max_pu"] = [None, 0.8, None]
    car.loc["coal", "availability"] = "0.5"
    data = replace(data, carriers=car)
    # 10 Apr (off season: availability below 0.8, a budget) and 19 Jul (0.9: hourly)
    ts = TimeSlices(days=(99, 199), weights=(1.0, 1.0), method="hand",
                    members=((99,), (199,)))
    return ts, data


def test_the_warm_rolling_horizon_updates_each_days_budget() -> None:
    # Seoul 1,000 MW flat: nuclear 600 over G-S, LNG 320, so 80 MW short before coal,
    # which reaches Seoul over J-S (50 MW). Each block's warm re-solve must equal a fresh
    # LP of that block, the budget rows included.
    ts, data = _toy_days()
    gn = build_network(data, [2030], slices=ts)
    first, second = np.arange(24), np.arange(24, 48)
    warm = WarmLP(gn, data, second)
    summer = warm.objective
    assert warm.budget.on
    warm.set_block(first)
    st, _ = warm.solve()
    assert st == "optimal"
    fresh = WarmLP(gn, data, first)
    assert warm.objective == pytest.approx(fresh.objective, rel=1e-9)
    assert warm.objective > summer  # spring's coal energy runs out: load is shed
    shed = warm.sol("Generator-p")
    assert shed is not None
    spring_coal = float(shed["coal"].sum())
    # the spring day's budget, by hand: the off-season availability x 24 h x 100 MW
    off = (0.5 * 365 - 0.9 * 122) / 243
    assert spring_coal == pytest.approx(min(off * 24 * 100, 50 * 24), rel=1e-9)
