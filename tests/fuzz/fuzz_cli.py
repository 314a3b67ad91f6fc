"""The CLI fuzz harness: hypothesis strategies for every command family and one check.

Every generated command line runs in-process (typer's CliRunner) and must end with exit
code 0, 2 or 3; never a traceback; 2 and 3 print exactly one line ``aifab: error: ...``;
a failed run leaves no ``--out`` directory and no temporary files; a successful one
writes JSON files that all carry ``schema_version``. Used by tests/fuzz/test_fuzz_cli.py
(bounded, in CI) and benchmarks/fuzz_bench.py (long runs).

Example counts scale with ``AIFAB_FUZZ_SCALE`` (default 1); ``AIFAB_FUZZ_RANDOM=1``
draws fresh random cases (CI replays a fixed, derandomised set).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from aifab.commands._root import build_app

REPO = Path(__file__).resolve().parents[2]
KOREA = yaml.safe_load((REPO / "src/aifab/scenario/data/korea-2025.yaml").read_text())
ACC_CSV = (REPO / "src/aifab/catalog/data/accelerators.csv").read_text().splitlines()
MODELS_CSV = (REPO / "src/aifab/perf/data/models.csv").read_text().splitlines()

#: Outcomes per family: {"plan": Counter({"exit 0": 120, "exit 2": 80}), ...}.
OUTCOMES: dict[str, Counter[str]] = {}

APP = build_app()
RUNNER = CliRunner()


def fuzz_settings(examples: int) -> settings:
    """Hypothesis settings for a family: ``examples`` x AIFAB_FUZZ_SCALE cases."""
    scale = float(os.environ.get("AIFAB_FUZZ_SCALE", "1"))
    return settings(max_examples=max(1, int(examples * scale)), deadline=None,
                    derandomize=os.environ.get("AIFAB_FUZZ_RANDOM") != "1",
                    database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# ---------------------------------------------------------------- values -----------------

#: Text a user might type where a number is expected.
NUM_TEXT = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "NaN", "1e400", "-1", "0", "-0", "1", "2", "0.5",
                     "24", "25", "1e9", "1e20", "abc", "", " ", "true", "1_000", "0x10",
                     "3.0", "-1e-9", "9" * 30]),
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)

#: A YAML value for ``--set PATH=VALUE`` or a scenario field.
YAML_TEXT = st.one_of(
    st.sampled_from([".nan", ".inf", "-.inf", "nan", "inf", "true", "false", "null", "[]",
                     "{}", "[1, 2]", "{a: 1}", "'x'", "-1", "0", "1", "0.5", "1e9", "3",
                     "1000000000000000000000", "abc", "", "~", "[", "{x", "2026", "1900"]),
    st.integers(-10**9, 10**9).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)

JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10**9, 10**9),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


KOREA_PATHS = _paths(KOREA)
EXTRA_SET_PATHS = [
    "sim.days", "sim.seed", "sim.scale", "sim.load", "sim.year", "sim.queue_policy",
    "sim.power_cap_mw", "sim.inference_share", "sim.tenants", "sim.npu_pools", "sim.classes",
    "sim.peak_hour", "sim.sample_h", "siting.hours", "siting.block_mw", "siting.years",
    "siting.discount_rate", "owners.0.siting.max_distance_km", "fleets.9.count", "a.b",
    "fleets.x.count", "facility", "prices.krw_per_usd", "regions", "peers.0.count",
]
SET_PATHS = st.one_of(
    st.sampled_from([".".join(str(p) for p in path) for path in KOREA_PATHS]),
    st.sampled_from(EXTRA_SET_PATHS),
    st.text(alphabet="abcxyz._019", min_size=1, max_size=12),
)
GOOD_SETS = st.sampled_from([
    "facility.pue=1.2", "facility.load_factor=0.8", "prices.tariff_krw_per_kwh=150",
    "fleets.0.count=1000", "sim.days=3", "siting.hours=48", "facility.system_power=high",
    "compare_with=[Seoul]", "peers=[]", "prices.grid_co2_kg_per_kwh=0", "sim.seed=4"])
SETS = st.lists(st.one_of(GOOD_SETS, GOOD_SETS, st.builds(
    lambda p, v: f"{p}={v}", SET_PATHS, YAML_TEXT)), max_size=3).map(
    lambda xs: [a for x in xs for a in ("--set", x)])


@st.composite
def mutated_doc(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """``base`` with one to three fields replaced, deleted or added."""
    doc = copy.deepcopy(base)
    paths = _paths(doc)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        node: Any = doc
        try:
            for part in path[:-1]:
                node = node[part]
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                node[path[-1]] = draw(JUNK)
            elif action == "delete":
                del node[path[-1]]
            elif isinstance(node, dict):
                node[draw(st.text(min_size=1, max_size=6))] = draw(JUNK)
        except (KeyError, IndexError, TypeError):
            continue
    return doc


@st.composite
def mutated_csv(draw: st.DrawFn, lines: list[str], sep: str = ",",
                cells: st.SearchStrategy[str] = NUM_TEXT) -> str:
    """A CSV (header + rows, fields split by ``sep``) with up to three cells replaced by
    junk from ``cells`` (number-like by default), a row dropped or duplicated, or a column
    removed."""
    rows = [line.split(sep) for line in lines]
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["cell", "cell", "cell", "drop", "dup", "column"]))
        if kind == "cell" and len(rows) > 1:
            r = draw(st.integers(1, len(rows) - 1))
            c = draw(st.integers(0, len(rows[r]) - 1))
            rows[r][c] = draw(cells).replace(sep, ";" if sep != ";" else ",")
        elif kind == "drop" and len(rows) > 1:
            del rows[draw(st.integers(1, len(rows) - 1))]
        elif kind == "dup" and len(rows) > 1:
            rows.append(list(rows[draw(st.integers(1, len(rows) - 1))]))
        elif kind == "column":
            c = draw(st.integers(0, len(rows[0]) - 1))
            rows = [r[:c] + r[c + 1:] for r in rows]
    return "\n".join(sep.join(r) for r in rows) + "\n"


def flag(name: str, values: st.SearchStrategy[str] = NUM_TEXT,
         good: tuple[str, ...] = ()) -> st.SearchStrategy[list[str]]:
    """``[]``, ``[name, good value]`` or ``[name, any value]`` (a third each with ``good``)."""
    parts = [st.just([]), values.map(lambda v: [name, v])]
    if good:
        parts.insert(1, st.sampled_from(good).map(lambda v: [name, v]))
    return st.one_of(*parts)


def flags(*parts: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    """Concatenate optional flag strategies."""
    return st.tuples(*parts).map(lambda xs: [a for x in xs for a in x])


# ---------------------------------------------------------------- running ----------------

class SolverReached(Exception):
    """Raised by the fake solver edge: the input passed every check before the solve."""


@contextlib.contextmanager
def fake_siting() -> Iterator[None]:
    """``aifab.grid.site`` replaced by a fake that stops at the solver: siting is minutes
    of HiGHS, and the harness is about what reaches it, not the solve."""
    def fake(*args: Any, **kwargs: Any) -> Any:
        raise SolverReached

    with mock.patch("aifab.grid.site", fake):
        yield


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    """A fresh temporary directory per case, removed afterwards."""
    d = Path(tempfile.mkdtemp(prefix="aifab-fuzz-"))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def run(family: str, args: list[str], out: Path | None = None) -> int:
    """Run ``aifab *args`` in-process and check the outcome (see the module docstring)."""
    r = RUNNER.invoke(APP, args)
    exc = r.exception
    tally = OUTCOMES.setdefault(family, Counter())
    if isinstance(exc, SolverReached):
        tally["reached solver"] += 1
        assert out is None or not out.exists(), args
        return -1
    if exc is not None and not isinstance(exc, SystemExit):
        import traceback

        tb = "".join(traceback.format_exception(exc))
        raise AssertionError(f"traceback for aifab {' '.join(args)!r}:\n{tb}")
    tally[f"exit {r.exit_code}"] += 1
    assert r.exit_code in (0, 2, 3), (args, r.exit_code, r.stderr)
    assert "Traceback" not in r.stderr, (args, r.stderr)
    if out is not None:
        leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
        assert not leftovers, (args, leftovers)
    if r.exit_code != 0:
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("aifab: error: "), (args, r.stderr)
        assert out is None or not out.exists(), (args, sorted(out.rglob("*")))
        return r.exit_code
    if "--json" in args:
        assert json.loads(r.stdout)["schema_version"] == 1, args
    if out is not None:
        assert out.is_dir(), args
        for f in out.rglob("*.json"):
            doc = json.loads(f.read_text())
            assert isinstance(doc, dict) and doc.get("schema_version") == 1, (args, f.name)
    return 0


def out_flag(draw: st.DrawFn, base: Path) -> tuple[list[str], Path | None]:
    """Optionally ``--out base/out`` (fresh) or a bad --out."""
    kind = draw(st.sampled_from(["none", "none", "dir", "dir", "dir", "empty", "file"]))
    if kind == "dir":
        return ["--out", str(base / "out")], base / "out"
    if kind == "empty":
        return ["--out", ""], None
    if kind == "file":
        f = base / "afile"
        f.write_text("x")
        return ["--out", str(f)], None
    return [], None


TINY = {
    "name": "tiny",
    "owners": [{"name": "Gov", "kind": "public"}],
    "fleets": [{"owner": "Gov", "accelerator": "b200", "system": "dgx-b200", "count": 64,
                "delivery_year": 2026}],
    "sim": {"npu_pools": [], "services_per_owner": 0, "warmup_days": 0, "days": 0.02},
}
NODES = ["sn,cpu_milli,memory_mib,gpu,model",
         *(f"n{i},96000,393216,8,G2" for i in range(3)), "m0,64000,262144,2,T4"]
PODS = ["name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
        "deletion_time,scheduled_time",
        *(f"p{i},{4000 + 1000 * (i % 3)},8192,1,{[1000, 500, 250][i % 3]},"
          f"{'T4' if i % 5 == 0 else ''},LS,Running,{10 * i},{10 * i + 300},0" for i in range(12)),
        "q0,8000,16384,2,1000,,LS,Running,5,400,0"]


# ---------------------------------------------------------------- hostile inputs ----------

#: Inputs that are not ordinary documents (issue 24): each must be exit 2, quickly.
HOSTILE = ["fifo", "device", "directory", "bomb", "recursive", "dupkey", "deep", "deep_toml",
           "dotted_toml", "link_to_fifo", "oversize", "binary", "deep_json"]


def _bomb(levels: int) -> str:
    text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for i in range(1, levels + 1):
        prev, cur = chr(96 + i), chr(97 + i)
        text += f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    return text


def hostile_file(draw: st.DrawFn, base: Path, suffix: str) -> tuple[str, list[str]]:
    """``(path, root flags)`` of a hostile input of a drawn kind; root flags go before the
    command (``--max-input-mb`` for the oversize kind)."""
    kind = draw(st.sampled_from(HOSTILE))
    p = base / f"in{'.toml' if 'toml' in kind else suffix}"
    if kind in ("fifo", "link_to_fifo"):
        fifo = base / f"fifo{suffix}"
        os.mkfifo(fifo)
        if kind == "fifo":
            return str(fifo), []
        p.symlink_to(fifo)
    elif kind == "device":
        return "/dev/zero", []
    elif kind == "directory":
        p.mkdir()
    elif kind == "bomb":
        p.write_text(_bomb(draw(st.integers(7, 12))))
    elif kind == "recursive":
        p.write_text("a: &a [1, *a]\n")
    elif kind == "dupkey":
        key = draw(st.sampled_from(["name", "owners", "accelerators", "parameters", "x"]))
        p.write_text(f"{key}: 1\nother: 2\n{key}: 3\n")
    elif kind == "deep":
        n = draw(st.integers(65, 3000))
        p.write_text("a: " + "[" * n + "]" * n + "\n")
    elif kind == "deep_toml":
        n = draw(st.integers(65, 3000))
        p.write_text("a = " + "[" * n + "]" * n + "\n")
    elif kind == "dotted_toml":
        p.write_text(".".join(["a"] * draw(st.integers(65, 5000))) + " = 1\n")
    elif kind == "deep_json":
        n = draw(st.integers(2000, 200_000))
        p.write_text("[" * n + "]" * n)
    elif kind == "oversize":
        p.write_text("name: x\n" + "#" * 4096 + "\n")
        return str(p), ["--max-input-mb", "0.001"]
    else:
        p.write_bytes(bytes(draw(st.lists(st.integers(128, 255), min_size=1, max_size=64))))
    return str(p), []


def hostile_out(draw: st.DrawFn, base: Path) -> tuple[list[str], Path | None]:
    """A symlinked --out (to an empty folder that must stay empty) or a folder holding
    another command's run (marker ``.aifab-run``); returns the guarded folder."""
    kind = draw(st.sampled_from(["symlink", "foreign"]))
    if kind == "symlink":
        target = base / "target"
        target.mkdir()
        (base / "L").symlink_to(target)
        return ["--out", str(base / "L")], target
    out = base / "foreign"
    out.mkdir()
    (out / ".aifab-run").write_text('{"schema_version": 1, "command": "nosuch"}\n')
    (out / "report.html").write_text("theirs")
    return ["--out", str(out)], out
