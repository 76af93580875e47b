"""Anomaly detectors behind one interface (see ``bench.detectors.base``)."""

from __future__ import annotations

from bench.detectors.base import Detector

__all__ = ["Detector"]
