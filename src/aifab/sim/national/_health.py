"""Domain health: per twin domain, the accelerators in repair (``broken``), the hot
spares held back from allocation (``held``) and the healthy accelerators a hung gang
still holds until its failure is detected (``hung``), with per pool the spares held and
their target. It is the only part of the failure model that moves accelerators between
free, held, hung and in repair, and it does so through the fleet's ``take_down`` /
``bring_up`` (which keep the change counter). For every domain ``free + held + broken +
hung + allocated`` is its size (``hung`` is allocated to a stopped gang: it counts in the
fleet's allocation and power draw); the queue policy only ever allocates ``free``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from aifab.sim.national._model import PoolSpec as Pool
from aifab.sim.national._pools import PoolState


class Capacity(Protocol):
    """What domain health needs of the fleet: its pools and the two capacity moves."""

    @property
    def pools(self) -> list[PoolState]: ...
    def take_down(self, pool: int, d: int, n: int) -> None: ...
    def bring_up(self, pool: int, d: int, n: int) -> None: ...
    def draw(self, pool: int, n: int) -> None: ...


class DomainHealth:
    """Free / spares / in-repair bookkeeping per domain, and the spares-held integral."""

    def __init__(self, fleet: Capacity, pools: Sequence[Pool], target: list[int]) -> None:
        self.fleet = fleet
        self.target = target
        self.broken = [np.zeros(p.domains, dtype=np.int64) for p in pools]
        self.held = [np.zeros(p.domains, dtype=np.int64) for p in pools]
        self.hung = [np.zeros(p.domains, dtype=np.int64) for p in pools]
        self.spares = [0] * len(pools)
        for i, p in enumerate(pools):  # hold the spares: whole domains from the end
            need = min(target[i], p.accelerators)
            for d in range(p.domains - 1, -1, -1):
                if need <= 0:
                    break
                h = min(p.domain_size, need)
                fleet.take_down(i, d, h)
                self.held[i][d] = h
                need -= h
            self.spares[i] = int(self.held[i].sum())
        self.spares_acc_s, self.spares_t = 0.0, 0.0  # integral of spares held, since when

    # -- figures -------------------------------------------------------------------------
    def in_repair(self) -> int:
        """Accelerators in repair now."""
        return int(sum(int(b.sum()) for b in self.broken))

    def spares_held(self) -> int:
        return int(sum(self.spares))

    def spares_target(self) -> int:
        return int(sum(self.target))

    def spares_acc_s_until(self, now: float) -> float:
        """Accelerator-seconds of spares held since the window began, up to ``now``."""
        return self.spares_acc_s + sum(self.spares) * (now - self.spares_t)

    def healthy(self, pool: int, d: int, size: int) -> int:
        """Accelerators of domain ``d`` a failure can hit: not in repair, and not held by
        a hung gang (they are stopped already; a hang lasts minutes)."""
        return size - int(self.broken[pool][d]) - int(self.hung[pool][d])

    def room(self, pool: int, d: int) -> int:
        """Accelerators of domain ``d`` that can go to repair without stopping anything:
        free ones and held spares."""
        return int(self.fleet.pools[pool].free[d] + self.held[pool][d])

    # -- moves ---------------------------------------------------------------------------
    def reset_window(self, now: float) -> None:
        """The measured window starts at ``now`` (end of the warm-up)."""
        self.spares_acc_s, self.spares_t = 0.0, now

    def advance(self, now: float) -> None:
        """Integrate the spares held up to ``now`` (before they change)."""
        self.spares_acc_s += sum(self.spares) * (now - self.spares_t)
        self.spares_t = now

    def break_down(self, pool: int, d: int, n: int) -> int:
        """Move ``n`` accelerators of domain ``d`` (at most its room) into repair, free
        ones first, then held spares; how many came from free (they need replacing)."""
        free = int(self.fleet.pools[pool].free[d])
        from_free = min(n, free)
        self.fleet.take_down(pool, d, from_free)
        self.held[pool][d] -= n - from_free
        self.spares[pool] -= n - from_free
        self.broken[pool][d] += n
        return from_free

    def swap_in(self, pool: int, n: int) -> int:
        """Release up to ``n`` held spares into allocation (from the last domains); how
        many were released."""
        held = self.held[pool]
        used = 0
        for d in np.flatnonzero(held > 0)[::-1].tolist():
            if used >= n:
                break
            r = min(int(held[d]), n - used)
            held[d] -= r
            self.fleet.bring_up(pool, d, r)
            used += r
        if used:
            self.spares[pool] -= used
        return used

    def hang(self, pool: int, d: int, n: int) -> None:
        """``n`` free accelerators of domain ``d`` stay with a hung gang: out of the free
        capacity, still allocated and drawing power (spinning in a collective)."""
        self.fleet.take_down(pool, d, n)
        self.fleet.draw(pool, n)
        self.hung[pool][d] += n

    def unhang(self, pool: int, d: int, n: int) -> None:
        """A hung gang's ``n`` accelerators of domain ``d`` are freed (its failure was
        detected): queued work may start on them at once (the change counter moves)."""
        assert self.hung[pool][d] >= n, f"pool {pool}: {n} not hung in {d}"
        self.hung[pool][d] -= n
        self.fleet.draw(pool, -n)
        self.fleet.bring_up(pool, d, n)

    def hold_failed(self, pool: int, d: int, n: int) -> None:
        """``n`` failed accelerators of domain ``d`` (just taken out) stay with the hung
        gang that ran on them until its failure is detected: allocated, like the rest."""
        assert self.broken[pool][d] >= n, f"pool {pool}: {n} not broken in {d}"
        self.broken[pool][d] -= n
        self.hung[pool][d] += n
        self.fleet.draw(pool, n)

    def release_failed(self, pool: int, d: int, n: int) -> None:
        """A hung gang's ``n`` failed accelerators of domain ``d`` go to repair (its
        failure was detected): out of allocation, not freed."""
        assert self.hung[pool][d] >= n, f"pool {pool}: {n} not hung in {d}"
        self.hung[pool][d] -= n
        self.fleet.draw(pool, -n)
        self.broken[pool][d] += n

    def repair(self, pool: int, d: int, n: int) -> None:
        """``n`` accelerators of domain ``d`` come back: refill the spares, free the rest."""
        self.broken[pool][d] -= n
        refill = min(n, max(0, self.target[pool] - self.spares[pool]))
        self.held[pool][d] += refill
        self.spares[pool] += refill
        self.fleet.bring_up(pool, d, n - refill)

    # -- checkpoints ---------------------------------------------------------------------
    def state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        doc = {"spares": self.spares, "spares_acc_s": self.spares_acc_s,
               "spares_t": self.spares_t}
        arrays = {f"fail.broken.{i}": b for i, b in enumerate(self.broken)}
        arrays.update({f"fail.held.{i}": h for i, h in enumerate(self.held)})
        arrays.update({f"fail.hung.{i}": h for i, h in enumerate(self.hung)})
        return doc, arrays

    def restore(self, doc: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.spares[:] = [int(x) for x in doc["spares"]]  # in place: the list is shared
        self.spares_acc_s, self.spares_t = float(doc["spares_acc_s"]), float(doc["spares_t"])
        for i in range(len(self.broken)):
            self.broken[i] = arrays[f"fail.broken.{i}"].astype(np.int64).copy()
            self.held[i] = arrays[f"fail.held.{i}"].astype(np.int64).copy()
            self.hung[i] = arrays[f"fail.hung.{i}"].astype(np.int64).copy()
