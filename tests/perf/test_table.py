"""The aiconfigurator table inside the search (issue 19, item 1): lookups, coverage and
fallback, the engine flag, and the out-of-sample checks of the default ``auto`` engine."""

from __future__ import annotations

import json
import math
import statistics
from importlib import resources

import pytest
from typer.testing import CliRunner

from aifab import perf
from aifab.catalog import default_catalog
from aifab.cli import app
from aifab.perf import _table
from aifab.perf._infer import make_ctx, roofline_point
from aifab.perf._layout import moe_ctx
from aifab.perf._loo import GROUP_MIN, GROUP_TOL, LOO_MEDIAN_TOL, group_errors, loo_summary
from aifab.perf._userpath import USER_PATH_TOL, user_path, user_path_median

runner = CliRunner()
KEY = "llama-3.1-70b|h200-sxm|fp8|1|1|1|1"


def raw() -> dict[str, object]:
    f = resources.files("aifab.perf") / "data" / "aic_table.json"
    doc: dict[str, object] = json.loads(f.read_text("utf-8"))
    return doc


def ctx70(engine: str = "auto", tp: int = 1) -> perf._infer.Ctx:  # type: ignore[name-defined]
    m = perf.default_models().get("llama-3.1-70b")
    return moe_ctx(make_ctx(m, default_catalog().accelerator("h200-sxm"), "fp8",
                            engine=engine), tp, 1, 1)


def test_table_ships_with_source_and_licence() -> None:
    doc = raw()
    assert "Apache-2.0" in str(doc["source"]) and "aiconfigurator-core" in str(doc["source"])
    assert doc["generator"] == "benchmarks/perf_aic_table.py"
    lic = (resources.files("aifab.perf") / "data" / "aiconfigurator-LICENSE.txt")
    text = lic.read_text("utf-8")
    assert "Apache License" in text and "Version 2.0" in text and "NVIDIA" in text
    t = _table.load_table()
    assert t is not None and KEY in t.entries
    # every covered GPU is an NVIDIA GPU of aifab's catalogue; NPUs never are
    devices = {k.split("|")[1] for k in t.entries}
    assert devices <= set(default_catalog().accelerators)
    assert not devices & {"rngd", "atom", "atom-max", "rebel-quad"}


def test_lookup_is_exact_on_the_grid_and_refuses_outside() -> None:
    t = _table.load_table()
    assert t is not None
    doc = raw()
    entry = doc["entries"][KEY]  # type: ignore[index]
    ctx, step = t.entries[KEY]
    b_axis, l_axis = doc["batch_per_rank"], doc["length_tokens"]  # type: ignore[index]
    i, j = b_axis.index(64), l_axis.index(2048)
    assert _table.interpolate(t, ctx, 64, 2048) == pytest.approx(entry["ctx_ms"][i][j] / 1e3)
    assert _table.interpolate(t, step, 64, 2048) == pytest.approx(
        entry["step_ms"][i][j] / 1e3)
    # between grid points: within the neighbours (log-linear, monotone here)
    mid = _table.interpolate(t, step, 96, 3000)
    lo, hi = entry["step_ms"][i][j] / 1e3, entry["step_ms"][i + 1][j + 1] / 1e3
    assert mid is not None and lo < mid < hi
    # never extrapolated: beyond the largest batch or length, below the shortest length
    assert _table.interpolate(t, ctx, 1025, 2048) is None
    assert _table.interpolate(t, step, 64, 40000) is None
    assert _table.interpolate(t, ctx, 64, 100) is None


def test_table_point_is_prefill_plus_decode_steps() -> None:
    c = ctx70()
    roof = roofline_point(c, 1, 1, 64, 2048, 128, serving="static")
    assert roof is not None
    p = _table.table_point(c, roof, 2048, 128, 1)
    assert p is not None and p.engine == "table"
    t = _table.load_table()
    assert t is not None
    pf = _table.interpolate(t, t.entries[KEY][0], 64, 2048)
    st = _table.interpolate(t, t.entries[KEY][1], 64, 2048 + 64)
    assert pf is not None and st is not None
    assert p.ttft_s == pytest.approx(pf) and p.tpot_s == pytest.approx(st)
    assert p.request_latency_s == pytest.approx(pf + 127 * st)
    assert p.tokens_per_s == pytest.approx(64 * 128 / (pf + 127 * st))
    # continuous batching: the same work per request, TPOT = request time / osl
    cont = roofline_point(c, 1, 1, 64, 2048, 128)
    assert cont is not None
    q = _table.table_point(c, cont, 2048, 128, 1)
    assert q is not None and q.tpot_s == pytest.approx((pf + 127 * st) / 128)


