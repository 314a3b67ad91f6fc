"""Scenario loading, overrides and precise bad-input messages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from aifab import BadInput, load_scenario
from aifab.scenario import embedded_scenarios

KOREA = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "src/aifab/scenario/data/korea-2025.yaml").read_text()
)


def write(tmp_path: Path, doc: object, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return p


def test_embedded_korea() -> None:
    assert "korea-2025" in embedded_scenarios()
    s = load_scenario("korea-2025")
    counts: dict[str, int] = {}
    npus = 0
    for f in s.fleets:
        if f.accelerator in ("rngd", "rebel-quad"):  # the assumed domestic NPUs
            npus += f.count
            assert f.assumed
            continue
        counts[f.owner] = counts.get(f.owner, 0) + f.count
    assert counts == {"Naver": 60_000, "Samsung": 50_000, "SK": 50_000, "Hyundai": 50_000,
                      "Government": 50_000}
    assert npus == 8_000
    assert load_scenario() == s


def test_file_roundtrip(tmp_path: Path) -> None:
    assert load_scenario(write(tmp_path, KOREA)) == load_scenario()


def test_toml(tmp_path: Path) -> None:
    p = tmp_path / "s.toml"
    p.write_text(
        'name = "t"\n'
        '[[owners]]\nname = "A"\n'
        '[[fleets]]\nowner = "A"\naccelerator = "h100-sxm"\nsystem = "hgx-h100"\n'
        "count = 16\ndelivery_year = 2025\n"
    )
    s = load_scenario(p)
    assert s.fleets[0].count == 16 and s.facility.pue == 1.3


def test_overrides_typed_and_validated() -> None:
    s = load_scenario(None, ["fleets.0.count=72", "facility.pue=1.2", "prices.krw_per_usd=1300"])
    assert s.fleets[0].count == 72 and s.facility.pue == 1.2
    with pytest.raises(BadInput, match=r"fleets\[0\]\.count: input should be greater than 0"):
        load_scenario(None, ["fleets.0.count=-5"])


@pytest.mark.parametrize(("sets", "pattern"), [
    (["nonsense"], "malformed --set"),
    (["fleets.99.count=1"], "no list element '99'"),
    (["fleets.x.count=1"], "no list element 'x'"),
    (["name.sub=1"], "cannot index into a str"),
    (["facility..pue=1"], "empty path element"),
    (["facility.pue=0.9"], r"facility\.pue: input should be greater than or equal to 1"),
    (["facility.load_factor=0"], r"facility\.load_factor: input should be greater than 0"),
    (["facility.load_factor=1.5"], r"facility\.load_factor: input should be less than or equal"),
    (["facility.bogus=1"], r"facility\.bogus: unknown field"),
    (["fleets.0.count=abc"], r"fleets\[0\]\.count: input should be a valid integer"),
    (["fleets.1.owner=Nobody"], r"fleets\[1\]\.owner: unknown owner 'Nobody'"),
    (["fleets.0.accelerator=zz9"], r"fleets\[0\]\.accelerator: unknown accelerator 'zz9'"),
    (["fleets.0.system=nope"], r"fleets\[0\]\.system: unknown system 'nope'"),
    (["fleets.0.system=dgx-b200"], "holds 'b200', not 'gb200'"),
    (["compare_with=[Atlantis]"], "unknown region 'Atlantis'"),
])
def test_bad_overrides(sets: list[str], pattern: str) -> None:
    from aifab import plan

    with pytest.raises(BadInput, match=pattern):
        plan(load_scenario(None, sets))


def test_file_errors_name_file_line_and_field(tmp_path: Path) -> None:
    doc = yaml.safe_load(yaml.safe_dump(KOREA))
    doc["fleets"][2]["count"] = -5
    p = write(tmp_path, doc, "korea.yaml")
    with pytest.raises(BadInput) as exc:
        load_scenario(p)
    msg = str(exc.value)
    assert msg.startswith(f"{p}:")
    assert "fleets[2].count: input should be greater than 0, got -5" in msg
    line = int(msg.split(":")[1])
    assert "count: -5" in p.read_text().splitlines()[line - 1]


@pytest.mark.parametrize(("content", "pattern"), [
    ("name: [unclosed", "invalid YAML"),
    ("- a\n- b\n", "expected a mapping"),
    ("name: x\nowners: []\nfleets: []\n", "owners: list should have at least 1 item"),
])
def test_malformed_files(tmp_path: Path, content: str, pattern: str) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(content)
    with pytest.raises(BadInput, match=pattern):
        load_scenario(p)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="scenario file not found"):
        load_scenario(tmp_path / "nope.yaml")
    with pytest.raises(BadInput, match="is a directory"):
        load_scenario(tmp_path)
    with pytest.raises(BadInput, match="no such scenario file or embedded scenario"):
        load_scenario("korea-2099")


def test_duplicate_owner(tmp_path: Path) -> None:
    doc = yaml.safe_load(yaml.safe_dump(KOREA))
    doc["owners"].append({"name": "SK"})
    with pytest.raises(BadInput, match="duplicate owner name"):
        load_scenario(write(tmp_path, doc))



def test_an_unknown_inference_model_names_the_file(tmp_path: Path) -> None:
    """Found by tests/fuzz/test_fuzz_plan.py: an unknown model in ``workload.inference`` was
    refused only when ``plan`` measured the mix, with the field but not the file. Checked
    where the commands load a scenario (perf's models are a layer above aifab.scenario)."""
    from typer.testing import CliRunner

    from aifab.cli import app
    from aifab.scenario import embedded_text

    doc = yaml.safe_load(embedded_text("korea-2025"))
    doc["workload"]["inference"][1]["model"] = "0"
    p = write(tmp_path, doc)
    r = CliRunner().invoke(app, ["plan", str(p), "--json"])
    assert r.exit_code == 2, r.output
    assert r.stderr.strip() == (f"aifab: error: {p}: workload.inference[1].model: unknown "
                                f"model '0' (known: {r.stderr.split('(known: ')[1].strip()}")
