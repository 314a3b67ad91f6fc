"""Random values in the scenario's `sim` section never let a traceback escape the CLI."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from aifab.cli import app
from aifab.scenario import SimSettings

# Fields that only make a valid run bigger (fleet scale, horizon, load) are left out so the
# test stays fast; their bounds are checked by the schema tests.
COSTLY = {"scale", "days", "warmup_days", "load", "services_per_owner", "backfill_depth"}
FIELDS = sorted(set(SimSettings.model_fields) - COSTLY)
runner = CliRunner()

values = st.one_of(
    st.integers(-5, 10**7).map(str), st.floats(-1e9, 1e9, allow_nan=False).map(repr),
    st.sampled_from(["", "null", "true", "[]", "{}", "[1, 2]", "{a: 1}", "nan", "inf", "x",
                     "fifo", "strand", "rngd", "{Naver: 0}", "[{owner: SK}]"]),
)


@pytest.mark.slow  # 2-10 s: make test and CI run it, make test-fast does not
@settings(max_examples=40, deadline=None, derandomize=True)
@given(field=st.sampled_from(FIELDS), value=values)
def test_sim_settings_never_traceback(field: str, value: str) -> None:
    r = runner.invoke(app, ["simulate", "--json", "--set", "sim.scale=0.01",
                            "--set", "sim.warmup_days=0", "--days", "0.25",
                            "--set", f"sim.{field}={value}"])
    assert r.exit_code in (0, 2), (field, value, r.exit_code, r.stderr, r.exception)
    if r.exit_code == 2:
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
