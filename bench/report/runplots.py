"""Figures of a whole run: metric distributions across series, precision-recall curves and the CD diagram.

- :func:`plot_distributions`: per metric, one row per detector with a box
  (quartiles, whiskers at 1.5 IQR) and every series as a dot (seed-averaged),
  sanity baselines included in grey, so a reader sees the spread behind a
  mean and how far it is from chance.
- :func:`pr_curves` / :func:`plot_pr_curves`: the macro-average over series
  of each series' interpolated precision-recall curve (precision at recall
  ``r`` = the best precision at recall ``>= r``, on a grid of recalls), so
  every series weighs the same, as in the tables' mean AUC-PR. Pooling the
  scores of all series into one curve is not done: scores of different
  series are not on one scale. The legend gives the mean average precision,
  the tables' AUC-PR. :class:`PRCurves` sums them one series at a time, each
  series' curve and average precision from one sort of its scores.
- :func:`plot_cd_diagram`: Demšar's critical-difference diagram (JMLR 7,
  2006, fig. 1) drawn from a :class:`bench.report.stats.RankComparison`:
  the average-rank axis (1 = best, on the left) and thick bars joining the
  detectors that one post-hoc test does not separate, named under the
  axis: Nemenyi's (bars join ranks less than the CD apart, the CD drawn as
  a scale bar) or Wilcoxon-Holm's (cliques, no CD scale: the CD plays no
  part in them). Detectors left out of the ranks are named in the footnote.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from bench.errors import DataError
from bench.metrics.auc import SortedCounts, average_precision_from_counts, sorted_counts
from bench.metrics.catalog import header
from bench.registry import SANITY_BASELINES
from bench.report import frames
from bench.report.plots import FigureStyle, as_style, detector_styles, new_figure, save
from bench.report.stats import TEST_NAMES, RankComparison

RECALL_GRID = np.linspace(0.0, 1.0, 101)


def plot_distributions(
    metrics: pd.DataFrame,
    dataset: str,
    path: Path | str,
    columns: Sequence[str] = ("auc_pr", "vus_pr", "f1", "oracle_best_f1"),
    *,
    fmt: str | FigureStyle = "png",
    baselines: Collection[str] = SANITY_BASELINES,
) -> Path:
    """Box and strip plot of each per-series metric in ``columns`` (those the run has) per detector.

    One panel per metric, side by side on a page, two per row in a column.
    """
    present = [c for c in columns if not frames.per_series(metrics, dataset, c).empty]
    if not present:
        raise DataError(f"None of {', '.join(columns)} has per-series values for {dataset}; nothing to plot.")
    style = as_style(fmt)
    pt = style.text_pt
    dets = frames.contenders_first(frames.detectors(metrics, dataset), baselines)
    dets = [d for d in dets if d in set(frames.per_series(metrics, dataset, present[0]).columns)]
    styles = detector_styles(dets, baselines)
    ncols = min(len(present), 2 if style.size == "column" else 4)
    nrows = -(-len(present) // ncols)
    fig = new_figure(figsize=(style.width, nrows * (0.16 * len(dets) + 0.7) + 0.5), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False).ravel()
    rng = np.random.default_rng(0)  # jitter only; fixed so the figure is reproducible
    pos = np.arange(len(dets))[::-1]  # first detector on top
    for ax, metric in zip(axes, present, strict=False):
        values = frames.per_series(metrics, dataset, metric, detectors=dets)
        data = [values[d].dropna().to_numpy() if d in values else np.zeros(0) for d in dets]
        box = {"positions": pos, "widths": 0.6, "showfliers": False, "medianprops": {"color": "black"}, "whis": 1.5}
        try:  # matplotlib >= 3.10 names the orientation; older ones only know vert=
            ax.boxplot(data, orientation="horizontal", **box)
        except TypeError:
            ax.boxplot(data, vert=False, **box)
        for y, d, v in zip(pos, dets, data, strict=True):
            st = styles[d]
            ax.scatter(v, y + rng.uniform(-0.18, 0.18, v.size), s=7, color=st.color, marker=st.marker, alpha=0.6,
                       lw=0.8 if st.marker in "x+12" else 0, zorder=3)  # fmt: skip
            if v.size:
                ax.plot(v.mean(), y, marker="D", color="black", ms=3.5, zorder=4)
        n = int(values.notna().any(axis=1).sum())
        ax.set_title(f"{header(metric)} ({n} series)", fontsize=pt + 1)
        ax.grid(axis="x", alpha=0.3)
        ax.tick_params(labelsize=pt)
        ax.xaxis.get_major_locator().set_params(nbins=4)
        if metric not in ("delay_points", "delay_seconds", "alarms") and all(((x >= 0) & (x <= 1)).all() for x in data):
            ax.set_xlim(-0.03, 1.03)
    for ax in axes[len(present) :]:
        ax.set_visible(False)
    axes[0].set_yticks(pos, dets, fontsize=pt)
    fig.supxlabel("per-series value", fontsize=pt + 1)
    text = f"{dataset}: per-series values (box: quartiles; dot: one series, mean over seeds; ◆: mean)"
    fig.suptitle(style.wrap(text, pt + 1), fontsize=pt + 1)
    return save(fig, path, style, tight=False)


@dataclass(frozen=True)
class PRCurve:
    """Mean interpolated precision on :data:`RECALL_GRID` over ``n_series`` series, and their mean AP."""

    precision: NDArray[np.float64]
    mean_ap: float
    n_series: int


def interpolated_pr(
    y_true: ArrayLike, y_score: ArrayLike, grid: NDArray[np.float64] = RECALL_GRID
) -> NDArray[np.float64]:
    """Interpolated precision of one series at each recall in ``grid``: max precision at recall >= r (NaN: no anomaly).

    >>> interpolated_pr([0, 1, 0, 1], [0.1, 0.9, 0.8, 0.2], np.array([0.0, 0.5, 1.0])).round(3).tolist()
    [1.0, 1.0, 0.667]
    """
    return interpolated_pr_from_counts(sorted_counts(y_true, y_score), grid)


def interpolated_pr_from_counts(c: SortedCounts, grid: NDArray[np.float64] = RECALL_GRID) -> NDArray[np.float64]:
    """:func:`interpolated_pr` from the series' counts already sorted (:func:`bench.metrics.auc.sorted_counts`)."""
    if c.n_pos == 0:
        return np.full(grid.shape, np.nan)
    precision, recall = c.precision, c.recall
    best_after = np.maximum.accumulate(precision[::-1])[::-1]  # max precision at recall >= recall[i]
    idx = np.searchsorted(recall, grid, side="left")
    return np.where(idx < recall.size, best_after[np.minimum(idx, recall.size - 1)], 0.0)


