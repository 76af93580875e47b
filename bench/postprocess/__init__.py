"""Causal score post-processors: a detector's raw scores in, new scores out (``lstm+likelihood``).

- ``likelihood``: NAB/HTM's anomaly likelihood (:mod:`bench.postprocess.likelihood`);
- ``telemanom``: telemanom's exponentially smoothed errors (:mod:`bench.postprocess.telemanom`,
  which also holds the ``telemanom`` threshold strategy);
- ``spatial``: NAB's spatial rule on the series values, a benchmark finding, never a headline
  row (:mod:`bench.postprocess.spatial`).

The interface is :class:`bench.postprocess.base.PostProcessor`; the conformance battery is
:mod:`bench.postprocess.checks`. Modules are imported lazily through ``POSTPROCESSORS``.
"""

from __future__ import annotations

#: short name -> "module:Class" (to be moved into ``bench.registry``)
POSTPROCESSORS: dict[str, str] = {
    "likelihood": "bench.postprocess.likelihood:LikelihoodPostProcessor",
    "telemanom": "bench.postprocess.telemanom:TelemanomPostProcessor",
    "spatial": "bench.postprocess.spatial:SpatialPostProcessor",
}

POSTPROCESSOR_DESCRIPTIONS: dict[str, str] = {
    "likelihood": "NAB/HTM anomaly likelihood of the raw scores (Ahmad et al. 2017; NAB's defaults), in [0, 1]",
    "telemanom": "telemanom's exponentially smoothed errors (Hundman et al. 2018, span 105)",
    "spatial": "NAB's spatial rule: score >= 1 where a value leaves the range seen so far by 5% (benchmark finding)",
}

__all__ = ["POSTPROCESSORS", "POSTPROCESSOR_DESCRIPTIONS"]
