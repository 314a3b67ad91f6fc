"""Workload sources: trace readers (openb; Philly later) and workload transformations."""

from aifab.workload.openb import (
    MILLI_PER_GPU,
    OpenbNodes,
    OpenbPods,
    inflate_pods,
    read_openb_nodes,
    read_openb_pods,
)

__all__ = [
    "MILLI_PER_GPU",
    "OpenbNodes",
    "OpenbPods",
    "inflate_pods",
    "read_openb_nodes",
    "read_openb_pods",
]
