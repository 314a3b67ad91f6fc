"""aifab._background: a call in a spawned process, its result, its error, its loss."""

from __future__ import annotations

import math
import operator
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import aifab
from aifab._background import Background, BackgroundLost

SRC = str(Path(aifab.__file__).resolve().parent.parent)


def test_the_result_comes_back():
    assert Background(operator.add, 2, 40).result() == 42
    assert Background(sorted, [3, 1, 2], reverse=True).result() == [3, 2, 1]


def test_an_exception_in_the_child_is_raised_in_the_parent():
    with pytest.raises(ValueError, match="math domain error"):
        Background(math.sqrt, -1.0).result()


def test_a_child_that_dies_without_an_answer_is_reported_lost():
    with pytest.raises(BackgroundLost, match="exit code 3"):
        Background(os._exit, 3).result()


def test_cancel_stops_a_running_child():
    job = Background(time.sleep, 600)
    t0 = time.perf_counter()
    job.cancel()
    assert time.perf_counter() - t0 < 30
    assert not job.running


def test_a_script_without_a_main_guard_runs_once(tmp_path):
    # multiprocessing's spawn would import the script again in the child (and refuse to
    # start there); the second interpreter only imports the function it runs
    script = tmp_path / "plain.py"
    script.write_text("import operator\nfrom aifab._background import Background\n"
                      "print('ran', flush=True)\n"
                      "print(Background(operator.add, 1, 2).result())\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": SRC})
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ran\n3\n"


def test_what_the_call_prints_goes_to_stderr_not_into_the_result(capfd):
    assert Background(print, "from the child").result() is None
    out, err = capfd.readouterr()
    assert "from the child" in err and "from the child" not in out
