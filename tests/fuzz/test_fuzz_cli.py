"""Fuzz every command family through the real CLI (see fuzz_cli.py for what is checked).

Case counts per family in CI (x AIFAB_FUZZ_SCALE): plan 250, scenarios/catalog 250, perf
300, replay 250, site 250 (solver faked), simulate 120, report 60; hostile inputs 100,
hostile --out 60, full disk 8 (subprocesses under ``ulimit -f``).
"""

from __future__ import annotations

import pytest
import yaml
from fuzz_cli import (
    ACC_CSV,
    KOREA,
    MODELS_CSV,
    NODES,
    NUM_TEXT,
    PODS,
    SETS,
    TINY,
    YAML_TEXT,
    fake_siting,
    flag,
    flags,
    fuzz_settings,
    hostile_file,
    hostile_out,
    mutated_csv,
    mutated_doc,
    out_flag,
    run,
    workdir,
)
from hypothesis import given
from hypothesis import strategies as st

MODELS = st.sampled_from(["llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "mixtral-8x7b",
                          "deepseek-v3", "nosuch", ""])
DEVICES = st.sampled_from(["h100-sxm", "b200", "gb200", "rngd", "rebel-quad", "atom", "x",
                           ""])
PRECISIONS = st.sampled_from(["bf16", "fp8", "fp4", "int8", "fp3", ""])


@pytest.mark.slow  # heavy: runs in make test and CI, not in make test-fast
@fuzz_settings(250)
@given(data=st.data())
def test_plan(data: st.DataObject) -> None:
    with workdir() as d:
        args = ["plan"]
        if data.draw(st.booleans()):
            p = d / "scn.yaml"
            p.write_text(yaml.safe_dump(data.draw(mutated_doc(KOREA)), sort_keys=False))
            args.append(str(p))
        args += data.draw(SETS)
        if data.draw(st.booleans()):
            c = d / "cat.csv"
            c.write_text(data.draw(mutated_csv([ACC_CSV[0], ACC_CSV[1].replace(
                "a100-sxm,", "x1,", 1)])))
            args += ["--catalog", str(c)]
        out_args, out = out_flag(data.draw, d)
        run("plan", [*args, *data.draw(st.sampled_from([["--json"], []])), *out_args], out)


@pytest.mark.slow
@fuzz_settings(250)
@given(data=st.data())
def test_scenarios_and_catalog(data: st.DataObject) -> None:
    with workdir() as d:
        cmd = data.draw(st.sampled_from(["scenarios", "catalog", "catalog"]))
        args = [cmd]
        if cmd == "catalog" and data.draw(st.booleans()):
            kind = data.draw(st.sampled_from(["csv", "yaml"]))
            c = d / f"cat.{kind}"
            if kind == "csv":
                c.write_text(data.draw(mutated_csv([ACC_CSV[0], *ACC_CSV[1:4]])))
            else:
                rows = [dict(zip(ACC_CSV[0].split(","), ACC_CSV[2].split(","), strict=False))]
                doc = data.draw(mutated_doc({"accelerators": rows}))
                c.write_text(yaml.safe_dump(doc))
            args += ["--catalog", str(c)]
        out_args, out = out_flag(data.draw, d)
        run("scenarios/catalog", [*args, *data.draw(st.sampled_from([["--json"], []])),
                                  *out_args], out)


@pytest.mark.slow
@fuzz_settings(300)
@given(data=st.data())
def test_perf(data: st.DataObject) -> None:
    with workdir() as d:
        sub = data.draw(st.sampled_from(["infer", "infer", "train", "train", "compare",
                                         "compare", "models"]))
        args = ["perf", sub]
        if sub != "models":
            args += ["--model", data.draw(MODELS)]
        if sub == "infer":
            args += ["--device", data.draw(DEVICES)]
            args += data.draw(flags(flag("--devices", good=("1", "8")),
                                    flag("--tp", good=("1", "8")),
                                    flag("--batch", good=("1", "64")),
                                    flag("--input", good=("512",)),
                                    flag("--output", good=("128",)), flag("--pue", good=("1.2",)),
                                    flag("--precision", PRECISIONS)))
        elif sub == "train":
            args += ["--device", data.draw(DEVICES), "--tokens",
                     data.draw(st.one_of(st.just("1e12"), NUM_TEXT)),
                     "--devices", data.draw(st.one_of(st.just("1024"), NUM_TEXT))]
            args += data.draw(flags(flag("--seq-len", good=("4096",)), flag("--pue", good=("1.3",)),
                                    flag("--precision", PRECISIONS)))
            args += data.draw(st.sampled_from([[], ["--lora"]]))
        elif sub == "compare":
            devs = data.draw(st.lists(DEVICES, min_size=0, max_size=3))
            args += ["--devices-list", ",".join(devs)]
            args += data.draw(flags(flag("--years", good=("4",)),
                                    flag("--usd-per-kwh", good=("0.1",)),
                                    flag("--load-factor", good=("0.5",)),
                                    flag("--tpot-ms", good=("30",)), flag("--ttft-s", good=("2",)),
                                    flag("--target-tokens-per-s", good=("1e5",)),
                                    flag("--input", good=("512",)),
                                    flag("--output", good=("64",)), flag("--pue", good=("1.1",)),
                                    flag("--precision", PRECISIONS)))
        if data.draw(st.integers(0, 3)) == 0:
            m = d / "models.csv"
            m.write_text(data.draw(mutated_csv([MODELS_CSV[0], MODELS_CSV[1].replace(
                "llama-3.1-8b,", "m1,", 1)])))
            args += ["--models", str(m)]
        out_args, out = out_flag(data.draw, d)
        run("perf", [*args, *data.draw(st.sampled_from([["--json"], []])), *out_args], out)


