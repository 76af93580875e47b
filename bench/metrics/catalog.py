"""The metric catalogue: names a user can pass to ``--metrics``, each computing a few values per series.

A catalogue entry adapts one metric family to the evaluator: it receives a
:class:`SeriesEval` (the evaluated part of one series: labels, scores, the
alarms at the run's label-free threshold, timestamps) and returns a flat
``{metric_name: value}`` dict. Families that read the labels to choose a
threshold are marked ``oracle`` and their metric names start with ``oracle_``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.errors import UnknownNameError, did_you_mean
from bench.metrics.affiliation import affiliation_pr
from bench.metrics.auc import auc_pr, auc_roc
from bench.metrics.event import event_prf
from bench.metrics.latency import alarm_stats, detection_delay
from bench.metrics.pa_k import pa_k_auc, pa_k_prf
from bench.metrics.point import point_adjusted_prf, point_prf
from bench.metrics.range_based import range_prf
from bench.metrics.thresholds import BestF1Oracle
from bench.metrics.vus import DEFAULT_WINDOW, vus

PA_K = 20.0
"""The K (percent of an event's points that must be flagged) of the reported ``pa_k_f1``."""
_PA = "an event counts as wholly detected when any one of its points raises an alarm (Xu et al. 2018); lenient."
_VUS = (
    f"range-aware AUC averaged over label buffers of 0 to {DEFAULT_WINDOW} points around each event "
    "(Paparrizos et al. 2022; TSB-AD's default buffer), threshold-free."
)
_RANGE = (
    "overlap of alarm ranges with event ranges (Tatbul et al. 2018; prts defaults: alpha 0, flat bias, "
    "cardinality one)."
)
_AFF = "distance-based, each alarm affiliated with its nearest event (Huet et al. 2022)."


@dataclass(frozen=True)
class SeriesEval:
    """What a metric family sees of one series (its evaluated part, after the training part)."""

    y_true: NDArray[np.int8]
    y_score: NDArray[np.float64]
    y_pred: NDArray[np.bool_]  # alarms at the label-free threshold
    timestamps: NDArray[np.datetime64] | None = None


@dataclass(frozen=True)
class Metric:
    """Everything the tables, the rank statistics and the regression gate know about one metric, as data.

    Parameters
    ----------
    name
        The ``metric`` value of its records.
    label
        Short column header (``AUC-PR``); oracle metrics get ``†`` appended by :func:`header`.
    unit
        ``""`` for a unitless score, else e.g. ``"s"``, ``"points"``, ``"µs"``.
    higher_is_better
        ``True`` / ``False``; ``None`` for a value that describes a run (a threshold, an event count)
        and is never ranked, marked best or gated.
    oracle
        Computed with a threshold chosen from the test labels (an upper bound, not a result).
    over_series
        The aggregate a table shows: ``mean`` over series, ``total`` over series, or the ``corpus`` score.
    over_seeds
        How a table combines seeds: ``mean`` (mean ± sample std over seeds) is the only kind.
    summary
        A column of the run summary (``summary.md``), at position ``order``.
    default
        A default column of the paper tables (and of each series' values in the HTML report).
    gated
        Gated by ``bench compare`` / ``bench check`` by default (and kept in a saved baseline).
    ranked
        Gets rank statistics (Friedman, Nemenyi, Wilcoxon-Holm) and a critical-difference diagram.
    defined_without_anomalies
        Stays defined on a series with no labelled anomaly (others are recorded as NaN there).
    glossary
        What the number is, in a sentence or two (the HTML report's glossary; :func:`glossary` adds the
        direction, unit and oracle mark from the fields above).
    marked
        A paper table may mark its best and second-best value. ``False`` for a cost (a timing is no result),
        a delay (read only beside the fraction of events detected: a detector that finds few events early
        would win) and an alarm count (the null detector raises none).
    """

    name: str
    label: str
    unit: str = ""
    higher_is_better: bool | None = True
    oracle: bool = False
    over_series: str = "mean"
    over_seeds: str = "mean"
    summary: bool = False
    order: int = 1000
    default: bool = False
    gated: bool = False
    ranked: bool = False
    defined_without_anomalies: bool = False
    glossary: str = ""
    marked: bool = True


@dataclass(frozen=True)
class MetricFamily:
    """A family's registration: how its metrics are computed, and each metric's facts (:class:`Metric`).

    Parameters
    ----------
    key
        What ``--metrics`` accepts.
    compute
        ``SeriesEval -> {metric: value}`` for a per-series family; ``None`` for a corpus-level one.
    description
        One line for ``bench list``.
    metrics
        Every metric the family records, with its facts.
    poolable
        Also computed once over all series pooled (counts add up), recorded with aggregate ``pooled``.
    corpus
        For a corpus-level family (NAB's score): ``[(Series, scores, threshold), ...] -> [(metric, value)]``
        over one detector's whole dataset; the records get aggregate ``corpus``.
    dataset_specific
        Applies only to datasets whose registry entry lists it (NAB's score needs NAB's windows).
    default
        Computed in every run unless ``--metrics`` says otherwise.
    one_threshold
        Scores a dataset with one threshold for all its series (NAB's corpus sweep), so it needs scores on one
        scale across series: a raw error (:attr:`bench.registry.DetectorEntry.raw_error`) gets its
        post-processed row beside it.
    """

    key: str
    compute: Callable[[SeriesEval], dict[str, float]] | None
    description: str
    metrics: tuple[Metric, ...] = ()
    poolable: bool = False
    corpus: Callable[[list[Any]], list[tuple[str, float]]] | None = None
    dataset_specific: bool = False
    default: bool = False
    one_threshold: bool = False

    @property
    def oracle(self) -> bool:
        """Reads the labels to choose a threshold."""
        return any(m.oracle for m in self.metrics)

    @property
    def defined_without_anomalies(self) -> frozenset[str]:
        """The metrics that stay defined on a series with no labelled anomaly."""
        return frozenset(m.name for m in self.metrics if m.defined_without_anomalies)


def _point(e: SeriesEval) -> dict[str, float]:
    p = point_prf(e.y_true, e.y_pred)
    return {"precision": p.precision, "recall": p.recall, "f1": p.f1}


def _pa(e: SeriesEval) -> dict[str, float]:
    p = point_adjusted_prf(e.y_true, e.y_pred)
    return {"pa_precision": p.precision, "pa_recall": p.recall, "pa_f1": p.f1}


def _oracle(e: SeriesEval) -> dict[str, float]:
    best = BestF1Oracle().best(e.y_true, e.y_score)
    return {"oracle_best_f1": best.f1, "oracle_best_f1_threshold": best.threshold}


def _pa_k(e: SeriesEval) -> dict[str, float]:
    return {"pa_k_f1": pa_k_prf(e.y_true, e.y_pred, PA_K).f1, "pa_k_auc": pa_k_auc(e.y_true, e.y_pred)}


def _oracle_pa(e: SeriesEval) -> dict[str, float]:
    best = BestF1Oracle(adjusted=True).best(e.y_true, e.y_score)
    return {"oracle_best_pa_f1": best.f1, "oracle_best_pa_f1_threshold": best.threshold}


def _auc(e: SeriesEval) -> dict[str, float]:
    return {"auc_roc": auc_roc(e.y_true, e.y_score), "auc_pr": auc_pr(e.y_true, e.y_score)}


def _vus(e: SeriesEval) -> dict[str, float]:
    v = vus(e.y_true, e.y_score, DEFAULT_WINDOW)
    return {"vus_roc": v.roc, "vus_pr": v.pr}


def _range(e: SeriesEval) -> dict[str, float]:
    r = range_prf(e.y_true, e.y_pred)
    return {"range_precision": r.precision, "range_recall": r.recall, "range_f1": r.f1}


def _event(e: SeriesEval) -> dict[str, float]:
    r = event_prf(e.y_true, e.y_pred)
    return {"event_precision": r.precision, "event_recall": r.recall, "event_f1": r.f1}


def _affiliation(e: SeriesEval) -> dict[str, float]:
    a = affiliation_pr(e.y_true, e.y_pred)
    return {"affiliation_precision": a.precision, "affiliation_recall": a.recall}


def _delay(e: SeriesEval) -> dict[str, float]:
    d = detection_delay(e.y_true, e.y_pred, e.timestamps)
    out = {
        "events": float(d.n_events),
        "events_detected": float(d.n_detected),
        "detected_fraction": d.fraction_detected,
        "delay_points": float(d.delays.mean()) if d.delays.size else float("nan"),
    }
    if d.delays_seconds is not None:
        out["delay_seconds"] = float(d.delays_seconds.mean()) if d.delays_seconds.size else float("nan")
    return out


def _alarms(e: SeriesEval) -> dict[str, float]:
    a = alarm_stats(e.y_pred)
    return {"alarms": float(a.n_alarms), "alarm_rate": a.alarm_rate}


def _nab(items: list[Any]) -> list[tuple[str, float]]:
    from bench.metrics.nab_run import nab_rows

    return nab_rows(items)


def _thr(name: str, oracle: bool = False, glossary: str = "") -> Metric:
    """A threshold a family records beside its scores: describes the run, never ranked."""
    return Metric(name, name, higher_is_better=None, oracle=oracle, defined_without_anomalies=True, glossary=glossary)


def _nab_metrics() -> tuple[Metric, ...]:
    out: list[Metric] = []
    weights = {
        "standard": "standard costs",
        "reward_low_FP_rate": "false positives cost twice as much as in the standard profile",
        "reward_low_FN_rate": "missed windows cost twice as much as in the standard profile",
    }
    for i, (profile, text) in enumerate(
        (("standard", "standard"), ("reward_low_FP_rate", "low FP"), ("reward_low_FN_rate", "low FN"))
    ):
        standard = profile == "standard"
        what = (
            f"NAB's score under its {profile} profile ({weights[profile]}): a detection early in a labelled "
            "window earns up to 1, a false alarm and a missed window cost points, summed over the whole corpus"
        )
        out += [
            Metric(
                f"nab_{profile}",
                f"NAB ({text})",
                over_series="corpus",
                summary=True,
                order=90 + i,
                default=standard,
                gated=standard,
                glossary=f"{what}, normalised so the null detector scores 0 and a perfect one 100.",
            ),
            Metric(f"nab_{profile}_raw", f"NAB raw ({text})", over_series="corpus", glossary=f"{what}, unnormalised."),
            _thr(f"nab_{profile}_threshold", glossary=f"The threshold NAB's {profile} score was computed at."),
        ]
    return tuple(out)


FAMILIES: dict[str, MetricFamily] = {
    f.key: f
    for f in (
        MetricFamily(
            "point",
            _point,
            "point-wise precision/recall/F1 at the label-free threshold",
            (
                Metric(
                    "precision",
                    "P",
                    summary=True,
                    order=40,
                    glossary="Point-wise precision: the share of alarms (points scored at or above the run's "
                    "label-free threshold) that fall on labelled anomalous points.",
                ),
                Metric(
                    "recall",
                    "R",
                    summary=True,
                    order=41,
                    glossary="Point-wise recall: the share of labelled anomalous points that raise an alarm.",
                ),
                Metric(
                    "f1",
                    "F1",
                    summary=True,
                    order=42,
                    default=True,
                    gated=True,
                    ranked=True,
                    glossary="Point-wise F1: the harmonic mean of P and R at the run's label-free threshold.",
                ),
            ),
            poolable=True,
            default=True,
        ),
        MetricFamily(
            "pa",
            _pa,
            "point-adjusted precision/recall/F1 (Xu et al. 2018); lenient",
            (
                Metric("pa_precision", "PA-P", glossary=f"Precision after point adjustment: {_PA}"),
                Metric("pa_recall", "PA-R", glossary=f"Recall after point adjustment: {_PA}"),
                Metric("pa_f1", "PA-F1", summary=True, order=50, glossary=f"F1 after point adjustment: {_PA}"),
            ),
            poolable=True,
            default=True,
        ),
        MetricFamily(
            "pa_k",
            _pa_k,
            f"PA%K F1 at K={PA_K:g} and its area over K=0..100 (Kim et al. 2022)",
            (
                Metric(
                    "pa_k_f1",
                    "PA%K-F1",
                    summary=True,
                    order=60,
                    gated=True,
                    glossary=f"F1 with point adjustment only for events at least K={PA_K:g}% of whose points "
                    "raise an alarm (Kim et al. 2022).",
                ),
                Metric(
                    "pa_k_auc",
                    "PA%K-AUC",
                    summary=True,
                    order=61,
                    glossary="Area under PA%K's F1 as K goes from 0% (point adjustment) to 100% (point-wise F1).",
                ),
            ),
            default=True,
        ),
        MetricFamily(
            "oracle_f1",
            _oracle,
            "ORACLE best point-wise F1 over every threshold",
            (
                Metric(
                    "oracle_best_f1",
                    "best F1",
                    oracle=True,
                    summary=True,
                    order=45,
                    default=True,
                    glossary="The best point-wise F1 over every threshold, the threshold chosen per series.",
                ),
                _thr("oracle_best_f1_threshold", oracle=True, glossary="The threshold that gave best F1."),
            ),
            default=True,
        ),
        MetricFamily(
            "oracle_pa_f1",
            _oracle_pa,
            "ORACLE best point-adjusted F1 over every distinct score",
            (
                Metric(
                    "oracle_best_pa_f1",
                    "best PA-F1",
                    oracle=True,
                    summary=True,
                    order=55,
                    glossary="The best point-adjusted F1 over every distinct score, chosen per series.",
                ),
                _thr("oracle_best_pa_f1_threshold", oracle=True, glossary="The threshold that gave best PA-F1."),
            ),
            default=True,
        ),
        MetricFamily(
            "auc",
            _auc,
            "threshold-free AUC-ROC and AUC-PR (average precision)",
            (
                Metric(
                    "auc_pr",
                    "AUC-PR",
                    summary=True,
                    order=10,
                    default=True,
                    gated=True,
                    ranked=True,
                    glossary="Area under the precision-recall curve, computed as average precision (precision "
                    "at each distinct score weighted by the recall it adds; no interpolation), threshold-free. "
                    "Chance level is the share of anomalous points.",
                ),
                Metric(
                    "auc_roc",
                    "AUC-ROC",
                    summary=True,
                    order=30,
                    gated=True,
                    glossary="Area under the ROC curve, point-wise and threshold-free; 0.5 is chance level.",
                ),
            ),
            default=True,
        ),
        MetricFamily(
            "vus",
            _vus,
            f"threshold-free VUS-ROC / VUS-PR, buffer up to {DEFAULT_WINDOW} (TSB-AD default)",
            (
                Metric("vus_roc", "VUS-ROC", glossary=f"Volume under the ROC surface: {_VUS}"),
                Metric(
                    "vus_pr",
                    "VUS-PR",
                    summary=True,
                    order=20,
                    default=True,
                    gated=True,
                    ranked=True,
                    glossary=f"Volume under the PR surface: {_VUS}",
                ),
            ),
            default=True,
        ),
        MetricFamily(
            "range",
            _range,
            "range-based precision/recall/F1 (Tatbul et al. 2018; prts defaults)",
            (
                Metric(
                    "range_precision", "range P", glossary=f"Range-based precision: {_RANGE}", summary=True, order=62
                ),
                Metric("range_recall", "range R", glossary=f"Range-based recall: {_RANGE}", summary=True, order=63),
                Metric("range_f1", "range F1", glossary=f"Range-based F1: {_RANGE}", summary=True, order=64),
            ),
        ),
        MetricFamily(
            "event",
            _event,
            "event-wise recall, point-wise precision, composite F1 (Garg et al. 2021)",
            (
                Metric(
                    "event_precision",
                    "event P",
                    glossary="Point-wise precision (Garg et al. 2021).",
                    summary=True,
                    order=65,
                ),
                Metric(
                    "event_recall",
                    "event R",
                    glossary="The share of labelled events with at least one alarm.",
                    summary=True,
                    order=66,
                ),
                Metric(
                    "event_f1",
                    "event F1",
                    glossary="Composite F1 of event R and point-wise precision.",
                    summary=True,
                    order=67,
                ),
            ),
        ),
        MetricFamily(
            "affiliation",
            _affiliation,
            "affiliation precision/recall (Huet et al. 2022)",
            (
                Metric(
                    "affiliation_precision", "aff. P", glossary=f"Affiliation precision: {_AFF}", summary=True, order=68
                ),
                Metric("affiliation_recall", "aff. R", glossary=f"Affiliation recall: {_AFF}", summary=True, order=69),
            ),
        ),
        MetricFamily(
            "delay",
            _delay,
            "detection delay of detected events and fraction detected",
            (
                Metric(
                    "events",
                    "events",
                    higher_is_better=None,
                    defined_without_anomalies=True,
                    glossary="Labelled anomalous events (runs of anomalous points) in the evaluated part.",
                ),
                Metric(
                    "events_detected",
                    "events detected",
                    higher_is_better=None,
                    defined_without_anomalies=True,
                    glossary="Events with at least one alarm.",
                ),
                Metric(
                    "detected_fraction",
                    "detected",
                    summary=True,
                    order=70,
                    glossary="The share of events with at least one alarm.",
                ),
                Metric(
                    "delay_points",
                    "delay",
                    unit="points",
                    higher_is_better=False,
                    summary=True,
                    order=71,
                    glossary="Points from an event's start to its first alarm, mean over detected events.",
                    marked=False,
                ),
                Metric(
                    "delay_seconds",
                    "delay",
                    unit="s",
                    higher_is_better=False,
                    glossary="Time from an event's start to its first alarm, mean over detected events.",
                    marked=False,
                ),
            ),
            default=True,
        ),
        MetricFamily(
            "alarms",
            _alarms,
            "number and rate of alarms at the label-free threshold",
            (
                Metric(
                    "alarms",
                    "alarms",
                    higher_is_better=False,
                    defined_without_anomalies=True,
                    glossary="Points at or above the label-free threshold in the evaluated part.",
                    marked=False,
                ),
                Metric(
                    "alarm_rate",
                    "alarm rate",
                    higher_is_better=False,
                    summary=True,
                    order=80,
                    defined_without_anomalies=True,
                    glossary="Alarms per evaluated point.",
                    marked=False,
                ),
            ),
            default=True,
        ),
        MetricFamily(
            "nab",
            None,
            "NAB's normalised corpus scores, three profiles (default on --dataset nab)",
            _nab_metrics(),
            corpus=_nab,
            dataset_specific=True,
            one_threshold=True,
        ),
    )
}

COST: tuple[Metric, ...] = (
    Metric(
        "fit_seconds",
        "fit",
        unit="s",
        higher_is_better=False,
        over_series="total",
        summary=True,
        order=100,
        defined_without_anomalies=True,
        glossary="Wall time of fit (training part), after an untimed warm-up.",
        marked=False,
    ),
    Metric(
        "score_seconds",
        "score",
        unit="s",
        higher_is_better=False,
        over_series="total",
        summary=True,
        order=101,
        defined_without_anomalies=True,
        glossary="Wall time of scoring the whole series.",
        marked=False,
    ),
    Metric(
        "us_per_point",
        "time per point",
        unit="µs",
        higher_is_better=False,
        defined_without_anomalies=True,
        glossary="Score time per point.",
        marked=False,
    ),
)
"""Recorded by the runner for every task (not a family); defined on every series."""
COST_METRICS = tuple(m.name for m in COST)
THRESHOLD = _thr("threshold", glossary="The label-free threshold the alarms of a series were computed at.")
"""The label-free threshold the evaluator records for each series."""
COUNTS = ("series_ok", "series_failed")
"""The evaluator's ``count`` rows: series with and without results per (dataset, detector, seed)."""


def all_metrics() -> dict[str, Metric]:
    """Every known metric by name: the families' (as registered now), the costs, the threshold, the counts."""
    out = {m.name: m for f in FAMILIES.values() for m in f.metrics}
    out.update({m.name: m for m in (*COST, THRESHOLD)})
    counted = {"series_ok": "Series with results", "series_failed": "Series whose task failed"}
    out.update(
        {
            c: Metric(
                c,
                c,
                higher_is_better=None,
                over_series="count",
                glossary=f"{counted.get(c, c)} (per detector and seed).",
            )
            for c in COUNTS
        }
    )
    return out


def metric(name: str) -> Metric:
    """The facts of ``name``; a metric no family lists (a plug-in's, an older run's) is a higher-is-better mean.

    >>> metric("auc_pr").label, metric("delay_points").higher_is_better, metric("threshold").higher_is_better
    ('AUC-PR', False, None)
    """
    return all_metrics().get(name) or Metric(name, name)


def header(name: str, qualifier: str = "") -> str:
    """The short column header of ``name``: its label, ``qualifier`` (e.g. ``total``), ``†`` on oracle metrics,
    and its unit in parentheses.

    >>> header("auc_pr"), header("oracle_best_f1"), header("my_metric"), header("delay_points")
    ('AUC-PR', 'best F1†', 'my_metric', 'delay (points)')
    >>> header("fit_seconds", "total"), header("nab_standard")
    ('fit total (s)', 'NAB (standard)')
    """
    m = metric(name)
    text = f"{m.label} {qualifier}" if qualifier else m.label
    text += "†" if m.oracle else ""
    return f"{text} ({m.unit})" if m.unit else text


def glossary(name: str) -> str:
    """What column ``name`` holds, for a reader: its text, then direction, unit, aggregation and oracle mark.

    >>> glossary("alarm_rate")
    'Alarms per evaluated point. Lower is better; mean over series.'
    """
    m = metric(name)
    direction = {True: "Higher is better", False: "Lower is better", None: "Describes the run, never ranked"}
    parts = [m.glossary or f"{m.label}: no description in the metric catalogue.", direction[m.higher_is_better]]
    if m.unit:
        parts[-1] += f", in {m.unit}"
    parts[-1] += {
        "mean": "; mean over series.",
        "total": "; total over series.",
        "corpus": "; one score per dataset.",
    }.get(m.over_series, ".")
    if m.oracle:
        parts.append("† Oracle: its threshold was chosen with the test labels, so it is an upper bound, not a result.")
    return " ".join(parts)


def _flagged(flag: str) -> tuple[str, ...]:
    return tuple(m.name for m in sorted(all_metrics().values(), key=lambda m: m.order) if getattr(m, flag))


def default_columns() -> tuple[str, ...]:
    """The paper tables' default columns (and each series' values in the HTML report), in table order."""
    return _flagged("default")


def gated() -> tuple[str, ...]:
    """The metrics ``bench compare`` gates (and a baseline keeps) by default, in table order."""
    return _flagged("gated")


def ranked() -> tuple[str, ...]:
    """The metrics that get rank statistics and a critical-difference diagram, in table order."""
    return _flagged("ranked")


def summary_columns() -> list[Metric]:
    """The run summary's columns, in table order."""
    return [m for m in sorted(all_metrics().values(), key=lambda m: m.order) if m.summary]


def default_families() -> tuple[str, ...]:
    """Families in every run's metrics.csv unless ``--metrics`` says otherwise."""
    return tuple(k for k, f in FAMILIES.items() if f.default)


def resolve(keys: list[str] | tuple[str, ...]) -> list[MetricFamily]:
    """Families for the given keys, with an error listing the valid ones."""
    unknown = [k for k in keys if k not in FAMILIES]
    if unknown:
        raise UnknownNameError(
            f"Unknown metric {', '.join(map(repr, unknown))}."
            + "".join(did_you_mean(k, FAMILIES) for k in unknown)
            + f" Available: {', '.join(sorted(FAMILIES))}."
        )
    return [FAMILIES[k] for k in keys]
