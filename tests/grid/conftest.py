"""Shared fixtures for the grid tests: a hand-solvable 3-region toy."""

from __future__ import annotations

import pandas as pd
import pytest

from aifab.grid import GridData, OwnerPrefs, SitingProblem
from aifab.scenario._siting import OwnerSiting, SitingOptions


def toy_data(*, gangwon_site_mw: float = 80.0, seoul_lng_mw: float = 2000.0,
             jeonnam_site_mw: float = 40.0, seoul_site_mw: float = 200.0) -> GridData:
    """Seoul (1,000 MW load, LNG 100k KRW/MWh), Gangwon (nuclear 1,000 MW, 10k), Jeonnam
    (coal 100 MW, 50k); corridors Gangwon-Seoul 600 MW, Jeonnam-Seoul 50 MW. Flat hours."""
    regions = pd.DataFrame([
        {"region": "Seoul", "lat": 37.56, "lon": 126.98, "demand_twh": 8.76,
         "demand_year": 2030, "new_load_headroom_mw": 1000.0, "source": "toy"},
        {"region": "Gangwon", "lat": 37.7, "lon": 128.3, "demand_twh": 0.0,
         "demand_year": 2030, "new_load_headroom_mw": 1000.0, "source": "toy"},
        {"region": "Jeonnam", "lat": 34.86, "lon": 126.99, "demand_twh": 0.0,
         "demand_year": 2030, "new_load_headroom_mw": 1000.0, "source": "toy"},
    ]).set_index("region", drop=False)
    carriers = pd.DataFrame([
        {"carrier": "nuclear", "marginal_cost_krw_per_mwh": 10000.0, "co2_t_per_mwh": 0.0,
         "availability": "1.0", "source": "toy"},
        {"carrier": "coal", "marginal_cost_krw_per_mwh": 50000.0, "co2_t_per_mwh": 0.8,
         "availability": "1.0", "source": "toy"},
        {"carrier": "lng", "marginal_cost_krw_per_mwh": 100000.0, "co2_t_per_mwh": 0.4,
         "availability": "1.0", "source": "toy"},
    ]).set_index("carrier", drop=False)
    gens = pd.DataFrame([
        {"region": "Gangwon", "carrier": "nuclear", "name": "nuc", "p_nom_mw": 1000.0,
         "from_year": None, "to_year": None, "source": "toy"},
        {"region": "Jeonnam", "carrier": "coal", "name": "coal", "p_nom_mw": 100.0,
         "from_year": None, "to_year": None, "source": "toy"},
        {"region": "Seoul", "carrier": "lng", "name": "lng", "p_nom_mw": seoul_lng_mw,
         "from_year": None, "to_year": None, "source": "toy"},
    ])
    corridors = pd.DataFrame([
        {"name": "G-S", "bus0": "Gangwon", "bus1": "Seoul", "p_nom_mw": 600.0,
         "length_km": 150.0, "expandable": False, "capital_cost_krw": None,
         "earliest_year": None, "source": "toy"},
        {"name": "J-S", "bus0": "Jeonnam", "bus1": "Seoul", "p_nom_mw": 50.0,
         "length_km": 300.0, "expandable": False, "capital_cost_krw": None,
         "earliest_year": None, "source": "toy"},
    ])
    sites = pd.DataFrame([
        {"site": "S-Seoul", "region": "Seoul", "lat": 37.5, "lon": 127.0, "mw_2030": seoul_site_mw,
         "build_cost_krw_per_mw": 1e6, "pue": 1.0, "de_zone": False,
         "headroom_mw": seoul_site_mw, "source": "toy"},
        {"site": "S-Gangwon", "region": "Gangwon", "lat": 37.4, "lon": 129.0,
         "mw_2030": gangwon_site_mw, "build_cost_krw_per_mw": 1e6, "pue": 1.0,
         "de_zone": False, "headroom_mw": gangwon_site_mw, "source": "toy"},
        {"site": "S-Jeonnam", "region": "Jeonnam", "lat": 34.6, "lon": 126.5,
         "mw_2030": jeonnam_site_mw, "build_cost_krw_per_mw": 1e6, "pue": 1.25,
         "de_zone": True, "headroom_mw": jeonnam_site_mw, "source": "toy"},
    ]).set_index("site", drop=False)
    profiles = pd.DataFrame({"demand": [1.0] * 8760, "solar": [0.0] * 8760,
                             "wind": [0.0] * 8760})
    return GridData(regions=regions, carriers=carriers, generators=gens, corridors=corridors,
                    sites=sites, profiles=profiles, files={"toy": "tests/grid/conftest.py"})


def toy_problem(it_mw: float, **siting: object) -> SitingProblem:
    """One owner needing ``it_mw`` IT MW (1,000 GPUs per MW) in 2030; exact-gap options."""
    demand = pd.DataFrame([{"owner": "X", "year": 2030, "accelerators": it_mw * 1000,
                            "it_mw": it_mw}])
    opts = SitingOptions(hours=24, mip_rel_gap=1e-9, discount_rate=0.0, site_lifetime_years=1,
                         demand_growth_per_year=0.0, allow_expansions=False)
    return SitingProblem(demand=demand,
                         owners=(OwnerPrefs("X", "Seoul", OwnerSiting(**siting)),),  # type: ignore[arg-type]
                         options=opts, load_factor=1.0)


@pytest.fixture
def toy() -> GridData:
    return toy_data()