@pytest.mark.slow
@fuzz_settings(250)
@given(data=st.data())
def test_replay(data: st.DataObject) -> None:
    with workdir() as d:
        n, p = d / "nodes.csv", d / "pods.csv"
        n.write_text(data.draw(mutated_csv(NODES)))
        p.write_text(data.draw(mutated_csv(PODS)))
        args = ["replay", "openb", "--nodes", str(n), "--pods", str(p)]
        timed = data.draw(st.booleans())
        args += ["--timed"] if timed else []
        args += data.draw(flags(
            flag("--policy", st.sampled_from(["fgd", "bestfit", "random", "packing", "x"])),
            flag("--tune", good=("0", "1", "1.3")), flag("--seed", good=("0", "7")),
            flag("--seeds", st.sampled_from(["1-3", "5", "3-1", "0-20000", "-1", "a", ""])),
            flag("--speedup", good=("2",)),
            flag("--tie-break", st.sampled_from(["rank", "uniform", "x"]))))
        out_args, out = out_flag(data.draw, d)
        run("replay", [*args, *data.draw(st.sampled_from([["--json"], []])), *out_args], out)


@pytest.mark.slow
@fuzz_settings(250)
@given(data=st.data())
def test_site(data: st.DataObject) -> None:
    with workdir() as d, fake_siting():
        s = d / "tiny.yaml"
        s.write_text(yaml.safe_dump(data.draw(st.one_of(st.just(TINY), mutated_doc(TINY)))))
        args = ["site", str(s), *data.draw(SETS)]
        args += data.draw(flags(flag("--hours", good=("24", "48")),
                                flag("--time-limit", good=("10",))))
        siting = st.builds(lambda k, v: ["--set", f"siting.{k}={v}"], st.sampled_from(
            ["hours", "block_mw", "years", "discount_rate", "time_limit_s", "mip_rel_gap",
             "screening_hours", "solver_threads", "carbon_price_krw_per_t"]), YAML_TEXT)
        args += data.draw(st.one_of(st.just([]), siting))
        out_args, out = out_flag(data.draw, d)
        run("site", [*args, "--json", *out_args], out)


#: sim.* keys fuzzed (sim.year too: it is bounded and checked against the deliveries).
SIM_KEYS = st.sampled_from(["days", "seed", "scale", "load", "queue_policy", "year",
                            "peak_hour", "sample_h", "warmup_days", "diurnal_amplitude",
                            "power_cap_mw", "inference_share", "power_mode", "backfill_depth",
                            "restart_cost_s", "preempt_grace_s", "scale_interval_h",
                            "reference_accelerator", "services_per_owner", "borrowing"])
SIM_SETS = st.lists(st.builds(lambda k, v: ["--set", f"sim.{k}={v}"], SIM_KEYS, YAML_TEXT),
                    max_size=2).map(lambda xs: [a for x in xs for a in x])
SMALL_DAYS = st.sampled_from(["0.01", "0.02", "0.05", "0.01", "0.02", "0", "-1", "nan", "inf",
                             "abc"])


@pytest.mark.slow
@fuzz_settings(120)
@given(data=st.data())
def test_simulate(data: st.DataObject) -> None:
    with workdir() as d:
        s = d / "tiny.yaml"
        s.write_text(yaml.safe_dump(data.draw(st.one_of(st.just(TINY), mutated_doc(TINY)))))
        args = ["simulate", str(s), "--days", data.draw(SMALL_DAYS), *data.draw(SIM_SETS)]
        args += data.draw(flags(
            flag("--policy", st.sampled_from(["fifo", "backfill", "fairshare", "x"])),
            flag("--seed", good=("1",)),
            flag("--replications", st.sampled_from(["0", "1", "2", "x"]))))
        out_args, out = out_flag(data.draw, d)
        run("simulate", [*args, "--json", *out_args], out)