class PRCurves:
    """Macro-averaged precision-recall curves built one series at a time (nothing but sums is kept).

    :meth:`add` sorts a series' scores once (:func:`bench.metrics.auc.sorted_counts`) and reads both
    its interpolated curve and its average precision from that one sort; :meth:`curves` gives
    :func:`pr_curves`' result. Series without labelled anomalies are skipped (their recall is undefined).
    """

    def __init__(self, grid: NDArray[np.float64] = RECALL_GRID) -> None:
        self.grid = grid
        self._sums: dict[str, tuple[NDArray[np.float64], float, int]] = {}

    def add(self, detector: str, y_true: ArrayLike, y_score: ArrayLike) -> None:
        """Add one series (its evaluated part) of ``detector``."""
        y = np.asarray(y_true)
        if not np.any(y):
            return
        c = sorted_counts(y, y_score)
        curve, ap, n = self._sums.get(detector, (np.zeros(self.grid.shape), 0.0, 0))
        self._sums[detector] = (
            curve + interpolated_pr_from_counts(c, self.grid),
            ap + average_precision_from_counts(c),
            n + 1,
        )

    def curves(self, order: Sequence[str] | None = None) -> dict[str, PRCurve]:
        """Per detector (in ``order`` where given, those with a curve), the mean curve and mean AP."""
        names = [d for d in order if d in self._sums] if order is not None else list(self._sums)
        return {
            d: PRCurve(self._sums[d][0] / self._sums[d][2], self._sums[d][1] / self._sums[d][2], self._sums[d][2])
            for d in names
        }


