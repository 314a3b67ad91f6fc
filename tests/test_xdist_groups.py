"""tests/conftest.py's xdist groups: what `make test` relies on to run two workers safely."""

from __future__ import annotations

import pytest


def _group(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("xdist_group")
    return str(mark.args[0]) if mark is not None else None


def test_shared_fixtures_and_module_fixtures_keep_their_tests_on_one_worker(
        request: pytest.FixtureRequest) -> None:
    items = request.session.items
    by_module: dict[str, set[str | None]] = {}
    for item in items:
        by_module.setdefault(item.nodeid.split("::")[0].split("@")[0], set()).add(_group(item))
        names = getattr(item, "fixturenames", ())
        if "ray_cluster" in names:
            assert _group(item) == "ray", item.nodeid
        if item.nodeid.startswith("tests/serve/") and {"results", "server", "browser"} & set(
                names):
            assert _group(item) == "dashboard", item.nodeid
    # modules whose own module-scoped fixture is built once: one group for all their tests
    for module in ("tests/report/test_report_browser.py", "tests/grid/test_korea.py",
                   "tests/commands/test_site_goldens.py"):
        if module in by_module:
            assert by_module[module] == {module}, (module, by_module[module])
    # and a module without one is spread over the workers test by test
    assert by_module.get("tests/test_xdist_groups.py") == {None}


def test_the_workers_honour_the_groups(request: pytest.FixtureRequest) -> None:
    """Under ``--dist loadgroup`` pytest-xdist sends a group to one worker by the ``@group``
    it appends to each grouped test's node id on the worker. With pytest 9.2 and xdist 3.8
    that append is lost (pytest-dev/pytest-xdist#1386): every group is spread over the
    workers, costly module fixtures are built on each, and two local Rays compete."""
    config = request.config
    if not getattr(config.option, "loadgroup", False):
        pytest.skip("not on a pytest-xdist worker under --dist loadgroup (make test is)")
    grouped = [(item.nodeid, _group(item)) for item in request.session.items
               if _group(item) is not None]
    if not grouped:
        pytest.skip("no grouped test among those collected")
    lost = [nodeid for nodeid, group in grouped if not nodeid.endswith(f"@{group}")]
    assert not lost, f"{len(lost)} grouped tests without their @group, e.g. {lost[:3]}"
