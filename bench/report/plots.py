"""Figures of one series: its values with labelled windows shaded, and each detector's score, threshold and alarms.

The classic figure of LSTM anomaly-detection write-ups (e.g. Malhotra et
al., ESANN 2015; Hundman et al., KDD 2018): one panel of values on top, one
panel per detector below, all sharing the time axis. Labelled anomaly
windows are shaded red in every panel, the training part grey; each score
panel has its threshold (dashed) and its alarms (a red strip along the
bottom, over the evaluated part only). Multivariate values: up to
:data:`MAX_LINES` channels as standardised lines, more as a heat map of
standardised channels.

Long series are drawn from what the pixels can show (:func:`decimate`:
the first, last, lowest and highest point of each pixel column of the
figure, and the ends of every labelled window and alarm run), so every
spike stays visible and drawing costs the same for 10^4 or 10^7 points;
labelled windows and alarms are drawn from every point.
Which series get a figure is :func:`select_series`'s choice. matplotlib
(the Agg canvas, without pyplot) is imported inside the functions.

Also the one home of how every report figure is written (:class:`FigureStyle`:
formats, column or page width, text sizes, PNG dpi; :func:`save`: TrueType
fonts in PDFs) and of how each detector is drawn (:func:`detector_styles`).
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
SIZES = {"column": 3.5, "page": 7.2}  # inches: one column, and the full text width, of a two-column paper
MAX_LINES = 5
DISAGREEMENT_METRICS = ("auc_pr", "vus_pr", "auc_roc", "oracle_best_f1")
# rcParams only read while a file is written: TrueType (Type 42) fonts in PDF and PostScript, never Type 3,
# which IEEE PDF eXpress and ACM's checks reject; text in SVG as paths, so it looks the same without the font
_SAVE_RC = {"pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "path"}


@dataclass(frozen=True)
class FigureStyle:
    """How report figures are written: their formats, their width and the resolution of PNGs.

    A figure is drawn at the width of its ``size`` (``"column"``: 3.5 in, one column of a two-column
    paper; ``"page"``: 7.2 in, the full text width) and never cropped, so ``\\includegraphics`` at that
    width keeps every text at its size in points (:attr:`text_pt` and up, at least 7 pt). Each figure is
    written once per format in ``formats``; ``report.html`` shows :attr:`shown`.

    >>> s = FigureStyle(("pdf", "png"), "column", 300)
    >>> s.width, s.text_pt, s.shown
    (3.5, 7.0, 'png')
    """

    formats: tuple[str, ...] = ("png",)
    size: str = "page"
    dpi: int = 150

    def __post_init__(self) -> None:
        if not self.formats or len(set(self.formats)) != len(self.formats):
            raise ParameterError(f"Plot formats must be distinct and at least one; got {', '.join(self.formats)!r}.")
        for f in self.formats:
            figure_path("figure", f)  # checks the name
        if self.size not in SIZES:
            raise ParameterError(f"Unknown figure size {self.size!r}; choose one of {', '.join(SIZES)}.")
        if not 50 <= self.dpi <= 1200:
            raise ParameterError(f"The PNG resolution must be between 50 and 1200 dpi; got {self.dpi}.")

    @property
    def width(self) -> float:
        """The figure's width in inches."""
        return SIZES[self.size]

    @property
    def text_pt(self) -> float:
        """The smallest text (ticks, legends, notes), in points; labels and titles are one point larger."""
        return 7.0 if self.size == "column" else 8.0

    @property
    def columns(self) -> int:
        """Pixel columns across the figure: its width times the PNG dpi, at least 600 dpi where a vector
        format (PDF, SVG) is written, a printer's resolution. Long series are drawn from this many columns
        (:func:`decimate`); a panel is narrower than the figure, so a column is never wider than a pixel.

        >>> FigureStyle(("png",), "page", 150).columns, FigureStyle(("pdf", "png"), "column", 150).columns
        (1080, 2100)
        """
        vector = any(f != "png" for f in self.formats)
        return int(np.ceil(self.width * (max(self.dpi, 600) if vector else self.dpi)))

    @property
    def shown(self) -> str:
        """The format ``report.html`` embeds: PNG where written, else SVG, else the first (a PDF is linked)."""
        return next((f for f in ("png", "svg") if f in self.formats), self.formats[0])

    def wrap(self, text: str, pt: float) -> str:
        """``text`` broken into lines that fit the figure's width at ``pt`` points (about 0.55 em a character)."""
        import textwrap

        return "\n".join(textwrap.wrap(text, max(20, int(self.width * 72 / (0.55 * pt)))))


