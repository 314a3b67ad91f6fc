"""Replaying the Philly-derived job list for one tenant."""

from __future__ import annotations

import pytest

from aifab.errors import BadInput
from aifab.sim.national import build_twin, finish, new_run
from aifab.workload import read_philly


def test_read_philly(shared_data):
    jobs = read_philly(shared_data / "philly" / "philly_jobs.csv")
    assert len(jobs) > 80_000
    assert jobs.submit_s[0] == 0 and (jobs.submit_s[1:] >= jobs.submit_s[:-1]).all()
    assert jobs.num_gpus.min() >= 1 and jobs.num_gpus.max() == 128


def test_replay_for_a_tenant(kit, tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text("timestamp,duration,num_gpus,gpu_time,cluster\n"
                   "2017-10-01 00:00:00,3600,1,3600,a\n"
                   "2017-10-01 00:30:00,1800,4,7200,a\n"
                   "2017-10-01 01:00:00,60,64,3840,b\n"
                   "2017-10-01 01:00:00,0,1,0,b\n")
    scn = kit.small([kit.b200("Gov", 16)], {
        "days": 1, "philly_trace": str(csv), "philly_tenant": "u",
        "tenants": [{"name": "u", "owner": "Gov", "kind": "university"}]})
    # the trace's durations exactly: no failures, no checkpoint writes stretching jobs
    scn = scn.model_copy(update={"reliability": scn.reliability.model_copy(
        update={"enabled": False})})
    frames = finish(new_run(scn)).to_frames()
    jobs = frames["jobs"]
    assert len(jobs) == 3 and jobs["end"].notna().all()
    assert sorted(jobs["n"]) == [1, 4, 8]  # 64 clipped to half the largest pool
    assert jobs["acc_s"].sum() == pytest.approx(3600 + 4 * 1800 + 8 * 60)


def test_replay_bad_file(kit, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    scn = kit.small([kit.b200("Gov", 16)], {
        "philly_trace": str(bad), "philly_tenant": "u",
        "tenants": [{"name": "u", "owner": "Gov"}]})
    with pytest.raises(BadInput, match="missing column"):
        build_twin(scn)
