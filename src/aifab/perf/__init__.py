"""Performance and energy model: inference roofline (continuous or static batching, tensor
and pipeline parallel), configuration search, prefill/decode disaggregation, training time,
tokens per joule, calibrated per device family on published results (data/calibration.csv)."""

from aifab.perf._aic import aic_inference, check_engine
from aifab.perf._calibrate import (
    KNOWN_OUTLIERS,
    MAX_TOL,
    MEDIAN_TOL,
    CalResult,
    CalRow,
    calibrate,
    calibration_rows,
    fit_factors,
)
from aifab.perf._calibrate import summary as calibration_summary
from aifab.perf._common import best_precision
from aifab.perf._compare import CompareRow, compare
from aifab.perf._disagg import DisaggResult, disaggregated
from aifab.perf._documents import (
    CompareReport,
    InferInputs,
    InferReport,
    PerfReport,
    SearchReport,
    TrainInputs,
    TrainReport,
    perf_file,
    read_perf,
)
from aifab.perf._engines import auto_out_of_sample
from aifab.perf._factors import Factors, device_table, factor_table
from aifab.perf._infer import InferenceResult, inference
from aifab.perf._loo import (
    FAMILY_TOL,
    GROUP_MIN,
    LOO_MEDIAN_TOL,
    family_errors,
    group_errors,
    leave_one_out,
    loo_summary,
)
from aifab.perf._mix import MixItem, MixPoint
from aifab.perf._models import ModelSet, ModelSpec, default_models, load_models
from aifab.perf._report import calibration_markdown
from aifab.perf._search import SearchResult, search
from aifab.perf._serve import (
    REF_TRAIN_JOB_DEVICES,
    FactoryOutput,
    factory_output,
    job_duration_s,
    mix_point,
    replica_capacity,
    serving_point,
)
from aifab.perf._table import ENGINES
from aifab.perf._train import TrainingResult, training

__all__ = [
    "ENGINES",
    "FAMILY_TOL",
    "GROUP_MIN",
    "KNOWN_OUTLIERS",
    "LOO_MEDIAN_TOL",
    "MAX_TOL",
    "MEDIAN_TOL",
    "REF_TRAIN_JOB_DEVICES",
    "CalResult",
    "CalRow",
    "CompareReport",
    "CompareRow",
    "DisaggResult",
    "Factors",
    "FactoryOutput",
    "InferInputs",
    "InferReport",
    "InferenceResult",
    "MixItem",
    "MixPoint",
    "ModelSet",
    "ModelSpec",
    "PerfReport",
    "SearchReport",
    "SearchResult",
    "TrainInputs",
    "TrainReport",
    "TrainingResult",
    "aic_inference",
    "auto_out_of_sample",
    "best_precision",
    "calibrate",
    "calibration_markdown",
    "calibration_rows",
    "calibration_summary",
    "check_engine",
    "compare",
    "default_models",
    "device_table",
    "disaggregated",
    "factor_table",
    "factory_output",
    "family_errors",
    "fit_factors",
    "group_errors",
    "inference",
    "job_duration_s",
    "leave_one_out",
    "load_models",
    "loo_summary",
    "mix_point",
    "perf_file",
    "read_perf",
    "replica_capacity",
    "search",
    "serving_point",
    "training",
]
