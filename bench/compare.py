"""The regression gate: two runs' metric records compared per (dataset, detector, metric), regressions flagged.

Each side is a long-form metrics frame (a run's ``metrics.csv``, or a
baseline's per-series values in the same columns). The compared value of a
metric is the one a table shows (:func:`bench.report.frames.default_aggregate`:
the mean over series, NAB's corpus score, total seconds), averaged over
seeds. A gated metric *regresses* when it got worse by more than
``tolerance`` (absolute; "worse" is lower for most metrics, higher for
delays, alarm rates and costs: :attr:`bench.metrics.catalog.Metric.higher_is_better`), or when
it was defined before and is undefined now. That is the ``delta`` gate (the
default); the ``significant`` gate also asks the paired test to reject at
``alpha`` before it calls a drop a regression.

Beyond the threshold, two pieces of evidence help tell a real change from
luck: where both sides have per-series values, a paired Wilcoxon
signed-rank test across series (seed-averaged per series) says whether the
change is larger than series-to-series noise; with several seeds, the
standard deviation over seeds of each side's value is shown beside it. The
per-series changes themselves are kept (:attr:`Comparison.series`), so the
series that moved can be named (:func:`bench.compare_series.movers`). The text of a comparison is
:mod:`bench.compare_text`'s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bench.compare_series import SERIES_COLUMNS, can_reject, changes, pair, series_frame, snap
from bench.errors import DataError, ParameterError
from bench.metrics import catalog
from bench.metrics.records import upgrade
from bench.report import frames
from bench.report.stats import wilcoxon_p

RESULT_COLUMNS = (
    "dataset",
    "detector",
    "metric",
    "aggregate",
    "base",
    "new",
    "change",
    "base_seed_std",
    "new_seed_std",
    "n_series",
    "p_value",
    "gated",
    "regression",
    "verdict",
)
GATES = {
    "delta": "a gated metric worse by more than the tolerance",
    "significant": "worse by more than the tolerance, and the paired test across series rejects at alpha",
}
"""The decision rules (``--gate``), in words. Either way, a metric that became undefined is a regression."""


@dataclass(frozen=True)
class Comparison:
    """The outcome of :func:`compare`; ``table`` has one row per (dataset, detector, metric), :data:`RESULT_COLUMNS`.

    ``series`` has the per-series values behind each row that has them (:data:`SERIES_COLUMNS`).
    ``header`` holds what the caller knows about the two sides beyond their values (what they were allowed to
    differ in, what could not be checked: :func:`bench.provenance.gate`), printed under the summary line.
    """

    table: pd.DataFrame
    gated: tuple[str, ...]
    tolerance: float
    alpha: float
    notes: list[str] = field(default_factory=list)
    header: tuple[str, ...] = ()
    gate: str = "delta"
    series: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(SERIES_COLUMNS)))

    @property
    def regressions(self) -> pd.DataFrame:
        return self.table[self.table.regression]

    @property
    def dropped(self) -> pd.Series:
        """Per row: a gated metric worse by more than the tolerance (what the ``delta`` gate fails)."""
        t = self.table
        up = t.metric.map(lambda m: bool(catalog.metric(m).higher_is_better)).astype(bool)
        worse_by = t.change.where(~up, -t.change).astype(float)
        return t.gated.astype(bool) & (worse_by > self.tolerance)

    @property
    def exit_code(self) -> int:
        """1 when a gated metric regressed, else 0 (bad input raised :class:`DataError` before this)."""
        return int(bool(self.table.regression.any()))


def check_gate(gate: str, alpha: float) -> None:
    """Raise :class:`ParameterError` for a gate not in :data:`GATES` or an ``alpha`` outside (0, 1)."""
    if gate not in GATES:
        raise ParameterError(f"Unknown gate {gate!r}; choose {' or '.join(GATES)}.")
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha must be between 0 and 1 (exclusive); got {alpha}.")


def _check_inputs(base: pd.DataFrame, new: pd.DataFrame, detectors: Sequence[str] | None) -> list[str]:
    b_sets, n_sets = set(base.dataset.astype(str)), set(new.dataset.astype(str))
    if b_sets != n_sets:
        raise DataError(
            f"The runs cover different datasets: base {sorted(b_sets)}, new {sorted(n_sets)}. "
            "Compare runs of the same datasets (or filter one side first)."
        )
    notes = []
    for ds in sorted(b_sets):
        b_ser, n_ser = set(frames.series_names(base, ds)), set(frames.series_names(new, ds))
        if b_ser and n_ser and b_ser != n_ser:
            only_b, only_n = sorted(b_ser - n_ser), sorted(n_ser - b_ser)
            raise DataError(
                f"The runs cover different series of {ds}: {len(only_b)} only in base {only_b[:3]}, "
                f"{len(only_n)} only in new {only_n[:3]}. Re-run with the same series filter."
            )
        b_det = frames.detectors(base, ds)
        n_det = set(frames.detectors(new, ds))
        wanted = list(detectors) if detectors is not None else b_det
        missing = [d for d in wanted if d not in n_det or d not in b_det]
        if missing:
            raise DataError(
                f"Detector(s) {', '.join(missing)} of {ds} are missing from one run (base has {', '.join(b_det)}; "
                f"new has {', '.join(sorted(n_det))}). Choose the detectors to compare explicitly."
            )
        extra = sorted(n_det - set(b_det))
        if extra and detectors is None:
            notes.append(f"{ds}: only in the new run (not compared): {', '.join(extra)}.")
        for d in wanted:
            bs = set(frames.series_rows(base[(base.dataset == ds) & (base.detector == d)]).series)
            ns = set(frames.series_rows(new[(new.dataset == ds) & (new.detector == d)]).series)
            if bs and ns and bs != ns:
                diff = sorted(bs ^ ns)
                raise DataError(
                    f"{d} on {ds} has per-series results for different series in the two runs ({len(diff)} differ, "
                    f"e.g. {diff[:3]}): a task failed or was filtered. Fix or re-run it first."
                )
    return notes


def _gated(base: pd.DataFrame, new: pd.DataFrame, metrics: Sequence[str] | None) -> tuple[str, ...]:
    in_base, in_new = set(base.metric), set(new.metric)
    wanted = list(metrics) if metrics is not None else [m for m in catalog.gated() if m in in_base]
    for m in wanted:
        if catalog.metric(m).higher_is_better is None:
            raise ParameterError(f"Metric {m!r} has no better direction and cannot gate; choose e.g. auc_pr, f1.")
        if m not in in_base or m not in in_new:
            side = "either run" if m not in in_base and m not in in_new else "base" if m not in in_base else "new"
            raise DataError(
                f"Metric {m!r} is missing from {side}. Both runs need the same metric families "
                f"(base has {len(in_base)} metrics, new has {len(in_new)}); choose gated metrics that both have."
            )
    return tuple(wanted)


def compare(
    base: pd.DataFrame,
    new: pd.DataFrame,
    *,
    metrics: Sequence[str] | None = None,
    tolerance: float = 0.01,
    alpha: float = 0.05,
    gate: str = "delta",
    detectors: Sequence[str] | None = None,
    all_metrics: bool = False,
) -> Comparison:
    """Compare ``new`` against ``base`` on the gated ``metrics`` (default: the catalogue's gated metrics).

    ``gate`` is the decision rule (:data:`GATES`): ``delta`` fails every gated metric worse by more than
    ``tolerance``; ``significant`` only those where the paired Wilcoxon test across series also rejects at
    ``alpha`` (a row without per-series values, or with too few series for the test, then passes).
    ``all_metrics=True`` adds a row (not gated) for every other metric both runs have.

    Raises :class:`DataError` when the runs cover different datasets, series or detectors, or a gated
    metric is missing from either side.
    """
    if not tolerance >= 0:
        raise ParameterError(f"tolerance must be a non-negative number; got {tolerance}.")
    check_gate(gate, alpha)
    frames.check_frame(base, "base metrics")
    frames.check_frame(new, "new metrics")
    base, new = upgrade(base), upgrade(new)
    notes = _check_inputs(base, new, detectors)
    gated = _gated(base, new, metrics)
    rows: list[list[object]] = []
    moved: list[pd.DataFrame] = []
    for ds in dict.fromkeys(base.dataset.astype(str)):
        dets = list(detectors) if detectors is not None else frames.detectors(base, ds)
        b_ds, n_ds = base[base.dataset == ds], new[new.dataset == ds]
        shared = [m for m in gated if m in set(b_ds.metric)]
        if all_metrics:
            n_metrics = set(n_ds.metric)
            shared += [
                m
                for m in dict.fromkeys(b_ds.metric)
                if m in n_metrics and m not in gated and catalog.metric(m).higher_is_better is not None
            ]
        b_ds, n_ds = b_ds[b_ds.metric.isin(shared)], n_ds[n_ds.metric.isin(shared)]
        for m in shared:
            agg = frames.default_aggregate(b_ds, ds, m)
            if agg is None or agg not in frames.available_aggregates(n_ds, ds, m):
                if m in gated:
                    raise DataError(f"The new run has no {agg} value of {m!r} on {ds}, the base run has one.")
                continue
            b_seed, n_seed = frames.per_seed(b_ds, ds, m, agg), frames.per_seed(n_ds, ds, m, agg)
            b_ser = frames.per_series(b_ds, ds, m, detectors=dets) if agg == "mean" else None
            n_ser = frames.per_series(n_ds, ds, m, detectors=dets) if agg == "mean" else None
            for d in dets:
                paired = pair(b_ser, n_ser, d)
                rows.append(_row(ds, d, m, agg, b_seed, n_seed, paired, m in gated, tolerance, alpha, gate))
                if len(paired):
                    moved.append(series_frame(ds, d, m, paired))
    table = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    series = pd.concat(moved, ignore_index=True) if moved else pd.DataFrame(columns=list(SERIES_COLUMNS))
    return Comparison(table, gated, tolerance, alpha, notes, gate=gate, series=series[list(SERIES_COLUMNS)])


def _seed_stats(per_seed: pd.DataFrame, det: str) -> tuple[float, float]:
    """The mean over seeds and their sample std (NaN with one seed; exactly 0 where the seeds agree)."""
    if det not in per_seed.index:
        return math.nan, math.nan
    v = per_seed.loc[det].dropna()
    if not len(v):
        return math.nan, math.nan
    if len(v) > 1 and (v == v.iloc[0]).all():  # identical seeds: their mean and std carry no rounding
        return float(v.iloc[0]), 0.0
    mean, sd = float(v.mean()), float(v.std(ddof=1))
    return mean, sd if math.isnan(sd) else snap(sd, mean)


def _row(ds, det, metric, agg, b_seed, n_seed, pair, gated, tol, alpha, gate) -> list[object]:  # type: ignore[no-untyped-def]
    b, b_sd = _seed_stats(b_seed, det)
    n, n_sd = _seed_stats(n_seed, det)
    change = snap(n - b, max(abs(b), abs(n)))
    up = bool(catalog.metric(metric).higher_is_better)
    worse_by = -change if up else change
    n_pairs = len(pair)
    p = wilcoxon_p(changes(pair), np.zeros(n_pairs)) if n_pairs else math.nan
    dropped = worse_by > tol and (gate == "delta" or p < alpha)
    regression = gated and ((not math.isnan(b) and math.isnan(n)) or dropped)
    spread = max((sd for sd in (b_sd, n_sd) if not math.isnan(sd)), default=math.nan)
    verdict = _verdict(b, n, change, up, p, n_pairs, spread, alpha)
    return [ds, det, metric, agg, b, n, change, b_sd, n_sd, n_pairs, p, gated, regression, verdict]


def _verdict(b: float, n: float, change: float, up: bool, p: float, n_pairs: int, seed_sd: float, alpha: float) -> str:
    """Plain words: which way it moved, and whether that is beyond series-to-series noise and the seed spread."""
    if math.isnan(b) and math.isnan(n):
        return "undefined in both runs"
    if math.isnan(n):
        return "undefined in the new run"
    if math.isnan(b):
        return "newly defined"
    if change == 0 and (math.isnan(p) or p == 1.0):
        return "unchanged"
    words = ["better" if (change > 0) == up else "worse" if change else "same mean"]
    if n_pairs and not can_reject(n_pairs, alpha):
        words.append(f"too few series ({n_pairs}) for the paired test")
    elif not math.isnan(p):
        beyond = "larger than" if p < alpha else "within"
        words.append(f"{beyond} series-to-series noise (Wilcoxon p = {p_text(p)}, {n_pairs} series)")
    if seed_sd == 0:
        words.append("the same on every seed")
    elif not math.isnan(seed_sd):
        words.append(f"{'within' if abs(change) <= seed_sd else 'beyond'} the seed spread (std {number(seed_sd)})")
    return "; ".join(words)


def number(value: float, *, signed: bool = False) -> str:
    """A value as the gate prints it: 4 significant digits, never an exponent, ``–`` for NaN.

    Float rounding never reaches here (:func:`bench.compare_series.snap` made it 0), so a tiny value is a real one
    (a fit of 44 µs) and is written out.

    >>> number(0.32191), number(-0.0356, signed=True), number(0.0), number(123456.7), number(-4.4e-05, signed=True)
    ('0.3219', '-0.0356', '0', '123457', '-0.000044')
    >>> number(float("nan"))
    '–'
    """
    if math.isnan(value):
        return "–"
    if value == 0:
        return "0"
    sign = "+" if signed else ""
    if abs(value) >= 1e5:
        return f"{value:{sign}.0f}"
    if abs(value) >= 1e-4:
        return f"{value:{sign}.4g}"
    digits = 3 - math.floor(math.log10(abs(value)))  # 4 significant digits after the leading zeros
    return f"{value:{sign}.{digits}f}".rstrip("0")


def p_text(p: float) -> str:
    """A p-value as printed: two significant digits, ``<0.001`` below that.

    >>> p_text(0.04321), p_text(2e-9), p_text(float("nan"))
    ('0.043', '<0.001', '–')
    """
    if math.isnan(p):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.2g}"
