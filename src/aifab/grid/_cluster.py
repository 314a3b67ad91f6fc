"""The clustered network (the default, ``--network clustered``): OSM substations grouped into
40-120 buses, lines aggregated with their reactance (linear power flow: KVL holds).

- Busmap: the substations of the 765/345 kV backbone (the same set ``--network full``
  keeps) are grouped by k-means on their coordinates within each province, so every
  cluster lies in one province and province data (demand, headroom, plants) still apply.
  Clusters are shared out by substation count, with at least ``MIN_CLUSTERS`` where the
  east-coast bottleneck needs them (Uljin vs Gyeongju, the Gangwon coast vs inland). A
  user's ``busmap.csv`` (``substation,cluster``) in the data directory replaces it.
- Lines: PyPSA's ``get_clustering_from_busmap`` aggregates the parallel lines between two
  clusters (reactance per km in parallel, times the distance between the clusters; thermal
  ratings summed; circuits summed in ``num_parallel``) and drops lines inside a cluster.
- N-1: each aggregated line keeps ``n1_share(circuits)`` of its summed rating as
  ``s_max_pu`` (see there); the flows reported are the solved ones (no re-routing).
- Demand is spread over a province's substations equally (as in ``--network full``);
  a plant with coordinates in ``generators.csv`` sits at the cluster of its nearest
  backbone substation in its province, other plants are spread over the province's
  345/765 kV substations. HVDC links connect the clusters nearest their terminals
  (``lat0/lon0``, ``lat1/lon1`` in ``hvdc.csv``; else each province's main substation).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aifab._io import read_text_file
from aifab.errors import BadInput
from aifab.grid._data import GridData, fnum
from aifab.grid._full import AI_SINK_MW, backbone, physical_link
from aifab.grid._network import GridNetwork, build_network

N_CLUSTERS = 40
MIN_CLUSTERS = {"Gyeongbuk": 3, "Gangwon": 2}
S_MAX_CAP = 0.7
"""Most of an aggregated line's summed rating used in operation (PyPSA-Eur's usual
``s_max_pu``): margin for reactive power and the flows inside a cluster the model drops."""


def n1_share(circuits: float) -> float:
    """``s_max_pu`` of a corridor of ``circuits`` circuits (assumption, stated in
    docs/grid.md): after the loss of one circuit the other C-1 carry its flow, so at most
    (C-1)/C of the summed rating is usable, capped at ``S_MAX_CAP``. A corridor of one
    circuit keeps 0.5: OSM lines with 1-2 cables are untagged double-circuit lines
    (``circuits_from_cables``), for which the loss of one circuit leaves half."""
    c = round(float(circuits))
    if c <= 1:
        return 0.5
    return min(S_MAX_CAP, (c - 1) / c)


def kmeans(xy: np.ndarray, k: int, iters: int = 100) -> np.ndarray:
    """Deterministic k-means (Lloyd) labels of the rows of ``xy``; farthest-point start."""
    k = max(1, min(k, len(xy)))
    centre = xy[int(np.argmin(((xy - xy.mean(axis=0)) ** 2).sum(axis=1)))]
    c = [centre]
    for _ in range(1, k):
        d = np.min([((xy - ci) ** 2).sum(axis=1) for ci in c], axis=0)
        c.append(xy[int(np.argmax(d))])
    cen = np.array(c)
    lab = np.zeros(len(xy), dtype=int)
    for _ in range(iters):
        lab = np.argmin(((xy[:, None, :] - cen[None]) ** 2).sum(axis=2), axis=1)
        new = np.array([xy[lab == j].mean(axis=0) if (lab == j).any() else cen[j]
                        for j in range(k)])
        if np.allclose(new, cen):
            break
        cen = new
    return lab


def cluster_counts(counts: dict[str, int], n_clusters: int) -> dict[str, int]:
    """Clusters per province: one each, ``MIN_CLUSTERS`` where set, the rest by largest
    remainder in proportion to substation counts (never more than a province's
    substations)."""
    out = {r: min(c, max(1, MIN_CLUSTERS.get(r, 1))) for r, c in counts.items()}
    left = n_clusters - sum(out.values())
    total = sum(counts.values())
    while left > 0:
        room = {r: counts[r] * n_clusters / total - out[r] for r in counts if out[r] < counts[r]}
        if not room:
            break
        r = max(sorted(room), key=lambda x: room[x])
        out[r] += 1
        left -= 1
    return out


def make_busmap(subs: pd.DataFrame, kept: Sequence[int], n_clusters: int) -> pd.Series:
    """Substation id -> cluster name (``Province`` or ``Province k``, k = 1 northmost)."""
    here = subs.loc[list(kept)]
    counts = {str(r): len(g) for r, g in here.groupby("region")}
    k_of = cluster_counts(counts, n_clusters)
    out: dict[int, str] = {}
    for r, g in here.groupby("region"):
        lat = g["lat"].to_numpy(float)
        xy = np.column_stack([g["lon"].to_numpy(float) * np.cos(np.radians(lat.mean())), lat])
        lab = kmeans(xy, k_of[str(r)])
        order = sorted(set(lab), key=lambda j: -lat[lab == j].mean())
        for s, j in zip(g.index, lab, strict=True):
            out[int(s)] = str(r) if len(order) == 1 else f"{r} {order.index(j) + 1}"
    return pd.Series(out, name="cluster")


def read_busmap(path: Path) -> pd.Series:
    """A user's busmap (CSV: substation, cluster)."""
    import io

    text = read_text_file(path, "busmap")
    try:
        df = pd.read_csv(io.StringIO(text), dtype={"cluster": str})
    except (ValueError, pd.errors.ParserError) as exc:
        raise BadInput(f"cannot parse CSV ({exc})", source=str(path)) from None
    for col in ("substation", "cluster"):
        if col not in df.columns:
            raise BadInput(f"missing column '{col}'", source=str(path), where="line 1")
    sub = pd.to_numeric(df["substation"], errors="coerce")
    for i, (s, c) in enumerate(zip(sub, df["cluster"], strict=True)):
        if pd.isna(s):
            raise BadInput(f"'{df.at[i, 'substation']!s}' is not a substation id",
                           source=str(path), where=f"line {i + 2}, column substation")
        if pd.isna(c) or not str(c).strip():
            raise BadInput("empty cluster name", source=str(path),
                           where=f"line {i + 2}, column cluster")
    return pd.Series(df["cluster"].astype(str).str.strip().to_numpy(),
                     index=sub.astype(int).to_numpy(), name="cluster")


