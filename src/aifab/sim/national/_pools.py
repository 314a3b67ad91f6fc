"""Runtime state of one pool: free accelerators per scale-up domain, gang placement.

A gang takes whole accelerators, all at once or not at all. It goes into the fewest
domains it can (one domain when it fits in one, best fit; ``n // D`` empty domains plus a
best-fit remainder when larger); otherwise it spills over the emptiest domains, and the
placement counts as a topology miss.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


class PoolState:
    """Free accelerators per domain of one pool."""

    __slots__ = ("domains", "free", "free_total", "index", "size")

    def __init__(self, index: int, domains: int, domain_size: int) -> None:
        self.index = index
        self.size = domain_size
        self.domains = domains
        self.free: IntArray = np.full(domains, domain_size, dtype=np.int64)
        self.free_total = domains * domain_size

    def restore(self, free: IntArray, free_total: int) -> None:
        """Set the free counts from a checkpoint (its array, checked for shape)."""
        if free.shape != self.free.shape:
            raise ValueError(f"pool {self.index} has {free.shape[0]} domains, expected "
                             f"{self.domains}")
        self.free = free.astype(np.int64).copy()
        self.free_total = free_total

    @property
    def capacity(self) -> int:
        return self.domains * self.size

    def place(self, n: int, spill: bool) -> tuple[IntArray, IntArray] | None:
        """Take ``n`` accelerators: (domains, counts), or None if they do not fit.

        Without ``spill`` only a compact placement (fewest domains) is accepted.
        """
        if n > self.free_total or n <= 0:
            return None
        free, d = self.free, self.size
        if n <= d:
            cand = np.where(free >= n, free, d + 1)
            i = int(cand.argmin())
            if cand[i] <= d:
                free[i] -= n
                self.free_total -= n
                return np.array([i], dtype=np.int64), np.array([n], dtype=np.int64)
        else:
            k, rem = divmod(n, d)
            full = np.flatnonzero(free == d)
            if len(full) >= k:
                doms = full[:k]
                if rem:
                    cand = np.where(free >= rem, free, d + 1)
                    cand[doms] = d + 1
                    i = int(cand.argmin())
                    if cand[i] <= d:
                        doms = np.append(doms, i)
                        cnt = np.full(len(doms), d, dtype=np.int64)
                        cnt[-1] = rem
                        free[doms] -= cnt
                        self.free_total -= n
                        return doms, cnt
                else:
                    cnt = np.full(k, d, dtype=np.int64)
                    free[doms] -= cnt
                    self.free_total -= n
                    return doms, cnt
        if not spill:
            return None
        order = np.argsort(-free, kind="stable")
        cs = np.cumsum(free[order])
        j = int(np.searchsorted(cs, n))
        doms = order[: j + 1]
        cnt = free[doms].copy()
        cnt[-1] -= int(cs[j]) - n
        free[doms] -= cnt
        self.free_total -= n
        return doms, cnt

    def place_one_domain(self, n: int) -> int:
        """Best-fit ``n`` accelerators inside one domain; the domain or -1."""
        if n > self.free_total or n > self.size:
            return -1
        cand = np.where(self.free >= n, self.free, self.size + 1)
        i = int(cand.argmin())
        if cand[i] > self.size:
            return -1
        self.free[i] -= n
        self.free_total -= n
        return i

    def place_many(self, n: int, k: int) -> IntArray:
        """Up to ``k`` groups of ``n`` accelerators, each inside one domain, best fit
        (the same domains as ``k`` calls of :meth:`place_one_domain`); their domains."""
        if k <= 0 or n > self.size or n > self.free_total:
            return np.zeros(0, dtype=np.int64)
        free = self.free
        cand = np.flatnonzero(free >= n)
        if len(cand) == 0:
            return np.zeros(0, dtype=np.int64)
        if k == 1:  # (the same domain as below: the first of the fullest that fit)
            i = cand[int(np.argmin(free[cand]))]
            free[i] -= n
            self.free_total -= n
            return np.array([i], dtype=np.int64)
        order = cand[np.argsort(free[cand], kind="stable")]
        slots = free[order] // n
        cs = np.cumsum(slots)
        j = int(np.searchsorted(cs, k))
        if j >= len(order):
            j = len(order) - 1
            k = int(cs[-1])
        take = slots[: j + 1].copy()
        take[-1] -= int(cs[j]) - k
        doms = np.repeat(order[: j + 1], take)
        free[order[: j + 1]] -= take * n
        self.free_total -= k * n
        return doms

    def release_many(self, doms: IntArray, n: int) -> None:
        np.add.at(self.free, doms, n)
        self.free_total += n * len(doms)

    def release(self, doms: IntArray, cnt: IntArray) -> None:
        self.free[doms] += cnt
        self.free_total += int(cnt.sum())

    def release_one(self, dom: int, n: int) -> None:
        self.free[dom] += n
        self.free_total += n

    def check(self) -> None:
        """Invariants: no domain below zero or above its size; totals agree."""
        assert (self.free >= 0).all(), f"pool {self.index}: negative free"
        assert (self.free <= self.size).all(), f"pool {self.index}: free above size"
        assert int(self.free.sum()) == self.free_total, f"pool {self.index}: total drift"
