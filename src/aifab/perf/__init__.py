"""Performance and energy model: inference roofline (continuous or static batching, tensor
and pipeline parallel), configuration search, prefill/decode disaggregation, training time,
tokens per joule, calibrated per device family on published results (data/calibration.csv)."""

from aifab.perf._aic import aic_inference, check_engine
from aifab.perf._calibrate import CalResult, CalRow, calibrate, calibration_rows, fit_factors
from aifab.perf._common import best_precision
from aifab.perf._compare import CompareRow, compare
from aifab.perf._disagg import DisaggResult, disaggregated
from aifab.perf._factors import Factors, factor_table
from aifab.perf._infer import InferenceResult, inference
from aifab.perf._mix import MixItem, MixPoint
from aifab.perf._models import ModelSet, ModelSpec, default_models, load_models
from aifab.perf._search import SearchResult, search
from aifab.perf._serve import (
    FactoryOutput,
    factory_output,
    job_duration_s,
    mix_point,
    replica_capacity,
    serving_point,
)
from aifab.perf._train import TrainingResult, training

__all__ = [
    "CalResult",
    "CalRow",
    "CompareRow",
    "DisaggResult",
    "Factors",
    "FactoryOutput",
    "InferenceResult",
    "MixItem",
    "MixPoint",
    "ModelSet",
    "ModelSpec",
    "SearchResult",
    "TrainingResult",
    "aic_inference",
    "best_precision",
    "calibrate",
    "calibration_rows",
    "check_engine",
    "compare",
    "default_models",
    "disaggregated",
    "factor_table",
    "factory_output",
    "fit_factors",
    "inference",
    "job_duration_s",
    "load_models",
    "mix_point",
    "replica_capacity",
    "search",
    "serving_point",
    "training",
]