@pytest.mark.parametrize(("kw", "why"), [
    ({"beams": 2}, "beams"), ({"input_tokens": 64}, "short prompt"),
    ({"input_tokens": 30000, "output_tokens": 6000}, "long context"),
])
def test_outside_coverage_the_roofline_answers(kw: dict[str, int | float], why: str) -> None:
    args = {"devices": 2, "precision": "fp8", "batch": 8, "tp": 2, **kw}
    r = perf.inference("llama-3.1-70b", "h200-sxm", **args)  # type: ignore[arg-type]
    assert r.engine == "roofline", why
    assert any("outside the aiconfigurator table" in n for n in r.notes)
    roof = perf.inference("llama-3.1-70b", "h200-sxm", **args,  # type: ignore[arg-type]
                          engine="roofline")
    assert r.tokens_per_s == roof.tokens_per_s


def test_npu_and_uncovered_models_stay_on_the_roofline() -> None:
    s = perf.search("llama-3.1-70b", "rngd", 8, input_tokens=2048, output_tokens=256)
    assert s.best is not None and all(c.engine == "roofline" for c in s.candidates)
    q = perf.search("qwen3-235b-a22b", "b200", 8, input_tokens=2048, output_tokens=256)
    assert q.best is not None and q.best.engine == "roofline"


def test_auto_search_uses_the_table_and_marks_each_candidate() -> None:
    s = perf.search("llama-3.1-70b", "b200", 8, input_tokens=2048, output_tokens=256,
                    tpot_slo_s=0.05)
    engines = {(c.tp, c.pp): c.engine for c in s.candidates}
    assert engines[(1, 1)] == "table" and engines[(8, 1)] == "table"
    # pipelines: the table's replica without the pipeline x the roofline's pipeline effect
    assert all(e == "table+pp" for (_, pp), e in engines.items() if pp > 1)
    assert s.best is not None and s.best.tpot_s <= 0.05
    tab = perf.search("llama-3.1-70b", "b200", 8, input_tokens=2048, output_tokens=256,
                      tpot_slo_s=0.05, engine="table")
    assert tab.candidates and all(c.engine.startswith("table") for c in tab.candidates)
    roof = perf.search("llama-3.1-70b", "b200", 8, input_tokens=2048, output_tokens=256,
                       tpot_slo_s=0.05, engine="roofline")
    assert roof.best is not None and roof.best.engine == "roofline"
    assert s.best.tokens_per_s != roof.best.tokens_per_s


def test_pipeline_is_the_table_scaled_by_the_roofline_pipeline_effect() -> None:
    kw = {"precision": "fp8", "batch": 64, "input_tokens": 2048, "output_tokens": 256,
          "serving": "static"}
    p2 = perf.inference("llama-3.1-70b", "h200-sxm", 2, tp=1, pp=2, **kw)  # type: ignore[arg-type]
    r2 = perf.inference("llama-3.1-70b", "h200-sxm", 2, tp=1, pp=2, engine="roofline",
                        **kw)  # type: ignore[arg-type]
    t1 = perf.inference("llama-3.1-70b", "h200-sxm", 1, tp=1, **kw)  # type: ignore[arg-type]
    r1 = perf.inference("llama-3.1-70b", "h200-sxm", 1, tp=1, engine="roofline",
                        **kw)  # type: ignore[arg-type]
    assert p2.engine == "table+pp" and t1.engine == "table"
    assert p2.tpot_s == pytest.approx(r2.tpot_s * t1.tpot_s / r1.tpot_s)
    assert p2.ttft_s == pytest.approx(r2.ttft_s * t1.ttft_s / r1.ttft_s)


def test_speculative_decoding_verifies_k_plus_1_tokens_per_sequence() -> None:
    kw = {"precision": "fp8", "batch": 16, "input_tokens": 2048, "output_tokens": 256,
          "serving": "static"}
    r = perf.inference("llama-3.1-70b", "h200-sxm", 1, spec_k=3, spec_accept=0.8,
                       **kw)  # type: ignore[arg-type]
    assert r.engine == "table+spec"
    t = _table.load_table()
    assert t is not None
    step = _table.interpolate(t, t.entries[KEY][1], 16, 2048 + 128)
    verify = _table.interpolate(t, t.entries[KEY][1], 16 * 4, 2048 + 128)
    assert step is not None and verify is not None
    e = 1 + 0.8 + 0.8 ** 2 + 0.8 ** 3
    assert r.tpot_s == pytest.approx((verify + 3 * step * 1 / 80) / e)