@pytest.mark.slow
@fuzz_settings(60)
@given(data=st.data())
def test_report(data: st.DataObject) -> None:
    with workdir() as d:
        s = d / "tiny.yaml"
        s.write_text(yaml.safe_dump(data.draw(st.one_of(st.just(TINY), mutated_doc(TINY)))))
        args = ["report", str(s), "--no-site", "--days", data.draw(SMALL_DAYS),
                *data.draw(SIM_SETS), *data.draw(st.sampled_from([[], ["--no-simulate"]]))]
        kind = data.draw(st.sampled_from(["dir", "dir", "dir", "empty", "file"]))
        out = d / "out" if kind == "dir" else None
        target = {"dir": str(d / "out"), "empty": "", "file": str(s)}[kind]
        run("report", [*args, "--json", "--out", target], out)


#: Where each command takes a document: (command line before the file, suffix).
HOSTILE_SLOTS = [(["plan"], ".yaml"), (["plan", "--catalog"], ".yaml"),
                 (["simulate", "--days", "0.01"], ".yaml"), (["sweep", "--workers", "0"], ".yaml"),
                 (["simulate", "--days", "0.01", "--power-caps"], ".json"),
                 (["replay", "openb", "--nodes"], ".csv"), (["perf", "models", "--models"], ".csv"),
                 (["plan", "--set"], "")]


@fuzz_settings(100)
@given(data=st.data())
def test_hostile_inputs(data: st.DataObject) -> None:
    """FIFOs, devices, alias bombs, duplicate keys, deep nesting, oversize and binary files in
    every document slot (and in --set values): always exit 2 with one line, never a hang."""
    with workdir() as d:
        slot, suffix = data.draw(st.sampled_from(HOSTILE_SLOTS))
        if slot[-1] == "--set":
            value = data.draw(st.sampled_from([
                "{a: 1, a: 2}", "[" * 100 + "]" * 100, "&a [*a]"]))
            args = [*slot, f"facility.pue={value}"]
            code = run("hostile", args)
            assert code == 2, args
            return
        path, root = hostile_file(data.draw, d, suffix)
        args = [*root, *slot, path]
        if slot[:2] == ["replay", "openb"]:
            (d / "pods.csv").write_text("\n".join(PODS) + "\n")
            args += ["--pods", str(d / "pods.csv")]
        code = run("hostile", [*args, "--json"])
        assert code == 2, args


@fuzz_settings(60)
@given(data=st.data())
def test_hostile_out(data: st.DataObject) -> None:
    """A symlinked --out or another command's run folder: exit 2, and the folder (or the
    link's target) is left exactly as it was."""
    with workdir() as d:
        cmd = data.draw(st.sampled_from([["plan"], ["scenarios"], ["catalog"], ["perf", "models"],
                                         ["simulate", "--days", "0.01"]]))
        out_args, guarded = hostile_out(data.draw, d)
        assert guarded is not None
        before = sorted((p.name, p.read_bytes()) for p in guarded.iterdir())
        code = run("hostile out", [*cmd, "--json", *out_args])
        assert code == 2, cmd
        assert sorted((p.name, p.read_bytes()) for p in guarded.iterdir()) == before


@pytest.mark.slow  # subprocesses: in `make test`, not in `make test-fast`
@fuzz_settings(8)
@given(data=st.data())
def test_full_disk(data: st.DataObject) -> None:
    """Output under a file size limit (``ulimit -f``): exit 0 with whole files, or exit 2
    with one line; never a traceback, never a temporary folder left behind."""
    import json
    import os
    import resource
    import subprocess
    import sys
    from pathlib import Path

    cmd = data.draw(st.sampled_from([["plan"], ["scenarios"], ["catalog"], ["perf", "models"],
                                     ["simulate", "--days", "0.05", "--set", "sim.scale=0.01"]]))
    limit = data.draw(st.sampled_from([0, 1, 16, 256, 4096, 65536])) * 1024
    stdout_too = data.draw(st.booleans())

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    with workdir() as d:
        out = d / "out"
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
        with open(d / "stdout", "w") as so:
            r = subprocess.run([sys.executable, "-m", "aifab.cli", *cmd, "--json", "--out",
                                str(out)], stdout=so if stdout_too else subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, env=env, timeout=300,
                               preexec_fn=cap, check=False)
        assert r.returncode in (0, 2), (cmd, limit, r.stderr[-2000:])
        assert "Traceback" not in r.stderr, (cmd, limit, r.stderr[-2000:])
        assert not [p for p in d.iterdir() if p.name.startswith(".out.")], (cmd, limit)
        if r.returncode == 2:
            lines = r.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("aifab: error: "), r.stderr
            assert "disk full" in lines[0] or "File too large" in lines[0], lines[0]
        else:
            for f in out.rglob("*.json"):
                json.loads(f.read_text())
