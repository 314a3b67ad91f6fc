"""People to run the fleet: technicians from the repair workload, operators from a
documented staff-per-MW ratio. An estimate: every ratio is in data/reliability.yaml with
its source; each owner's fleet is taken as one campus staffed around the clock."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from aifab.reliability._model import CLASSES, FailureModel, failure_model


@dataclass(frozen=True)
class FleetBlock:
    """Accelerators of one family in one layout, and the facility power they draw."""

    accelerators: int
    family: str
    layout_kind: str
    slot_accelerators: int
    slots_per_rack: int
    facility_mw: float


@dataclass(frozen=True)
class StaffingEstimate:
    """Repair workload and the people it needs, for one owner (campus) or the total."""

    owner: str
    accelerators: int
    facility_mw: float
    failures_per_day: float
    hardware_swaps_per_day: float
    hands_on_h_per_day: float
    in_repair_share: float
    technicians_on_shift: int
    technicians_fte: float
    operators_fte: float
    basis: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


def _poisson_p95(mean: float) -> int:
    """95th percentile of a Poisson count (normal approximation above 30)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return math.ceil(mean + 1.645 * math.sqrt(mean))
    k, p, cdf = 0, math.exp(-mean), math.exp(-mean)
    while cdf < 0.95:
        k += 1
        p *= mean / k
        cdf += p
    return k


def staffing(owner: str, blocks: Sequence[FleetBlock], model: FailureModel | None = None,
             *, load_factor: float = 1.0) -> StaffingEstimate:
    """Technicians and operators for one owner's fleet.

    Failures per day: accelerators x class rates (software only on the busy share,
    ``load_factor``). Hands-on hours: per class and layout. Seats per shift: the 95th
    percentile of a shift's swaps times the mean hands-on hours, over the productive hours
    of a shift, at least the minimum crew; FTE = seats x relief factor (24/7 coverage).
    """
    fm = model or failure_model()
    st = fm.staffing
    fails = swaps = hours = repair_acc_days = 0.0
    for b in blocks:
        rates = fm.class_rates(b.family)
        for c in CLASSES:
            busy = load_factor if c not in fm.hardware else 1.0
            n = b.accelerators * rates[c] * busy
            fails += n
            swaps += n if c in fm.hardware else 0.0
            hours += n * fm.hands_on_h[b.layout_kind][c]
            blast = sum(p * (b.slot_accelerators if u == "slot"
                             else b.slot_accelerators * b.slots_per_rack)
                        for u, p in fm.blast_units(b.layout_kind, c))
            repair_acc_days += n * blast * fm.repair[c].mean_h / 24.0
    acc = sum(b.accelerators for b in blocks)
    mw = sum(b.facility_mw for b in blocks)
    per_shift = fails / st.shifts_per_day
    h_per_fail = hours / fails if fails else 0.0
    seats = max(st.min_technicians_per_shift if acc else 0,
                math.ceil(_poisson_p95(per_shift) * h_per_fail / st.productive_h_per_shift))
    return StaffingEstimate(
        owner=owner, accelerators=acc, facility_mw=mw, failures_per_day=fails,
        hardware_swaps_per_day=swaps, hands_on_h_per_day=hours,
        in_repair_share=min(1.0, repair_acc_days / acc) if acc else 0.0,
        technicians_on_shift=seats, technicians_fte=seats * st.relief_factor,
        operators_fte=mw * st.operators_per_facility_mw,
        basis=(f"estimate: {st.shifts_per_day} shifts, {st.productive_h_per_shift:g} "
               f"productive h per technician-shift, 95th-percentile shift workload, at least "
               f"{st.min_technicians_per_shift} per shift, relief factor "
               f"{st.relief_factor:g} FTE per 24/7 seat; operators "
               f"{st.operators_per_facility_mw:g} FTE per facility MW "
               "(sources in aifab/reliability/data/reliability.yaml)"))
