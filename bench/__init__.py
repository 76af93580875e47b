"""bench: a benchmarking and evaluation suite for time-series anomaly detectors."""

from __future__ import annotations

from bench.errors import BenchError
from bench.series import Series

__version__ = "0.1.0"

__all__ = ["BenchError", "Series", "__version__"]
