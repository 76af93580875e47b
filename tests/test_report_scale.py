"""A report whose cost does not grow with series length (issue 19.4): pixel-column decimation and one-sort curves.

Hand-computed tiny cases for :func:`bench.report.plots.decimate`, a long series checked column by column,
and the sorted counts' average precision and PR curve against scikit-learn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

from bench.metrics.auc import (
    average_precision_from_counts,
    roc_auc_from_counts,
    sorted_counts,
)
from bench.report import plots, runplots
from bench.report.plots import FigureStyle, Trace, decimate, run_ends
from bench.series import Series


def test_decimate_by_hand_keeps_first_last_min_max_of_each_column() -> None:
    y = np.array([0.0, 5, 1, 2, 9, -3, 4, 4, 7, 1])
    # 2 columns over x = 0..9: points 0-4 (first 0, max 9 at 4, min 0 at 0, last 4) and 5-9
    # (first and min -3 at 5, max 7 at 8, last 9); points 1, 2, 3, 6, 7 lie inside their column's range
    assert decimate(np.arange(10.0), y, 2).tolist() == [0, 4, 5, 8, 9]
    keep = np.zeros(10, bool)
    keep[[2, 6]] = True  # a labelled point and an alarm
    assert decimate(np.arange(10.0), y, 2, keep).tolist() == [0, 2, 4, 5, 6, 8, 9]


def test_decimate_bins_by_x_not_by_index() -> None:
    """Irregular timestamps: the columns cut the time axis, so one late point is a column alone."""
    x = np.array([0.0, 1, 2, 3, 4, 5, 6, 7, 8, 100])
    y = np.array([3.0, 1, 8, 2, 2, 2, 2, 2, 5, 0])
    # column 0 (x < 50): first 0, min 1 at 1, max 8 at 2, last 8; column 1: point 9 alone
    assert decimate(x, y, 2).tolist() == [0, 1, 2, 8, 9]


def test_decimate_ties_nan_and_short_series() -> None:
    y = np.array([2.0, 2.0, np.nan, 2.0, 2.0, np.nan, np.nan, np.nan, np.nan, np.nan])
    # column 0 (0-4): first 0, min = max = 2 first at 0, last 4; column 1 (5-9) all NaN: first 5, last 9
    assert decimate(np.arange(10.0), y, 2).tolist() == [0, 4, 5, 9]
    assert decimate(np.arange(8.0), np.arange(8.0), 2).tolist() == list(range(8))  # <= 4 points per column: whole
    assert decimate(np.zeros(10), np.arange(10.0), 2).tolist() == [0, 9]  # one instant: one column


def test_decimate_long_series_every_column_and_every_kept_point() -> None:
    rng = np.random.default_rng(3)
    n, columns = 200_003, 700
    x = np.cumsum(rng.uniform(0.5, 1.5, n))
    y = rng.standard_normal(n).cumsum()
    keep = np.zeros(n, bool)
    keep[rng.choice(n, 300, replace=False)] = True
    idx = decimate(x, y, columns, keep)
    assert np.all(np.diff(idx) > 0)
    assert keep[idx].sum() == keep.sum()  # every labelled point and alarm
    assert idx.size <= 4 * columns + keep.sum()
    col = np.minimum(((x - x[0]) / (x[-1] - x[0]) * columns).astype(int), columns - 1)
    got = set(idx.tolist())
    for c in np.unique(col):
        members = np.flatnonzero(col == c)
        for i in (members[0], members[-1], members[np.argmin(y[members])], members[np.argmax(y[members])]):
            assert i in got, (c, i)
    # the kept points' values cover each column's full range
    for c in rng.choice(np.unique(col), 20, replace=False):
        members = np.flatnonzero(col == c)
        shown = idx[col[idx] == c]
        assert y[shown].min() == y[members].min() and y[shown].max() == y[members].max()


def test_figure_style_columns_from_width_and_dpi() -> None:
    assert FigureStyle(("png",), "page", 150).columns == 1080
    assert FigureStyle(("png",), "column", 300).columns == 1050
    assert FigureStyle(("svg",), "column", 150).columns == 2100  # vector: at least 600 dpi


def test_series_figure_lines_are_bounded_by_pixels_and_keep_labels_and_alarms(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    n = 300_000
    rng = np.random.default_rng(0)
    values = np.sin(np.arange(n) / 300.0)[:, None] + 0.05 * rng.standard_normal((n, 1))
    labels = np.zeros(n, np.int8)
    labels[150_000:150_040] = 1
    values[150_010, 0] = 40.0  # a one-point spike inside the labelled window
    s = Series("toy", "long", values, labels, None, train_end=1000)
    traces = {"abs": Trace(np.abs(values[:, 0]), 1.0, np.abs(values[1000:, 0]) >= 1.0)}
    traces["const"] = Trace(np.full(n, 0.5), 0.5, np.ones(n - 1000, bool))  # alarms on every test point
    figs: list[Any] = []
    real = plots.save
    monkeypatch.setattr(plots, "save", lambda fig, *a, **k: (figs.append(fig), real(fig, *a, **k))[1])
    style = FigureStyle(("png",), "column", 100)
    plots.plot_series(s, traces, tmp_path / "long", fmt=style)
    values_ax, abs_ax, const_ax = figs[0].axes[:3]

    def line_points(ax: Any) -> NDArray[np.int64]:
        (line,) = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 2]  # not the threshold
        return np.asarray(line.get_xdata(), dtype=np.int64)

    for ax, det in ((values_ax, None), (abs_ax, "abs"), (const_ax, "const")):
        shown = line_points(ax)
        ends = run_ends(labels.astype(bool))
        if det is not None:
            ends[1000:] |= run_ends(traces[det].alarms)
        # bounded by pixels, not by n; every labelled window's and alarm run's ends on the line
        assert len(shown) <= 4 * style.columns + ends.sum()
        assert set(np.flatnonzero(ends).tolist()) <= set(shown.tolist())
    assert np.max(values_ax.get_lines()[0].get_ydata()) == 40.0
    # every alarm point drawn: one bar of the strip per alarm run, from every point
    alarms = traces["abs"].alarms
    (strip,) = [c for c in abs_ax.collections if c.get_alpha() != 0.2]  # not the labelled windows' shading
    assert len(strip.get_paths()) == int((np.diff(alarms.astype(int), prepend=0) == 1).sum())
    # every labelled window shaded in every panel, one polygon each
    for ax in (values_ax, abs_ax, const_ax):
        (shade,) = [c for c in ax.collections if c.get_alpha() == 0.2]
        assert len(shade.get_paths()) == len(s.events) == 1


def test_run_ends_by_hand() -> None:
    m = np.array([1, 1, 0, 0, 1, 0, 1, 1, 1], dtype=bool)
    assert np.flatnonzero(run_ends(m)).tolist() == [0, 1, 4, 6, 8]
    assert not run_ends(np.zeros(4, bool)).any()


@pytest.mark.parametrize("seed", range(6))
def test_average_precision_from_sorted_counts_equals_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 400))
    y = (rng.random(n) < 0.2).astype(int)
    y[rng.integers(n)] = 1
    y[rng.integers(n)] = 0
    s = np.round(rng.random(n), 1 if seed % 2 else 6)  # many ties with one decimal
    c = sorted_counts(y, s)
    assert average_precision_from_counts(c) == pytest.approx(average_precision_score(y, s), abs=1e-12)
    assert roc_auc_from_counts(c) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    # the interpolated curve from the same counts: best precision at recall >= r, from sklearn's curve
    precision, recall, _ = precision_recall_curve(y, s)
    precision, recall = precision[:-1], recall[:-1]  # sklearn appends (recall 0, precision 1), no threshold
    grid = np.linspace(0, 1, 21)
    want = [precision[recall >= r].max() if (recall >= r).any() else 0.0 for r in grid]
    np.testing.assert_allclose(runplots.interpolated_pr_from_counts(c, grid), want, atol=1e-12)


def test_sorted_counts_edge_cases() -> None:
    none = sorted_counts([0, 0, 0], [0.3, 0.1, 0.2])
    assert np.isnan(average_precision_from_counts(none)) and np.isnan(roc_auc_from_counts(none))
    assert average_precision_from_counts(sorted_counts([1, 1], [0.5, 0.1])) == 1.0
    assert average_precision_from_counts(sorted_counts([0, 1, 0, 0], [0.5] * 4)) == 0.25  # constant: the rate


def test_pr_curves_summed_one_series_at_a_time_equal_the_mean() -> None:
    rng = np.random.default_rng(1)
    pairs = []
    for _ in range(7):
        y = (rng.random(300) < 0.1).astype(int)
        pairs.append((y, y * rng.random(300) + rng.random(300)))
    pairs.append((np.zeros(300, int), rng.random(300)))  # no anomaly: skipped
    acc = runplots.PRCurves()
    for y, s in pairs:
        acc.add("det", y, s)
    (curve,) = acc.curves().values()
    assert curve.n_series == 7
    want = np.mean([runplots.interpolated_pr(y, s) for y, s in pairs[:7]], axis=0)
    np.testing.assert_allclose(curve.precision, want, atol=1e-12)
    assert curve.mean_ap == pytest.approx(np.mean([average_precision_score(y, s) for y, s in pairs[:7]]), abs=1e-12)


def test_one_series_run_gets_no_distribution_figure_but_its_curves_and_scores(tmp_path: Path) -> None:
    """A dataset of one series: the box-and-strip figure would repeat the tables' one value per detector."""
    from bench.cli import main

    n = 3000
    rng = np.random.default_rng(0)
    values = np.sin(np.arange(n) / 40.0) + 0.1 * rng.standard_normal(n)
    labels = np.zeros(n, int)
    labels[2000:2010] = 1
    values[2000:2010] += 4.0
    csv = tmp_path / "one.csv"
    csv.write_text("value,label\n" + "".join(f"{v:.6f},{y}\n" for v, y in zip(values, labels, strict=True)))
    out = tmp_path / "run"
    assert main(["run", "--detector", "zscore", "--dataset", f"csv:{csv}", "--out", str(out), "-q"]) == 0
    pngs = {p.stem for p in (out / "report").glob("*.png")}
    assert "pr_csv" in pngs and any(p.startswith("series_csv_") for p in pngs)
    assert not any(p.startswith("distributions_") for p in pngs)
