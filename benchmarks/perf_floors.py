"""Per-kernel latency floor implied by aiconfigurator's measured kernels (issue 19): for
every entry of the packaged table (data/aic_table.json), the batch-1 decode step at
1,024 tokens of context minus the roofline's step without its layer floors, per layer,
divided by the kernels a layer launches (KERNELS_DENSE / KERNELS_MOE in perf/_step.py).
Prints the distribution (3 Dec 2026: median 3.7 us, against the roofline's assumed
KERNEL_FLOOR_S of 0.75 us; why it is not adopted yet: docs/perf-engines.md, latency
rows). Documentation, not a timed test.

    PYTHONPATH=src python benchmarks/perf_floors.py
"""

from __future__ import annotations

import statistics

from aifab.perf._common import resolve_device
from aifab.perf._infer import make_ctx
from aifab.perf._layout import moe_ctx
from aifab.perf._models import default_models
from aifab.perf._step import KERNELS_DENSE, KERNELS_MOE, STEP_FLOOR_S, stage_cost
from aifab.perf._table import interpolate, load_table


def implied() -> dict[str, list[float]]:
    t = load_table()
    assert t is not None
    ms, out = default_models(), {"dense": [], "moe": []}
    for key in sorted(t.entries):
        mid, dev, prec, tp, _pp, dp, ep = key.split("|")
        m = ms.get(mid)
        c = moe_ctx(make_ctx(m, resolve_device(dev, None), prec), int(tp), int(dp), int(ep))
        step = interpolate(t, t.entries[key][1], 1, 1024)
        assert step is not None
        r = stage_cost(c, int(tp), 1, seqs=int(dp), ctx=1024, prefill_tokens=0,
                       prefill_ctx=0)
        moe = m.arch == "moe"
        traffic = r.time_s - r.floor_s  # the roofline without its floors
        kernels = KERNELS_MOE if moe else KERNELS_DENSE
        per_layer = (step - traffic - STEP_FLOOR_S) / m.layers
        out["moe" if moe else "dense"].append(per_layer / kernels)
    return out


def main() -> int:
    res = implied()
    for kind, xs in res.items():
        q = statistics.quantiles(xs, n=4)
        print(f"{kind}: {len(xs)} entries, per-kernel floor median "
              f"{statistics.median(xs) * 1e6:.2f} us (quartiles {q[0] * 1e6:.2f} / "
              f"{q[2] * 1e6:.2f} us)")
    allx = res["dense"] + res["moe"]
    print(f"all: median {statistics.median(allx) * 1e6:.2f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
