"""Failures, repairs and goodput: a failure model calibrated on published fleet data,
closed forms (Young/Daly, Daly's ETTR), a job-level Monte Carlo with hot spares, the
failure-event stream the national twin consumes, and a staffing estimate."""

from aifab.reliability._events import FailureEvent, PoolSpec, failure_events
from aifab.reliability._fleet import fleet_pools
from aifab.reliability._formulas import (
    TrainingReliability,
    ettr,
    expected_interruptions,
    job_mtti_s,
    training_reliability,
    young_daly_interval_s,
)
from aifab.reliability._jobsim import Audit, GangResult, GangSpec, JobSimResult, simulate_jobs
from aifab.reliability._meter import ReliabilityMeter
from aifab.reliability._model import (
    CLASSES,
    FailureModel,
    Layout,
    RepairDist,
    failure_model,
    family_of,
    train_failure_model,
)
from aifab.reliability._offenders import RepeatOffenders
from aifab.reliability._staffing import FleetBlock, StaffingEstimate, staffing

__all__ = [
    "CLASSES",
    "Audit",
    "FailureEvent",
    "FailureModel",
    "FleetBlock",
    "GangResult",
    "GangSpec",
    "JobSimResult",
    "Layout",
    "PoolSpec",
    "ReliabilityMeter",
    "RepairDist",
    "RepeatOffenders",
    "StaffingEstimate",
    "TrainingReliability",
    "ettr",
    "expected_interruptions",
    "failure_events",
    "failure_model",
    "family_of",
    "fleet_pools",
    "job_mtti_s",
    "simulate_jobs",
    "staffing",
    "train_failure_model",
    "training_reliability",
    "young_daly_interval_s",
]
