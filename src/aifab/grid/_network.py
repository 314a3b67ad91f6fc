"""Build the zonal PyPSA network of Korea for a run of years over representative hours.

Snapshots are flat integers: year ``years[i]`` owns snapshots ``i*H .. (i+1)*H - 1`` where
H is the number of modelled hours per year. Snapshot weights (hours each modelled hour
stands for) make the operating cost of each modelled year an annual cost.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from aifab.grid._data import GridData, fnum
from aifab.grid._profiles import TimeSlices, representative_days, season_masks

SHED_COST_KRW_PER_MWH = 1.0e7
"""Cost of shedding ordinary (non-AI) demand: a value of lost load, well above any penalty
for unpowered GPUs, so that the model never cuts existing customers to feed GPUs."""

STORAGE_MAX_HOURS = 6.0
STORAGE_ROUND_TRIP = 0.75


@dataclass(frozen=True)
class GridNetwork:
    """A built network with its time structure (which snapshot is which year and day)."""

    network: Any  # pypsa.Network
    years: tuple[int, ...]
    slices: TimeSlices
    snapshot_year: np.ndarray  # year of each snapshot
    snapshot_day: np.ndarray  # position (0..n_days-1) of each snapshot's day within a year
    bus_region: dict[str, str] = field(default_factory=dict)  # network bus -> region
    level: str = "zonal"  # "zonal" (one bus per region) or "full" (one bus per substation)
    site_sink: dict[str, str] = field(default_factory=dict)  # site -> its AI sink generator

    @property
    def hours_per_year(self) -> int:
        """Modelled hours in each year."""
        return self.slices.hours


def quiet_pypsa() -> None:
    """Silence PyPSA/linopy info logs and pandas string-dtype warnings."""
    import pypsa

    with contextlib.suppress(AttributeError):  # older PyPSA
        pypsa.options.api.legacy_string_dtype = True
    for name in ("pypsa", "linopy", "highspy"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=FutureWarning, module="pypsa")


def time_slices(data: GridData, hours: int | None, seed: int = 0) -> TimeSlices:
    """Representative days for ``hours`` modelled hours per year (default 4 days): the
    peak-demand day and the tightest day of each season that binds (``near_peak_days``)
    kept, k-medoids within each availability season (the carriers' ``peak_months`` and
    the months in none) for the rest, so no modelled day takes a mean of two seasons'
    coal and nuclear availability; ``hours`` must be whole days (a multiple of 24)."""
    if hours is not None and (hours < 24 or hours % 24):
        from aifab.errors import BadInput

        raise BadInput(f"hours must be a multiple of 24 (whole representative days), not "
                       f"{hours}", where="siting.hours")
    n_days = 4 if hours is None else hours // 24
    peak = int(np.argmax(data.profiles["demand"].to_numpy().reshape(-1, 24).max(axis=1)))
    ranges = [(m0, m1) for c in data.carriers.index
              for m0, m1, _ in carrier_seasons(data.carriers, str(c)) or []]
    return representative_days(data.profiles, n_days, seed=seed, seasons=season_masks(ranges),
                               keep=[peak, *near_peak_days(data)])


BIND_SHARE = 0.9  # a season binds if its tightest hour is within 10 % of the year's


def near_peak_days(data: GridData) -> list[int]:
    """The tightest day of each availability season that binds, tightest first.

    Seasons are the month ranges of the carriers' ``peak_months`` and the months in none.
    A day's tightness is its largest hourly ratio of national demand less solar and wind
    to the plant capacity available that day (each carrier's calendar-day availability,
    storage at full power; every plant in the tables, whatever its years). A season binds
    if its tightest day is within ``BIND_SHARE`` of the year's tightest. With no seasons
    this is the peak-demand day alone (unless solar and wind move the tightest hour)."""
    from aifab.errors import BadInput
    from aifab.grid._budget import budget_carrier_cap
    from aifab.grid._profiles import DAYS, calendar_availability

    prof, car, gens = data.profiles, data.carriers, data.generators
    cap = gens.groupby("carrier")["p_nom_mw"].sum()
    demand = float(sum(fnum(v) for v in data.regions["demand_twh"])) * 1e6 / 8760
    net = demand * prof["demand"].to_numpy(float)
    firm = np.zeros(DAYS)
    ranges: list[tuple[int, int]] = []
    for c, mw in cap.items():
        avail = str(car.at[c, "availability"]) if c in car.index else "0"
        if avail == "profile":
            net = net - float(mw) * prof[str(c)].to_numpy(float)
            continue
        if avail == "storage":
            firm += float(mw)
            continue
        seasons = carrier_seasons(car, str(c))
        if seasons is None:
            firm += float(mw) * float(avail)
            continue
        try:  # a daily energy budget may run up to its hourly ceiling (grid._budget)
            firm += float(mw) * np.maximum(calendar_availability(float(avail), seasons),
                                           budget_carrier_cap(car, str(c)) or 0.0)
        except ValueError as exc:
            raise BadInput(f"carrier '{c}': {exc}",
                           where="carriers.csv, column peak_months") from None
        ranges += [(m0, m1) for m0, m1, _ in seasons]
    tight = (net.reshape(DAYS, 24) / np.maximum(firm, 1.0)[:, None]).max(axis=1)
    best = [int(np.flatnonzero(m)[np.argmax(tight[m])]) for m in season_masks(ranges) if m.any()]
    best = sorted(set(best), key=lambda d: -tight[d])
    return [d for d in best if tight[d] >= BIND_SHARE * tight[best[0]]]


def build_network(
    data: GridData,
    years: Sequence[int],
    *,
    hours: int | None = None,
    slices: TimeSlices | None = None,
    demand_growth_per_year: float = 0.01,
    carbon_price_krw_per_t: float = 0.0,
    ai_regions: Sequence[str] = (),
    ai_loads_mw: Mapping[tuple[str, int], float] | None = None,
    built_expansions: Mapping[str, int] | None = None,
    candidate_expansions: bool = False,
    committed_delay_years: int = 0,
) -> GridNetwork:
    """Return the PyPSA network of regions, generators, storage and corridors.

    ``ai_regions`` get a sink generator ("ai <region>", dispatch in [-p_nom, 0]) whose
    draw the siting model ties to placed campuses. ``ai_loads_mw`` instead adds fixed AI
    loads ((region, year) -> MW) as plain PyPSA loads, for dispatch-only runs.
    ``built_expansions`` (name -> year built) switches planned corridors on from that
    year; ``candidate_expansions`` makes every planned corridor available from its
    earliest year (the siting model adds the build decision and its cost). A fixed
    corridor with ``from_year`` (a committed project) is in service from that year plus
    ``committed_delay_years``; one with ``x_pu`` (series reactance, p.u. on 100 MVA) is a
    PyPSA Line (linear power flow, KVL) instead of a transport Link. A carrier's
    ``must_run_pu`` is its plants' minimum output (``p_min_pu``).
    """
    import pypsa

    quiet_pypsa()
    years = tuple(int(y) for y in years)
    ts = slices if slices is not None else time_slices(data, hours)
    hidx = ts.hour_index()
    H = len(hidx)
    snap = pd.Index(np.arange(H * len(years)), name="snapshot")
    snap_year = np.repeat(np.asarray(years), H)
    snap_day = np.tile(np.repeat(np.arange(len(ts.days)), 24), len(years))
    prof = ts.profile_rows(data.profiles)
    tile = np.tile

    n = pypsa.Network()
    n.set_snapshots(list(snap))
    w = tile(ts.hour_weights(), len(years))
    n.snapshot_weightings.loc[:, "objective"] = w
    n.snapshot_weightings.loc[:, "generators"] = w
    n.snapshot_weightings.loc[:, "stores"] = 1.0

    # components are added in batches (one ``n.add`` per kind: per-row adds made this
    # build take most of the clustered network's build time); order as listed
    carriers = data.carriers
    cnames = [*carriers.index, "shed", "ai", "corridor", "AC"]
    n.add("Carrier", cnames, co2_emissions=[
        fnum(carriers.at[c, "co2_t_per_mwh"]) if c in carriers.index else 0.0 for c in cnames])

    regions = data.regions
    peak = float(prof["demand"].max())
    rnames = [str(r) for r in regions.index]
    n.add("Bus", rnames, x=regions["lon"].to_numpy(float), y=regions["lat"].to_numpy(float),
          carrier="AC")
    p_set: dict[str, pd.Series] = {}
    shed_nom: list[float] = []
    for r, row in regions.iterrows():
        mean_mw = fnum(row["demand_twh"]) * 1e6 / 8760
        growth = (1 + demand_growth_per_year) ** (snap_year - int(row["demand_year"]))
        p_set[f"load {r}"] = pd.Series(
            mean_mw * tile(prof["demand"].to_numpy(), len(years)) * growth, index=snap)
        shed_nom.append(mean_mw * peak * 2 * float(growth.max()) + 1e4)
    n.add("Load", list(p_set), bus=rnames, p_set=pd.DataFrame(p_set))
    n.add("Generator", [f"shed {r}" for r in rnames], bus=rnames, carrier="shed",
          p_nom=shed_nom, marginal_cost=SHED_COST_KRW_PER_MWH)

    gen: dict[str, list[Any]] = {k: [] for k in ("name", "bus", "carrier", "p_nom", "mc")}
    pmax_d: dict[str, pd.Series] = {}
    pmin_d: dict[str, pd.Series] = {}
    for _, g in data.generators.iterrows():
        c = str(g["carrier"])
        avail = str(carriers.at[c, "availability"])
        active = np.ones(len(snap))
        if g.get("from_year") is not None and not pd.isna(g.get("from_year")):
            active *= snap_year >= int(g["from_year"])
        if g.get("to_year") is not None and not pd.isna(g.get("to_year")):
            active *= snap_year <= int(g["to_year"])
        if avail == "storage":
            ru = np.sqrt(STORAGE_ROUND_TRIP)
            n.add("StorageUnit", str(g["name"]), bus=g["region"], carrier=c,
                  p_nom=fnum(g["p_nom_mw"]), max_hours=STORAGE_MAX_HOURS,
                  efficiency_store=ru, efficiency_dispatch=ru, cyclic_state_of_charge=True,
                  marginal_cost=fnum(carriers.at[c, "marginal_cost_krw_per_mwh"]))
            continue
        base = tile(prof[c].to_numpy(), len(years)) if avail == "profile" else float(avail)
        season: Any = (carriers.at[c, "peak_months"] if "peak_months" in carriers.columns
                       else None)
        if avail != "profile" and season is not None and not pd.isna(season):
            base = _seasonal(carriers, c, str(season), float(avail), ts, len(years))
        mc = (fnum(carriers.at[c, "marginal_cost_krw_per_mwh"])
              + carbon_price_krw_per_t * fnum(carriers.at[c, "co2_t_per_mwh"]))
        must_v: Any = (carriers.at[c, "must_run_pu"] if "must_run_pu" in carriers.columns
                       else None)
        must = 0.0 if must_v is None or pd.isna(must_v) else fnum(must_v)
        name = str(g["name"])
        for key, v in (("name", name), ("bus", g["region"]), ("carrier", c),
                       ("p_nom", fnum(g["p_nom_mw"])), ("mc", mc)):
            gen[key].append(v)
        pmax_d[name] = pd.Series(base * active, index=snap)
        pmin_d[name] = pd.Series(np.minimum(must, base) * active, index=snap)
    if gen["name"]:
        n.add("Generator", gen["name"], bus=gen["bus"], carrier=gen["carrier"],
              p_nom=gen["p_nom"], marginal_cost=gen["mc"], p_max_pu=pd.DataFrame(pmax_d),
              p_min_pu=pd.DataFrame(pmin_d))

    built = dict(built_expansions or {})
    link: dict[str, list[Any]] = {k: [] for k in ("name", "bus0", "bus1", "p_nom", "length")}
    lon_d: dict[str, pd.Series] = {}
    for _, k in data.corridors.iterrows():
        name = str(k["name"])
        on = np.ones(len(snap))
        start = k.get("from_year")
        if start is not None and not pd.isna(start) and not bool(k["expandable"]):
            on = (snap_year >= int(start) + committed_delay_years).astype(float)
        xpu = k.get("x_pu")
        if xpu is not None and not pd.isna(xpu) and not bool(k["expandable"]):
            n.add("Line", name, bus0=k["bus0"], bus1=k["bus1"], carrier="AC", x=fnum(xpu),
                  s_nom=fnum(k["p_nom_mw"]), length=fnum(k["length_km"]))
            continue
        if bool(k["expandable"]):
            if name in built:
                on = (snap_year >= built[name]).astype(float)
            elif candidate_expansions:
                on = (snap_year >= int(k["earliest_year"])).astype(float)
            else:
                on = np.zeros(len(snap))
        for f, v in (("name", name), ("bus0", k["bus0"]), ("bus1", k["bus1"]),
                     ("p_nom", fnum(k["p_nom_mw"])), ("length", fnum(k["length_km"]))):
            link[f].append(v)
        lon_d[name] = pd.Series(on, index=snap)
    if link["name"]:
        n.add("Link", link["name"], bus0=link["bus0"], bus1=link["bus1"], carrier="corridor",
              p_nom=link["p_nom"], efficiency=1.0, p_max_pu=pd.DataFrame(lon_d),
              p_min_pu=-pd.DataFrame(lon_d), length=link["length"])

    big = 0.0
    if len(data.sites):
        big = float(data.sites[[c for c in data.sites.columns if c.startswith("mw_")]]
                    .to_numpy().max()) * len(data.sites) + 1.0
    if ai_regions:
        n.add("Generator", [f"ai {r}" for r in ai_regions], bus=list(ai_regions), carrier="ai",
              p_nom=big, p_max_pu=0.0, p_min_pu=-1.0, marginal_cost=0.0)
    if ai_loads_mw:
        for r in sorted({r for r, _ in ai_loads_mw}):
            mw = np.array([ai_loads_mw.get((r, int(y)), 0.0) for y in snap_year])
            n.add("Load", f"ai {r}", bus=r, p_set=pd.Series(mw, index=snap))
    return GridNetwork(network=n, years=years, slices=ts, snapshot_year=snap_year,
                       snapshot_day=snap_day, bus_region={str(r): str(r) for r in regions.index})


def carrier_seasons(carriers: pd.DataFrame, c: str) -> list[tuple[int, int, float]] | None:
    """Carrier ``c``'s seasons from ``peak_months`` and ``peak_availability`` (None if it has
    none); bad values exit 2 naming the column."""
    from aifab.errors import BadInput
    from aifab.grid._profiles import parse_seasons

    months: Any = carriers.at[c, "peak_months"] if "peak_months" in carriers.columns else None
    if months is None or pd.isna(months):
        return None
    peak: Any = (carriers.at[c, "peak_availability"] if "peak_availability" in carriers.columns
                 else None)
    if peak is None or pd.isna(peak):
        raise BadInput(f"carrier '{c}' has peak_months but no peak_availability",
                       where="carriers.csv, column peak_availability")
    try:
        return parse_seasons(str(months), str(peak))
    except ValueError as exc:
        raise BadInput(f"carrier '{c}': {exc}", where="carriers.csv, column peak_months") from None


def _seasonal(carriers: pd.DataFrame, c: str, months: str, annual: float,
              ts: TimeSlices, n_years: int) -> np.ndarray:
    """A carrier's hourly availability with seasons (``peak_months`` and
    ``peak_availability`` in carriers.csv; the other months keep the annual mean)."""
    from aifab.errors import BadInput
    from aifab.grid._profiles import seasonal_availability

    carrier_seasons(carriers, c)  # bad values exit 2 naming their column
    peak = str(carriers.at[c, "peak_availability"])
    try:
        return np.tile(seasonal_availability(annual, peak, months, ts), n_years)
    except ValueError as exc:
        raise BadInput(f"carrier '{c}': {exc}", where="carriers.csv, column peak_months") from None


def interface_sides(gn: GridNetwork, itf: Any) -> tuple[set[str], set[str]]:
    """The network buses on each side of an interface (a row of ``interfaces.csv``).

    By default the sides are the buses of ``from_regions`` and ``to_regions``. On the
    clustered network an interface with ``from_plants`` is the export of the pocket those
    plants sit in: the from side is the clusters holding them, the to side every other bus
    (the zonal and full networks cannot tell the pocket from its province, so they keep the
    regions, or, for an interface marked ``pocket_only``, leave it out: empty sides)."""
    n: Any = gn.network
    a = {x.strip() for x in str(itf["from_regions"]).split(";")}
    b = {x.strip() for x in str(itf["to_regions"]).split(";")}
    plants = itf.get("from_plants")
    if gn.level == "clustered" and plants is not None and not pd.isna(plants):
        names = {x.strip() for x in str(plants).split(";")}
        g = n.generators
        base = g.index.str.rsplit(" @", n=1).str[0]
        pocket = {str(x) for x in g.loc[base.isin(names), "bus"]}
        if pocket:
            return pocket, {str(x) for x in n.buses.index} - pocket
    if str(itf.get("pocket_only")).lower() == "true":
        return set(), set()
    buses = pd.Series(gn.bus_region) if gn.bus_region else pd.Series(
        {str(x): str(x) for x in n.buses.index})
    return set(buses.index[buses.isin(a)]), set(buses.index[buses.isin(b)])


def hvdc_names(data: GridData) -> set[str]:
    """Names of the HVDC links (``kind`` hvdc): converters with their own rating, which an
    interface's reported AC transfer limit does not include (a new HVDC out of the east
    coast adds to the 11 GW, as it is built to)."""
    c = data.corridors
    if c is None or c.empty or "kind" not in c.columns:
        return set()
    return {str(x) for x in c.loc[c["kind"].astype(str) == "hvdc", "name"]}


def interface_flow(n: Any, flows: pd.DataFrame, sides: tuple[set[str], set[str]],
                   skip: set[str] | None = None) -> pd.Series:
    """Hourly net flow (MW) from side a to side b over every line and link but ``skip``
    (solved flows, ``snapshot x name`` as from ``corridor_flows``)."""
    a, b = sides
    skip = skip or set()
    total = pd.Series(0.0, index=flows.index)
    for comp in ("links", "lines"):
        df = getattr(n, comp)
        df = df[~df.index.isin(list(skip))] if comp == "links" else df
        out = [x for x in df.index[df["bus0"].isin(a) & df["bus1"].isin(b)] if x in flows]
        inn = [x for x in df.index[df["bus0"].isin(b) & df["bus1"].isin(a)] if x in flows]
        total = total + flows[out].sum(axis=1) - flows[inn].sum(axis=1)
    return total


def add_interfaces(m: Any, gn: GridNetwork, data: GridData) -> None:
    """Limit the flow from each interface's from side to its to side (``interface_sides``;
    sum over every AC line and link crossing between the two, each hour, HVDC links left
    out: ``hvdc_names``) to ``limit_mw``."""
    if data.interfaces is None or data.interfaces.empty:
        return
    n: Any = gn.network
    skip = hvdc_names(data)
    for _, itf in data.interfaces.iterrows():
        a, b = interface_sides(gn, itf)
        terms = []
        for comp, var in (("links", "Link-p"), ("lines", "Line-s")):
            df = getattr(n, comp)
            df = df[~df.index.isin(list(skip))] if comp == "links" else df
            if df.empty or var not in m.variables:
                continue
            out = df.index[df["bus0"].isin(a) & df["bus1"].isin(b)]
            inn = df.index[df["bus0"].isin(b) & df["bus1"].isin(a)]
            p = m.variables[var]
            if len(out):
                terms.append(p.sel(name=list(out)).sum("name"))
            if len(inn):
                terms.append(-1 * p.sel(name=list(inn)).sum("name"))
        if not terms:
            continue
        expr = terms[0]
        for t in terms[1:]:
            expr = expr + t
        m.add_constraints(expr <= fnum(itf["limit_mw"]), name=f"Interface-{itf['name']}")
