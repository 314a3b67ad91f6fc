"""The fuzz harness's helpers (fuzz_cli.py) are importable from the tests next to them;
with AIFAB_FUZZ_REPORT=FILE the outcome counts per family are written there."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_sessionfinish(session: object, exitstatus: int) -> None:
    target = os.environ.get("AIFAB_FUZZ_REPORT")
    if not target:
        return
    from fuzz_cli import OUTCOMES

    Path(target).write_text(json.dumps({k: dict(v) for k, v in OUTCOMES.items()}, indent=2))