def check_busmap(busmap: pd.Series, kept: Sequence[int], subs: pd.DataFrame,
                 source: str = "busmap") -> None:
    """Every backbone substation in exactly one cluster, each cluster in one province."""
    for s in busmap.index:
        if int(s) not in subs.index:
            raise BadInput(f"unknown substation {int(s)}", source=source,
                           where="busmap.substation")
    if busmap.index.duplicated().any():
        s = int(busmap.index[busmap.index.duplicated()][0])
        raise BadInput(f"substation {s} is in two clusters", source=source,
                       where="busmap.substation")
    missing = [int(s) for s in kept if int(s) not in busmap.index]
    if missing:
        raise BadInput(f"substation {missing[0]} is not assigned to a cluster "
                       f"({len(missing)} unassigned)", source=source, where="busmap.cluster")
    reg = subs.loc[list(kept), "region"].groupby(busmap.loc[list(kept)].to_numpy()).nunique()
    if (reg > 1).any():
        raise BadInput(f"cluster '{reg[reg > 1].index[0]}' spans two provinces",
                       source=source, where="busmap.cluster")


def cluster_lines(lines: pd.DataFrame, busmap: pd.Series,
                  subs: pd.DataFrame) -> pd.DataFrame:
    """Lines between clusters (bus0, bus1, x, r, s_nom, num_parallel, length, s_max_pu),
    aggregated by PyPSA's ``get_clustering_from_busmap`` (static data only)."""
    import pypsa
    from pypsa.clustering.spatial import get_clustering_from_busmap

    from aifab.grid._lines import line_x_pu, load_line_types

    types = load_line_types()
    used = sorted(set(busmap.index))
    n = pypsa.Network()
    n.add("Bus", [str(s) for s in used], x=subs.loc[used, "lon"].to_numpy(float),
          y=subs.loc[used, "lat"].to_numpy(float), v_nom=1.0)
    x = np.array([line_x_pu(types[str(k)], float(le), int(c)) for k, le, c in
                  zip(lines["kind"], lines["length_km"], lines["circuits"], strict=True)])
    rx = np.array([types[str(k)].r_ohm_per_km / max(types[str(k)].x_ohm_per_km, 1e-9)
                   for k in lines["kind"]])
    n.add("Line", lines["line_id"].astype(str).tolist(),
          bus0=lines["substation0"].astype(str).tolist(),
          bus1=lines["substation1"].astype(str).tolist(), x=x, r=x * rx,
          s_nom=lines["rating_mw"].to_numpy(float),
          num_parallel=lines["circuits"].to_numpy(float),
          length=lines["length_km"].to_numpy(float))
    bm = pd.Series({str(s): busmap[s] for s in used})
    c = get_clustering_from_busmap(n, bm, with_time=False)  # type: ignore[arg-type]
    out: pd.DataFrame = c.n.lines[["bus0", "bus1", "x", "r", "s_nom", "num_parallel",
                                   "length"]].copy()
    out["s_max_pu"] = [n1_share(v) for v in out["num_parallel"]]
    out.index = [f"{a} - {b}" for a, b in zip(out["bus0"], out["bus1"], strict=True)]
    return out


