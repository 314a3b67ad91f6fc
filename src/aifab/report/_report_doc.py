"""The combined report's headline document typed (``report.json``): :class:`ReportDoc`,
whose ``to_dict()`` is the document's only schema, and :func:`read_report`, the only reader
of a combined report folder (``aifab report --out``): the headline and each stage's
document, typed (the plan's, the site stage's through :func:`aifab.grid.read_site`, the
twin's ``--json`` document). A missing or mistyped field is exit 2 naming the file and
the field."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aifab._schema import OPTIONAL, encode, read_block
from aifab._twin_caps import TwinPowerCaps
from aifab.errors import BadInput

if TYPE_CHECKING:
    from aifab._plan import PlanResult
    from aifab.grid import SiteResult
    from aifab.sim.national import PowerCaps, SimResult

#: A combined report folder's own headline document (:meth:`ReportDoc.to_dict`).
REPORT_DOC = "report.json"
#: A combined report folder's twin document (the twin's ``--json`` document).
TWIN_DOC = "simulate.json"
MAX_DOC = 256 * 2**20


@dataclass(frozen=True, kw_only=True)
class PlanHeadline:
    """The plan's totals (``gpus``/``npus``: absent in a report written before the split)."""

    accelerators: int
    gpus: int | None = field(default=None, metadata=OPTIONAL)
    npus: int | None = field(default=None, metadata=OPTIONAL)
    facility_power_mw: float
    annual_energy_twh: float
    annual_cost_krw: float
    annual_co2_mt: float


@dataclass(frozen=True)
class SiteHeadline:
    status: str
    unpowered_gpus_by_year: Mapping[str, int]
    twin_power_caps: TwinPowerCaps | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class StrandedShares:
    """Shares of accelerator-time not allocated, by cause (failures add two)."""

    power: float
    fragmentation: float
    idle: float
    in_repair: float | None = field(default=None, metadata=OPTIONAL)
    spares: float | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class SimHeadline:
    days: float
    policy: str
    utilization: float
    stranded: StrandedShares
    energy_mwh: float
    tokens_served: float


@dataclass(frozen=True)
class ReportDoc:
    """``report.json``: the key figures of every stage that ran (``shares``: the fleet's
    annual energy as a share of each region's consumption)."""

    scenario: str
    plan: PlanHeadline
    shares: Mapping[str, float]
    site: SiteHeadline | None = field(default=None, metadata=OPTIONAL)
    simulate: SimHeadline | None = field(default=None, metadata=OPTIONAL)

    def to_dict(self) -> dict[str, Any]:
        """The document (without ``schema_version``)."""
        out: dict[str, Any] = encode(self)
        return out

    @classmethod
    def from_dict(cls, doc: Any, source: str = REPORT_DOC) -> ReportDoc:
        """The headline from its document (``schema_version`` allowed); exit 2 naming
        ``source`` and the field when one is missing, unknown or mistyped."""
        return read_block(cls, doc, source)

    @classmethod
    def of(cls, plan: PlanResult, site: SiteResult | None, caps: PowerCaps | None,
           sim: SimResult | None) -> ReportDoc:
        """The headline of the stages' typed results (``caps``: what the twin ran under)."""
        t = plan.totals
        head = PlanHeadline(accelerators=t.accelerators, gpus=t.gpus, npus=t.npus,
                            facility_power_mw=t.facility_power_mw,
                            annual_energy_twh=t.annual_energy_twh,
                            annual_cost_krw=t.annual_cost_krw, annual_co2_mt=t.annual_co2_mt)
        site_head = None
        if site is not None:
            site_head = SiteHeadline(site.status, dict(site.unpowered_gpus_by_year),
                                     TwinPowerCaps(caps.year, dict(caps.mw))
                                     if caps is not None else None)
        sim_head = None
        if sim is not None:
            s = sim.summary
            st = s.stranded
            sim_head = SimHeadline(s.days, s.policy, s.utilization, StrandedShares(
                st.power, st.fragmentation, st.idle, st.in_repair, st.spares),
                s.energy_mwh, s.tokens_served)
        return cls(plan.scenario, head, {c.region: c.share for c in plan.comparisons},
                   site_head, sim_head)


@dataclass(frozen=True, eq=False)
class ReportFolder:
    """What a combined report folder holds, typed: the headline and the stages' results
    (None where the stage did not run or was not asked for). The twin's tables are not in
    the folder."""

    headline: ReportDoc
    plan: PlanResult | None
    site: SiteResult | None
    simulate: SimResult | None


def _read_json(path: Path, source: str) -> Any:
    try:
        if path.stat().st_size > MAX_DOC:
            raise ValueError(f"larger than {MAX_DOC // 2**20} MiB")
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise BadInput(f"not a combined report's document ({exc})", source=source) from None


def read_report(folder: Path, resolve: Callable[[str], Path] | None = None,
                label: str | None = None,
                stages: Collection[str] = ("plan", "site", "simulate")) -> ReportFolder:
    """The combined report ``aifab report --out`` wrote into ``folder``. ``resolve`` gives
    the path to open for a file name of the folder and refuses (BadInput) one that must
    not be opened (the dashboard's path check); ``label`` names the folder in messages
    (default: its path). Exit 2 naming the file (and field) when a document is missing,
    unreadable or mistyped (a stage the headline names must have its document). Only the
    ``stages`` named are read (the headline always is)."""
    from aifab._plan_result import read_plan
    from aifab.grid import read_site
    from aifab.sim.national import SimResult

    at = resolve or (lambda name: folder / name)
    where = label if label is not None else str(folder)
    head = ReportDoc.from_dict(_read_json(at(REPORT_DOC), f"{where}/{REPORT_DOC}"),
                               f"{where}/{REPORT_DOC}")
    plan = read_plan(folder, resolve=resolve, label=where) if "plan" in stages else None
    site = sim = None
    if head.site is not None and "site" in stages:
        site = read_site(folder, resolve=resolve, label=where)
    if head.simulate is not None and "simulate" in stages:
        source = f"{where}/{TWIN_DOC}"
        doc = _read_json(at(TWIN_DOC), source)
        if not isinstance(doc, dict):
            raise BadInput("not a twin's document (not a JSON object)", source=source)
        body = {k: v for k, v in doc.items() if k not in ("schema_version", "confidence")}
        sim = SimResult.from_document(body, {}, doc.get("confidence"), source)
    return ReportFolder(head, plan, site, sim)
