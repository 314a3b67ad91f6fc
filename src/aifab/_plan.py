"""``aifab plan``: fleet, capacity, power, energy, cost, comparisons and assumptions."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from aifab._plan_result import (
    Assumption,
    Comparison,
    FleetRow,
    OutputRow,
    PeerRow,
    PlanResult,
    Summary,
    YearRow,
)
from aifab.catalog import Catalog, default_catalog
from aifab.power import (
    METRICS,
    ZERO,
    Energy,
    demand_by_year,
    fleet_energy,
    h100_equivalents,
    regions_for,
    system_kw,
)
from aifab.reliability import StaffingEstimate
from aifab.scenario import Scenario


def _summarise(name: str, rows: list[FleetRow], energies: list[Energy],
               scenario: Scenario, catalog: Catalog) -> Summary:
    total = sum(energies, ZERO)
    h100e = dict.fromkeys(METRICS, 0.0)
    for r in rows:
        for m, v in h100_equivalents(catalog.accelerator(r.accelerator), r.count,
                                     catalog).items():
            h100e[m] += v
    return Summary(
        name=name,
        accelerators=sum(r.count for r in rows),
        it_power_mw=total.it_power_mw,
        facility_power_mw=total.facility_power_mw,
        annual_energy_twh=total.annual_energy_twh,
        annual_cost_krw=total.annual_cost_krw,
        annual_cost_usd=total.annual_cost_usd,
        annual_co2_mt=total.annual_co2_mt,
        h100_equivalents=h100e,
        delivery_years=sorted({r.delivery_year for r in rows}),
        accelerator_types=sorted({r.accelerator for r in rows}),
        assumed=any(r.assumed for r in rows),
        gpus=sum(r.count for r in rows if catalog.accelerator(r.accelerator).kind == "gpu"),
        npus=sum(r.count for r in rows if catalog.accelerator(r.accelerator).kind == "npu"),
    )


def _rank(values: list[float]) -> list[int]:
    order = sorted(range(len(values)), key=lambda i: -values[i])
    ranks = [0] * len(values)
    for pos, i in enumerate(order, start=1):
        ranks[i] = pos
    return ranks


def _peers(scenario: Scenario, totals: Summary, catalog: Catalog) -> list[PeerRow]:
    entries: list[dict[str, Any]] = [{
        "name": f"{scenario.name} (this scenario)",
        "accelerator": "+".join(totals.accelerator_types),
        "count": totals.accelerators,
        "year": max(totals.delivery_years),
        "status": "planned",
        "assumed": totals.assumed,
        "source": "this scenario",
        "h100_equivalents": totals.h100_equivalents,
    }]
    for p in scenario.peers:
        entries.append({
            **p.model_dump(),
            "h100_equivalents": h100_equivalents(catalog.accelerator(p.accelerator), p.count,
                                                 catalog),
        })
    by_count = _rank([float(e["count"]) for e in entries])
    by_metric = {m: _rank([e["h100_equivalents"][m] for e in entries]) for m in METRICS}
    return [PeerRow(**e, rank_by_count=by_count[i],
                    ranks={m: by_metric[m][i] for m in METRICS})
            for i, e in enumerate(entries)]


def _assumptions(scenario: Scenario, catalog: Catalog) -> list[Assumption]:
    src = scenario.sources
    fac, pr = scenario.facility, scenario.prices
    out = [
        Assumption("PUE", fac.pue, "", src.get("facility.pue", "scenario")),
        Assumption("load factor", fac.load_factor, "of nameplate",
                   src.get("facility.load_factor", "scenario")),
        Assumption("tariff", pr.tariff_krw_per_kwh, "KRW/kWh",
                   src.get("prices.tariff_krw_per_kwh", "scenario")),
        Assumption("exchange rate", pr.krw_per_usd, "KRW/USD",
                   src.get("prices.krw_per_usd", "scenario")),
        Assumption("grid CO2 intensity", pr.grid_co2_kg_per_kwh, "kg/kWh",
                   src.get("prices.grid_co2_kg_per_kwh", "scenario")),
    ]
    for sys_id in sorted({f.system for f in scenario.fleets}):
        s = catalog.system(sys_id)
        kw = system_kw(s, fac.system_power)
        out.append(Assumption(
            f"{s.name} power ({fac.system_power} end)", kw,
            f"kW per {s.accelerators_per_system} accelerators "
            f"({kw / s.accelerators_per_system:.3f} kW each)", s.source))
    return out


def _factory_output(scenario: Scenario, rows: list[FleetRow], owners: list[Summary],
                    totals: Summary, catalog: Catalog) -> list[OutputRow]:
    """Tokens and 405B-scale training runs per year, per owner, total and per GW."""
    from aifab.errors import BadInput
    from aifab.perf import REF_TRAIN_JOB_DEVICES, factory_output

    mix, mix_text = _workload_mix(scenario)
    from aifab.reliability import failure_model, family_of, training_reliability

    fm = failure_model(scenario.reliability)
    lf = scenario.facility.load_factor
    tokens: dict[str, float] = {}
    runs: dict[str, float] = {}
    ideal: dict[str, float] = {}
    refs: set[str] = set()
    for r in rows:
        try:
            fo = factory_output(r.accelerator, r.count, lf, catalog, mix=mix,
                                tpot_slo_s=scenario.workload.tpot_ms / 1000.0)
        except BadInput:  # a user device the reference model cannot run on
            continue
        acc = catalog.accelerator(r.accelerator)
        e = 0.0
        if fo.training_runs_per_year > 0:
            e = training_reliability(REF_TRAIN_JOB_DEVICES, fo.training_run_days,
                                     family_of(acc.id, acc.kind), fm).ettr
        tokens[r.owner] = tokens.get(r.owner, 0.0) + fo.tokens_per_year
        runs[r.owner] = runs.get(r.owner, 0.0) + fo.training_runs_per_year * e
        ideal[r.owner] = ideal.get(r.owner, 0.0) + fo.training_runs_per_year
        refs.add(fo.reference.split("; ")[-1])
    reference = (
        "each figure as if the owner's whole fleet did only that work at the scenario load "
        f"factor; inference: {mix_text}; training: Llama-3.1-405B on 15.6T tokens "
        "(aifab.perf) in "
        f"{REF_TRAIN_JOB_DEVICES:,}-device jobs, times the expected ETTR under failures "
        "(aifab.reliability: Llama 3 rates x family multiplier, Young/Daly checkpoints)")
    out = []
    for s in [*owners, totals]:
        t = sum(tokens.values()) if s is totals else tokens.get(s.name, 0.0)
        n = sum(runs.values()) if s is totals else runs.get(s.name, 0.0)
        n0 = sum(ideal.values()) if s is totals else ideal.get(s.name, 0.0)
        gw = s.facility_power_mw / 1000
        out.append(OutputRow(s.name, t, n, t / gw if gw else 0.0, n / gw if gw else 0.0,
                             n / n0 if n0 else 0.0, reference if s is totals else ""))
    return out


def _workload_mix(scenario: Scenario) -> tuple[Any, str]:
    """The scenario's inference mix as aifab.perf MixItems (None: the reference workload)
    and a one-line description; an unknown model names its field."""
    from aifab.perf import MixItem, default_models

    items = scenario.workload.inference
    tpot = f"TPOT <= {scenario.workload.tpot_ms:g} ms"
    if not items:
        return None, ("Llama-3.1-70B at the device's lowest precision, 2048 in / 256 out, "
                      + tpot)
    for i, it in enumerate(items):
        default_models().get(it.model, where=f"workload.inference[{i}].model")
    mix = tuple(MixItem(it.model, it.share, it.input_tokens, it.output_tokens)
                for it in items)
    text = ", ".join(f"{it.share:.0%} {it.model} ({it.input_tokens} in / "
                     f"{it.output_tokens} out)" for it in items)
    return mix, (f"workload mix of output tokens: {text}; each model at the device's lowest "
                 f"precision and the search's best layout, {tpot} (scenario workload)")


def _staffing(scenario: Scenario, rows: list[FleetRow], owners: list[Summary],
              catalog: Catalog) -> list[StaffingEstimate]:
    """Technicians and operators per owner (one campus each) from the repair workload, and
    their total (sums; the share in repair weighted by accelerators)."""
    from aifab.reliability import FleetBlock, failure_model, family_of, staffing

    fm = failure_model(scenario.reliability)
    blocks: dict[str, list[FleetBlock]] = {}
    for r in rows:
        acc, sys_ = catalog.accelerator(r.accelerator), catalog.system(r.system)
        lay = fm.layout_for(sys_.form, sys_.accelerators_per_system)
        blocks.setdefault(r.owner, []).append(FleetBlock(
            r.count, family_of(acc.id, acc.kind), lay.kind, lay.slot_accelerators,
            lay.slots_per_rack, r.facility_power_mw))
    lf = scenario.facility.load_factor
    out = [staffing(o.name, blocks.get(o.name, []), fm, load_factor=lf) for o in owners]
    total: dict[str, Any] = {"owner": "total"}
    for f in fields(StaffingEstimate):
        k = f.name
        if k == "in_repair_share":
            acc_total = total["accelerators"]
            total[k] = (sum(o.in_repair_share * o.accelerators for o in out) / acc_total
                        if acc_total else 0.0)
        elif k == "basis":
            total[k] = out[0].basis if out else ""
        elif k != "owner":
            total[k] = sum(getattr(o, k) for o in out)
    return [*out, StaffingEstimate(**total)]


def plan(scenario: Scenario, catalog: Catalog | None = None) -> PlanResult:
    """Fleet, H100-equivalent capacity, power, energy, cost, comparisons and peers."""
    cat = catalog or default_catalog()
    rows: list[FleetRow] = []
    energies: list[Energy] = []
    for f in scenario.fleets:
        acc, sys_ = cat.accelerator(f.accelerator), cat.system(f.system)
        e = fleet_energy(f, scenario, cat)
        energies.append(e)
        rows.append(FleetRow(
            owner=f.owner, accelerator=f.accelerator, accelerator_name=acc.name,
            system=f.system, system_name=sys_.name, form=sys_.form, count=f.count,
            systems=f.count / sys_.accelerators_per_system, delivery_year=f.delivery_year,
            assumed=f.assumed, note=f.note, it_power_mw=e.it_power_mw,
            facility_power_mw=e.facility_power_mw,
        ))
    owners = []
    for o in scenario.owners:
        idx = [i for i, r in enumerate(rows) if r.owner == o.name]
        if idx:
            owners.append(_summarise(o.name, [rows[i] for i in idx],
                                     [energies[i] for i in idx], scenario, cat))
    totals = _summarise("total", rows, energies, scenario, cat)
    comparisons = [
        Comparison(r.name, r.consumption_twh, r.year, r.source,
                   totals.annual_energy_twh / r.consumption_twh)
        for r in regions_for(scenario)
    ]
    by_year = demand_by_year(scenario, cat).to_dict(orient="records")
    return PlanResult(
        scenario=scenario.name,
        description=scenario.description,
        fleet=rows,
        owners=owners,
        totals=totals,
        comparisons=comparisons,
        peers=_peers(scenario, totals, cat),
        assumptions=_assumptions(scenario, cat),
        by_year=[YearRow(**{str(k): v for k, v in r.items()}) for r in by_year],
        output=_factory_output(scenario, rows, owners, totals, cat),
        staffing=_staffing(scenario, rows, owners, cat),
    )


__all__ = ["Assumption", "Comparison", "FleetRow", "PeerRow", "PlanResult", "Summary", "plan"]
