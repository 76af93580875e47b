"""Figures of one series: its values with labelled windows shaded, and each detector's score, threshold and alarms.

The classic figure of LSTM anomaly-detection write-ups (e.g. Malhotra et
al., ESANN 2015; Hundman et al., KDD 2018): one panel of values on top, one
panel per detector below, all sharing the time axis. Labelled anomaly
windows are shaded red in every panel, the training part grey; each score
panel has its threshold (dashed) and its alarms (a red strip along the
bottom, over the evaluated part only). Multivariate values: up to
:data:`MAX_LINES` channels as standardised lines, more as a heat map of
standardised channels.

Long series are drawn from a min/max envelope of at most ``max_points``
points per line, so every spike stays visible and drawing stays fast.
Which series get a figure is :func:`select_series`'s choice. matplotlib
(the Agg canvas, without pyplot) is imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bench.errors import DataError, ParameterError
from bench.registry import SANITY_BASELINES
from bench.report import frames
from bench.series import Series

FORMATS = ("png", "pdf", "svg")
MAX_LINES = 5
DISAGREEMENT_METRICS = ("auc_pr", "vus_pr", "auc_roc", "oracle_best_f1")


@dataclass(frozen=True)
class Trace:
    """One detector on one series: its ``(n,)`` scores, its threshold and its alarms over ``[train_end:]``."""

    scores: NDArray[np.float64]
    threshold: float | None = None
    alarms: NDArray[np.bool_] | None = None


def figure_path(path: Path | str, fmt: str) -> Path:
    """``path`` with the suffix of ``fmt`` (png, pdf or svg)."""
    if fmt not in FORMATS:
        raise ParameterError(f"Unknown plot format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    return Path(path).with_suffix("." + fmt)


def new_figure(**kwargs: Any) -> Any:
    """A matplotlib ``Figure`` drawn by the Agg canvas, made without pyplot.

    No global backend is switched and no figure is registered with pyplot, so
    calling the report from a notebook or a thread leaves the caller's
    matplotlib state alone, and nothing needs closing.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def save(fig: Any, path: Path | str, fmt: str, *, tight: bool = True) -> Path:
    """Write ``fig`` to ``path`` in ``fmt`` (110 dpi for PNG; ``tight``: cropped to its content) and close it."""
    out = figure_path(path, fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    extra = {"pil_kwargs": {"compress_level": 1}} if fmt == "png" else {}  # fast; files stay small (flat colours)
    fig.savefig(out, format=fmt, dpi=110, bbox_inches="tight" if tight else None, **extra)
    return out


def detector_colors(detectors: Sequence[str], baselines: Collection[str] = SANITY_BASELINES) -> dict[str, Any]:
    """A stable colour per detector: tab10 in order for contenders, greys for sanity baselines."""
    from matplotlib import colormaps

    palette = list(colormaps["tab10"].colors)  # type: ignore[attr-defined]
    greys = ["0.45", "0.65", "0.3", "0.8"]
    out: dict[str, Any] = {}
    i = j = 0
    for d in detectors:
        if d in baselines:
            out[d], j = greys[j % len(greys)], j + 1
        else:
            out[d], i = palette[i % len(palette)], i + 1
    return out


def envelope(y: NDArray[np.float64], max_points: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Indices and values of a min/max envelope with at most ``max_points`` points (every extreme kept).

    >>> envelope(np.array([0.0, 5.0, 1.0, 2.0, -3.0, 4.0]), 4)
    (array([0, 1, 4, 5]), array([ 0.,  5., -3.,  4.]))
    """
    n = y.size
    if n <= max_points:
        return np.arange(n), y
    b = int(np.ceil(n / (max_points // 2)))
    m = n // b * b
    blocks = y[:m].reshape(-1, b)
    lo, hi = blocks.argmin(axis=1), blocks.argmax(axis=1)
    starts = np.arange(0, m, b)
    idx = np.sort(np.stack([starts + lo, starts + hi], axis=1), axis=1).ravel()
    if m < n:
        tail = np.arange(m, n)
        idx = np.concatenate([idx, tail[[int(y[m:].argmin()), int(y[m:].argmax())]]])
    idx = np.unique(idx)
    return idx, y[idx]


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    d = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def _widen(a: float, b: float, min_width: float) -> tuple[float, float]:
    """The interval ``[a, b)`` widened about its centre to at least ``min_width``.

    A one-point event spans from its point to the next (it once had zero width and was not drawn):

    >>> _widen(5.0, 6.0, 3.0), _widen(5.0, 9.0, 3.0)
    ((4.0, 7.0), (5.0, 9.0))
    """
    pad = max(0.0, (min_width - (b - a)) / 2)
    return a - pad, b + pad


def plot_series(
    series: Series,
    traces: Mapping[str, Trace],
    path: Path | str,
    *,
    fmt: str = "png",
    max_points: int = 3000,
    colors: Mapping[str, Any] | None = None,
    baselines: Collection[str] = SANITY_BASELINES,
) -> Path:
    """Draw ``series`` and every detector's trace to ``path`` (suffix set by ``fmt``); returns the file written.

    ``baselines``: the rows that are sanity baselines (drawn last, in grey).
    """
    n = len(series)
    for det, tr in traces.items():
        if np.shape(tr.scores) != (n,):
            raise DataError(f"{det}'s scores on {series.name} have shape {np.shape(tr.scores)}; the series has {n}.")
    import matplotlib.dates as mdates

    traces = {d: traces[d] for d in frames.contenders_first(traces, baselines)}  # sanity baselines at the bottom
    x = series.timestamps if series.timestamps is not None else np.arange(n)
    xnum = mdates.date2num(x) if series.timestamps is not None else x.astype(np.float64)
    colors = colors or detector_colors(list(traces), baselines)
    k = len(traces)
    height = 1.9 + 1.05 * k
    fig = new_figure(figsize=(11, height))
    axes = fig.subplots(k + 1, 1, sharex=True, gridspec_kw={"height_ratios": [1.6] + [1] * k, "hspace": 0.12})
    # a fixed layout: a tight bounding box or aligned labels would cost a second full draw
    fig.subplots_adjust(left=0.075, right=0.99, top=1 - 0.75 / height, bottom=0.55 / height)
    axes = np.atleast_1d(axes)
    _values_panel(axes[0], series, xnum, max_points)
    te = series.train_end
    edges = np.append(xnum, xnum[-1] + (xnum[-1] - xnum[-2] if n > 1 else 1.0))  # point i covers [edges[i], edges[i+1])
    min_width = 0.002 * (edges[-1] - edges[0])  # a one-point event or alarm stays visible
    spans = [_widen(edges[max(s, 0)], edges[min(e, n)], min_width) for s, e in series.events]
    for ax, (det, tr) in zip(axes[1:], traces.items(), strict=True):
        idx, y = envelope(np.asarray(tr.scores, dtype=np.float64), max_points)
        ax.plot(xnum[idx], y, lw=0.8, color=colors.get(det, "C0"))
        if tr.threshold is not None and np.isfinite(tr.threshold):
            ax.axhline(tr.threshold, color="0.2", lw=0.8, ls="--", zorder=1.5)  # under the score line
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo - 0.2 * (hi - lo), hi)  # room below the scores for the alarm strip
        if tr.alarms is not None and np.any(tr.alarms):
            runs = [_widen(edges[te + s], edges[te + e], min_width) for s, e in _runs(tr.alarms)]
            runs = [(a, b - a) for a, b in runs]
            ax.broken_barh(runs, (0, 0.12), transform=ax.get_xaxis_transform(), color="crimson", lw=0)
        n_alarms = int(np.count_nonzero(tr.alarms)) if tr.alarms is not None else 0
        box = {"facecolor": "white", "alpha": 0.75, "lw": 0, "pad": 1.5}
        ax.text(0.003, 0.94, det, transform=ax.transAxes, va="top", fontsize=9, fontweight="bold", bbox=box)
        ax.text(
            0.997,
            0.94,
            f"{n_alarms} alarm point{'' if n_alarms == 1 else 's'}",
            transform=ax.transAxes,
            va="top",
            ha="right",
            fontsize=8,
            bbox=box,
        )
        ax.set_ylabel("score", fontsize=8)
        ax.yaxis.get_major_locator().set_params(nbins=3)  # fewer ticks: readable and cheaper to draw
        ax.tick_params(labelsize=8)
        ax.margins(x=0)
    heatmap = series.n_channels > MAX_LINES
    for i, ax in enumerate(axes):
        ax.yaxis.set_label_coords(-0.045, 0.5)
        over = i == 0 and heatmap  # a heat map hides what lies behind it: outline on top instead
        for a, b in spans:
            if over:
                ax.axvspan(a, b, fill=False, edgecolor="crimson", lw=1.5, zorder=3)
            else:
                ax.axvspan(a, b, color="crimson", alpha=0.2, lw=0)
        if 0 < te < n:
            ax.axvspan(
                xnum[0], xnum[te - 1], color="0.5", alpha=0.12 if not over else 0.45, lw=0, zorder=3 if over else 0
            )
    _legend(axes[0], bool(series.events), 0 < te < n)
    axes[-1].set_xlabel("time" if series.timestamps is not None else "index")
    if series.timestamps is not None:
        locator = mdates.AutoDateLocator()
        axes[-1].xaxis.set_major_locator(locator)
        axes[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    axes[0].set_title(f"{series.dataset}: {series.name}", fontsize=11, loc="left", pad=22)
    return save(fig, path, fmt, tight=False)


def _values_panel(ax: Any, series: Series, xnum: NDArray[np.float64], max_points: int) -> None:
    v = series.values
    d = v.shape[1]
    if d == 1:
        idx, y = envelope(v[:, 0], max_points)
        ax.plot(xnum[idx], y, lw=0.8, color="0.1")
        ax.set_ylabel("value", fontsize=8)
    else:
        sd = v.std(axis=0)
        z = (v - v.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        if d <= MAX_LINES:
            for c in range(d):
                idx, y = envelope(z[:, c], max_points)
                ax.plot(xnum[idx], y, lw=0.7, label=f"channel {c}")
            ax.set_ylabel("standardised", fontsize=8)
        else:
            step = max(1, v.shape[0] // max_points)
            ax.imshow(
                z[::step].T,
                aspect="auto",
                interpolation="nearest",
                cmap="coolwarm",
                vmin=-3,
                vmax=3,
                extent=(xnum[0], xnum[-1], d - 0.5, -0.5),
            )
            ax.set_ylabel(f"channel (of {d}),\nstandardised", fontsize=8)
            ax.yaxis.get_major_locator().set_params(integer=True)
    ax.tick_params(labelsize=8)
    ax.margins(x=0)


def _legend(ax: Any, has_events: bool, has_train: bool) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = list(ax.get_legend_handles_labels()[0])  # channel lines of multivariate values
    if has_events:
        handles.append(Patch(color="crimson", alpha=0.3, label="labelled anomaly"))
    if has_train:
        handles.append(Patch(color="0.5", alpha=0.3, label="training part"))
    handles += [
        Line2D([], [], color="0.2", ls="--", lw=0.8, label="threshold"),
        Patch(color="crimson", label="alarms"),
    ]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=len(handles), fontsize=8, frameon=False)


def disagreement_metric(metrics: pd.DataFrame, dataset: str) -> str | None:
    """The metric :func:`disagreement` ranks series by, by default: the first of :data:`DISAGREEMENT_METRICS` there."""
    have = set(metrics.loc[metrics.dataset == dataset, "metric"])
    return next((m for m in DISAGREEMENT_METRICS if m in have), None)


def disagreement(
    metrics: pd.DataFrame, dataset: str, metric: str | None = None, *, baselines: Collection[str] = SANITY_BASELINES
) -> pd.Series:
    """Per series, the standard deviation across contenders of ``metric`` (seed-averaged), highest first.

    ``metric`` defaults to the first of :data:`DISAGREEMENT_METRICS` the run has. With fewer than two
    contenders, sanity baselines count too. Series where the metric is undefined get NaN (sorted last).
    """
    have = set(metrics.loc[metrics.dataset == dataset, "metric"])
    metric = metric or disagreement_metric(metrics, dataset)
    names = frames.series_names(metrics, dataset)
    if metric is None or metric not in have:
        return pd.Series(np.nan, index=pd.Index(names, name="series"), dtype=float)
    values = frames.per_series(metrics, dataset, metric)
    keep = [d for d in values.columns if d not in baselines]
    values = values[keep] if len(keep) >= 2 else values
    spread = values.std(axis=1, ddof=0).reindex(names)
    order = sorted(names, key=lambda s: (-spread[s] if np.isfinite(spread[s]) else np.inf, s))
    return spread.loc[order]


def select_series(
    metrics: pd.DataFrame,
    dataset: str,
    how: str = "disagree",
    n: int = 6,
    *,
    metric: str | None = None,
    baselines: Collection[str] = SANITY_BASELINES,
) -> list[str]:
    """Which series of ``dataset`` get a figure: ``"disagree"`` (default), ``"all"`` or ``"none"``.

    ``"disagree"``: the ``n`` series where the contenders disagree most, i.e. with the largest standard
    deviation across detectors of the per-series ``metric`` (default the first of AUC-PR, VUS-PR, AUC-ROC,
    best F1 the run has; see :func:`disagreement`), ties broken by name. These are the series where
    looking at the scores teaches something: one detector sees the anomaly, another does not.
    """
    if how == "none":
        return []
    if how == "all":
        return frames.series_names(metrics, dataset)
    if how != "disagree":
        raise ParameterError(f"Unknown series selection {how!r}; choose disagree, all or none.")
    if n < 0:
        raise ParameterError(f"The number of series to plot must be >= 0; got {n}.")
    return list(disagreement(metrics, dataset, metric, baselines=baselines).index[:n])
