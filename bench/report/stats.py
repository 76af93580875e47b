"""Is a difference between detectors real? Ranks over series, Friedman, Nemenyi CD and Wilcoxon-Holm cliques.

The method is Demšar, "Statistical Comparisons of Classifiers over Multiple
Data Sets", JMLR 7 (2006) 1-30: detectors are the treatments, series the
blocks. Each series ranks the detectors (1 = best, ties share the average
rank); the Friedman test asks whether the average ranks differ more than
chance would make them; the Nemenyi critical difference (CD) is the gap in
average rank beyond which two detectors differ at level ``alpha``.

Two post-hoc tests give two groupings, kept apart (:data:`TESTS`): Nemenyi's
groups join detectors whose average ranks differ by less than the CD;
Wilcoxon-Holm's join detectors whose pairwise Wilcoxon signed-rank tests,
Holm-corrected, find no difference (Benavoli, Corani & Mangili, JMLR 17
(2016) recommend it over Nemenyi's). A CD diagram draws the groups of one
test and says which.

Every function takes a plain series x detector matrix (a DataFrame, one row
per series, one column per detector; see
:func:`bench.report.frames.per_series`) and uses only complete rows: a
series where any detector's value is undefined (NaN) is left out. Columns
named in ``leave_out`` (the sanity baselines) are shown beside the others
but neither ranked nor tested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bench.errors import DataError, ParameterError

TESTS = ("nemenyi", "wilcoxon")  # the post-hoc tests whose groups a CD diagram can draw
TEST_NAMES = {"nemenyi": "Nemenyi", "wilcoxon": "Wilcoxon-Holm"}


def complete_rows(values: pd.DataFrame) -> pd.DataFrame:
    """The rows (series) where every detector has a value."""
    return values.dropna(axis=0, how="any")


def rank_matrix(values: pd.DataFrame, higher_is_better: bool = True) -> pd.DataFrame:
    """Ranks of the detectors within each series: 1 = best, ties get the average of the ranks they span.

    >>> v = pd.DataFrame({"a": [0.9, 0.5], "b": [0.1, 0.5], "c": [0.5, 0.2]})
    >>> rank_matrix(v).to_numpy().tolist()
    [[1.0, 3.0, 2.0], [1.5, 1.5, 3.0]]
    """
    return values.rank(axis=1, ascending=not higher_is_better, method="average")


def average_ranks(values: pd.DataFrame, higher_is_better: bool = True) -> pd.Series:
    """Mean rank of each detector over the complete series, best (lowest) first."""
    ranks = rank_matrix(complete_rows(values), higher_is_better)
    return ranks.mean(axis=0).sort_values(kind="stable")


def friedman(values: pd.DataFrame) -> tuple[float, float]:
    """Friedman's chi-square statistic (with the tie correction) and its p-value over the complete series.

    ``chi2 = [12 / (n k (k+1)) sum_j R_j^2 - 3 n (k+1)] / C`` with ``R_j``
    the rank sums and ``C = 1 - sum(t^3 - t) / (n k (k^2 - 1))`` over tie
    groups, as ``scipy.stats.friedmanchisquare`` computes it (Demšar 2006,
    eq. 1). Direction does not matter: reversing every rank gives the same
    statistic. NaN for fewer than 3 detectors or 2 series, or when every
    series ties every detector.
    """
    from scipy.stats import chi2

    x = complete_rows(values).to_numpy(dtype=np.float64)
    n, k = x.shape
    if k < 3 or n < 2:
        return float("nan"), float("nan")
    ranks = rank_matrix(pd.DataFrame(x)).to_numpy()
    equal_counts = (x[:, :, None] == x[:, None, :]).sum(axis=2)  # how many in the row share each value
    ties = float((equal_counts**2 - 1).sum())  # = sum over tie groups of t^3 - t
    c = 1.0 - ties / (k * (k * k - 1) * n)
    if c <= 0:
        return float("nan"), float("nan")
    stat = (12.0 / (k * n * (k + 1)) * float(np.sum(ranks.sum(axis=0) ** 2)) - 3.0 * n * (k + 1)) / c
    return float(stat), float(chi2.sf(stat, k - 1))


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """The Nemenyi test's critical value: the studentized range quantile (infinite df) divided by sqrt(2).

    Demšar (2006), Table 5(a): 1.960, 2.343, 2.569, ... for k = 2, 3, 4 at
    alpha = 0.05.
    """
    from scipy.stats import studentized_range

    if k < 2:
        raise ParameterError(f"The Nemenyi test needs at least 2 detectors; got {k}.")
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha must be in (0, 1); got {alpha}.")
    return float(studentized_range.ppf(1.0 - alpha, k, np.inf) / np.sqrt(2.0))


def nemenyi_cd(k: int, n: int, alpha: float = 0.05) -> float:
    """The critical difference in average rank: ``q_alpha * sqrt(k (k+1) / (6 n))`` (Demšar 2006, sec. 3.2.2)."""
    if n < 1:
        raise ParameterError(f"The critical difference needs at least 1 series; got {n}.")
    return nemenyi_q(k, alpha) * float(np.sqrt(k * (k + 1) / (6.0 * n)))


def holm(pvalues: NDArray[np.float64] | list[float]) -> NDArray[np.float64]:
    """Holm's step-down adjusted p-values (Holm 1979): ``max_{j<=i} min(1, (m - j + 1) p_(j))`` in sorted order.

    >>> holm([0.01, 0.04, 0.03]).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(pvalues, dtype=np.float64)
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(stepped)
    return adjusted


