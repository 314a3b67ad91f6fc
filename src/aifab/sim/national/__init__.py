"""The national digital twin: tenants, quotas, gangs, inference services, power caps.

``simulate(scenario)`` builds a :class:`Twin` from a scenario, runs it and returns a
:class:`SimResult`; see docs/sim-national.md for the model and its calibration. The
pieces: :mod:`._build` (scenario to twin), :mod:`._runner` (event loop, run in slices),
:mod:`._policies` (queue policies, injected), :mod:`._meters` (observers),
:mod:`._checkpoint` (checkpoints as data).
"""

from aifab.sim.national._api import checkpoint_times, finish, new_run, replications, simulate
from aifab.sim.national._build import build_twin
from aifab.sim.national._caps import (
    PowerCaps,
    apply_caps,
    caps_from_doc,
    caps_from_site,
    caps_from_siting,
)
from aifab.sim.national._checkpoint import load as load_checkpoint
from aifab.sim.national._checkpoint import save as save_checkpoint
from aifab.sim.national._couple import Coupling, couple
from aifab.sim.national._curtail import CurtailWindow, read_curtailment
from aifab.sim.national._events import EventKind, register_source
from aifab.sim.national._model import Twin
from aifab.sim.national._observers import Observer
from aifab.sim.national._pipeline import SiteConstraints, TwinRequest, run_twin, site_constraints
from aifab.sim.national._policies import QUEUE_POLICIES, get_queue_policy
from aifab.sim.national._protocol import Cluster, QueuePolicy
from aifab.sim.national._result import SimResult
from aifab.sim.national._rundir import finish_out as finish_run_dir
from aifab.sim.national._rundir import prepare_out as prepare_run_dir
from aifab.sim.national._runfolder import checkpoint_dir, report_file, summary_file
from aifab.sim.national._runner import Runner
from aifab.sim.national._tree import (
    Confidence,
    Flexibility,
    Interval,
    Reliability,
    RunSummary,
    TenantRow,
    WindowResponse,
)

__all__ = [
    "QUEUE_POLICIES",
    "Cluster",
    "Confidence",
    "Coupling",
    "CurtailWindow",
    "EventKind",
    "Flexibility",
    "Interval",
    "Observer",
    "PowerCaps",
    "QueuePolicy",
    "Reliability",
    "RunSummary",
    "Runner",
    "SimResult",
    "SiteConstraints",
    "TenantRow",
    "Twin",
    "TwinRequest",
    "WindowResponse",
    "apply_caps",
    "build_twin",
    "caps_from_doc",
    "caps_from_site",
    "caps_from_siting",
    "checkpoint_dir",
    "checkpoint_times",
    "couple",
    "finish",
    "finish_run_dir",
    "get_queue_policy",
    "load_checkpoint",
    "new_run",
    "prepare_run_dir",
    "read_curtailment",
    "register_source",
    "replications",
    "report_file",
    "run_twin",
    "save_checkpoint",
    "simulate",
    "site_constraints",
    "summary_file",
]
