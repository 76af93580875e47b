"""The anomaly likelihood: NuPIC's unit-test cases as data, a per-point loop to 1e-12, NAB's stored numenta scores.

NuPIC cases are ported from numenta/nupic (now numenta/nupic-legacy),
``tests/unit/nupic/algorithms/anomaly_likelihood_test.py`` and
``anomaly_likelihood_jeff_test.py`` at commit 3d427e92aff9d4045f1758135975c89fe8ee9552
(2016-09-09): the last version with the one-sided tail probability, which
NAB's published numenta results were computed with. Cases built on random
draws use the draws' mean instead (said where).
"""

from __future__ import annotations

import math
from collections import deque
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.errors import ParameterError
from bench.postprocess.likelihood import (
    LikelihoodPostProcessor,
    estimate_normal,
    filter_likelihoods,
    log_likelihood,
    reestimation_points,
    skip_records,
    tail_probability,
    window_means,
)
from bench.postprocess.spatial import SpatialPostProcessor

HALF = math.log(1.0000000001 - 0.5) / -23.02585084720009  # the score before the first estimate


# --------------------------------------------------------------------------- NuPIC's cases
@pytest.mark.parametrize(
    ("n_ingested", "window", "learning", "expected"),
    [
        (5, 10, 10, 5),
        (10, 15, 10, 10),
        (10, 10, 0, 0),
        (10, 10, 10, 10),
        (14, 10, 10, 6),
        (20, 10, 10, 0),
        (25, 10, 10, 0),
    ],
)
def test_skip_records_nupic(n_ingested: int, window: int, learning: int, expected: int) -> None:
    """``testCalcSkipRecords``."""
    assert skip_records(n_ingested, window, learning) == expected


@pytest.mark.parametrize(
    ("x", "mean", "std", "expected"),
    [
        (0.0, 0.0, 1.0, 0.5),
        (0.3, 0.0, 1.0, 0.3820885780),
        (1.0, 0.0, 1.0, 0.1587),
        (-1.0, 0.0, 1.0, 1 - 0.1587),
        (-0.3, 0.0, 1.0, 1 - 0.3820885780),
        (1.0, 1.0, 2.0, 0.5),
        (2.0, 1.0, 2.0, 0.3085),
        (3.0, 1.0, 2.0, 0.1587),
        (-1.0, 1.0, 2.0, 1 - 0.1587),
        (0.0, 1.0, 2.0, 1 - 0.3085),
        (-2.0, -2.0, math.sqrt(0.5), 0.5),
        (-1.5, -2.0, math.sqrt(0.5), 0.241963652),
        (-2.5, -2.0, math.sqrt(0.5), 1 - 0.241963652),
    ],
)
def test_tail_probability_nupic(x: float, mean: float, std: float, expected: float) -> None:
    """``testNormalProbability`` (one-sided: below the mean, ``1 - P`` of the mirrored value), within 0.005."""
    assert abs(float(tail_probability(x, mean, std)) - expected) <= 0.005


def test_estimate_normal_nupic() -> None:
    """``testEstimateNormal``: 100 draws from N(0.4, 0.5**2); NuPIC expects 0.3721, 0.22294, 0.47216 within 0.005."""
    samples = [
        0.32259025, -0.44936321, -0.15784842, 0.72142628, 0.8794327, 0.06323451, -0.15336159, -0.02261703,
        0.04806841, 0.47219226, 0.31102718, 0.57608799, 0.13621071, 0.92446815, 0.1870912, 0.46366935,
        -0.11359237, 0.66582357, 1.20613048, -0.17735134, 0.20709358, 0.74508479, 0.12450686, -0.15468728,
        0.3982757, 0.87924349, 0.86104855, 0.23688469, -0.26018254, 0.10909429, 0.65627481, 0.39238532,
        0.77150761, 0.47040352, 0.9676175, 0.42148897, 0.0967786, -0.0087355, 0.84427985, 1.46526018,
        1.19214798, 0.16034816, 0.81105554, 0.39150407, 0.93609919, 0.13992161, 0.6494196, 0.83666217,
        0.37845278, 0.0368279, -0.10201944, 0.41144746, 0.28341277, 0.36759426, 0.90439446, 0.05669459,
        -0.11220214, 0.34616676, 0.49898439, -0.23846184, 1.06400524, 0.72202135, -0.2169164, 1.136582,
        -0.69576865, 0.48603271, 0.72781008, -0.04749299, 0.15469311, 0.52942518, 0.24816816, 0.3483905,
        0.7284215, 0.93774676, 0.07286373, 1.6831539, 0.3851082, 0.0637406, -0.92332861, -0.02066161,
        0.93709862, 0.82114131, 0.98631562, 0.05601529, 0.72214694, 0.09667526, 0.3857222, 0.50313998,
        0.40775344, -0.69624046, -0.4448494, 0.99403206, 0.51639049, 0.13951548, 0.23458214, 1.00712699,
        0.40939048, -0.06436434, -0.02753677, -0.23017904,
    ]  # fmt: skip
    mean, std = estimate_normal(samples)
    assert abs(mean - 0.3721) <= 0.005 and abs(std**2 - 0.22294) <= 0.005 and abs(std - 0.47216) <= 0.005


