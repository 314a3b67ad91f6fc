"""The static description of a national twin: pools, campuses, tenants, services.

Built once from a :class:`~aifab.scenario.Scenario` (:mod:`._build`); a run
(:mod:`._runner`) never changes it. Capacity is modelled per pool (owner x accelerator x
system), each a row of scale-up domains (8-GPU servers or 72-GPU NVL racks) with
whole-accelerator allocation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aifab.scenario import JobClassSpec, ReliabilitySettings, ServiceSpec, SimSettings
from aifab.workload.philly import PhillyJobs


@dataclass(frozen=True)
class PoolSpec:
    """One pool of identical scale-up domains."""

    index: int
    owner: str
    accelerator: str
    system: str
    kind: str  # "gpu" or "npu"
    domain_size: int
    domains: int  # powered domains
    dark_domains: int  # domains left without power (power_mode "strand")
    busy_kw: float  # facility kW per allocated accelerator (PUE, load factor)
    idle_kw: float  # facility kW per idle powered accelerator
    speed: float  # training speed relative to the reference accelerator
    nameplate_kw: float = 0.0  # facility kW per accelerator at nameplate (aifab.power)

    @property
    def accelerators(self) -> int:
        return self.domains * self.domain_size


@dataclass(frozen=True)
class Campus:
    """One owner's site: its pools share a facility power cap."""

    owner: str
    pools: tuple[int, ...]
    cap_kw: float  # math.inf when uncapped
    nameplate_kw: float  # all accelerators allocated
    power_stranded: int  # accelerators that can never be busy under the cap


@dataclass(frozen=True)
class Tenant:
    index: int
    name: str
    owner: str
    kind: str
    quota: float
    entitled: int  # accelerators: quota x owner's powered GPUs
    streams: tuple[tuple[int, float], ...]  # (class index, arrivals per second)


@dataclass(frozen=True)
class Partition:
    """An owner's GPU pools and the tenants whose home they are."""

    index: int
    owner: str
    public: bool
    pools: tuple[int, ...]  # fastest first
    tenants: tuple[int, ...]
    # a gang that cannot start here now leaves every larger one unable to: a start needs a
    # pool with n free (spilled if need be) and power for n more, both harder as n grows
    # while each pool's busy draw per accelerator is at least its idle one
    monotone_fit: bool = True


@dataclass(frozen=True)
class Service:
    index: int
    spec: ServiceSpec
    partition: int
    npu_share: float  # share of demand routed to NPU pools first
    replica: tuple[tuple[int, int, float], ...]  # (pool, devices, tokens/s) per usable pool


@dataclass(frozen=True)
class Twin:
    """Everything a run needs, derived from one scenario."""

    scenario: str
    settings: SimSettings
    horizon_s: float  # warm-up plus measured days
    warmup_s: float
    pools: tuple[PoolSpec, ...]
    campuses: tuple[Campus, ...]
    partitions: tuple[Partition, ...]
    tenants: tuple[Tenant, ...]
    class_names: tuple[str, ...]
    classes: tuple[JobClassSpec, ...]
    max_sizes: tuple[int, ...]  # per partition: gang sizes are clipped to this
    services: tuple[Service, ...]
    replay: PhillyJobs | None = None  # a job list replayed for tenant replay_tenant
    replay_tenant: int = -1
    notes: tuple[str, ...] = field(default=())
    pue: float = 1.0  # the scenario's facility PUE (facility kW / IT kW)
    reliability: ReliabilitySettings | None = None  # failures and repairs (None: off)

    def partition_of(self, owner: str) -> Partition:
        for p in self.partitions:
            if p.owner == owner:
                return p
        raise KeyError(owner)