def pr_curves(items: Mapping[str, Sequence[tuple[ArrayLike, ArrayLike]]]) -> dict[str, PRCurve]:
    """Per detector, the macro-averaged curve of its ``(labels, scores)`` pairs (evaluated parts, one per series).

    Series without labelled anomalies are skipped (their recall is undefined).
    """
    acc = PRCurves()
    for det, pairs in items.items():
        for y, s in pairs:
            acc.add(det, y, s)
    return acc.curves(list(items))


def plot_pr_curves(
    curves: Mapping[str, PRCurve],
    path: Path | str,
    *,
    title: str = "",
    fmt: str | FigureStyle = "png",
    baselines: Collection[str] = SANITY_BASELINES,
    unit: str = "series",
) -> Path:
    """Draw :func:`pr_curves`' result, one line per detector, legend with mean AP; ``unit`` names what is averaged.

    Title and axis name the same average. Sanity baselines keep their own grey styles (``random`` and
    ``null`` both lie near the anomaly rate, so they differ in dash and marker); the legend is below the plot.
    """
    if not curves:
        raise DataError("No precision-recall curve to draw: no detector has a series with labelled anomalies.")
    style = as_style(fmt)
    pt = style.text_pt
    styles = detector_styles(list(curves), baselines)
    column = style.size == "column"
    fig = new_figure(figsize=(style.width, 3.4 if column else 4.2), layout="constrained")
    ax = fig.subplots()
    for det, c in sorted(curves.items(), key=lambda kv: -kv[1].mean_ap):
        st = styles[det]
        ax.plot(RECALL_GRID, c.precision, color=st.color, ls=st.ls, lw=1.1 if st.baseline else 1.5,
                marker=st.marker if st.baseline else None, markevery=(5, 10), ms=4,
                label=f"{det} ({c.mean_ap:.3f})")  # fmt: skip
    n = max(c.n_series for c in curves.values())
    ax.set_xlabel("recall", fontsize=pt + 1)
    ax.set_ylabel(f"interpolated precision,\nmean over {unit}", fontsize=pt + 1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=pt)
    fig.legend(loc="outside lower center", ncol=2 if column else 3, fontsize=pt, frameon=False,
               title="detector (mean AP)", title_fontsize=pt)  # fmt: skip
    text = (title + ": " if title else "") + f"precision-recall, mean over {n} {unit}"
    fig.suptitle(style.wrap(text, pt + 1), fontsize=pt + 1)
    return save(fig, path, style, tight=False)


MIN_BAR = 0.12  # shortest bar, in average-rank units: a group of tied detectors still shows as a bar


def cd_bars(result: RankComparison, test: str = "nemenyi") -> list[tuple[tuple[str, ...], float, float]]:
    """The thick bars of the CD diagram under ``test``: (members, left end, right end) in average-rank units.

    A bar spans its members' average ranks, padded by 0.03 on each side and widened to :data:`MIN_BAR`, but
    never past halfway to the rank of a detector outside it.
    """
    bars = []
    for members in result.groups(test):
        xs = [float(result.avg_ranks[m]) for m in members]
        lo, hi = min(xs), max(xs)
        others = [float(r) for d, r in result.avg_ranks.items() if d not in members]
        left = max([r for r in others if r < lo], default=-np.inf)
        right = min([r for r in others if r > hi], default=np.inf)
        pad = max(0.03, (MIN_BAR - (hi - lo)) / 2)
        bars.append((members, max(lo - pad, (lo + left) / 2), min(hi + pad, (hi + right) / 2)))
    return bars


