"""Causal score post-processors: a detector's raw scores in, new scores out (``lstm+likelihood``).

- ``likelihood``: NAB/HTM's anomaly likelihood (:mod:`bench.postprocess.likelihood`);
- ``telemanom``: telemanom's exponentially smoothed errors (:mod:`bench.postprocess.telemanom`,
  which also holds the ``telemanom`` threshold strategy);
- ``spatial``: NAB's spatial rule on the series values, a benchmark finding, never a headline
  row (:mod:`bench.postprocess.spatial`).

The interface is :class:`bench.postprocess.base.PostProcessor`; the conformance battery is
:mod:`bench.testing.postprocessors`. Modules are imported lazily through ``bench.registry.POSTPROCESSORS``.
"""

from __future__ import annotations

__all__: list[str] = []
