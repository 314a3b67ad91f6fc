"""Out-of-sample error of the default ``auto`` engine (aiconfigurator table where it
covers a row, else the roofline) next to the roofline alone, on every included
calibration row; prints the markdown tables of docs/perf-engines.md. Documentation, not a
timed test (tests/perf/test_table.py keeps the checks).

    PYTHONPATH=src python benchmarks/perf_engine_auto.py
"""

from __future__ import annotations

import statistics

from aifab.perf import auto_out_of_sample, group_errors, leave_one_out, loo_summary
from aifab.perf._userpath import user_path, user_path_median


def pct(x: float) -> str:
    return f"{x * 100:.1f} %"


def main() -> int:
    roof, auto = leave_one_out(), auto_out_of_sample()
    tab = {r.id for r in auto if "engine table" in r.loo_detail}
    print(f"| rows | roofline (leave-one-out) | auto (table out of sample, else roofline "
          f"LOO) |\n|---|---:|---:|\n| all {len(roof)} | {pct(loo_summary(roof)[1])} | "
          f"{pct(loo_summary(auto)[1])} |")
    for name, keep in (("timed by the table", lambda i: i in tab),
                       ("left to the roofline", lambda i: i not in tab)):
        r = [abs(x.loo_error) for x in roof if keep(x.id)]
        a = [abs(x.loo_error) for x in auto if keep(x.id)]
        if r:
            print(f"| {name} ({len(r)}) | {pct(statistics.median(r))} | "
                  f"{pct(statistics.median(a))} |")
    print("\n| group | rows | roofline LOO median | auto median | table rows |\n"
          "|---|---:|---:|---:|---:|")
    ga = {g.group: g for g in group_errors(auto)}
    for g in group_errors(roof):
        n_tab = sum(1 for x in auto if x.group == g.group and x.id in tab)
        few = " (< 5 rows)" if g.few_rows else ""
        print(f"| {g.group}{few} | {g.rows} | {pct(g.loo_median)} | "
              f"{pct(ga[g.group].loo_median)} | {n_tab} |")
    for eng in ("roofline", "auto"):
        up = user_path(eng)
        worse = sum(1 for x in up if x.search_tokens_per_s < 0.999 * x.calibrated_tokens_per_s)
        print(f"\nuser path ({eng}): {len(up)} rows, median {pct(user_path_median(up))}, "
              f"search below the row's own layout on {worse} rows")
    return 0


def slo_table() -> None:
    """The MLPerf server/interactive rows (data/slo.csv) for docs/perf-engines.md."""
    from aifab.perf._slo import slo_rows

    def rng(xs: tuple[float, float]) -> str:
        lo, hi = (f"{x * 100:+.0f}" for x in sorted(xs))
        return f"{lo} %" if lo == hi else f"{lo} to {hi} %"

    roof = {r.id: r for r in slo_rows("roofline")}
    auto_mean = {r.id: r for r in slo_rows("auto", None)}
    roof_mean = {r.id: r for r in slo_rows("roofline", None)}
    print("\n| row | TPOT limit | published (offline) | auto p99: ratio error | auto p99: "
          "absolute | auto as mean: ratio error | roofline p99: ratio error | roofline as "
          "mean: ratio error | auto p99 layout |\n|---|---|---:|---:|---:|---:|---:|---:|---|")
    for a in slo_rows("auto"):
        r, am, rm = roof[a.id], auto_mean[a.id], roof_mean[a.id]
        print(f"| {a.id} | {a.tpot_ms:g} ms | {a.value:,.0f} ({a.offline_value:,.0f}) | "
              f"{rng(a.ratio_errors)} | {rng(a.errors) if a.errors else '-'} | "
              f"{rng(am.ratio_errors)} | {rng(r.ratio_errors)} | {rng(rm.ratio_errors)} | "
              f"{a.engine}, {a.layout} |")
    for name, rows in (("auto p99", slo_rows("auto")), ("auto mean", slo_rows("auto", None)),
                       ("roofline p99", slo_rows("roofline")),
                       ("roofline mean", slo_rows("roofline", None))):
        med = statistics.median(max(abs(e) for e in x.ratio_errors) for x in rows)
        print(f"\nmedian ratio error, {name}: {pct(med)}")

if __name__ == "__main__":
    slo_table()
    raise SystemExit(main())
