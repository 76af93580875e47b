"""GaussianDetector reproduces NAB's windowedGaussian output, and RandomDetector/NullDetector NAB's sanity baselines.

Reference files: ``reference/nab/<detector>/<category>/<detector>_<file>.csv.gz``
in ../shared (NAB at commit ea702d75, see its README), one row per data row
with the series ``value`` and NAB's ``anomaly_score``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.detectors.statistical import GaussianDetector
from bench.detectors.trivial import NullDetector, RandomDetector


def _files(nab_reference: Path, detector: str) -> list[Path]:
    files = sorted((nab_reference / detector).glob("*/*.csv.gz"))
    assert len(files) == 58, f"expected NAB's 58 series under {nab_reference / detector}; found {len(files)}"
    return files


def _train_length(n: int) -> int:
    """The runner's NAB protocol: the probationary first 15%, at most 750 points."""
    return min(int(0.15 * n), 750)


def test_gaussian_matches_nab_on_all_58_series(nab_reference: Path) -> None:
    worst = {}
    for path in _files(nab_reference, "windowedGaussian"):
        frame = pd.read_csv(path, usecols=["value", "anomaly_score"])
        x = frame["value"].to_numpy(dtype=np.float64)
        det = GaussianDetector().fit(x[: _train_length(x.size)])
        worst[path.name] = float(np.max(np.abs(det.score(x) - frame["anomaly_score"].to_numpy())))
    bad = {name: diff for name, diff in worst.items() if not diff <= 1e-9}
    assert not bad, f"max |ours - NAB| above 1e-9 on {len(bad)} series: {bad}"


def test_gaussian_streaming_matches_nab(nab_reference: Path) -> None:
    """fit on NAB's probationary part, then update() row by row: NAB's scores for the remaining rows."""
    path = nab_reference / "windowedGaussian" / "realKnownCause" / "windowedGaussian_nyc_taxi.csv.gz"
    frame = pd.read_csv(path, usecols=["value", "anomaly_score"])
    x = frame["value"].to_numpy(dtype=np.float64)
    k = _train_length(x.size)
    det = GaussianDetector().fit(x[:k])
    streamed = np.array([det.update(v) for v in x[k:]])
    # nyc_taxi has 10320 rows: the stream crosses the window's growth (6400) and many 100-row slides.
    assert x.size > 6400 + 3 * 100
    np.testing.assert_allclose(streamed, frame["anomaly_score"].to_numpy()[k:], rtol=0, atol=1e-9)


def test_random_with_seed_42_matches_nab(nab_reference: Path) -> None:
    """NAB's random detector draws Python's random.Random(42) stream per series."""
    for path in _files(nab_reference, "random")[::7]:
        frame = pd.read_csv(path, usecols=["value", "anomaly_score"])
        x = frame["value"].to_numpy(dtype=np.float64)
        s = RandomDetector(seed=42).fit(x[: _train_length(x.size)]).score(x)
        np.testing.assert_allclose(s, frame["anomaly_score"].to_numpy(), rtol=0, atol=1e-9, err_msg=path.name)


def test_null_matches_nab(nab_reference: Path) -> None:
    path = _files(nab_reference, "null")[0]
    frame = pd.read_csv(path, usecols=["value", "anomaly_score"])
    x = frame["value"].to_numpy(dtype=np.float64)
    s = NullDetector().fit(x[:100]).score(x)
    np.testing.assert_array_equal(s, frame["anomaly_score"].to_numpy())


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7])
def test_gaussian_first_rows_by_hand(n: int) -> None:
    """Hand computation with NAB's rules on x = 10, 8, 6, 10, 10, 10, 10 (window_size=3, step_size=2).

    Row 0: no window -> 0.0.  Row 1: window [10], std 0 -> 1e-6, |8 - 10| / 1e-6 huge -> 1 - Q(huge) = 1.0.
    Row 2: window [10, 8]: mean 9, std 1, z = 3 -> 1 - Q(3) = 1 - 0.5 erfc(3 / sqrt 2) = 0.9986501019683699.
    Row 3: window [10, 8, 6] (full): mean 8, std sqrt(8/3), z = 2 / 1.632993 = 1.2247449 -> 0.8896370...
    Row 4: window unchanged (1 of 2 rows buffered): same mean/std, x = 10 -> same score as row 3.
    Row 5: slid by 2 -> [6, 10, 10]: mean 26/3, std sqrt(32/9) = 1.885618, z = (4/3) / 1.885618 = 0.7071068.
    Row 6: window unchanged -> same as row 5.
    """
    from math import erfc, sqrt

    def s(z: float) -> float:
        return 1 - 0.5 * erfc(z / sqrt(2))

    expected = np.array(
        [0.0, 1.0, s(3.0), s(2 / sqrt(8 / 3)), s(2 / sqrt(8 / 3)), s((4 / 3) / sqrt(32 / 9)), s((4 / 3) / sqrt(32 / 9))]
    )
    x = np.array([10.0, 8.0, 6.0, 10.0, 10.0, 10.0, 10.0])
    det = GaussianDetector(window_size=3, step_size=2).fit(x[:n])
    np.testing.assert_allclose(det.score(x), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose([det.update(v) for v in x[n:]], expected[n:], rtol=0, atol=1e-12)
