"""Telemanom: the smoothed errors against pandas, the dynamic threshold and pruning on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.errors import ParameterError
from bench.metrics.thresholds import ThresholdStrategy
from bench.postprocess.dynamic_threshold import dynamic_threshold, find_epsilon, prune
from bench.postprocess.telemanom import TelemanomPostProcessor, TelemanomThreshold


def test_ewma_by_hand() -> None:
    """span 3: a = 0.5, so for 1, 0, 0: 1, 0.5 / 1.5, 0.25 / 1.75; span 1 leaves the scores alone."""
    out = TelemanomPostProcessor(span=3).fit([]).transform([1.0, 0.0, 0.0])
    np.testing.assert_allclose(out, [1.0, 1 / 3, 1 / 7], rtol=1e-15)
    x = np.array([3.0, -1.0, 2.5])
    np.testing.assert_array_equal(TelemanomPostProcessor(span=1).fit([]).transform(x), x)


def test_ewma_matches_pandas_as_telemanom_calls_it() -> None:
    """telemanom/errors.py: ``pd.DataFrame(e).ewm(span=smoothing_window).mean()``, span int(70 * 30 * 0.05) = 105."""
    e = np.abs(np.random.default_rng(3).standard_normal(5000)) * 10.0
    ref = pd.DataFrame(e).ewm(span=int(70 * 30 * 0.05)).mean().to_numpy().ravel()
    np.testing.assert_allclose(TelemanomPostProcessor().fit(e[:500]).transform(e), ref, rtol=1e-12)
    assert TelemanomPostProcessor().span == 105


def test_find_epsilon_by_hand() -> None:
    """Nine 0s and a 10: mean 1, std 3. z = 2.5 and 3 (eps 8.5, 10) flag the 10 alone and tie (score 2):
    the larger z wins, eps = 10. Widened by 5 the flagged set covers 6 points, not < half the window: no z
    qualifies and eps falls back to mean + 12 std = 37."""
    e = np.r_[np.zeros(9), 10.0]
    assert find_epsilon(e, 1.0, 3.0, error_buffer=1) == 10.0
    assert find_epsilon(e, 1.0, 3.0, error_buffer=3) == 10.0  # 3 points, one sequence: score 2 / (1 + 3) for both
    assert find_epsilon(e, 1.0, 3.0, error_buffer=6) == 37.0


def _find_epsilon_loop(e: np.ndarray, error_buffer: int) -> float:
    """telemanom's ``ErrorWindow.find_epsilon``, step by step: a loop over z, pruned mean/std, consecutive groups."""
    mean, sd = float(np.mean(e)), float(np.std(e))
    best_score, epsilon = -10000000.0, mean + 12.0 * sd
    for z in np.arange(2.5, 12.0, 0.5):
        eps = mean + sd * z
        pruned = e[e < eps]
        flagged = {int(j) + k for j in np.flatnonzero(e >= eps) for k in range(-(error_buffer - 1), error_buffer)}
        i_anom = sorted(j for j in flagged if 0 <= j < e.size)
        if not i_anom:
            continue
        groups, run = [], [i_anom[0]]
        for j in i_anom[1:]:
            if j == run[-1] + 1:
                run.append(j)
            else:
                groups.append(run)
                run = [j]
        groups.append(run)
        n_seq = sum(1 for g in groups if g[0] != g[-1])
        score = ((mean - np.mean(pruned)) / mean + (sd - np.std(pruned)) / sd) / (n_seq**2 + len(i_anom))
        if score >= best_score and n_seq <= 5 and len(i_anom) < e.size * 0.5:
            best_score, epsilon = score, eps
    return epsilon


@pytest.mark.parametrize("error_buffer", [1, 2, 5, 100])
def test_find_epsilon_matches_telemanoms_loop(error_buffer: int) -> None:
    rng = np.random.default_rng(error_buffer)
    for _ in range(40):
        e = np.abs(rng.standard_normal(int(rng.integers(50, 400)))) * rng.uniform(0.1, 3.0)
        spikes = rng.integers(0, e.size, size=int(rng.integers(0, 6)))
        e[spikes] += rng.uniform(1.0, 12.0, size=spikes.size)
        e[rng.integers(0, e.size, size=3)] = e[rng.integers(0, e.size)]  # some ties
        expected = _find_epsilon_loop(e, error_buffer)
        assert find_epsilon(e, float(e.mean()), float(e.std()), error_buffer) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("maxima", "non_anomalous", "keep"),
    [
        ([10.0, 9.5, 5.0], 4.8, [True, True, False]),  # d = 0.05, 0.47, 0.04: keep down to the 0.47 drop
        ([10.0], 9.5, [False]),  # d = 0.05 < 0.13: not distinct from normal errors
        ([10.0], 5.0, [True]),
        ([5.0, 10.0, 9.0], 1.0, [True, True, True]),  # d = 0.1, 0.44, 0.8: the last drop keeps all
        ([6.0, 10.0], 5.5, [False, True]),  # d = 0.4, 0.083
        ([], 1.0, []),
    ],
)
def test_prune_by_hand(maxima: list[float], non_anomalous: float, keep: list[bool]) -> None:
    assert prune(np.array(maxima), non_anomalous, p=0.13).tolist() == keep


