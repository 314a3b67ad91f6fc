"""Flavor assignment with fungibility, and topology-aware placement (rules R1-R5, T1-T3).

For each pod set and each resource group of the ClusterQueue, flavors are tried in order:
a flavor where the pod set fits without borrowing is taken at once; otherwise the search
stops or goes on as ``flavorFungibility`` says, and the best mode seen wins, in the order
(fit, no borrow) > (fit, borrow) > (preempt, no borrow) > (preempt, borrow)
(PreemptionOverBorrowing swaps the middle two). Kueue concepts/cluster_queue.md,
"Flavors and borrowing semantics" and "FlavorFungibility".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aifab.sched._model import FR, ClusterQueue, Flavor, Manifests, is_gpu
from aifab.sched._quota import EPS, Node, QuotaTree
from aifab.sched._workload import PodSet, Workload

NOFIT, PREEMPT, FIT = 0, 1, 2
MODE_NAMES = {NOFIT: "no fit", PREEMPT: "fits by preemption", FIT: "fits"}


@dataclass
class Assignment:
    mode: int = FIT
    borrow: bool = False
    usage: dict[FR, float] = field(default_factory=dict)
    flavors: dict[str, dict[str, str]] = field(default_factory=dict)  # pod set -> res -> flavor
    placement: dict[str, list[tuple[str, int, float]]] = field(default_factory=dict)
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)
    # A3 (classic): Kueue's borrowing level, the height of the lowest subtree on the queue's
    # path that holds the workload (0: its own queue; not computed with fair sharing)
    level: int = 0
    # A15: the quota comparisons it made, each (flavor-resource, need, the unused quota as
    # its reason prints it, or None) where the need was above what was unused; None once
    # one comparison found room (then it also read usage and topology domains)
    above: list[tuple[FR, float, str | None]] | None = field(default_factory=list,
                                                             compare=False, repr=False)
    # A66: the text of its sorted usage and the set of its flavor-resources, made once (the
    # usage is not changed once assign() returns): the memos' keys read them, and a string
    # keeps its hash
    text: str | None = field(default=None, compare=False, repr=False)
    frs: frozenset[FR] | None = field(default=None, compare=False, repr=False)

    def usage_text(self) -> str:
        t = self.text
        if t is None:
            t = self.text = text(tuple(sorted(self.usage.items())))
        return t

    def usage_frs(self) -> frozenset[FR]:
        f = self.frs
        if f is None:
            f = self.frs = frozenset(self.usage)
        return f


def text(values: tuple[object, ...]) -> str:
    """A66: the text of ``values`` (names, numbers, None and tuples of them), one string per
    text, so that keys made of it are compared by identity first; the text tells different
    values apart, and a string keeps its hash."""
    t = repr(values)
    if len(_TEXT) > 100_000:  # (only the identity shortcut is lost)
        _TEXT.clear()
    return _TEXT.setdefault(t, t)


_TEXT: dict[str, str] = {}


class Domains:
    """Free capacity of each flavor's topology domains (first topology level)."""

    def __init__(self, m: Manifests) -> None:
        self.levels = {f.name: m.topologies[f.topology].levels for f in m.flavors.values()
                       if f.topology is not None and f.domain_size and f.domains}
        self.free = {f.name: [float(f.domain_size or 0)] * int(f.domains or 0)
                     for f in m.flavors.values() if f.name in self.levels}
        self.first: dict[str, int] = {}  # per flavor, the first domain with room

    def place(self, flavor: str, ps: PodSet, gpus: float) -> tuple[list[tuple[int, float]] | None,
                                                                   str]:
        """Domains for ``gpus`` of pod set ``ps`` (None and why when it cannot be placed)."""
        free = self.free.get(flavor)
        if free is None or gpus <= 0:
            return [], ""
        level = ps.required or ps.preferred
        if level is None:  # no topology asked: first fit, from the first domain with room
            return self._first_fit(flavor, free, gpus)
        if level not in self.levels[flavor]:
            return None, f"topology level {level!r} is not a level of flavor {flavor!r}"
        best, best_free = -1, float("inf")
        for i, f in enumerate(free):  # BestFit: the least free domain that fits (T3)
            if gpus <= f + EPS and f < best_free:
                best, best_free = i, f
        if best >= 0:
            return [(best, gpus)], ""
        if ps.required is not None and self.levels[flavor].index(level) == 0:
            return None, (f"no {level} domain of flavor {flavor!r} has {gpus:g} free "
                          f"accelerators (largest free: {max(free, default=0):g})")
        out: list[tuple[int, float]] = []
        left = gpus
        for i in sorted(range(len(free)), key=lambda i: (-free[i], i)):  # fewest domains
            if left <= EPS:
                break
            take = min(free[i], left)
            if take > 0:
                out.append((i, take))
                left -= take
        if left > EPS:
            return None, f"flavor {flavor!r} has only {sum(free):g} free accelerators"
        return out, ""

    def _first_fit(self, flavor: str, free: list[float], gpus: float
                   ) -> tuple[list[tuple[int, float]] | None, str]:
        out: list[tuple[int, float]] = []
        left = gpus
        i = self.first.get(flavor, 0)
        while left > EPS and i < len(free):
            take = min(free[i], left)
            if take > EPS:
                out.append((i, take))
                left -= take
            i += 1
        if left > EPS:
            return None, f"flavor {flavor!r} has only {sum(free):g} free accelerators"
        return out, ""

    def take(self, flavor: str, parts: list[tuple[int, float]], sign: int = 1) -> None:
        free = self.free[flavor]
        first = self.first.get(flavor, 0)
        for i, v in parts:
            free[i] -= sign * v
            if sign < 0:
                first = min(first, i)
        while first < len(free) and free[first] <= EPS:
            first += 1
        self.first[flavor] = first