@pytest.mark.parametrize(
    ("likelihoods", "red", "yellow_at"),
    [
        ([0.0, 0.0, 0.3, 0.3, 0.5], 0.99999, [1]),  # testFilterLikelihodsInputType
        ([1.0, 1.0, 0.9, 0.8, 0.5, 0.4, 1.0, 1.0, 0.6, 0.0], 0.9999, [1, 7]),  # testFilterLikelihoods (i), as 1 - x
        (
            [0.999978229, 0.999978229, 0.999999897, 1, 1, 1, 1, 0.999999994, 0.999999966, 0.999999966, 0.999994331,
             0.999516576, 0.99744487],
            0.9999, list(range(1, 11)),
        ),  # (ii), as 1 - x
        (
            [0.999968329, 0.999999897, 1, 1, 1, 1, 0.999999994, 0.999999966, 0.999999966, 0.999994331, 0.999516576,
             0.99744487],
            0.9999, list(range(1, 10)),
        ),  # (iii) list a, as 1 - x
        (
            [0.999968329, 0.999999897, 1, 1, 1, 1, 0.999999994, 0.999999966, 0.999999966, 0.999994331, 0.999516576,
             0.99744487],
            0.99999, list(range(2, 10)),
        ),  # (iii) list b: five nines move the first filtered point
    ],
)  # fmt: skip
def test_filter_likelihoods_nupic(likelihoods: list[float], red: float, yellow_at: list[int]) -> None:
    """``testFilterLikelihoods`` and ``testFilterLikelihodsInputType``: repeated red values become yellow (1e-3)."""
    lik = np.array(likelihoods) if len(likelihoods) == 5 else 1.0 - np.array(likelihoods)
    expected = lik.copy()
    expected[yellow_at] = 1 - 0.999
    np.testing.assert_allclose(filter_likelihoods(lik, red_threshold=red), expected, rtol=0, atol=1e-7)


def test_reestimation_points_nupic() -> None:
    """``testReestimationPeriodArg``: learning 2 + estimation 2, period 2: estimates at iterations 4 and 6, not 5, 7."""
    assert reestimation_points(8, 4, 2).tolist() == [4, 6]
    assert reestimation_points(4, 4, 2).tolist() == []


def test_probation_and_first_estimate_nupic() -> None:
    """``testAnomalyProbabilityResultsDuringProbationaryPeriod`` and ``testdWindowSizeImpactOnEstimate...Args``.

    learningPeriod=2, estimationSamples=2, historicWindowSize=3: 0.5 for the first 4 points; the 5th is scored
    with a Gaussian from the scores of points 2..4 (0.2, 0.3, 0.4) skipping 1 record. With a 3-point average
    the history's moving averages are 0.2, 0.25, 0.3, so the Gaussian is (0.275, 0.025) by hand; the 5th point's
    average is 0.4 (z = 5), the 4th's 0.3 (z = 1).
    """
    pp = LikelihoodPostProcessor(
        learning_period=2, estimation_samples=2, historic_window_size=3, averaging_window=3
    ).fit([])
    out = pp.transform([0.1, 0.2, 0.3, 0.4, 0.5])
    assert out[:4].tolist() == [HALF] * 4
    q = 0.5 * math.erfc(((0.4 - 0.275) / 0.025) / 1.4142)
    assert out[4] == pytest.approx(math.log(1.0000000001 - (1.0 - q)) / -23.02585084720009, abs=1e-9)
    assert out[4] > 0.6  # red zone (q < 1e-5) and the previous point was not: kept, not filtered


