"""The national digital twin: tenants, quotas, gangs, inference services, power caps.

``simulate(scenario)`` builds a :class:`Twin` from a scenario, runs it and returns a
:class:`SimResult`; see docs/sim-national.md for the model and its calibration. The
pieces: :mod:`.build` (scenario to twin), :mod:`.runner` (event loop, run in slices),
:mod:`.policies` (queue policies, injected), :mod:`.meters` (observers),
:mod:`.checkpoint` (checkpoints as data).
"""

from aifab.sim.national.api import checkpoint_times, finish, new_run, replications, simulate
from aifab.sim.national.build import build_twin
from aifab.sim.national.caps import (
    PowerCaps,
    apply_caps,
    caps_from_doc,
    caps_from_site,
    caps_from_siting,
)
from aifab.sim.national.model import Twin
from aifab.sim.national.observers import Observer
from aifab.sim.national.policies import QUEUE_POLICIES, get_queue_policy
from aifab.sim.national.protocol import Cluster, QueuePolicy
from aifab.sim.national.result import SimResult
from aifab.sim.national.runner import Runner

__all__ = [
    "QUEUE_POLICIES",
    "Cluster",
    "Observer",
    "PowerCaps",
    "QueuePolicy",
    "Runner",
    "SimResult",
    "Twin",
    "apply_caps",
    "build_twin",
    "caps_from_doc",
    "caps_from_site",
    "caps_from_siting",
    "checkpoint_times",
    "finish",
    "get_queue_policy",
    "new_run",
    "replications",
    "simulate",
]
