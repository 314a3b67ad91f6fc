"""One call run in a second process while this one goes on (``aifab site`` solves the no-AI
base case for its calibration rows beside the siting MIP: two cores, two solves).

The child is a fresh interpreter (``python -m aifab._background``), not a
``multiprocessing`` child: it does not import the caller's main module again, so a user's
script that calls ``aifab.grid.site`` at its top level (no ``if __name__ == "__main__"``
guard) is neither run twice nor refused, and nothing of the parent's threads, locks or
HiGHS state is inherited. The call and its arguments go pickled through the child's stdin,
the result (or the exception raised) pickled back through its stdout; what the call prints
goes to stderr. An exception in the child is raised again in the parent; a child that ends
without an answer (killed, out of memory) is reported as ``BackgroundLost``, so the caller
can do the work itself.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any


class BackgroundLost(RuntimeError):
    """The child process ended without sending a result."""


class Background:
    """``fn(*args, **kwargs)`` running in a second Python process (``fn`` importable by
    name, arguments and result picklable)."""

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        job = pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        env = dict(os.environ)
        here = str(Path(__file__).resolve().parent.parent)  # where this aifab is imported from
        env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
        self._proc = subprocess.Popen([sys.executable, "-m", "aifab._background"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(job)  # the child reads it all before it imports fn
            self._proc.stdin.close()
        except OSError:  # the child is gone already: result() reports it lost
            pass

    def result(self) -> Any:
        """Wait for the child's result (its exception is raised here)."""
        assert self._proc.stdout is not None
        out = self._proc.stdout.read()
        self._proc.stdout.close()
        code = self._proc.wait()
        try:
            ok, value = pickle.loads(out)
        except Exception as exc:
            raise BackgroundLost(f"background process ended (exit code {code}) without "
                                 "a result") from exc
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child if it still runs (its result is not needed)."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()

    @property
    def running(self) -> bool:
        return self._proc.poll() is None


def _main() -> None:
    # Ctrl-C reaches the whole process group: the parent stops this child (cancel), so the
    # child does not print a traceback of its own
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    job = sys.stdin.buffer.read()
    result = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything the call prints goes to stderr, not into the result
    try:
        fn, args, kwargs = pickle.loads(job)
        out: tuple[bool, Any] = (True, fn(*args, **kwargs))
    except BaseException as exc:  # sent back and raised in the parent
        out = (False, exc)
    try:
        blob = pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # a result or exception that does not pickle: its text instead
        blob = pickle.dumps((False, RuntimeError("".join(traceback.format_exception(
            out[1])) if not out[0] else "the result does not pickle")))
    try:
        with result:
            result.write(blob)
    except OSError:  # the parent is gone (killed): nobody to answer
        pass


if __name__ == "__main__":
    _main()
