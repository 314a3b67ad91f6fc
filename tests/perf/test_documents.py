"""The perf commands' typed documents: a ``--out`` folder reads back the same typed report
(the ``--json`` document, key order included), and a mistyped field exits 2 naming the
file and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aifab.cli import app
from aifab.errors import BadInput
from aifab.perf import (
    CompareReport,
    InferenceResult,
    InferReport,
    SearchReport,
    SearchResult,
    TrainingResult,
    TrainReport,
    read_perf,
)

CASES = {
    "infer": (["infer", "--model", "llama-3.1-8b", "--device", "h100-sxm", "--batch", "4"],
              InferReport),
    "search": (["infer", "--model", "llama-3.1-8b", "--device", "h100-sxm", "--devices", "2",
                "--batch", "max", "--tpot-ms", "40", "--slo-percentile", "99"], SearchReport),
    "train": (["train", "--model", "llama-3.1-8b", "--tokens", "1e12", "--device",
               "h100-sxm", "--devices", "64"], TrainReport),
    "compare": (["compare", "--model", "llama-3.1-8b", "--devices-list", "h100-sxm,b200"],
                CompareReport),
}


def _run(args: list[str], out: Path) -> dict[str, object]:
    r = CliRunner().invoke(app, ["perf", *args, "--json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    doc: dict[str, object] = json.loads(r.stdout)
    return doc


@pytest.mark.parametrize("case", list(CASES))
def test_a_perf_folder_reads_back_the_typed_report(case: str, tmp_path: Path) -> None:
    args, block = CASES[case]
    doc = _run(args, tmp_path / "out")
    back = read_perf(tmp_path / "out")
    assert type(back) is block
    doc.pop("schema_version")
    assert json.dumps(back.to_dict()) == json.dumps(doc)
    if isinstance(back, InferReport):
        assert isinstance(back.result, InferenceResult) and back.inputs.batch == 4
        assert back.inputs.slo_percentile is None and "slo_percentile" not in doc["inputs"]  # type: ignore[operator]
    if isinstance(back, SearchReport):
        assert isinstance(back.search, SearchResult) and back.inputs.batch == "max"
        assert back.inputs.slo_percentile == 99 and back.disaggregation is None
        assert back.result is not None and back.result == back.search.best
    if isinstance(back, TrainReport):
        assert isinstance(back.result, TrainingResult) and back.inputs.devices == 64
        assert back.reliability["devices"] == 64
    if isinstance(back, CompareReport):
        assert [r.device for r in back.rows] == ["h100-sxm", "b200"]


def test_a_mistyped_field_names_the_file_and_the_field(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(CASES["infer"][0], out)
    path = out / "perf.json"
    doc = json.loads(path.read_text())
    doc["result"]["tokens_per_s"] = "fast"
    path.write_text(json.dumps(doc))
    with pytest.raises(BadInput) as exc:
        read_perf(out)
    assert str(exc.value) == f"{path}: result.tokens_per_s: expected a number, got str 'fast'"
    doc["result"]["tokens_per_s"] = 1.0
    doc["inputs"]["colour"] = "red"
    path.write_text(json.dumps(doc))
    with pytest.raises(BadInput, match=r"perf.json: inputs.colour: unknown field"):
        read_perf(out)
    path.write_text("not json")
    with pytest.raises(BadInput, match=r"perf.json: not a perf result \(JSONDecodeError\)"):
        read_perf(out)
