"""A guard on Dash's callback endpoint: the page's own components send text for the address,
the language and every dropdown, and objects from its stores; a request that sends other
JSON there (no browser does: a script posting to ``/_dash-update-component``) is refused
with a line naming the field, before any callback sees it."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

#: (component id, property) pairs whose value is text (or null) on every page.
TEXT = frozenset({
    ("url", "pathname"), ("url", "search"), ("url", "href"), ("lang", "value"),
    *((cid, "value") for cid in (
        "ov-scenario", "plan-scenario", "plan-sp", "twin-run", "map-run", "sweep-run",
        "cmp-a", "cmp-b", "job-kind", "job-scenario", "job-policy", "job-spec",
        "job-siting")),
})
#: (component id, property) pairs whose value is a JSON object (or null): the stores.
OBJECT = frozenset({("url-state", "data"), ("dl-request", "data"), ("plan-scn", "data")})

ENDPOINT = "/_dash-update-component"


def bad_field(payload: Any, outputs: Collection[str]) -> str | None:
    """Why a callback request's body is refused (naming the field), or None to pass it on
    to Dash (which answers any other malformed request itself). ``outputs``: the outputs
    of the server's own callbacks (a clientside callback has none here)."""
    if not isinstance(payload, dict):
        return "the request body must be a JSON object"
    if payload.get("output") not in outputs:
        return f"output: no callback of this server gives {str(payload.get('output'))[:80]!r}"
    for part in ("inputs", "state"):
        items = payload.get(part) or []
        if not isinstance(items, list):
            return f"{part} must be a list"
        for item in items:
            for x in item if isinstance(item, list) else [item]:
                if not isinstance(x, dict) or not isinstance(x.get("id"), str):
                    continue  # pattern-matching ids and the rest: Dash checks them
                key, v = (x["id"], x.get("property")), x.get("value")
                if v is None:
                    continue
                if key in TEXT and not isinstance(v, str):
                    return f"{key[0]}.{key[1]}: must be text, got {type(v).__name__}"
                if key in OBJECT and not isinstance(v, dict):
                    return f"{key[0]}.{key[1]}: must be an object, got {type(v).__name__}"
    return None