def wilcoxon_p(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired samples (scipy's defaults: zero differences dropped).

    1.0 when every difference is zero (no evidence of any difference); NaN with no pairs.
    """
    from scipy.stats import wilcoxon

    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    d = d[~np.isnan(d)]
    if d.size == 0:
        return float("nan")
    if not np.any(d != 0):
        return 1.0
    return float(wilcoxon(d).pvalue)


def pairwise_wilcoxon(values: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Every pair of detectors: Wilcoxon p over the complete series, Holm-adjusted p and whether they differ."""
    x = complete_rows(values)
    pairs = list(combinations(x.columns, 2))
    p = np.array([wilcoxon_p(x[a].to_numpy(), x[b].to_numpy()) for a, b in pairs], dtype=np.float64)
    p_holm = holm(np.nan_to_num(p, nan=1.0)) if pairs else np.zeros(0)
    return pd.DataFrame(
        {
            "a": [a for a, _ in pairs],
            "b": [b for _, b in pairs],
            "p": p,
            "p_holm": p_holm,
            "different": p_holm < alpha,
        }
    )


def cliques(order: list[str], different: set[frozenset[str]]) -> list[tuple[str, ...]]:
    """Maximal runs of consecutive detectors (in rank order) with no significant pair inside, longer than one.

    >>> cliques(["a", "b", "c", "d"], {frozenset("ac"), frozenset("ad"), frozenset("bd")})
    [('a', 'b'), ('b', 'c'), ('c', 'd')]
    """

    def reach(i: int) -> int:  # last index j such that order[i..j] holds no significant pair
        j = i
        while j + 1 < len(order) and all(frozenset((order[m], order[j + 1])) not in different for m in range(i, j + 1)):
            j += 1
        return j

    ends = [reach(i) for i in range(len(order))]
    # a run starting later is inside an earlier one exactly when it ends at the same place
    return [tuple(order[i : j + 1]) for i, j in enumerate(ends) if j > i and (i == 0 or ends[i - 1] < j)]


def nemenyi_groups(avg_ranks: pd.Series, cd: float) -> list[tuple[str, ...]]:
    """Maximal runs of detectors (in rank order) whose average ranks all lie less than ``cd`` apart.

    Two detectors share a group exactly when their average ranks differ by less than ``cd``.

    >>> nemenyi_groups(pd.Series({"a": 1.0, "b": 1.5, "c": 2.4, "d": 3.1}), 1.0)
    [('a', 'b'), ('b', 'c'), ('c', 'd')]
    """
    ranks = avg_ranks.sort_values(kind="stable")
    names = list(ranks.index)
    apart = {frozenset((a, b)) for a, b in combinations(names, 2) if abs(ranks[a] - ranks[b]) >= cd}
    return cliques(names, apart)


@dataclass(frozen=True)
class RankComparison:
    """Ranks and tests of one metric over the complete series (see the module docstring)."""

    metric: str
    higher_is_better: bool
    n_series: int  # complete series: every ranked detector has a value
    avg_ranks: pd.Series  # best first; only the ranked detectors
    friedman_statistic: float
    friedman_pvalue: float
    alpha: float
    cd: float  # Nemenyi critical difference in average rank
    pairwise: pd.DataFrame = field(repr=False)  # a, b, p, p_holm, different
    cliques: list[tuple[str, ...]] = field(default_factory=list)  # Wilcoxon-Holm groups
    nemenyi: list[tuple[str, ...]] = field(default_factory=list)  # Nemenyi groups (rank difference < cd)
    left_out: tuple[str, ...] = ()  # shown (in ``means``) but neither ranked nor tested
    means: pd.Series = field(default_factory=lambda: pd.Series(dtype=float), repr=False)  # over the complete series
    n_total: int = 0  # series with a value for any detector

    @property
    def k(self) -> int:
        """The number of ranked detectors (the Friedman test's treatments)."""
        return len(self.avg_ranks)

    @property
    def q(self) -> float:
        """The Nemenyi critical value used for :attr:`cd`."""
        return nemenyi_q(self.k, self.alpha)

    def groups(self, test: str) -> list[tuple[str, ...]]:
        """The groups of ``test`` (one of :data:`TESTS`): runs in rank order that the test does not separate."""
        if test not in TESTS:
            raise ParameterError(f"Unknown post-hoc test {test!r}; choose {', '.join(TESTS)}.")
        return self.nemenyi if test == "nemenyi" else self.cliques

    def p_matrix(self) -> pd.DataFrame:
        """The Holm-adjusted Wilcoxon p-values, a symmetric detector x detector matrix in rank order (NaN diagonal)."""
        names = list(self.avg_ranks.index)
        out = pd.DataFrame(np.nan, index=names, columns=names)
        for a, b, p in zip(self.pairwise.a, self.pairwise.b, self.pairwise.p_holm, strict=True):
            out.loc[a, b] = out.loc[b, a] = p
        return out

    def summary(self) -> str:
        """One sentence for a caption or a terminal."""
        direction = "higher" if self.higher_is_better else "lower"
        p = self.friedman_pvalue
        test = "Friedman test not applicable" if np.isnan(p) else f"Friedman p = {p:.2g}"
        return (
            f"{self.metric} ({direction} is better): average ranks of {self.k} detectors over {self.n_series} "
            f"series, {test}; Nemenyi CD = {self.cd:.2f} at alpha = {self.alpha:g}."
        )


def compare_ranks(
    values: pd.DataFrame,
    *,
    metric: str = "",
    higher_is_better: bool = True,
    alpha: float = 0.05,
    leave_out: Sequence[str] = (),
) -> RankComparison:
    """Average ranks, Friedman test, Nemenyi CD and groups, Wilcoxon-Holm cliques of a series x detector matrix.

    The columns in ``leave_out`` get a mean (over the complete series of the others) and nothing else.
    """
    left_out = tuple(c for c in values.columns if c in set(leave_out))
    x = complete_rows(values.drop(columns=list(left_out)))
    n, k = x.shape
    if k < 2 or n < 1:
        aside = f" ({', '.join(left_out)} left out of the ranks)" if left_out else ""
        raise DataError(
            f"Comparing ranks of {metric or 'a metric'} needs at least 2 detectors and 1 series where all are "
            f"defined; got {k} detector(s){aside} and {n} complete series (of {len(values)})."
        )
    avg = average_ranks(x, higher_is_better)
    stat, p = friedman(x)
    cd = nemenyi_cd(k, n, alpha)
    pairs = pairwise_wilcoxon(x, alpha)
    different = {frozenset((a, b)) for a, b, d in zip(pairs.a, pairs.b, pairs.different, strict=True) if d}
    means = values.loc[x.index, [*avg.index, *left_out]].mean(axis=0)
    return RankComparison(
        metric=metric,
        higher_is_better=higher_is_better,
        n_series=n,
        avg_ranks=avg,
        friedman_statistic=stat,
        friedman_pvalue=p,
        alpha=alpha,
        cd=cd,
        pairwise=pairs,
        cliques=cliques(list(avg.index), different),
        nemenyi=nemenyi_groups(avg, cd),
        left_out=left_out,
        means=means,
        n_total=int(values.notna().any(axis=1).sum()),
    )