def _selector_ok(fl: Flavor | None, ps: PodSet) -> bool:
    if fl is None:
        return True
    return all(fl.node_labels.get(k, v) == v for k, v in ps.node_selector.items())


_RANK_POB = {(FIT, False): 4, (PREEMPT, False): 3, (FIT, True): 2, (PREEMPT, True): 1}
_RANK = {(FIT, False): 4, (FIT, True): 3, (PREEMPT, False): 2, (PREEMPT, True): 1}


def _rank(mode: int, borrow: bool, pref: str) -> int:
    if mode == NOFIT:
        return 0
    return (_RANK_POB if pref == "PreemptionOverBorrowing" else _RANK)[(mode, borrow)]


def _flavor_mode(tree: QuotaTree, cq: ClusterQueue, fair: bool, flavor: str,
                 req: dict[str, float], acc: dict[FR, float], out: Assignment
                 ) -> tuple[int, bool, list[tuple[str, str]], int]:
    node = tree.cqs[cq.name]
    mode, borrow, why, level = FIT, False, [], 0
    pre = cq.preemption
    any_policy = pre.within_cluster_queue != "Never" or pre.reclaim_within_cohort != "Never"
    while_borrowing = pre.borrow_within_cohort != "Never" or (
        fair and pre.reclaim_within_cohort != "Never")
    deep = len(node.path()) > 2  # a cohort below the root on the path
    for res, v in req.items():
        fr = (flavor, res)
        if fr not in cq.quotas:
            return NOFIT, False, [("flavor", f"flavor {flavor!r} has no quota for {res}")], 0
        need = acc.get(fr, 0.0) + v
        avail = tree.available(node, fr)
        nominal = node.subtree.get(fr, 0.0)
        if need <= avail + EPS:
            out.above = None  # A15: this one read usage (and may read domains next)
            if node.usage.get(fr, 0.0) + need > nominal + EPS:
                borrow = True
                if not fair:
                    level = max(level, height(lowest_fit(node, fr, need)))
            continue
        shown = None
        if any_policy and need <= nominal + EPS:
            mode = min(mode, PREEMPT)
        elif need <= tree.potential(node, fr) + EPS and (while_borrowing or (
                any_policy and deep and _below_root(lowest_fit(node, fr, need), out))):
            mode, borrow = min(mode, PREEMPT), True
            if not fair:  # the level now (Kueue: after the simulated preemption)
                if deep:
                    out.above = None  # A15: read the cohorts' usage
                level = max(level, height(lowest_fit(node, fr, need)))
        else:
            mode = NOFIT
            lim = tree.potential(node, fr)
            shown = f"{max(avail, 0):g}"
            why.append(("quota", f"{res} in flavor {flavor!r}: needs {need:g}, "
                        f"{shown} unused within reach (nominal {nominal:g}, at most "
                        f"{lim:g} with borrowing)"))
        if out.above is not None:
            out.above.append((fr, need, shown))
    return mode, borrow, why, level