def _pattern(n: int) -> np.ndarray:
    return np.tile([1.0, 1.2, 0.8, 1.0], n // 4 + 1)[:n]


def test_dynamic_threshold_windows_and_spike() -> None:
    """The first 200 points are judged together, then every 50 with the 200 ending with them; the spike at 200
    is judged by the window [50, 250): flagged with 2 points on each side, of which 198-199 were judged before."""
    e = np.r_[_pattern(200), 9.0, _pattern(200)]
    res = dynamic_threshold(e, window=200, batch=50, error_buffer=2, inverse=False)
    assert res.window_ends.tolist() == [200, 250, 300, 350, 400, 401]
    assert np.flatnonzero(res.alarms).tolist() == [200, 201, 202]
    assert res.epsilon.shape == (6,) and res.epsilon[1] > 1.2 and res.epsilon[1] < 9.0


def test_dynamic_threshold_inverse_flags_a_drop() -> None:
    """A run of zeros in errors around 1 is invisible to the upper threshold, flagged on the mirrored errors
    (widened by one point; 249 was judged with the previous batch, before the drop)."""
    e = _pattern(400)
    e[250:256] = 0.0
    assert not dynamic_threshold(e, window=200, batch=50, error_buffer=1, inverse=False).alarms.any()
    found = np.flatnonzero(dynamic_threshold(e, window=200, batch=50, error_buffer=1).alarms)
    assert found.tolist() == list(range(250, 257))


def test_dynamic_threshold_prunes_a_spike_close_to_an_unflagged_error() -> None:
    """A spike of 30 dominates the first window [0, 200), so the bump of 5.0 at 100 is no alarm there. The window
    [50, 250) judging 200-249 has mean 1.0425, std 0.4466 and eps = mean + 8.5 std = 4.84 (highest score): it
    flags 5.5 at 220 (and 5.0 at 100, judged before). The largest error neither flagged in the batch nor an
    earlier alarm is that 5.0, a drop of (5.5 - 5.0) / 5.5 = 9% from the spike: pruned at p = 0.13, kept at 0.05."""
    e = _pattern(300)
    e[20], e[100], e[220] = 30.0, 5.0, 5.5
    w = e[50:250]
    assert find_epsilon(w, w.mean(), w.std(), 1) == pytest.approx(w.mean() + 8.5 * w.std())
    strict = dynamic_threshold(e, window=200, batch=50, error_buffer=1, p=0.13, inverse=False)
    lenient = dynamic_threshold(e, window=200, batch=50, error_buffer=1, p=0.05, inverse=False)
    assert np.flatnonzero(strict.alarms).tolist() == [19, 20, 21]
    assert np.flatnonzero(lenient.alarms).tolist() == [19, 20, 21, 219, 220, 221]


def test_dynamic_threshold_edge_cases() -> None:
    assert not dynamic_threshold(np.full(500, 0.3)).alarms.any()  # constant errors: nothing to flag
    res = dynamic_threshold(np.zeros(0))
    assert res.alarms.shape == (0,) and res.epsilon.shape == (0,)
    assert dynamic_threshold(np.arange(5.0), window=2100).window_ends.tolist() == [5]
    ends = dynamic_threshold(_pattern(5000)).window_ends
    assert ends[0] == 2100 and ends[1] == 2170 and ends[-2] == 4970 and ends[-1] == 5000
    with pytest.raises(ParameterError, match="batch"):
        dynamic_threshold(np.ones(10), batch=0)


def test_threshold_strategy() -> None:
    e = np.r_[_pattern(3000), 9.0, _pattern(1000)]
    strategy = TelemanomThreshold()
    assert isinstance(strategy, ThresholdStrategy) and not strategy.oracle and strategy.name == "telemanom"
    thr, alarms = strategy.alarms(e, train_scores=np.ones(10), labels=np.zeros(e.size))
    res = dynamic_threshold(e)
    np.testing.assert_array_equal(alarms, res.alarms)
    assert alarms[3000] and thr == float(np.median(res.epsilon)) == strategy.threshold(e)
    assert TelemanomThreshold(p=0.2).name.startswith("telemanom(") and "p=0.2" in TelemanomThreshold(p=0.2).name
