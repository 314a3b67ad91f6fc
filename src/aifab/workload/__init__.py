"""Workload sources: trace readers (openb, Philly), synthetic job classes, transformations."""

from aifab.workload.openb import (
    MILLI_PER_GPU,
    OpenbNodes,
    OpenbPods,
    inflate_pods,
    read_openb_nodes,
    read_openb_pods,
)
from aifab.workload.philly import PhillyJobs, read_philly
from aifab.workload.synthetic import DEFAULT_CLASSES, DEFAULT_MIX, ClassSampler

__all__ = [
    "DEFAULT_CLASSES",
    "DEFAULT_MIX",
    "MILLI_PER_GPU",
    "ClassSampler",
    "OpenbNodes",
    "OpenbPods",
    "PhillyJobs",
    "inflate_pods",
    "read_openb_nodes",
    "read_openb_pods",
    "read_philly",
]