def lowest_fit(node: Node, fr: FR, need: float) -> Node:
    """The lowest node on ClusterQueue ``node``'s path whose subtree quota holds its usage
    plus what of ``need`` (added at ``node``) the nodes below it cannot keep in their
    unused lendingLimit-kept quota; the root when none does (Kueue's
    FindHeightOfLowestSubtreeThatFits walks the same path)."""
    if node.usage.get(fr, 0.0) + need <= node.subtree.get(fr, 0.0) + EPS:
        return node
    rem = need
    n = node
    while n.parent is not None:
        rem -= n.local_free(fr)
        n = n.parent
        if n.usage.get(fr, 0.0) + rem <= n.subtree.get(fr, 0.0) + EPS:
            return n
    return n


def height(n: Node) -> int:
    """Kueue's getNodeHeight: edges to the furthest ClusterQueue below (a ClusterQueue, or
    a Cohort without children: 0)."""
    h = min(len(n.children), 1)
    for c in n.children:
        if not c.is_cq:
            h = max(h, height(c) + 1)
    return h


def _below_root(fit: Node, out: Assignment) -> bool:
    """Rule R5 in hierarchical cohorts (the second result of Kueue's
    FindHeightOfLowestSubtreeThatFits): the lowest subtree that holds the request is below
    the root, so the queue may reclaim that quota by preemption (P7) even when it borrows.
    Called only with a cohort below the root on the path (else it is the root)."""
    out.above = None  # A15: the answer read the cohorts' usage
    return fit.parent is not None


def assign(tree: QuotaTree, m: Manifests, domains: Domains, cq: ClusterQueue,
           wl: Workload, fair: bool) -> Assignment:
    """The flavors (and topology domains) a workload would get in ``cq`` now."""
    out = Assignment()
    try:
        _assign(tree, m, domains, cq, wl, fair, out)
    finally:  # domains taken by earlier pod sets of the workload were only tentative
        for parts in out.placement.values():
            for fl, i, v in parts:
                domains.take(fl, [(i, v)], -1)
    return out


def _assign(tree: QuotaTree, m: Manifests, domains: Domains, cq: ClusterQueue,
            wl: Workload, fair: bool, out: Assignment) -> None:
    for ps in wl.pod_sets:
        reqs = {r: ps.count * v for r, v in ps.per_pod.items() if v > 0}
        covered = {r for g in cq.groups for r in g.covered}
        for r in reqs:
            if r not in covered:
                out.mode = NOFIT
                out.reasons.append(("flavor", f"ClusterQueue {cq.name!r} has no quota for {r}"))
        out.flavors[ps.name] = {}
        for g in cq.groups:
            greq = {r: v for r, v in reqs.items() if r in g.covered}
            if not greq:
                continue
            best: tuple[int, int, bool, str, list[tuple[int, float]], int] | None = None
            for fname in g.flavors:
                if not _selector_ok(m.flavors.get(fname), ps):
                    out.reasons.append(("flavor", f"flavor {fname!r} does not match the pod "
                                                  f"set's nodeSelector"))
                    continue
                mode, borrow, why, level = _flavor_mode(tree, cq, fair, fname, greq,
                                                        out.usage, out)
                out.reasons.extend(why)
                gpus = sum(v for r, v in greq.items() if is_gpu(r))
                parts: list[tuple[int, float]] = []
                if mode == FIT:
                    placed, tw = domains.place(fname, ps, gpus)
                    if placed is None:
                        out.reasons.append(("topology", tw))
                        mode = NOFIT
                    else:
                        parts = placed
                rank = _rank(mode, borrow, cq.fungibility.preference)
                if rank and (best is None or rank > best[0]):
                    best = (rank, mode, borrow, fname, parts, level)
                if mode == FIT and not borrow:
                    break
                if mode == FIT and cq.fungibility.when_can_borrow == "MayStopSearch":
                    break
                if mode == PREEMPT and cq.fungibility.when_can_preempt == "MayStopSearch":
                    break
            if best is None:
                out.mode = NOFIT
                continue
            _, mode, borrow, fname, parts, level = best
            out.mode, out.borrow = min(out.mode, mode), out.borrow or borrow
            out.level = max(out.level, level)
            for r, v in greq.items():
                out.flavors[ps.name][r] = fname
                out.usage[(fname, r)] = out.usage.get((fname, r), 0.0) + v
            if parts:
                out.placement[ps.name] = [(fname, i, v) for i, v in parts]
                domains.take(fname, parts)