def as_style(fmt: str | FigureStyle) -> FigureStyle:
    """``fmt`` itself, or a one-format :class:`FigureStyle` with the default size and resolution."""
    return fmt if isinstance(fmt, FigureStyle) else FigureStyle((fmt,))


@dataclass(frozen=True)
class LineStyle:
    """How one detector is drawn: colour, line style and the marker of its dots."""

    color: Any
    ls: Any = "-"
    marker: str = "o"
    baseline: bool = False


# tab10 without its grey (index 7): grey belongs to the sanity baselines
_CONTENDER_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf")
_CONTENDER_DASHES = (("-", "o"), ("--", "s"), ("-.", "^"))  # each turn through the colours
# one distinct grey, dash pattern and marker each, so random and null never look alike
_BASELINE_STYLES = (("0.2", ":", "x"), ("0.5", "-.", "+"), ("0.35", (0, (5, 2)), "1"), ("0.65", (0, (1, 3)), "2"))


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


def save(fig: Any, path: Path | str, fmt: str | FigureStyle, *, tight: bool = True) -> Path:
    """Write ``fig`` to ``path`` in each format of ``fmt``; returns the file ``report.html`` shows.

    PNGs at ``fmt``'s dpi, text in PDFs as TrueType (see :data:`_SAVE_RC`); ``tight``: cropped to its
    content (a figure drawn at a :class:`FigureStyle` width is not, so it keeps that width).
    """
    import matplotlib

    style = as_style(fmt)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(_SAVE_RC):
        for f in style.formats:
            extra = {"pil_kwargs": {"compress_level": 1}} if f == "png" else {}  # fast; files stay small
            fig.savefig(figure_path(path, f), format=f, dpi=style.dpi, bbox_inches="tight" if tight else None, **extra)
    return figure_path(path, style.shown)


def figure_files(path: Path | str, fmt: str | FigureStyle) -> list[Path]:
    """Every file :func:`save` writes for ``path``, one per format."""
    return [figure_path(path, f) for f in as_style(fmt).formats]


def detector_styles(detectors: Sequence[str], baselines: Collection[str] = SANITY_BASELINES) -> dict[str, LineStyle]:
    """A stable style per detector: tab10 colours (never grey) for contenders, a distinct grey style per baseline.

    Contenders past the ninth repeat the colours with another dash pattern and marker.

    >>> s = detector_styles(["lstm", "random", "null"])
    >>> s["random"].color != s["null"].color and s["random"].ls != s["null"].ls, s["lstm"].baseline
    (True, False)
    """
    out: dict[str, LineStyle] = {}
    i = j = 0
    for d in detectors:
        if d in baselines:
            color, ls, marker = _BASELINE_STYLES[j % len(_BASELINE_STYLES)]
            out[d], j = LineStyle(color, ls, marker, baseline=True), j + 1
        else:
            turn = i // len(_CONTENDER_COLORS) % len(_CONTENDER_DASHES)
            color = _CONTENDER_COLORS[i % len(_CONTENDER_COLORS)]
            out[d], i = LineStyle(color, *_CONTENDER_DASHES[turn]), i + 1
    return out


