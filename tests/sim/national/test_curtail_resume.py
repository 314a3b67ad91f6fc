"""A run with curtailment windows checkpoints (the windows, the campuses' limits, the
paused jobs and the rows so far) and resumes bit-identically from every checkpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aifab.catalog import default_catalog
from aifab.errors import BadInput
from aifab.sim.national import (
    CurtailWindow,
    TwinRequest,
    finish,
    load_checkpoint,
    run_twin,
    save_checkpoint,
)

from .test_determinism import _canon, _scn

#: Hours after the 12 h warm-up: checkpoints every 12 h (absolute) fall inside both.
WINDOWS = (CurtailWindow(6.0, 12.0, 0.5, "Own"), CurtailWindow(30.0, 8.0, 0.6, "Gov"),
           CurtailWindow(31.0, 2.0, 0.3, "Own"))


def test_resume_from_every_checkpoint_of_a_curtailed_run(kit: Any, tmp_path: Path) -> None:
    scn = _scn(kit, queue_policy="fairshare")
    cat = default_catalog()
    whole = run_twin(TwinRequest(scn, catalog=cat, windows=WINDOWS))
    flex = whole.summary.flexibility
    assert flex is not None and flex.windows == 3 and flex.jobs_delayed > 0
    saved: list[float] = []

    def keep(run: Any) -> None:
        save_checkpoint(run, scn, cat, tmp_path / f"c{len(saved)}")
        saved.append(run.sliced_to)

    again = run_twin(TwinRequest(scn, catalog=cat, windows=WINDOWS), checkpoint=keep)
    assert _canon(again.to_dict()) == _canon(whole.to_dict())
    assert saved == [12 * 3600.0 * k for k in range(1, 7)]
    # the checkpoint at 24 h is inside Own's window: a limit set and jobs paused
    inside = json.loads((tmp_path / "c1" / "state.json").read_text())["curtail"]
    assert [c for c, _kw in inside["limits"]] == [0] and inside["paused"]
    assert inside["active"] == [1, 0] and len(inside["rows"]) == 1
    for i in range(len(saved)):
        run, _ = load_checkpoint(tmp_path / f"c{i}", cat, expect=scn)
        res = finish(run)
        assert _canon(res.to_dict()) == _canon(whole.to_dict()), f"checkpoint {i}"
        for name, df in whole.frames.items():
            assert res.frames[name].equals(df), (i, name)


def test_a_tampered_window_is_refused_naming_it(kit: Any, tmp_path: Path) -> None:
    scn = _scn(kit, days=1.0)
    cat = default_catalog()

    def keep(run: Any) -> None:
        save_checkpoint(run, scn, cat, tmp_path / "ck")

    run_twin(TwinRequest(scn, catalog=cat, windows=WINDOWS[:1]), checkpoint=keep)
    from aifab.sim.national._checkpoint import FILES, _sha

    state = tmp_path / "ck" / "state.json"
    doc = json.loads(state.read_text())
    doc["curtail"]["windows"][0][3] = "Nobody"
    state.write_text(json.dumps(doc))
    man = json.loads((tmp_path / "ck" / "manifest.json").read_text())
    man["files"] = {f: _sha(tmp_path / "ck" / f) for f in FILES}  # a consistent forgery
    (tmp_path / "ck" / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(BadInput, match=r"state\.json: curtail\.windows\[0\]"):
        load_checkpoint(tmp_path / "ck", cat, expect=scn)
