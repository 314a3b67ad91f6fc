"""Power caps (strand, wait, throttle) and inference routing to NPU pools."""

from __future__ import annotations

import pytest

from aifab.sim.national import build_twin, finish, new_run

OWNERS = [{"name": "Own", "kind": "private"}, {"name": "Gov", "kind": "public"}]


def _scn(kit, **sim):  # type: ignore[no-untyped-def]
    return kit.small([kit.gb200("Own", 720), kit.b200("Gov", 64)], {
        "days": 2, "seed": 2, "load": 1.5,
        "tenants": [{"name": "own", "owner": "Own", "kind": "owner",
                     "mix": {"j": 1.0}},
                    {"name": "pub", "owner": "Gov", "kind": "university", "mix": {"j": 1.0}}],
        "classes": {"j": {"sizes": [8, 72], "median_h": 1.0}}, **sim}, owners=OWNERS)


def _nameplate_mw(twin) -> float:  # type: ignore[no-untyped-def]
    return twin.campuses[0].nameplate_kw / 1000.0


def test_uncapped_has_no_power_stranding(kit):
    doc = finish(new_run(_scn(kit))).to_dict()
    assert doc["stranded"]["power"] == 0.0


def test_strand_leaves_domains_dark(kit):
    plate = _nameplate_mw(build_twin(_scn(kit)))
    twin = build_twin(_scn(kit, power_cap_mw={"Own": plate / 2}, power_mode="strand"))
    own = [p for p in twin.pools if p.owner == "Own"]
    assert sum(p.dark_domains for p in own) == 5  # 10 racks, half the power
    doc = finish(new_run(twin)).to_dict()
    assert doc["stranded"]["power"] == pytest.approx(360 / (720 + 64), rel=1e-9)
    assert doc["fleet"]["powered"] == 720 + 64 - 360


def test_wait_keeps_the_campus_under_its_cap(kit):
    plate = _nameplate_mw(build_twin(_scn(kit)))
    cap = plate * 0.6
    sim = new_run(_scn(kit, power_cap_mw={"Own": cap}, power_mode="wait"))
    t = 0.0
    while t < sim.twin.horizon_s:
        t += 1800.0
        sim.run(until=t)
        assert sim.fleet.campus_kw[0] <= cap * 1000.0 + 1e-6
    doc = finish(sim).to_dict()
    assert doc["stranded"]["power"] > 0.0
    assert sim.twin.campuses[0].power_stranded > 0


def test_throttle_runs_slower_within_the_cap(kit):
    plate = _nameplate_mw(build_twin(_scn(kit)))
    free = build_twin(_scn(kit))
    slow = build_twin(_scn(kit, power_cap_mw={"Own": plate * 0.5}, power_mode="throttle"))
    assert slow.pools[0].speed == pytest.approx(free.pools[0].speed * 0.5 ** (1 / 3))
    assert slow.pools[0].busy_kw * 720 <= plate * 0.5 * 1000.0 + 1e-6


def test_npu_eligible_inference_goes_to_npus_first(kit):
    base = {"services": [{"name": "chat", "owner": "Gov", "model": "llama-3.1-8b",
                          "peak_tokens_per_s": 20000, "npu_eligible": True},
                         {"name": "code", "owner": "Gov", "model": "llama-3.1-8b",
                          "peak_tokens_per_s": 20000, "npu_eligible": False}],
            "npu_pools": [{"owner": "Gov", "count": 64}], "load": 0.3}
    _res = finish(new_run(_scn(kit, **base)))
    doc, frames = _res.to_dict(), _res.to_frames()
    svc = frames["services"].set_index("service")
    assert svc.loc["chat", "npu_tokens"] == pytest.approx(svc.loc["chat", "served_tokens"])
    assert svc.loc["code", "npu_tokens"] == 0
    assert doc["inference"]["served_share"] == pytest.approx(1.0)
    _res = finish(new_run(_scn(kit, npu_min_share=0.5, **base)))
    doc2, frames2 = _res.to_dict(), _res.to_frames()
    svc2 = frames2["services"].set_index("service")
    assert svc2.loc["code", "npu_tokens"] > 0.4 * svc2.loc["code", "served_tokens"]
    assert doc2["inference"]["npu_share"] > doc["inference"]["npu_share"]


def test_faster_device_shorter_jobs(kit):
    twin = build_twin(kit.small([kit.b200("Gov", 8)], {"reference_accelerator": "h100-sxm"}))
    assert twin.pools[0].speed > 1.5  # a B200 trains faster than the H100 reference


def test_lending_keeps_the_inference_peak_in_reserve(kit):
    # The owner runs no training: the public tenant borrows its idle GPUs, but only
    # beyond what the owner's service needs at its daily peak, so the service is always
    # served and nothing has to be preempted for it.
    owners = [{"name": "Own", "kind": "private"}, {"name": "Gov", "kind": "public"}]
    scn = kit.small([kit.b200("Own", 64), kit.b200("Gov", 8)], {
        "days": 2, "seed": 4, "diurnal_amplitude": 0.9,
        "tenants": [{"name": "own", "owner": "Own", "kind": "owner", "rates_per_h": {}},
                    {"name": "pub", "owner": "Gov", "kind": "university",
                     "rates_per_h": {"j": 40}}],
        "classes": {"j": {"sizes": [8], "duration": "exponential", "median_h": 2.0}},
        "services": [{"name": "svc", "owner": "Own", "model": "llama-3.1-8b",
                      "peak_tokens_per_s": 500_000}],
    }, owners=owners)
    sim = new_run(scn)
    _res = finish(sim)
    doc, frames = _res.to_dict(), _res.to_frames()
    assert sim.fleet.inf_peak[0] > 16
    assert doc["tenants"][1]["share_of_entitlement"] > 2  # borrowed the rest
    assert doc["inference"]["served_share"] == pytest.approx(1.0)
    assert doc["jobs"]["preemptions"] == 0
    assert frames["timeseries"]["inference"].max() >= 16
