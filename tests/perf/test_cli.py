"""``aifab perf`` commands: JSON documents and one-line bad-input errors (exit 2)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from aifab.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, ["perf", *args])
    return r.exit_code, r.stdout, r.stderr


def test_infer_json() -> None:
    code, out, _ = run("infer", "--model", "llama-3.1-70b", "--device", "b200", "--devices",
                       "8", "--precision", "fp8", "--batch", "64", "--input", "2048",
                       "--output", "128", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["schema_version"] == 1
    assert doc["inputs"]["model"] == "llama-3.1-70b" and doc["inputs"]["batch"] == 64
    r = doc["result"]
    for key in ("tokens_per_s", "ttft_s", "tpot_s", "mem_gb_per_device", "bottleneck",
                "tokens_per_j", "j_per_token"):
        assert key in r
    assert r["tp"] == 8 and r["tokens_per_s"] > 0


def test_train_json() -> None:
    code, out, _ = run("train", "--model", "llama-3.1-405b", "--tokens", "15e12", "--device",
                       "h100-sxm", "--devices", "16384", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["inputs"]["tokens"] == 15e12
    assert 30 < doc["result"]["time_days"] < 200
    assert doc["result"]["energy_kwh"] > 0


def test_compare_json() -> None:
    code, out, _ = run("compare", "--model", "llama-3.1-8b", "--devices-list",
                       "h100-sxm,b200,rngd,rebel-quad", "--json")
    assert code == 0
    rows = json.loads(out)["rows"]
    assert [r["device"] for r in rows] == ["h100-sxm", "b200", "rngd", "rebel-quad"]
    for r in rows:
        assert r["devices_needed"] > 0 and r["facility_kw"] > 0 and r["tokens_per_j"] > 0
        assert r["usd_per_mtok"] > 0
        assert r["tpot_s"] <= 0.05


def test_infer_search_json() -> None:
    code, out, _ = run("infer", "--model", "llama-3.1-70b", "--device", "h100-sxm",
                       "--optimize", "throughput", "--tpot-ms", "50", "--output", "256",
                       "--disaggregate", "--json")
    assert code == 0
    doc = json.loads(out)
    s = doc["search"]
    assert s["devices"] == 8 and s["objective"] == "throughput"
    best = doc["result"]
    assert best["tpot_s"] <= 0.05 and best["serving"] == "continuous"
    assert best["tokens_per_s"] == max(c["tokens_per_s"] for c in s["candidates"])
    assert s["static_best"]["serving"] == "static"
    assert s["gain_vs_static"] == pytest.approx(
        best["tokens_per_s"] / s["static_best"]["tokens_per_s"] - 1)
    d = doc["disaggregation"]
    assert d["colocated_tokens_per_s"] == pytest.approx(best["tokens_per_s"])
    assert d["prefill_replicas"] * d["prefill_tp"] + d["decode_replicas"] * d["decode_tp"] <= 8


@pytest.mark.slow  # 2-10 s: make test and CI run it, make test-fast does not
@pytest.mark.xdist_group("perf-loo")  # shares the LOO: tests/conftest.py
def test_calibrate_and_models() -> None:
    code, out, _ = run("calibrate", "--json")
    assert code == 0
    doc = json.loads(out)
    summ = doc["summary"]
    over = {r["id"] for r in doc["rows"] if r["included"] and abs(r["error"]) > 0.35}
    assert over == set(summ["known_outliers"])
    assert summ["loo_median_abs_error"] <= summ["loo_median_tolerance"]
    assert summ["worst_family_loo_median"] <= summ["family_tolerance"]
    code, out, _ = run("models", "--json")
    assert code == 0
    ids = {m["id"] for m in json.loads(out)["models"]}
    assert {"llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "llama-2-70b", "gpt-j-6b",
            "gpt-3-175b", "mixtral-8x7b", "deepseek-v3"} <= ids


def test_user_models_file(tmp_path: object) -> None:
    from pathlib import Path

    p = Path(str(tmp_path)) / "mine.csv"
    p.write_text("id,name,params_b,active_params_b,layers,hidden,heads,kv_heads,head_dim,"
                 "vocab,source\nmy-1b,My 1B,1.2,1.2,16,2048,16,4,128,32000,my notes\n")
    code, out, _ = run("infer", "--model", "my-1b", "--device", "h100-sxm", "--models",
                       str(p), "--json")
    assert code == 0 and json.loads(out)["result"]["model"] == "my-1b"
    p.write_text("id,name,params_b\nbad,Bad,-1\n")
    code, _, err = run("infer", "--model", "bad", "--device", "h100-sxm", "--models", str(p))
    assert code == 2 and "mine.csv" in err and "line 2" in err


@pytest.mark.parametrize(("args", "needle"), [
    (["infer", "--model", "nope", "--device", "b200"], "unknown model 'nope'"),
    (["infer", "--model", "llama-3.1-8b", "--device", "nope"], "unknown accelerator 'nope'"),
    (["infer", "--model", "qwen3-235b-a22b", "--device", "b200", "--devices", "8",
      "--ep", "3", "--batch", "max"], "ep 3"),
    (["infer", "--model", "qwen3-30b-a3b", "--device", "b200", "--devices", "6",
      "--tp", "1", "--dp", "6", "--ep", "6"], "does not divide the 128 experts"),
    (["infer", "--model", "llama-3.1-70b", "--device", "b200", "--ep", "2"], "is dense"),
    (["infer", "--model", "llama-3.1-405b", "--device", "h100-sxm", "--devices", "8",
      "--tp", "1", "--pp", "1", "--batch", "max"], "in the layout given"),
    (["infer", "--model", "llama-3.1-8b", "--device", "h100-sxm", "--spec-tokens", "2",
      "--spec-accept", "1.5"], "acceptance rate"),
    (["infer", "--model", "llama-3.1-8b", "--device", "h100-sxm", "--batch", "100000"],
     "max batch"),
    (["infer", "--model", "llama-3.1-405b", "--device", "h100-sxm", "--precision", "fp8"],
     "weights need"),
    (["infer", "--model", "llama-3.1-8b", "--device", "h100-sxm", "--devices", "3",
      "--tp", "2"], "multiple of tp"),
    (["infer", "--model", "llama-3.1-8b", "--device", "h100-sxm", "--precision", "fp3"],
     "unknown precision"),
    (["train", "--model", "llama-3.1-405b", "--tokens", "1e12", "--device", "h100-sxm",
      "--devices", "8"], "model state needs"),
    (["train", "--model", "llama-3.1-8b", "--tokens", "0", "--device", "h100-sxm",
      "--devices", "8"], "must be positive"),
    (["compare", "--model", "llama-3.1-8b", "--devices-list", "h100-sxm,nope"],
     "unknown accelerator"),
    (["infer", "--model", "llama-3.1-8b"], "Missing option"),
    (["infer", "--model", "llama-3.1-8b", "--device", "h100-sxm", "--batch", "lots"],
     "positive integer or 'max'"),
    (["infer", "--model", "llama-3.1-8b", "--device", "h100-sxm", "--optimize", "speed"],
     "unknown objective"),
    (["infer", "--model", "llama-3.1-8b", "--device", "h100-sxm", "--serving", "dynamic"],
     "unknown serving mode"),
    (["infer", "--model", "llama-3.1-8b", "--device", "h100-sxm", "--batch", "200",
      "--input", "4096", "--output", "64"], "tokens per continuous-batching step"),
    (["infer", "--model", "llama-3.1-8b", "--device", "h100-sxm", "--optimize", "latency",
      "--tpot-ms", "0"], "must be positive"),
    (["infer", "--model", "llama-3.1-8b", "--device", "h100-sxm", "--batch", "max",
      "--tpot-ms", "40", "--slo-percentile", "100"], "must be in [50, 100)"),
    (["infer", "--model", "llama-3.1-8b", "--device", "h100-sxm", "--batch", "8",
      "--tpot-ms", "40", "--slo-percentile", "99"], "--slo-percentile"),
])
def test_bad_input_exits_2(args: list[str], needle: str) -> None:
    code, out, err = run(*args)
    assert code == 2, (out, err)
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(["llama-3.1-8b", "llama-3.1-70b", "mixtral-8x7b", "nope"]),
       st.sampled_from(["h100-sxm", "b200", "rngd", "atom", "rtx-pro-6000"]),
       st.sampled_from(["1", "64", "max", "0", "-3", "x"]),
       st.sampled_from([None, "throughput", "latency", "energy", "fast"]),
       st.sampled_from(["continuous", "static", "burst"]),
       st.sampled_from([None, "50", "0.001", "-1"]),
       st.sampled_from([None, "1", "3", "8", "0"]))
def test_infer_flags_never_traceback(model: str, device: str, batch: str, optimize: str | None,
                                     serving: str, tpot: str | None, devices: str | None
                                     ) -> None:
    args = ["infer", "--model", model, "--device", device, "--batch", batch, "--serving",
            serving, "--json"]
    for flag, val in (("--optimize", optimize), ("--tpot-ms", tpot), ("--devices", devices)):
        if val is not None:
            args += [flag, val]
    code, out, err = run(*args)
    assert code in (0, 2), (args, out, err)
    assert "Traceback" not in err
    if code == 2:
        assert len(err.strip().splitlines()) == 1
    else:
        assert json.loads(out)["schema_version"] == 1


def test_fp4_on_hopper_is_dequantised_and_default_precision_stated() -> None:
    code, out, err = run("infer", "--model", "llama-3.1-8b", "--device", "h100-sxm",
                         "--precision", "fp4")
    assert code == 0, err
    assert "no native FP4" in out and "dequantised to BF16" in out
    code, out, err = run("infer", "--model", "llama-3.1-8b", "--device", "b200", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["result"]["precision"] == "fp4"
    assert any("lowest format b200 runs natively" in n for n in doc["result"]["notes"])


def test_batch_max_respects_layout_flags() -> None:
    code, out, err = run("infer", "--model", "llama-3.1-70b", "--device", "h100-sxm",
                         "--devices", "8", "--tp", "4", "--batch", "max", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert {(c["tp"], c["pp"]) for c in doc["search"]["candidates"]} == {(4, 1), (4, 2)}
    assert doc["result"]["tp"] == 4 and doc["result"]["batch"] <= 1024


@pytest.mark.parametrize(("args", "needle"), [
    (["--engine", "magic"], "unknown engine"),
    (["--engine", "aiconfigurator", "--batch", "max"], "one configuration"),
    (["--engine", "aiconfigurator", "--device", "rngd"], "covers models"),
])
def test_engine_flag_bad_input(args: list[str], needle: str) -> None:
    base = ["infer", "--model", "llama-3.1-70b", "--device", "h200-sxm"]
    if "--device" in args:
        base = base[:3]
    code, _, err = run(*base, *args)
    assert code == 2 and needle in err and "Traceback" not in err


def test_engine_aiconfigurator_when_installed() -> None:
    # Optional engine (docs/perf-engines.md): where aiconfigurator-core is installed, its
    # TensorRT-LLM database predicts the published H200 TP1 Llama 70B FP8 128/128 cell
    # (3,803 tok/s, continuous batching) within 15 % at batch 256 (it measured +7 % in the
    # evaluation; static batching vs the published continuous run accounts for a few %);
    # without the package the flag exits 2 naming it.
    import importlib.util

    args = ("infer", "--model", "llama-3.1-70b", "--device", "h200-sxm", "--batch", "256",
            "--input", "128", "--output", "128", "--engine", "aiconfigurator", "--json")
    code, out, err = run(*args)
    if importlib.util.find_spec("aiconfigurator_core") is None:
        assert code == 2 and "not installed" in err
        return
    assert code == 0, err
    r = json.loads(out)["result"]
    assert r["tokens_per_s"] == pytest.approx(3803, rel=0.15)
    assert any(n.startswith("engine: aiconfigurator-core") for n in r["notes"])


@pytest.mark.slow  # a few seconds: make test and CI, not make test-fast
@pytest.mark.xdist_group("perf-loo")  # shares the LOO: tests/conftest.py
def test_calibrate_json_reports_groups() -> None:
    # issue 19: leave-one-out error per (family x dense/MoE x width) group, flagged when a
    # group rests on fewer than 5 rows
    code, out, err = run("calibrate", "--json")
    assert code == 0, err
    groups = {g["group"]: g for g in json.loads(out)["groups"]}
    assert groups["hopper / dense / width 8+"]["rows"] >= 5
    assert groups["furiosa / dense / width 1"]["few_rows"]
