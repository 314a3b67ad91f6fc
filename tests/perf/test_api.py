"""Public API used by the simulator and by ``aifab plan``."""

from __future__ import annotations

import math

import pytest

import aifab.perf as perf
from aifab.errors import BadInput


def test_public_api_pinned() -> None:
    assert sorted(perf.__all__) == sorted([
        "CalResult", "CalRow", "CompareRow", "DisaggResult", "FactoryOutput", "Factors",
        "InferenceResult", "MixItem", "MixPoint", "ModelSet", "ModelSpec", "SearchResult",
        "TrainingResult", "mix_point", "aic_inference", "best_precision", "check_engine",
        "calibrate", "calibration_rows", "compare", "default_models", "disaggregated",
        "factor_table", "factory_output", "fit_factors", "inference", "job_duration_s",
        "load_models", "replica_capacity", "search", "serving_point", "training",
        "ENGINES", "FAMILY_TOL", "GROUP_MIN", "KNOWN_OUTLIERS", "LOO_MEDIAN_TOL", "MAX_TOL",
        "MEDIAN_TOL", "REF_TRAIN_JOB_DEVICES", "auto_out_of_sample", "calibration_markdown",
        "calibration_summary", "device_table", "family_errors", "group_errors",
        "leave_one_out", "loo_summary",
        # the perf commands' typed documents (issue 23)
        "CompareReport", "InferInputs", "InferReport", "PerfReport", "SearchReport",
        "TrainInputs", "TrainReport", "read_perf", "perf_file",
    ])
    for name in perf.__all__:
        assert hasattr(perf, name)


def test_factory_output() -> None:
    f = perf.factory_output("b200", 1000, 0.5)
    g = perf.factory_output("b200", 2000, 0.5)
    assert f.tokens_per_year > 0 and f.training_runs_per_year > 0
    assert g.tokens_per_year == pytest.approx(2 * f.tokens_per_year)
    assert g.training_runs_per_year == pytest.approx(2 * f.training_runs_per_year)
    assert "llama-3.1-70b" in f.reference and "llama-3.1-405b" in f.reference
    h = perf.factory_output("h100-sxm", 1000, 0.5)
    assert f.tokens_per_year > 2 * h.tokens_per_year  # FP4 and 2.4x bandwidth
    z = perf.factory_output("b200", 0, 0.0)
    assert z.tokens_per_year == 0 and z.training_runs_per_year == 0


@pytest.mark.parametrize("dev", ["a100-sxm", "h100-sxm", "h200-sxm", "b200", "b300", "gb200",
                                 "gb300", "rtx-pro-6000", "rngd", "atom", "atom-max",
                                 "rebel-quad"])
def test_factory_output_every_device(dev: str) -> None:
    f = perf.factory_output(dev, 100, 0.7)
    assert f.tokens_per_year >= 0 and math.isfinite(f.tokens_per_year)
    assert f.training_runs_per_year >= 0


def test_factory_output_bad_input() -> None:
    with pytest.raises(BadInput):
        perf.factory_output("nope", 10, 0.5)
    with pytest.raises(BadInput):
        perf.factory_output("b200", 10, 1.5)


def test_replica_capacity_meets_target() -> None:
    cap = perf.replica_capacity("llama-3.1-70b", "h100-sxm", 4, "fp8", tpot_slo_s=0.05)
    r = perf.serving_point("llama-3.1-70b", "h100-sxm", 4, "fp8", tpot_slo_s=0.05)
    assert r is not None and r.tpot_s <= 0.05 and cap == pytest.approx(r.tokens_per_s)
    tighter = perf.replica_capacity("llama-3.1-70b", "h100-sxm", 4, "fp8", tpot_slo_s=0.02)
    assert 0 < tighter < cap
    assert perf.replica_capacity("llama-3.1-70b", "h100-sxm", 4, "fp8", tpot_slo_s=1e-4) == 0


