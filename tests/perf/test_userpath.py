"""Issue 19's user-facing path check on the calibration rows (the full model: floors,
activation traffic and pipeline bubbles on)."""

from __future__ import annotations

from aifab.perf._userpath import USER_PATH_TOL, user_path, user_path_median


def test_user_facing_path_on_every_calibration_row() -> None:
    # Issue 19: `perf infer --batch max` with no layout flags, at every calibration row's
    # model, device, count, precision and lengths, is within 20 % median of the published
    # value, and the search never predicts less throughput than the row's own layout.
    rows = user_path()
    assert len(rows) >= 60
    assert user_path_median(rows) <= USER_PATH_TOL
    for r in rows:
        assert r.search_tokens_per_s >= 0.999 * r.calibrated_tokens_per_s, r.id
