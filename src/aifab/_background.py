"""One call run in a second process while this one goes on (``aifab site`` solves the no-AI
base case for its calibration rows beside the siting MIP: two cores, two solves).

The child is started with ``spawn`` (a fresh interpreter: nothing of the parent's threads,
locks or HiGHS state is inherited, also when the caller is a web server's worker thread);
arguments and result travel pickled through a pipe. An exception in the child is raised
again in the parent; a child that dies without an answer (killed, out of memory) is
reported as ``BackgroundLost`` so the caller can do the work itself.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback
from collections.abc import Callable
from typing import Any


class BackgroundLost(RuntimeError):
    """The child process ended without sending a result."""


def _child(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...],
           kwargs: dict[str, Any]) -> None:
    try:
        out: tuple[bool, Any] = (True, fn(*args, **kwargs))
    except BaseException as exc:  # sent back and raised in the parent
        out = (False, exc)
    try:
        conn.send(out)
    except Exception:  # an exception that does not pickle: send its text instead
        conn.send((False, RuntimeError("".join(traceback.format_exception(out[1])))))
    finally:
        conn.close()


class Background:
    """``fn(*args, **kwargs)`` running in a spawned child process."""

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child_end = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_child, args=(child_end, fn, args, kwargs),
                                 daemon=True, name="aifab-background")
        self._proc.start()
        child_end.close()

    def result(self) -> Any:
        """Wait for the child's result (its exception is raised here)."""
        try:
            ok, value = self._conn.recv()
        except (EOFError, OSError) as exc:
            self._proc.join()
            raise BackgroundLost(f"background process ended (exit code "
                                 f"{self._proc.exitcode}) without a result") from exc
        finally:
            self._conn.close()
        self._proc.join()
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child if it still runs (its result is not needed)."""
        if self._proc.is_alive():
            self._proc.kill()
        self._proc.join()
        self._conn.close()

