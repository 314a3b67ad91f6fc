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