def _nearest(subs: pd.DataFrame, pool: Sequence[int], lat: float, lon: float) -> int:
    d = ((subs.loc[list(pool), "lat"].to_numpy(float) - lat) ** 2
         + ((subs.loc[list(pool), "lon"].to_numpy(float) - lon)
            * np.cos(np.radians(lat))) ** 2)
    return int(list(pool)[int(np.argmin(d))])


def build_clustered_network(data: GridData, years: Sequence[int], *, hours: int | None = None,
                            n_clusters: int = N_CLUSTERS, busmap: pd.Series | None = None,
                            **zonal_kw: Any) -> GridNetwork:
    """Return the clustered network; same time structure and components as the zonal one
    (``zonal_kw`` go to ``build_network``). Kept in the disk cache (``grid/_netcache.py``),
    keyed by a hash of the data, these arguments and the building code."""
    from aifab.grid._netcache import cached

    out: GridNetwork = cached(
        "clustered", data,
        lambda: _build_clustered(data, years, hours=hours, n_clusters=n_clusters,
                                 busmap=busmap, **zonal_kw),
        years=[int(y) for y in years], hours=hours, n_clusters=n_clusters, busmap=busmap,
        zonal_kw=zonal_kw)
    return out


def _build_clustered(data: GridData, years: Sequence[int], *, hours: int | None,
                     n_clusters: int, busmap: pd.Series | None,
                     **zonal_kw: Any) -> GridNetwork:
    import pypsa

    zonal = build_network(data, years, hours=hours, **zonal_kw)
    z: Any = zonal.network
    subs = data.substations
    kept, al, hubs = backbone(data)
    src = "busmap (given)"
    if busmap is None:
        busmap = make_busmap(subs, kept, n_clusters)
        src = "busmap (k-means)"
    check_busmap(busmap, kept, subs, src)
    bm = busmap.loc[list(kept)]
    lines = cluster_lines(al, bm, subs)
    clusters = sorted(set(bm))
    region_of = {c: str(subs.at[int(bm.index[bm == c][0]), "region"]) for c in clusters}

    n = pypsa.Network()
    n.set_snapshots(list(z.snapshots))
    n.snapshot_weightings = z.snapshot_weightings.copy()
    n.add("Carrier", list(z.carriers.index),
          co2_emissions=z.carriers["co2_emissions"].to_numpy(float))
    xy = subs.loc[list(kept), ["lon", "lat"]].groupby(bm.to_numpy()).mean()
    n.add("Bus", clusters, x=xy.loc[clusters, "lon"].to_numpy(float),
          y=xy.loc[clusters, "lat"].to_numpy(float), carrier="AC")
    n.add("Line", list(lines.index), bus0=lines["bus0"], bus1=lines["bus1"], carrier="AC",
          x=lines["x"], r=lines["r"], s_nom=lines["s_nom"], s_max_pu=lines["s_max_pu"],
          num_parallel=lines["num_parallel"], length=lines["length"])

    by_region: dict[str, list[int]] = {}
    region_col = subs["region"].astype(str)
    for s in kept:
        by_region.setdefault(str(region_col.at[s]), []).append(int(s))
    hv = {int(s) for s in kept if fnum(subs.at[s, "voltage_kv"]) >= 345}

    def shares(region: str, hv_only: bool) -> pd.Series:
        pool = by_region[region]
        if hv_only:
            pool = [s for s in pool if s in hv] or pool
        return bm.loc[pool].value_counts(normalize=True).sort_index()

    def located(region: str, lat: Any, lon: Any) -> str | None:
        if lat is None or lon is None or pd.isna(lat) or pd.isna(lon):
            return None
        return str(bm.loc[_nearest(subs, by_region[region], float(lat), float(lon))])

    _add_links(n, z, data, bm, subs, by_region, hubs)
    lp: dict[str, pd.Series] = {}
    lbus: list[str] = []
    for name, ld in z.loads.iterrows():
        for c, sh in shares(str(ld["bus"]), False).items():
            lp[f"{name} @{c}"] = z.loads_t.p_set[name] * sh
            lbus.append(str(c))
    n.add("Load", list(lp), bus=lbus, p_set=pd.DataFrame(lp))
    where = data.generators.set_index("name")
    g_bus: list[str] = []
    g_attr: dict[str, list[Any]] = {"carrier": [], "p_nom": [], "marginal_cost": []}
    pmax_d: dict[str, pd.Series] = {}
    pmin_d: dict[str, pd.Series] = {}
    tmax, tmin = z.generators_t.p_max_pu, z.generators_t.p_min_pu
    for name, g in z.generators.iterrows():
        r = str(g["bus"])
        row = where.loc[name] if name in where.index else None
        at = (located(r, row.get("lat"), row.get("lon")) if row is not None else None)
        sh = pd.Series({at: 1.0}) if at else shares(r, g["carrier"] != "shed")
        pmax = tmax[name] if name in tmax else pd.Series(fnum(g["p_max_pu"]), index=n.snapshots)
        pmin = tmin[name] if name in tmin else pd.Series(fnum(g["p_min_pu"]), index=n.snapshots)
        for c, f in sh.items():
            key = f"{name} @{c}"
            g_bus.append(str(c))
            g_attr["carrier"].append(g["carrier"])
            g_attr["p_nom"].append(fnum(g["p_nom"]) * float(f))
            g_attr["marginal_cost"].append(fnum(g["marginal_cost"]))
            pmax_d[key] = pmax
            pmin_d[key] = pmin
    n.add("Generator", list(pmax_d), bus=g_bus, carrier=g_attr["carrier"],
          p_nom=g_attr["p_nom"], marginal_cost=g_attr["marginal_cost"],
          p_max_pu=pd.DataFrame(pmax_d), p_min_pu=pd.DataFrame(pmin_d))
    for name, su in z.storage_units.iterrows():
        r = str(su["bus"])
        row = where.loc[name] if name in where.index else None
        at = (located(r, row.get("lat"), row.get("lon")) if row is not None else None)
        sh = pd.Series({at: 1.0}) if at else shares(r, True)
        n.add("StorageUnit", [f"{name} @{c}" for c in sh.index], bus=list(sh.index),
              carrier=su["carrier"], p_nom=fnum(su["p_nom"]) * sh.to_numpy(float),
              max_hours=fnum(su["max_hours"]), efficiency_store=fnum(su["efficiency_store"]),
              efficiency_dispatch=fnum(su["efficiency_dispatch"]),
              cyclic_state_of_charge=True, marginal_cost=fnum(su["marginal_cost"]))
    sink: dict[str, str] = {}
    for site, srow in data.sites.iterrows():
        sub = int(srow["substation"])
        c = str(bm.loc[sub]) if sub in bm.index else str(bm.loc[hubs[str(srow["region"])]])
        sink[str(site)] = f"ai {c}"
    sinks = sorted(set(sink.values()))
    n.add("Generator", sinks, bus=[x[3:] for x in sinks], carrier="ai", p_nom=AI_SINK_MW,
          p_max_pu=0.0, p_min_pu=-1.0, marginal_cost=0.0)
    return GridNetwork(network=n, years=zonal.years, slices=zonal.slices,
                       snapshot_year=zonal.snapshot_year, snapshot_day=zonal.snapshot_day,
                       bus_region=region_of, level="clustered", site_sink=sink)


