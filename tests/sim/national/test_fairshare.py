"""Fair share with quotas, borrowing and reclaim: cases whose outcome is known."""

from __future__ import annotations

from aifab.sim.national import finish, new_run


def _run(scn):  # type: ignore[no-untyped-def]
    return finish(new_run(scn))


def test_two_backlogged_tenants_get_their_quotas(kit):
    # 64 accelerators; each tenant alone offers 1.5x the capacity: the steady state is
    # both queues non-empty, so every freed accelerator goes to the tenant furthest below
    # its quota and the shares of accelerator-hours converge to 0.75 / 0.25.
    scn = kit.small([kit.b200("Gov", 64)], {
        "days": 4, "warmup_days": 0.5, "seed": 3, "queue_policy": "fairshare",
        "tenants": [{"name": "a", "owner": "Gov", "quota": 0.75, "rates_per_h": {"j": 96}},
                    {"name": "b", "owner": "Gov", "quota": 0.25, "rates_per_h": {"j": 96}}],
        "classes": {"j": kit.exp_class(1.0)},
    })
    doc = _run(scn).to_dict()
    a, b = (t["accelerator_h"] for t in doc["tenants"])
    assert abs(a / (a + b) - 0.75) < 0.01
    assert doc["utilization"] > 0.99
    assert doc["fairness"]["jain_public"] > 0.99  # each near its entitlement


def test_idle_quota_is_borrowed(kit):
    scn = kit.small([kit.b200("Gov", 64)], {
        "days": 3, "seed": 3, "queue_policy": "fairshare",
        "tenants": [{"name": "a", "owner": "Gov", "quota": 0.5, "rates_per_h": {"j": 96}},
                    {"name": "b", "owner": "Gov", "quota": 0.5, "rates_per_h": {}}],
        "classes": {"j": kit.exp_class(1.0)},
    })
    doc = _run(scn).to_dict()
    assert doc["tenants"][0]["share_of_entitlement"] > 1.95
    assert doc["utilization"] > 0.99


def test_owner_lends_and_reclaims_with_preemption(kit):
    owners = [{"name": "Own", "kind": "private"}, {"name": "Gov", "kind": "public"}]
    scn = kit.small([kit.gb200("Own", 144), kit.b200("Gov", 16)], {
        "days": 6, "seed": 1, "queue_policy": "fairshare", "preempt_grace_s": 300,
        "tenants": [{"name": "own", "owner": "Own", "kind": "owner",
                     "rates_per_h": {"big": 0.1}},
                    {"name": "pub", "owner": "Gov", "kind": "university",
                     "rates_per_h": {"small": 12}}],
        "classes": {"big": {"sizes": [72], "duration": "exponential", "median_h": 3.0,
                            "priority": 2},
                    "small": {"sizes": [8], "duration": "exponential", "median_h": 1.0}},
    }, owners=owners)
    _res = _run(scn)
    doc, frames = _res.to_dict(), _res.to_frames()
    own, pub = doc["tenants"]
    assert pub["share_of_entitlement"] > 2.0  # borrowed the owner's idle racks
    assert doc["jobs"]["preemptions_by_cause"].get("owner", 0) > 0
    assert pub["preemptions"] > 0 and own["preemptions"] == 0
    # The owner mostly waits no longer than the grace period for its own racks.
    waits = frames["jobs"].query("tenant == 0")["wait_s"].dropna()
    assert own["wait_p50_h"] <= 360 / 3600
    assert (waits > 360).mean() < 0.1
    # Borrowed work is not lost beyond the checkpoint interval: every job finishes.
    assert doc["jobs"]["completed"] > 0.9 * doc["jobs"]["submitted"]


def test_fifo_does_not_borrow(kit):
    owners = [{"name": "Own", "kind": "private"}, {"name": "Gov", "kind": "public"}]
    scn = kit.small([kit.gb200("Own", 72), kit.b200("Gov", 16)], {
        "days": 2, "seed": 1, "queue_policy": "fifo",
        "tenants": [{"name": "own", "owner": "Own", "kind": "owner", "rates_per_h": {}},
                    {"name": "pub", "owner": "Gov", "kind": "university",
                     "rates_per_h": {"small": 60}}],
        "classes": {"small": {"sizes": [8], "duration": "exponential", "median_h": 1.0}},
    }, owners=owners)
    doc = _run(scn).to_dict()
    assert doc["tenants"][1]["share_of_entitlement"] <= 1.0 + 1e-9
    assert doc["jobs"]["preemptions"] == 0