def decimate(
    x: NDArray[np.float64], y: NDArray[np.float64], columns: int, keep: NDArray[np.bool_] | None = None
) -> NDArray[np.int64]:
    """Indices of the points of the line ``(x, y)`` that draw it the same at ``columns`` pixel columns.

    M4 aggregation (Jugel et al., "M4: a visualization-oriented time series data aggregation", PVLDB 7,
    2014): ``x``'s range is cut into ``columns`` equal bins (pixel columns) and each bin keeps its first
    and last point and the first point of its minimum and of its maximum, so the line drawn through them
    covers the same pixels as the full line. Every point where ``keep`` is true (labelled points, alarms)
    is kept as well. ``x`` must be non-decreasing; NaN values are never a bin's minimum or maximum. Series
    of at most ``4 * columns`` points are kept whole. The cost is a few passes over the points.

    >>> y = np.array([0.0, 5, 1, 2, 9, -3, 4, 4, 7, 1])  # columns: points 0-4 and 5-9
    >>> decimate(np.arange(10.0), y, 2).tolist(), decimate(np.arange(10.0), y, 2, np.arange(10) == 2).tolist()
    ([0, 4, 5, 8, 9], [0, 2, 4, 5, 8, 9])
    """
    n = y.size
    if n <= 4 * columns:
        return np.arange(n)
    x0, span = x[0], float(x[-1] - x[0])

    def col(a: int, b: int) -> NDArray[np.int64]:  # the pixel column of points a..b-1
        if span <= 0:
            return np.zeros(b - a, np.int64)
        return np.minimum(((x[a:b] - x0) * (columns / span)).astype(np.int64), columns - 1)

    # a chunk of points at a time, cut where a column starts (columns are contiguous: x is sorted), so the
    # temporaries are a chunk's size, not the series' (a 10^6-point figure held some 40 MB of them)
    mask = np.zeros(n, np.bool_)
    a = 0
    while a < n:
        b = min(a + _DECIMATE_CHUNK, n)
        last = col(b - 1, b)[0]
        while b < n:  # on to the first point of the next column
            ahead = np.flatnonzero(col(b, min(b + _DECIMATE_CHUNK, n)) != last)
            if ahead.size:
                b += int(ahead[0])
                break
            b = min(b + _DECIMATE_CHUNK, n)
        mask[a:b] = _m4(col(a, b), y[a:b])
        a = b
    if keep is not None:
        mask |= keep
    return np.flatnonzero(mask)


_DECIMATE_CHUNK = 1 << 16


def _m4(col: NDArray[np.int64], y: NDArray[np.float64]) -> NDArray[np.bool_]:
    """:func:`decimate`'s choice within whole columns: the first, last, lowest and highest point of each."""
    n = y.size
    starts = np.flatnonzero(np.diff(col, prepend=-1))  # first point of each non-empty column
    seg = np.repeat(np.arange(starts.size), np.diff(starts, append=n))  # each point's column number
    mask = np.zeros(n, np.bool_)
    mask[starts] = True
    mask[np.append(starts[1:] - 1, n - 1)] = True  # last points
    for extreme in (np.fmin.reduceat(y, starts), np.fmax.reduceat(y, starts)):
        at = np.flatnonzero(y == extreme[seg])  # an all-NaN column has none
        mask[at[np.diff(seg[at], prepend=-1) != 0]] = True  # the first of each column
    return mask