def test_power_cap_slows_the_table_as_the_roofline() -> None:
    s = perf.search("llama-3.1-70b", "h200-sxm", 1, objective="energy", input_tokens=2048,
                    output_tokens=256, batch=64)
    free = [c for c in s.candidates if c.power_cap == 1.0 and c.engine == "table"]
    capped = [c for c in s.candidates if c.power_cap < 1.0 and c.engine == "table"]
    assert free and capped
    assert all(c.tokens_per_s < free[0].tokens_per_s for c in capped)


def cli(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, ["perf", "infer", *args])
    return r.exit_code, r.stdout, r.stderr


def test_engine_flag() -> None:
    base = ("--model", "llama-3.1-70b", "--device", "h200-sxm", "--devices", "1",
            "--batch", "64", "--input", "2048", "--output", "128", "--json")
    code, out, _ = cli(*base)
    assert code == 0 and json.loads(out)["result"]["engine"] == "table"
    code, out, _ = cli(*base, "--engine", "roofline")
    assert code == 0 and json.loads(out)["result"]["engine"] == "roofline"
    code, _, err = cli(*base[:-5], "--input", "64", "--output", "128", "--engine", "table")
    assert code == 2 and "--engine" in err
    code, _, err = cli("--model", "llama-3.1-70b", "--device", "rngd", "--devices", "8",
                       "--batch", "max", "--engine", "table")
    assert code == 2 and "--engine" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(*base, "--engine", "magic")
    assert code == 2 and "unknown engine" in err


@pytest.mark.slow  # ~20 s: every out-of-sample row of the measured tables
@pytest.mark.xdist_group("perf-loo")  # shares the LOO: tests/conftest.py
def test_auto_engine_out_of_sample_checks() -> None:
    # Issue 19 checks on the default engine: the table's error where it times a row
    # (fitted to none), the roofline's leave-one-out error elsewhere.
    auto = perf.auto_out_of_sample()
    roof = perf.leave_one_out()
    assert len(auto) == len(roof)
    tab = [r for r in auto if r.loo_detail.endswith("engine table")]
    assert len(tab) >= 30
    _, med, _ = loo_summary(auto)
    assert med <= LOO_MEDIAN_TOL
    for g in group_errors(auto):
        if g.rows >= GROUP_MIN:
            assert g.loo_median <= GROUP_TOL, g
    # where the table answers it beats the roofline's leave-one-out error (the reason
    # it is the default there; docs/perf-engines.md)
    ids = {r.id for r in tab}
    t_med = statistics.median(abs(r.loo_error) for r in tab)
    r_med = statistics.median(abs(r.loo_error) for r in roof if r.id in ids)
    assert t_med < r_med and math.isfinite(t_med)


def test_auto_user_path() -> None:
    rows = user_path("auto")
    assert len(rows) >= 60
    assert user_path_median(rows) <= USER_PATH_TOL
    for r in rows:
        assert r.search_tokens_per_s >= 0.999 * r.calibrated_tokens_per_s, r.id


def test_the_lean_bisection_probe_is_the_full_probe() -> None:
    """The search bisects on ``lean_tpot`` (no retimed points, no prefill pass for static
    probes) for speed; it must give exactly the TPOT the full evaluation gives, for
    table-timed, pipelined (table+pp) and uncovered (roofline) points, both servings."""
    from aifab.perf._common import resolve_device
    from aifab.perf._infer import evaluate, make_ctx
    from aifab.perf._layout import moe_ctx
    from aifab.perf._models import default_models
    from aifab.perf._search import lean_tpot

    seen = set()
    for model, dev, tp, pp, dp, ep in (("llama-3.1-70b", "h100-sxm", 2, 1, 1, 1),
                                       ("llama-3.1-70b", "h100-sxm", 2, 4, 1, 1),
                                       ("llama-3.1-405b", "b200", 4, 2, 1, 1),
                                       ("deepseek-r1", "b200", 1, 1, 8, 8),
                                       ("qwen3-235b-a22b", "h200-sxm", 4, 2, 1, 1)):
        m = default_models().get(model)
        c = moe_ctx(make_ctx(m, resolve_device(dev, None), "fp8", engine="auto"), tp, dp, ep)
        for serving in ("continuous", "static"):
            for b in (1, 3, 17, 64, 300):
                for inp, out in ((2048, 256), (128, 2048), (20000, 500)):
                    p = evaluate(c, tp, pp, b, inp, out, 1, serving, with_ttft=False)
                    lean = lean_tpot(c, tp, pp, b, inp, out, serving, 8192)
                    assert (p is None) == (lean is None)
                    if p is not None:
                        assert lean == p.tpot_s, (model, tp, pp, serving, b, inp, out)
                        full = evaluate(c, tp, pp, b, inp, out, 1, serving)
                        assert full is not None and full.tpot_s == p.tpot_s
                        seen.add(p.engine)
    assert {"table", "table+pp", "roofline"} <= seen
