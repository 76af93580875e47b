"""NAB's spatial rule, by hand (its reproduction of NAB's stored scores is in test_postprocess_likelihood.py)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.errors import DataError, ParameterError
from bench.postprocess.spatial import SpatialPostProcessor, spatial_exits


def test_spatial_by_hand() -> None:
    """Range [0, 1.04] before 1.1: tolerance 0.052, 1.1 > 1.092 exits; -0.2 < 0 - 0.055 exits; 0.5 is inside."""
    values = np.array([0.0, 1.0, 1.04, 1.1, -0.2, 0.5])
    out = SpatialPostProcessor().fit([], values=np.zeros(0)).transform(np.full(6, 0.2), values=values)
    assert out.tolist() == [0.2, 0.2, 0.2, 1.0, 1.0, 0.2]


def test_spatial_needs_two_distinct_values_before() -> None:
    """NAB checks ``minVal != maxVal``: 10 after three 3s is no exit; 20 after [3, 10] is (tolerance 0.35)."""
    assert spatial_exits(np.array([3.0, 3.0, 3.0, 10.0, 20.0, 10.3])).tolist() == [False] * 4 + [True, False]


def test_spatial_keeps_higher_scores_and_multichannel() -> None:
    values = np.column_stack(([0.0, 1.0, 0.5, 0.5], [5.0, 6.0, 5.5, 9.0]))  # channel 2 exits at the end
    out = SpatialPostProcessor(alarm_score=1.0).fit([], np.zeros((0, 2))).transform([0.0, 0.0, 3.0, 0.4], values)
    assert out.tolist() == [0.0, 0.0, 3.0, 1.0]
    pp = SpatialPostProcessor().fit([0.1, 0.1], np.zeros((2, 2)))
    with pytest.raises(DataError, match="channel"):
        pp.transform([0.1], np.zeros((1, 3)))


def test_spatial_fit_primes_the_range() -> None:
    """After fit on values spanning [0, 10], 10.4 is inside (tolerance 0.5) and 10.6 outside."""
    pp = SpatialPostProcessor().fit([0.0, 0.0], values=[0.0, 10.0])
    assert pp.update(0.3, value=10.4) == 0.3
    assert pp.update(0.3, value=11.0) == 1.0  # range is now [0, 10.4]: 11 > 10.92


def test_spatial_parameters() -> None:
    with pytest.raises(ParameterError, match="tolerance"):
        SpatialPostProcessor(tolerance=-0.1).fit([], values=[])
    out = SpatialPostProcessor(tolerance=0.0, alarm_score=5.0).fit([], values=[]).transform([1.0] * 3, [0.0, 1.0, 1.01])
    assert out.tolist() == [1.0, 1.0, 5.0]


def test_null_plus_spatial_on_nab(nab_mirror) -> None:  # type: ignore[no-untyped-def]
    """The finding the README quotes: NAB's spatial rule on a constant score scores 50.8 on NAB (standard)."""
    from bench.datasets.nab import parse
    from bench.metrics.nab_run import nab_rows

    items = []
    for s in parse(nab_mirror):
        pp = SpatialPostProcessor().fit(np.full(s.train_end, 0.5), s.values[: s.train_end])
        items.append((s, pp.transform(np.full(len(s), 0.5), s.values), 0.0))
    rows = dict(nab_rows(items))
    assert rows["nab_standard"] == pytest.approx(50.83, abs=0.01)
    assert rows["nab_reward_low_FP_rate"] == pytest.approx(49.95, abs=0.01)
    assert rows["nab_reward_low_FN_rate"] == pytest.approx(52.56, abs=0.01)