def envelope(y: NDArray[np.float64], max_points: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Indices and values of :func:`decimate` over the index with ``max_points // 4`` columns (every extreme kept).

    >>> envelope(np.array([0.0, 5.0, 1.0, 2.0, -3.0, 4.0]), 4)
    (array([0, 1, 4, 5]), array([ 0.,  5., -3.,  4.]))
    """
    idx = decimate(np.arange(y.size, dtype=np.float64), y, max(1, max_points // 4))
    return idx, y[idx]


def run_ends(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """The first and the last point of each run of true values in ``mask``.

    What a series figure's lines keep besides :func:`decimate`'s pixel columns: the ends of every labelled
    window and every alarm run lie on the line exactly. Every point of them is drawn by the shading and
    the alarm strip, which are made from the runs themselves; keeping every point in the line as well
    would cost as much as the series (a constant score alarming on the whole test part: all its points).

    >>> np.flatnonzero(run_ends(np.array([0, 1, 1, 1, 0, 1], dtype=bool))).tolist()
    [1, 3, 5]
    """
    d = np.diff(mask.astype(np.int8), prepend=0, append=0)
    out = np.zeros(mask.size, np.bool_)
    out[np.flatnonzero(d == 1)] = True
    out[np.flatnonzero(d == -1) - 1] = True
    return out


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
    fmt: str | FigureStyle = "png",
    max_points: int | None = None,
    styles: Mapping[str, LineStyle] | None = None,
    baselines: Collection[str] = SANITY_BASELINES,
) -> Path:
    """Draw ``series`` and every detector's trace to ``path`` (suffixes set by ``fmt``); returns the file shown.

    ``baselines``: the rows that are sanity baselines (drawn last, in grey). Names, alarm counts and the
    legend sit outside the panels, never over a trace. Each line is drawn from :func:`decimate` at the
    style's pixel columns (:attr:`FigureStyle.columns`; ``max_points``: ``max_points // 4`` columns instead),
    keeping the first and last point of each labelled window and, in a detector's panel, of each alarm run
    (:func:`run_ends`); the shading and the alarm strips are drawn from every point.
    """
    n = len(series)
    for det, tr in traces.items():
        if np.shape(tr.scores) != (n,):
            raise DataError(f"{det}'s scores on {series.name} have shape {np.shape(tr.scores)}; the series has {n}.")
    import matplotlib.dates as mdates
    from matplotlib.collections import PolyCollection

    style = as_style(fmt)
    pt = style.text_pt
    traces = {d: traces[d] for d in frames.contenders_first(traces, baselines)}  # sanity baselines at the bottom
    x = series.timestamps if series.timestamps is not None else np.arange(n)
    xnum = mdates.date2num(x) if series.timestamps is not None else x.astype(np.float64)
    styles = styles or detector_styles(list(traces), baselines)
    k = len(traces)
    panel = 0.6 if style.size == "column" else 0.75  # inches per score panel, its title included
    fig = new_figure(figsize=(style.width, 1.0 + panel * (1.6 + k)), layout="constrained")
    fig.get_layout_engine().set(h_pad=0.02, hspace=0.0)
    axes = fig.subplots(k + 1, 1, sharex=True, gridspec_kw={"height_ratios": [1.6] + [1] * k})
    axes = np.atleast_1d(axes)
    columns = style.columns if max_points is None else max(1, max_points // 4)
    labelled = run_ends(np.asarray(series.labels, dtype=bool))
    _values_panel(axes[0], series, xnum, columns, labelled, pt)
    te = series.train_end
    edges = _Edges(xnum)  # point i covers [edges[i], edges[i+1])
    min_width = 0.002 * (edges[n] - edges[0])  # a one-point event or alarm stays visible
    spans = [_widen(edges[max(s, 0)], edges[min(e, n)], min_width) for s, e in series.events]
    for ax, (det, tr) in zip(axes[1:], traces.items(), strict=True):
        keep = labelled.copy()
        if tr.alarms is not None:
            keep[te:] |= run_ends(np.asarray(tr.alarms, dtype=bool))
        _score_panel(
            ax, det, tr, xnum, edges.shifted(te), min_width, columns, keep, styles.get(det, LineStyle("C0")), pt
        )
    heatmap = series.n_channels > MAX_LINES
    for i, ax in enumerate(axes):
        over = i == 0 and heatmap  # a heat map hides what lies behind it: outline on top instead
        if over:
            for a, b in spans:
                ax.axvspan(a, b, fill=False, edgecolor="crimson", lw=1.5, zorder=3)
        elif spans:  # one collection per panel, not a patch per window: the same shading, drawn at once
            ax.add_collection(
                PolyCollection(
                    [[(a, 0), (a, 1), (b, 1), (b, 0)] for a, b in spans],
                    transform=ax.get_xaxis_transform(),
                    facecolor="crimson",
                    alpha=0.2,
                    lw=0,
                ),
                autolim=False,
            )
        if 0 < te < n:
            ax.axvspan(
                xnum[0], xnum[te - 1], color="0.5", alpha=0.12 if not over else 0.45, lw=0, zorder=3 if over else 0
            )
        ax.tick_params(labelsize=pt)
        ax.yaxis.get_offset_text().set_fontsize(pt)
        ax.margins(x=0)
    fig.align_ylabels(axes)
    # the name as the top panel's title, under the legend: a figure title sat on the legend (issue 18)
    axes[0].set_title(style.wrap(f"{series.dataset}: {series.name}", pt + 2), fontsize=pt + 2, loc="left")
    _legend(fig, axes[0], bool(series.events), 0 < te < n, pt)
    last = axes[-1]
    last.set_xlabel("time" if series.timestamps is not None else "index", fontsize=pt + 1)
    last.xaxis.get_offset_text().set_fontsize(pt)
    ticks = 4 if style.size == "column" else 8
    if series.timestamps is not None:
        locator = mdates.AutoDateLocator(minticks=2, maxticks=ticks)
        last.xaxis.set_major_locator(locator)
        last.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    else:
        last.xaxis.get_major_locator().set_params(nbins=ticks)
    return save(fig, path, style, tight=False)


class _Edges:
    """The left edge of each point of a figure's x (``offset`` on), the last point's right edge one step on.

    ``edges[i]`` without a copy of ``x`` (8 MB for 10^6 points): point ``i`` covers ``[edges[i], edges[i + 1])``.
    """

    def __init__(self, x: NDArray[np.float64], offset: int = 0) -> None:
        self.x, self.offset = x, offset

    def shifted(self, offset: int) -> _Edges:
        return _Edges(self.x, self.offset + offset)

    def __getitem__(self, i: int) -> float:
        x, j = self.x, i + self.offset
        if j < x.size:
            return float(x[j])
        return float(x[-1] + (x[-1] - x[-2] if x.size > 1 else 1.0))


def _score_panel(
    ax: Any,
    det: str,
    tr: Trace,
    xnum: NDArray[np.float64],
    edges: _Edges,
    min_width: float,
    columns: int,
    keep: NDArray[np.bool_],
    line: LineStyle,
    pt: float,
) -> None:
    """One detector's panel: its scores over the threshold line, its alarms as a strip below the scores.

    The name and the alarm count are the panel's titles, above it; the scores are drawn over the dashed
    threshold, thicker, so a constant score lying on its threshold (``null``) stays visible.
    """
    scores = np.asarray(tr.scores, dtype=np.float64)
    idx = decimate(xnum, scores, columns, keep)
    ax.plot(xnum[idx], scores[idx], lw=1.0, color=line.color, zorder=2.5)
    if tr.threshold is not None and np.isfinite(tr.threshold):
        ax.axhline(tr.threshold, color="black", lw=0.7, ls=(0, (3, 2)), zorder=2)
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo - 0.25 * (hi - lo), hi)  # room below the scores for the alarm strip
    if tr.alarms is not None and np.any(tr.alarms):
        runs = [_widen(edges[s], edges[e], min_width) for s, e in _runs(tr.alarms)]
        ax.broken_barh(
            [(a, b - a) for a, b in runs], (0, 0.12), transform=ax.get_xaxis_transform(), color="crimson", lw=0
        )
    n_alarms = int(np.count_nonzero(tr.alarms)) if tr.alarms is not None else 0
    constant = scores.size > 0 and float(np.ptp(scores)) == 0.0
    # y=1.0: where matplotlib would put it (no tick labels on top); left to matplotlib, each title's position
    # measured the tick labels of every panel sharing the x axis, a cost growing with the square of the panels
    ax.set_title(det, loc="left", fontsize=pt, fontweight="bold", pad=2, y=1.0)
    note = f"{n_alarms} alarm point{'' if n_alarms == 1 else 's'}" + (
        f"; constant score {scores[0]:.3g}" if constant else ""
    )
    ax.set_title(note, loc="right", fontsize=pt, pad=2, y=1.0)
    ax.set_ylabel("score", fontsize=pt + 1)
    ax.yaxis.get_major_locator().set_params(nbins=3)  # fewer ticks: readable and cheaper to draw


def _values_panel(
    ax: Any, series: Series, xnum: NDArray[np.float64], columns: int, keep: NDArray[np.bool_], pt: float
) -> None:
    v = series.values
    d = v.shape[1]
    if d == 1:
        idx = decimate(xnum, v[:, 0], columns, keep)
        ax.plot(xnum[idx], v[idx, 0], lw=0.8, color="0.1")
        ax.set_ylabel("value", fontsize=pt + 1)
    else:
        sd = v.std(axis=0)
        z = (v - v.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        if d <= MAX_LINES:
            for c in range(d):
                idx = decimate(xnum, z[:, c], columns, keep)
                ax.plot(xnum[idx], z[idx, c], lw=0.7, label=f"channel {c}")
            ax.set_ylabel("standardised", fontsize=pt + 1)
        else:
            step = max(1, v.shape[0] // columns)
            ax.imshow(
                z[::step].T,
                aspect="auto",
                interpolation="nearest",
                cmap="coolwarm",
                vmin=-3,
                vmax=3,
                extent=(xnum[0], xnum[-1], d - 0.5, -0.5),
            )
            ax.set_ylabel(f"channel (of {d}),\nstandardised", fontsize=pt + 1)
            ax.yaxis.get_major_locator().set_params(integer=True)


def _legend(fig: Any, ax: Any, has_events: bool, has_train: bool, pt: float) -> None:
    """The figure's legend, above the panels (below the title), in as many columns as fit."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = list(ax.get_legend_handles_labels()[0])  # channel lines of multivariate values
    if has_events:
        handles.append(Patch(color="crimson", alpha=0.3, label="labelled anomaly"))
    if has_train:
        handles.append(Patch(color="0.5", alpha=0.3, label="training part"))
    handles += [
        Line2D([], [], color="black", ls=(0, (3, 2)), lw=0.7, label="threshold"),
        Patch(color="crimson", label="alarms"),
    ]
    ncol = min(len(handles), int(fig.get_figwidth() // 1.1))
    fig.legend(handles=handles, loc="outside upper left", ncol=ncol, fontsize=pt, frameon=False)


def disagreement_metric(metrics: pd.DataFrame, dataset: str) -> str | None:
    """The metric :func:`disagreement` ranks series by, by default: the first of :data:`DISAGREEMENT_METRICS` there."""
    have = set(frames.distinct(metrics.loc[metrics.dataset == dataset, "metric"]))
    return next((m for m in DISAGREEMENT_METRICS if m in have), None)


def disagreement(
    metrics: pd.DataFrame, dataset: str, metric: str | None = None, *, baselines: Collection[str] = SANITY_BASELINES
) -> pd.Series:
    """Per series, the standard deviation across contenders of ``metric`` (seed-averaged), highest first.

    ``metric`` defaults to the first of :data:`DISAGREEMENT_METRICS` the run has. With fewer than two
    contenders, sanity baselines count too. Series where the metric is undefined get NaN (sorted last).
    """
    have = set(frames.distinct(metrics.loc[metrics.dataset == dataset, "metric"]))
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
