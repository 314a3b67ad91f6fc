"""One way from a siting to a twin run, for every entry point.

:func:`site_constraints` is the only conversion of an ``aifab site`` result (the typed
:class:`aifab.grid.SiteResult` a site run folder reads back as, the solver's
``SitingResult``, or the ``--json`` document) into twin inputs: each owner's facility-MW cap in the
caps year and the hourly curtailment of that year as curtailment windows.
:class:`TwinRequest` says what to run (scenario, constraints, extra windows,
replications); :func:`run_twin` checks and runs it. ``aifab simulate --power-caps``,
``aifab report --site-caps``, ``aifab site --couple-twin`` and the sweep's simulate stage
all go through here, so the same scenario and siting give the same run everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from aifab.catalog import Catalog
from aifab.errors import BadInput
from aifab.scenario import Scenario
from aifab.sim.national._api import Checkpoint, finish, new_run, replications, simulate
from aifab.sim.national._caps import PowerCaps, apply_caps, caps_from_doc
from aifab.sim.national._curtail import CurtailWindow, add_curtailment, windows_from_site_doc
from aifab.sim.national._policies import get_queue_policy
from aifab.sim.national._protocol import QueuePolicy
from aifab.sim.national._result import SimResult

if TYPE_CHECKING:
    from aifab.grid import SiteResult, SitingResult


@dataclass(frozen=True)
class SiteConstraints:
    """What a siting imposes on the twin: power caps and hourly curtailment windows."""

    caps: PowerCaps
    windows: tuple[CurtailWindow, ...] = ()

    def apply(self, scenario: Scenario) -> Scenario:
        """``scenario`` with the caps (caps the scenario sets itself win)."""
        return apply_caps(scenario, self.caps)

    def to_dict(self) -> dict[str, Any]:
        return {"caps": self.caps.to_dict(),
                "curtailment_windows": [asdict(w) for w in self.windows]}


def site_constraints(siting: SiteResult | SitingResult | Mapping[str, Any], owners: list[str],
                     year: int | None = None, src: str = "siting result") -> SiteConstraints:
    """The twin inputs of a siting result (typed, as solved, or its ``--json`` document):
    caps per owner in ``year`` (default: the result's last year) and that year's hourly
    curtailment as windows (none where siting does not curtail)."""
    doc: Any = siting if isinstance(siting, Mapping) else siting.to_dict()
    y, mw = caps_from_doc(doc, owners, year, src)
    windows = windows_from_site_doc(doc, owners, y, src)
    return SiteConstraints(PowerCaps(y, mw), tuple(windows))


@dataclass(frozen=True)
class TwinRequest:
    """A twin run: the scenario, a siting's constraints, extra curtailment windows (e.g.
    ``--curtail``), replications over seeds and an optional queue policy."""

    scenario: Scenario
    catalog: Catalog | None = None
    constraints: SiteConstraints | None = None
    windows: tuple[CurtailWindow, ...] = ()
    replications: int = 1
    policy: str | QueuePolicy | None = None

    @property
    def run_scenario(self) -> Scenario:
        """The scenario the twin runs: with the constraints' caps applied."""
        c = self.constraints
        return c.apply(self.scenario) if c is not None else self.scenario

    @property
    def all_windows(self) -> tuple[CurtailWindow, ...]:
        """The extra windows, then the siting's."""
        c = self.constraints
        return (*self.windows, *(c.windows if c is not None else ()))

    def check(self) -> TwinRequest:
        """Raise :class:`BadInput` for a request that cannot run; else ``self``."""
        if self.replications < 1:
            raise BadInput("needs at least one replication", where="--replications")
        if self.replications > 1 and self.windows:
            raise BadInput("--curtail runs one run from the start (no --resume or "
                           "--replications)", where="--curtail")
        if self.replications > 1 and self.all_windows:
            raise BadInput("hourly limits (curtailment) run one run from the start (no "
                           "--resume or --replications)", where="--power-caps")
        if self.policy is None or isinstance(self.policy, str):  # a name: is it known?
            get_queue_policy(self.policy or self.scenario.sim.queue_policy)
        return self


def run_twin(request: TwinRequest, *, checkpoint: Checkpoint | None = None,
             progress: Callable[[float], None] | None = None) -> SimResult:
    """Check and run a request: with curtailment windows one curtailed run (its document
    gains ``flexibility``), else ``replications`` runs with confidence intervals."""
    req = request.check()
    scn, windows = req.run_scenario, req.all_windows
    if windows:
        return simulate_curtailed(scn, list(windows), policy=req.policy, catalog=req.catalog,
                                  progress=progress, checkpoint=checkpoint)
    if req.replications == 1:
        return simulate(scn, policy=req.policy, catalog=req.catalog, checkpoint=checkpoint,
                        progress=progress)
    if req.policy is not None:
        raise BadInput("replications take the scenario's queue policy", where="--policy")
    return replications(scn, req.replications, catalog=req.catalog, checkpoint=checkpoint,
                        progress=progress)


def simulate_curtailed(scenario: Scenario, windows: list[CurtailWindow], *,
                       policy: str | QueuePolicy | None = None, catalog: Catalog | None = None,
                       progress: Callable[[float], None] | None = None,
                       checkpoint: Checkpoint | None = None) -> SimResult:
    """``simulate`` with curtailment windows: the result's document gains
    ``flexibility`` (what the response cost: jobs delayed, accelerator-hours paused,
    replicas moved or shed, inference tokens unmet, and each window's figures).
    ``checkpoint(run)`` as for :func:`._api.finish` (the windows are in the checkpoint)."""
    run = new_run(scenario, policy=policy, catalog=catalog)
    add_curtailment(run, windows)
    return finish(run, progress=progress, checkpoint=checkpoint)
