"""``console_errors`` with the page's origin leaves out what a page of an earlier, closed
server logs late (its refused requests), and keeps everything else at level SEVERE."""

from __future__ import annotations

from typing import Any

from aifab.serve._browser import console_errors

HERE, OLD = "http://127.0.0.1:38225", "http://127.0.0.1:35199"


class _Driver:
    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries = entries

    def get_log(self, kind: str) -> list[dict[str, Any]]:
        assert kind == "browser"
        out, self.entries = self.entries, []
        return out


def _log() -> list[dict[str, Any]]:
    return [
        {"level": "SEVERE", "source": "network",
         "message": f"{OLD}/_dash-update-component - Failed to load resource: "
                    "net::ERR_CONNECTION_REFUSED"},
        {"level": "SEVERE", "source": "console-api",
         "message": f"{OLD}/_dash-component-suites/dash_renderer.min.js 1:99 Error: "
                    "Callback failed: the server did not respond."},
        {"level": "SEVERE", "source": "javascript",
         "message": f"{HERE}/map?run=x 12:3 Uncaught TypeError: x is undefined"},
        {"level": "SEVERE", "source": "javascript", "message": "Uncaught ReferenceError"},
        {"level": "WARNING", "source": "javascript", "message": f"{HERE}/map deprecated"},
    ]


def test_other_origins_are_left_out_with_the_page_origin() -> None:
    got = console_errors(_Driver(_log()), HERE + "/")
    assert got == [f"javascript: {HERE}/map?run=x 12:3 Uncaught TypeError: x is undefined",
                   "javascript: Uncaught ReferenceError"]


def test_without_an_origin_every_severe_message_counts() -> None:
    d = _Driver(_log())
    assert len(console_errors(d)) == 4
    assert console_errors(d) == []  # the log drains
