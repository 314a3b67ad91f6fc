"""The guard on Dash's callback endpoint (serve/_guard.py): JSON no page sends is refused
with a line naming the field, before any callback runs; what the pages send passes."""

from __future__ import annotations

from typing import Any

import pytest

from aifab.serve import create_app

ENDPOINT = "/_dash-update-component"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return create_app(tmp_path_factory.mktemp("results")).server.test_client()


def _post(client: Any, body: Any) -> tuple[int, str]:
    r = client.post(ENDPOINT, json=body, headers={"Host": "127.0.0.1"})
    return r.status_code, r.get_data(as_text=True)


def _twin(value: Any) -> dict[str, Any]:
    return {"output": "twin-body.children",
            "outputs": {"id": "twin-body", "property": "children"},
            "inputs": [{"id": "twin-run", "property": "value", "value": value}],
            "state": [{"id": "lang", "property": "value", "value": "en"}],
            "changedPropIds": ["twin-run.value"]}


def test_what_a_page_sends_passes(client: Any) -> None:
    code, body = _post(client, _twin(None))  # no run yet: the page's note
    assert code == 200 and "twin-body" in body


@pytest.mark.parametrize("value,kind", [([1], "list"), ({"a": 1}, "dict"), (3, "int"),
                                        (True, "bool")])
def test_a_dropdown_value_that_is_not_text_is_refused(client: Any, value: Any,
                                                      kind: str) -> None:
    code, body = _post(client, _twin(value))
    assert code == 400
    assert body == f"aifab serve: twin-run.value: must be text, got {kind}\n"


def test_a_store_that_is_not_an_object_and_the_address_are_checked(client: Any) -> None:
    body = {"output": "..page.children...nav.children...notice.style..",
            "outputs": [{"id": "page", "property": "children"},
                        {"id": "nav", "property": "children"},
                        {"id": "notice", "property": "style"}],
            "inputs": [{"id": "url", "property": "pathname", "value": "/twin"},
                       {"id": "url", "property": "search", "value": ""},
                       {"id": "lang", "property": "value", "value": "en"}],
            "state": [{"id": "url-state", "property": "data", "value": "x"}],
            "changedPropIds": ["url.pathname"]}
    assert _post(client, body) == (
        400, "aifab serve: url-state.data: must be an object, got str\n")
    body["state"][0]["value"] = {"path": "/twin", "search": ""}
    assert _post(client, body)[0] == 200
    body["inputs"][0]["value"] = 7
    assert _post(client, body) == (400, "aifab serve: url.pathname: must be text, got int\n")


def test_no_server_callback_and_no_object_are_refused(client: Any) -> None:
    clientside = {**_twin(None), "output": "lang-attr.data"}  # the <html lang> callback
    code, body = _post(client, clientside)
    assert code == 400 and "output: no callback of this server gives 'lang-attr.data'" in body
    assert _post(client, [1, 2]) == (400, "aifab serve: the request body must be a JSON "
                                          "object\n")
