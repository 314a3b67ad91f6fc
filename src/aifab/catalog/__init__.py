"""Accelerator and system catalogue: one data file per kind, a source on every row."""

from aifab.catalog._load import Catalog, default_catalog, load_catalog
from aifab.catalog._model import PRECISIONS, Accelerator, Precision, System

__all__ = [
    "PRECISIONS",
    "Accelerator",
    "Catalog",
    "Precision",
    "System",
    "default_catalog",
    "load_catalog",
]