def plot_cd_diagram(
    result: RankComparison, path: Path | str, *, fmt: str | FigureStyle = "png", test: str = "nemenyi"
) -> Path:
    """Demšar's critical-difference diagram of ``result``, bars from ``test`` (see the module docstring).

    Drawn at the width of ``fmt``'s size with its text sizes, like every report figure: the space for the
    detector names comes from their length, the rank axis gets the rest. Each bar is drawn with the SVG id
    (matplotlib ``gid``) ``cd-bar:`` + its members joined by ``|``.
    """
    style = as_style(fmt)
    pt = style.text_pt
    bars = cd_bars(result, test)
    ranks = result.avg_ranks
    k = len(ranks)
    half = (k + 1) // 2
    rows = max(half, k - half)
    lo, hi = 1, max(k, 2)
    labels = [f"{det} ({r:.2f})" for det, r in ranks.items()]
    em = 0.55 * pt / 72  # inches per character, as FigureStyle.wrap assumes
    margin = max(len(s) for s in labels) * em + 0.25  # inches either side of the axis, for the names
    axis = max(style.width - 2 * margin, 0.35 * style.width)  # inches of rank axis
    per_rank = axis / (hi - lo)  # inches per rank unit
    x_lim = (lo - margin / per_rank, hi + margin / per_rank)
    if test == "nemenyi":  # the CD as a scale bar above the axis: only where the bars are drawn from it
        legend = f"thick bars: average ranks less than the Nemenyi CD apart (alpha = {result.alpha:g})"
    else:
        legend = (
            f"thick bars: {TEST_NAMES[test]} cliques, no pair differs (Wilcoxon signed-rank, Holm-corrected, "
            f"alpha = {result.alpha:g}); no CD scale: the CD plays no part in them"
        )
    if result.left_out:
        legend += f". Left out of the ranks: {', '.join(result.left_out)} (sanity baselines)"
    p = result.friedman_pvalue
    friedman = "" if np.isnan(p) else f", Friedman p = {p:.2g}"
    direction = "" if result.higher_is_better else " (lower is better)"
    title = style.wrap(
        f"{header(result.metric)}{direction}: average rank over {result.n_series} series (1 = best){friedman}", pt + 1
    )
    legend = style.wrap(legend, pt)
    # vertical layout in inches, 0 at the axis, downwards negative
    line = 1.25 * pt / 72
    top = (title.count("\n") + 1) * 1.3 * (pt + 1) / 72 + 0.1 + (3.2 if test == "nemenyi" else 1.6) * line
    bar_y = [-0.6 * line - 0.55 * line * i for i in range(len(bars))]
    base = (bar_y[-1] if bar_y else 0.0) - 0.9 * line
    name_y = [base - 1.05 * line * j for j in range(rows)]
    bottom = name_y[-1] - 0.6 * line - (legend.count("\n") + 1) * 1.3 * pt / 72 - 0.05
    fig = new_figure(figsize=(style.width, top - bottom))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(*x_lim)
    ax.set_ylim(bottom, top)
    ax.axis("off")
    ax.plot([lo, hi], [0, 0], color="black", lw=0.8)
    for r in range(lo, hi + 1):
        ax.plot([r, r], [0, 0.3 * line], color="black", lw=0.8)
        ax.text(r, 0.4 * line, str(r), ha="center", va="bottom", fontsize=pt)
    if test == "nemenyi":
        y = 1.7 * line
        ax.plot([lo, lo + result.cd], [y, y], color="black", lw=1.5, gid="cd-scale")
        ax.text(lo + result.cd / 2, y + 0.15 * line, f"CD = {result.cd:.2f}", ha="center", va="bottom", fontsize=pt)
    for y, (members, x0, x1) in zip(bar_y, bars, strict=True):
        ax.plot([x0, x1], [y, y], color="black", lw=3, solid_capstyle="round", gid="cd-bar:" + "|".join(members))
    for i, (r, text) in enumerate(zip(ranks.to_numpy(), labels, strict=True)):
        left = i < half
        y = name_y[i if left else k - 1 - i]
        x_text = lo - 0.1 / per_rank if left else hi + 0.1 / per_rank
        ax.plot([r, r, x_text], [0, y, y], color="0.25", lw=0.7)
        ax.text(x_text - 0.05 / per_rank if left else x_text + 0.05 / per_rank, y, text,
                ha="right" if left else "left", va="center", fontsize=pt)  # fmt: skip
    ax.text(sum(x_lim) / 2, name_y[-1] - 0.6 * line, legend, ha="center", va="top", fontsize=pt, color="0.3")
    ax.text(sum(x_lim) / 2, top - 0.05, title, ha="center", va="top", fontsize=pt + 1)
    return save(fig, path, style, tight=False)
