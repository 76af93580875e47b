"""Rank statistics of the report against scipy and Demšar (2006)'s published tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from bench.errors import DataError, ParameterError
from bench.report import stats


def _matrix(n: int = 20, k: int = 5, seed: int = 0, ties: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.random((n, k)) + np.linspace(0, 0.4, k)  # later detectors tend to be better
    if ties:
        x = np.round(x, 1)
    return pd.DataFrame(x, index=[f"s{i}" for i in range(n)], columns=[f"d{j}" for j in range(k)])


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_friedman_equals_scipy(seed: int, ties: bool) -> None:
    x = _matrix(seed=seed, ties=ties)
    stat, p = stats.friedman(x)
    ref = sps.friedmanchisquare(*[x[c].to_numpy() for c in x.columns])
    assert stat == pytest.approx(ref.statistic, rel=1e-12)
    assert p == pytest.approx(ref.pvalue, rel=1e-9)


def test_friedman_uses_only_complete_series() -> None:
    x = _matrix()
    x.iloc[3, 1] = np.nan
    stat, p = stats.friedman(x)
    kept = x.drop(index="s3")
    ref = sps.friedmanchisquare(*[kept[c].to_numpy() for c in kept.columns])
    assert (stat, p) == pytest.approx((ref.statistic, ref.pvalue))


def test_friedman_not_applicable_with_two_detectors() -> None:
    assert np.isnan(stats.friedman(_matrix(k=2))[1])


def test_rank_matrix_by_hand_both_directions() -> None:
    v = pd.DataFrame({"a": [0.9, 0.5], "b": [0.1, 0.5], "c": [0.5, 0.2]})
    assert stats.rank_matrix(v).to_numpy().tolist() == [[1, 3, 2], [1.5, 1.5, 3]]
    assert stats.rank_matrix(v, higher_is_better=False).to_numpy().tolist() == [[3, 1, 2], [2.5, 2.5, 1]]
    avg = stats.average_ranks(v)
    assert avg.index.tolist() == ["a", "b", "c"] and avg.tolist() == [1.25, 2.25, 2.5]


# Demšar (2006), Table 5(a): critical values q_alpha for the two-tailed Nemenyi test, k = 2..10
DEMSAR_Q05 = [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164]
DEMSAR_Q10 = [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920]


@pytest.mark.parametrize(("alpha", "table"), [(0.05, DEMSAR_Q05), (0.10, DEMSAR_Q10)])
def test_nemenyi_q_matches_demsar_table(alpha: float, table: list[float]) -> None:
    got = [stats.nemenyi_q(k, alpha) for k in range(2, 11)]
    assert got == pytest.approx(table, abs=1.5e-3)  # the table is rounded to 3 decimals


def test_nemenyi_cd_by_hand() -> None:
    # Demšar's worked example (sec. 3.2.2): k = 4 classifiers, N = 14 data sets, CD = 2.569 sqrt(4*5/(6*14)) = 1.25
    assert stats.nemenyi_cd(4, 14) == pytest.approx(1.25, abs=5e-3)
    assert stats.nemenyi_cd(4, 14) == pytest.approx(stats.nemenyi_q(4) * np.sqrt(20 / 84))
    with pytest.raises(ParameterError, match="at least 2 detectors"):
        stats.nemenyi_q(1)


def test_holm_by_hand() -> None:
    # sorted p: 0.01, 0.03, 0.04 -> 3*0.01, max(0.03, 2*0.03), max(0.06, 1*0.04)
    assert stats.holm([0.01, 0.04, 0.03]).tolist() == pytest.approx([0.03, 0.06, 0.06])
    assert stats.holm([0.5, 0.9]).tolist() == [1.0, 1.0]


def test_pairwise_wilcoxon_equals_scipy_and_holm() -> None:
    x = _matrix(n=15, k=4, seed=3)
    pairs = stats.pairwise_wilcoxon(x)
    ref = [sps.wilcoxon(x[a], x[b]).pvalue for a, b in zip(pairs.a, pairs.b, strict=True)]
    assert pairs.p.tolist() == pytest.approx(ref, rel=1e-12)
    m = len(ref)
    order = np.argsort(ref)
    expected = np.maximum.accumulate(np.minimum(1, (m - np.arange(m)) * np.asarray(ref)[order]))
    assert pairs.p_holm.to_numpy()[order] == pytest.approx(expected)


def test_wilcoxon_identical_samples_is_no_evidence() -> None:
    a = np.array([0.1, 0.2, 0.3])
    assert stats.wilcoxon_p(a, a) == 1.0


def test_cliques_by_hand() -> None:
    order = ["a", "b", "c", "d"]
    assert stats.cliques(order, set()) == [("a", "b", "c", "d")]
    all_pairs = {frozenset(p) for p in [("a", "b"), ("a", "c"), ("a", "d"), ("b", "c"), ("b", "d"), ("c", "d")]}
    assert stats.cliques(order, all_pairs) == []
    assert stats.cliques(order, {frozenset("ad")}) == [("a", "b", "c"), ("b", "c", "d")]


def test_compare_ranks_separates_a_clearly_better_detector() -> None:
    rng = np.random.default_rng(5)
    x = pd.DataFrame({"good": rng.random(30) + 1.0, "meh1": rng.random(30), "meh2": rng.random(30)})
    r = stats.compare_ranks(x, metric="auc_pr")
    assert r.avg_ranks.index[0] == "good" and r.avg_ranks.iloc[0] == 1.0
    assert r.friedman_pvalue < 1e-6
    assert ("meh1", "meh2") in r.cliques or ("meh2", "meh1") in r.cliques
    assert not any("good" in c for c in r.cliques)
    assert r.cd == pytest.approx(stats.nemenyi_cd(3, 30))
    assert "30 series" in r.summary()


def test_compare_ranks_lower_is_better_reverses_order() -> None:
    x = _matrix(n=25, k=3, seed=1)
    up = stats.compare_ranks(x)
    down = stats.compare_ranks(x, higher_is_better=False)
    assert list(up.avg_ranks.index) == list(reversed(down.avg_ranks.index))
    assert up.friedman_statistic == pytest.approx(down.friedman_statistic)


def test_compare_ranks_needs_complete_series() -> None:
    x = pd.DataFrame({"a": [np.nan, 1.0], "b": [1.0, np.nan]})
    with pytest.raises(DataError, match="0 complete series"):
        stats.compare_ranks(x)
