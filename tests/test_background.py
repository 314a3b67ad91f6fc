"""aifab._background: a call in a spawned process, its result, its error, its loss."""

from __future__ import annotations

import math
import operator
import os
import time

import pytest

from aifab._background import Background, BackgroundLost


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
    assert not job._proc.is_alive()