def _add_links(n: Any, z: Any, data: GridData, bm: pd.Series, subs: pd.DataFrame,
               by_region: dict[str, list[int]], hubs: dict[str, int]) -> None:
    """HVDC links between the clusters nearest their terminals (``hvdc.csv`` coordinates);
    ``by_region``: the backbone's substations of each region, in backbone order."""
    cor = data.corridors.set_index("name")
    for name, k in z.links.iterrows():
        if not physical_link(data, str(name)):
            continue  # an AC corridor: its lines are in the network
        ends = []
        for i in (0, 1):
            region = str(k[f"bus{i}"])
            lat: Any = cor.at[name, f"lat{i}"] if f"lat{i}" in cor.columns else None
            lon: Any = cor.at[name, f"lon{i}"] if f"lon{i}" in cor.columns else None
            pool = by_region.get(region, [])
            if lat is None or pd.isna(lat) or lon is None or pd.isna(lon):
                ends.append(str(bm.loc[hubs[region]]))
            else:
                ends.append(str(bm.loc[_nearest(subs, pool, float(lat), float(lon))]))
        n.add("Link", name, bus0=ends[0], bus1=ends[1], carrier=k["carrier"],
              p_nom=fnum(k["p_nom"]), efficiency=1.0, p_max_pu=z.links_t.p_max_pu[name],
              p_min_pu=z.links_t.p_min_pu[name], length=fnum(k["length"]))
