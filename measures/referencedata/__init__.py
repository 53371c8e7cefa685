"""The reference data in measures/data/: its schema, a reader that checks it, a writer."""

from pathlib import Path

from .reader import InvalidReferenceData, Problem, ReferenceData, read_reference_data
from .writer import LoadReport, write_reference_data

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

__all__ = [
    "DATA_DIR",
    "InvalidReferenceData",
    "LoadReport",
    "Problem",
    "ReferenceData",
    "read_reference_data",
    "write_reference_data",
]