def _estimate_then_update(history: list[float], new: list[float], window: int = 10) -> np.ndarray:
    """NuPIC's ``estimateAnomalyLikelihoods(history)`` then ``updateAnomalyLikelihoods(new, params)``, filtered."""
    x = np.array(history + new)
    wm = window_means(x, window)
    mean, std = estimate_normal(wm[: len(history)])
    lik = tail_probability(wm[len(history) - 1 :], mean, std)
    return filter_likelihoods(lik)[1:]


def _spikes(n: int, period: int, value: float = 1.0) -> list[float]:
    """``_addSampleData``: a spike of ``value`` at every index with ``(idx + 1) % period == 0``, else 0."""
    return [value if period > 0 and (i + 1) % period == 0 else 0.0 for i in range(n)]


def test_jeff_cases_nupic() -> None:
    """``anomaly_likelihood_jeff_test.py``: the artificial spike patterns, same assertions."""
    # testCaseSingleSpike
    assert abs(_estimate_then_update(_spikes(1000, 0), _spikes(1, 1))[0]) <= 0.001
    # testCaseUnusuallyHighSpikeFrequency
    base = _spikes(1019, 20)[:1000]
    lik = _estimate_then_update(base, _spikes(119, 20) + _spikes(20, 2))
    assert lik[:119].min() > 0.1
    assert lik[119 + 5 :].sum() / 15.0 < 0.001
    # testCaseContinuousBunchesOfSpikes and testCaseIncreasedSpikeFrequency
    bunches = [v for _ in range(30) for v in _spikes(30, 0) + _spikes(10, 3)][:1000]
    assert _estimate_then_update(bunches, _spikes(30, 0) + _spikes(10, 3)).min() > 0.01
    lik = _estimate_then_update(bunches, _spikes(30, 0) + _spikes(10, 1))
    assert lik[:30].min() > 0.01 and lik[-5:].min() < 0.002
    # testCaseIncreasedAnomalyScore
    lik = _estimate_then_update(_spikes(1000, 20, 0.4), _spikes(100, 20, 1.0))
    assert lik.min() < 0.0003 and (lik < 0.0003).sum() > 40


def test_flat_scores_nupic() -> None:
    """``testFlatAnomalyScores``, last part, with the draws' means: scores near 0 hit the floors (0.03, 0.0003)."""
    flat = [0.01] * 1000
    assert estimate_normal(window_means(np.array(flat), 10)) == pytest.approx((0.03, math.sqrt(0.0003)))
    assert _estimate_then_update(flat, [0.1] * 20)[10:].mean() <= 0.002
    later = _estimate_then_update(flat, [0.1] * 20 + [0.05] * 20)[30:]
    assert 0.015 < later.mean() <= 0.28


# --------------------------------------------------------------------------- a plain per-point loop
def _tail(x: float, mean: float, std: float) -> float:
    """NuPIC's tail probability before 2016-09-13: ``1 - Q`` of the mirrored value below the mean."""
    if x < mean:
        return 1.0 - 0.5 * math.erfc((((2 * mean - x) - mean) / std) / 1.4142)
    return 0.5 * math.erfc(((x - mean) / std) / 1.4142)


def _loop(scores: list[float], L: int, E: int, H: int, R: int, w: int) -> list[float]:
    """NuPIC's ``AnomalyLikelihood.anomalyProbability`` + NAB's log score, one point at a time, in plain Python."""
    history: deque[float] = deque(maxlen=H)
    mean = std = 0.0
    fitted = False
    out = []
    for i, s in enumerate(scores):
        if i < L + E:
            p = 0.5
        else:
            if not fitted or i % R == 0:
                fitted = True
                hist = list(history)
                avgs = [
                    sum(hist[max(0, j - w + 1) : j + 1]) / len(hist[max(0, j - w + 1) : j + 1])
                    for j in range(len(hist))
                ]
                skip = min(i, max(0, L - max(0, i - H)))
                sample = avgs[skip:]
                if not sample:
                    mean, std = 0.5, 1e3
                else:
                    m = sum(sample) / len(sample)
                    v = sum((a - m) ** 2 for a in sample) / len(sample)
                    mean, std = max(m, 0.03), math.sqrt(max(v, 0.0003))
            recent = (list(history) + [s])[-w:]
            before = list(history)[-w:]

            lik = _tail(sum(recent) / len(recent), mean, std)
            prev = _tail(sum(before) / len(before), mean, std)
            p = 1.0 - (0.001 if lik <= 1e-5 and prev <= 1e-5 else lik)
        history.append(s)
        out.append(math.log(1.0000000001 - p) / -23.02585084720009)
    return out