def test_job_duration() -> None:
    t8 = perf.job_duration_s("llama-3.1-8b", 1e10, "h100-sxm", 8)
    t16 = perf.job_duration_s("llama-3.1-8b", 1e10, "h100-sxm", 16)
    assert t16 == pytest.approx(t8 / 2)
    assert perf.job_duration_s("llama-3.1-8b", 1e10, "b200", 8) < t8
    ft = perf.job_duration_s("llama-3.1-8b", 1e10, "h100-sxm", 8, kind="finetune")
    assert ft < t8
    inf = perf.job_duration_s("llama-3.1-8b", 1e7, "h100-sxm", 2, kind="infer")
    assert inf == pytest.approx(2 * perf.job_duration_s("llama-3.1-8b", 1e7, "h100-sxm", 4,
                                                         kind="infer"))
    with pytest.raises(BadInput):
        perf.job_duration_s("llama-3.1-8b", 1e7, "h100-sxm", 2, kind="dance")


def test_training_405b_order_of_magnitude() -> None:
    # Meta: 30.84M H100-hours for Llama 3.1 405B (model card); the model is within ~15 %.
    t = perf.training("llama-3.1-405b", 15.6e12, "h100-sxm", 16384)
    assert 0.8 < t.gpu_hours / 30.84e6 < 1.3


def test_npu_notes_say_vendor_or_default() -> None:
    r = perf.inference("llama-3.1-8b", "rebel-quad", precision="fp8", batch=8)
    assert any("default" in n for n in r.notes)
    assert any("vendor" in n for n in r.notes)


def test_workload_mix_is_the_harmonic_share_of_its_parts() -> None:
    # Issue 19 item 5: a mix's rate per device is 1 / sum(share / rate) of its workloads
    # served alone; facility power is their time-weighted mean.
    a = perf.MixItem("llama-3.1-70b", 1.0, 2048, 256)
    b = perf.MixItem("qwen3-235b-a22b", 1.0, 5000, 500)
    ra, rb = perf.mix_point("b200", (a,), 0.05), perf.mix_point("b200", (b,), 0.05)
    mix = (perf.MixItem(a.model, 0.25, 2048, 256), perf.MixItem(b.model, 0.75, 5000, 500))
    m = perf.mix_point("b200", mix, 0.05)
    ta, tb = 0.25 / ra.tokens_per_s_per_device, 0.75 / rb.tokens_per_s_per_device
    assert m.tokens_per_s_per_device == pytest.approx(1 / (ta + tb))
    assert m.facility_w_per_device == pytest.approx(
        (ta * ra.facility_w_per_device + tb * rb.facility_w_per_device) / (ta + tb))
    assert m.served == (a.model, b.model) and m.precision == "fp4"
    with pytest.raises(BadInput, match="sum to"):
        perf.mix_point("b200", (perf.MixItem(a.model, 0.5, 2048, 256),), 0.05)


def test_plan_output_uses_the_scenario_workload_mix() -> None:
    # Issue 19 item 5: plan's AI-factory output is measured on the scenario's stated mix;
    # with no mix it falls back to the single reference workload; an unknown model in the
    # mix names its field.
    from aifab import load_scenario, plan
    from aifab.scenario import Workload, WorkloadItem

    sc = load_scenario("korea-2025")
    assert len(sc.workload.inference) == 3
    assert all(i.source for i in sc.workload.inference)
    mixed = plan(sc).output[-1]
    ref = plan(sc.model_copy(update={"workload": Workload()})).output[-1]
    assert "workload mix" in mixed.reference and "Llama-3.1-70B" in ref.reference
    assert 0 < mixed.tokens_per_year < ref.tokens_per_year  # long MoE prompts cost
    bad = Workload(inference=[WorkloadItem(model="nope", share=1.0, input_tokens=10,
                                           output_tokens=10, source="test")])
    with pytest.raises(BadInput, match=r"workload.inference\[0\].model"):
        plan(sc.model_copy(update={"workload": bad}))
