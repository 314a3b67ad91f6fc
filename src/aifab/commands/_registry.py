"""The command table and the Ctrl-C exit, shared by :mod:`aifab.cli` (the entry point) and
the root command group (:mod:`aifab.commands._root`); standard library only, so that
``aifab --help`` stays fast."""

from __future__ import annotations

import sys

#: Modules under ``aifab.commands`` that each define ``register(app)``.
COMMAND_MODULES = ("plan", "replay", "perf", "simulate", "site", "report", "sweep", "serve",
                   "admit")

#: The commands each module registers, with the first line of their help, so that
#: ``aifab --help`` needs no command module. A module missing here still works (it is
#: imported to list its commands, at the cost of a slower ``--help``);
#: tests/commands/test_cli_startup.py keeps this table in step with the modules.
COMMAND_HELP: dict[str, dict[str, str]] = {
    "plan": {
        "plan": "Fleet, capacity (H100-equivalents), power, energy, cost, comparisons and "
                "peers.",
        "scenarios": "List the embedded scenarios.",
        "catalog": "List accelerators and systems with their key specs and sources.",
    },
    "replay": {"replay": "Replay cluster traces through the simulator."},
    "perf": {"perf": "Performance and energy model: tokens/s, training time, tokens per "
                     "joule."},
    "simulate": {"simulate": "Simulate the shared fleet: tenants, quotas, gangs, inference on "
                             "GPUs/NPUs, power."},
    "site": {"site": "Grid-aware siting: campuses per owner, site and year on a clustered "
                     "network of Korea."},
    "report": {"report": "One report for a scenario: plan, grid siting and the national twin "
                         "(report.html)."},
    "sweep": {"sweep": "Run scenario variants (grid, random, LHS, Saltelli, one-at-a-time) on "
                       "Ray."},
    "serve": {"serve": "A local web dashboard: overview, plan knobs, siting map, runs, twin "
                       "and sweeps."},
    "admit": {
        "admit": "What-if admission: admitted now? if not, why (quota, flavor, topology, "
                 "priority) and when (from a twin run).",
        "queues": "Write the scenario's tenants, quotas and policies as Kueue and/or KAI "
                  "manifests.",
        "compare-queues": "Replay a workload history through quota designs: per-tenant wait, "
                          "utilisation, preemptions, fairness.",
    },
}

EXIT_ABORTED = 130


def aborted() -> None:
    """Report Ctrl-C in one line and exit 130 (nothing else is printed)."""
    try:
        sys.stderr.write("aifab: aborted\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    raise SystemExit(EXIT_ABORTED)