@pytest.mark.parametrize(
    ("n_train", "params"),
    [
        (300, {}),
        (300, {"historic_window_size": 150, "reestimation_period": 7}),
        (0, {"historic_window_size": 40, "reestimation_period": 3, "averaging_window": 5}),
        (57, {"learning_period": 0, "estimation_samples": 20, "historic_window_size": 20, "averaging_window": 20}),
        (10, {"learning_period": 288, "estimation_samples": 100, "averaging_window": 1}),
    ],
)
def test_matches_per_point_loop(n_train: int, params: dict[str, int]) -> None:
    rng = np.random.default_rng(n_train)
    x = np.abs(rng.standard_normal(1500)) * rng.choice([0.05, 0.3, 2.0], size=1500)
    x[rng.integers(300, 1500, size=15)] += 6.0  # spikes: red-zone runs for the filter
    pp = LikelihoodPostProcessor(**params).fit(x[:n_train])
    L, E = pp.learning_period_, pp.estimation_samples_
    R, H, w = pp.reestimation_period, pp.historic_window_size, pp.averaging_window
    got = pp.transform(x)
    np.testing.assert_allclose(got, _loop(x.tolist(), L, E, H, R, w), rtol=0, atol=1e-12)
    assert got.max() > 0.5  # the spikes reach the red zone: the filter was exercised


def test_nab_rule_for_the_defaults() -> None:
    pp = LikelihoodPostProcessor().fit(np.zeros(604))
    assert (pp.learning_period_, pp.estimation_samples_, pp.n_warmup_) == (302, 302, 604)
    pp = LikelihoodPostProcessor().fit(np.zeros(0))
    assert (pp.learning_period_, pp.estimation_samples_) == (0, 1)
    pp = LikelihoodPostProcessor(learning_period=288).fit(np.zeros(300))
    assert (pp.learning_period_, pp.estimation_samples_) == (288, 12)


@pytest.mark.parametrize(
    "params",
    [
        {"historic_window_size": 5},  # below averaging_window = 10
        {"estimation_samples": 9000},  # above historic_window_size, NuPIC's ValueError
        {"reestimation_period": 0},
        {"variance_floor": 0.0},
        {"mean_floor": float("nan")},
        {"learning_period": -1},
    ],
)
def test_bad_parameters(params: dict[str, float]) -> None:
    with pytest.raises(ParameterError, match=next(iter(params))):
        LikelihoodPostProcessor(**params).fit(np.zeros(10))


def test_log_scale() -> None:
    """NAB's mapping: p = 0.5 -> 0.0301, p = 1 - 1e-5 -> 0.5, p = 1 -> ~1."""
    np.testing.assert_allclose(log_likelihood([0.5, 1 - 1e-5, 1.0]), [0.0301029995, 0.5, 1.0], rtol=0, atol=1e-6)


# --------------------------------------------------------------------------- NAB's stored numenta scores
def test_reproduces_nab_numenta_scores(nab_reference: Path) -> None:
    """likelihood (NAB's defaults, training part = probationary period) + spatial on NAB's stored HTM raw scores
    gives NAB's stored numenta scores (written with 12 significant digits) on every series but art_flatline.

    art_flatline differs because NuPIC returns its null distribution when the series *values* are flat (a
    workaround for an HTM encoder problem that this post-processor leaves out, see its Notes); the series
    is indeed flat there, and it is the only one.
    """
    files = sorted(nab_reference.glob("numenta/*/numenta_*.csv.gz"))
    assert len(files) == 58
    for path in files:
        frame = pd.read_csv(path)
        raw, values = frame["raw_score"].to_numpy(float), frame["value"].to_numpy(float)
        n = raw.size
        probation = int(min(math.floor(0.15 * n), 0.15 * 5000))
        out = LikelihoodPostProcessor().fit(raw[:probation]).transform(raw)
        out = SpatialPostProcessor().fit(out[:probation], values[:probation]).transform(out, values)
        expected = frame["anomaly_score"].to_numpy(float)
        if path.name == "numenta_art_flatline.csv.gz":
            assert np.var(values[probation // 2 :]) < 1.5e-5 and not np.allclose(out, expected, rtol=0, atol=1e-3)
            continue
        assert np.var(values[probation // 2 :]) >= 1.5e-5
        np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-11, err_msg=path.name)
