"""What the report needs to know about a metric or a detector name: label, direction, oracle, role.

The evaluator writes metrics by name only (``metrics.csv``); tables, rank
statistics and the regression gate all need to know which way is better,
which short label to print and which rows are references rather than
contenders. This module is that one lookup, so no report module compares
metric names of its own.

Direction: every metric is higher-is-better except the cost, latency and
alarm-count metrics in :data:`LOWER_IS_BETTER`; the metrics in
:data:`UNRANKED` (thresholds, event counts) describe a run and are never
ranked, bolded or gated.
"""

from __future__ import annotations

import re
from collections.abc import Collection

LABELS: dict[str, str] = {
    "auc_pr": "AUC-PR",
    "vus_pr": "VUS-PR",
    "auc_roc": "AUC-ROC",
    "vus_roc": "VUS-ROC",
    "precision": "P",
    "recall": "R",
    "f1": "F1",
    "oracle_best_f1": "best F1",
    "pa_precision": "PA-P",
    "pa_recall": "PA-R",
    "pa_f1": "PA-F1",
    "oracle_best_pa_f1": "best PA-F1",
    "pa_k_f1": "PA%K-F1",
    "pa_k_auc": "PA%K-AUC",
    "range_f1": "range F1",
    "event_f1": "event F1",
    "affiliation_precision": "aff. P",
    "affiliation_recall": "aff. R",
    "detected_fraction": "detected",
    "delay_points": "delay",
    "delay_seconds": "delay s",
    "alarm_rate": "alarm rate",
    "alarms": "alarms",
    "nab_standard": "NAB std",
    "nab_reward_low_FP_rate": "NAB lowFP",
    "nab_reward_low_FN_rate": "NAB lowFN",
    "fit_seconds": "fit s",
    "score_seconds": "score s",
    "us_per_point": "µs/point",
}

LOWER_IS_BETTER = frozenset(
    {"delay_points", "delay_seconds", "alarm_rate", "alarms", "fit_seconds", "score_seconds", "us_per_point"}
)
UNRANKED = frozenset(
    {"threshold", "oracle_best_f1_threshold", "oracle_best_pa_f1_threshold", "events", "events_detected"}
)
SANITY_BASELINES: tuple[str, ...] = ("random", "null")
"""Detectors that know nothing by design (``chance_level`` in the registry): shown, never bold."""

PUBLISHED_SUFFIX = " (published)"


def label(metric: str) -> str:
    """The short column header of ``metric``, with ``†`` on oracle metrics.

    >>> label("auc_pr"), label("oracle_best_f1"), label("my_metric")
    ('AUC-PR', 'best F1†', 'my_metric')
    """
    text = LABELS.get(metric, metric)
    return text + "†" if is_oracle(metric) else text


def is_oracle(metric: str) -> bool:
    """True for metrics computed with a threshold chosen from the test labels (names start with ``oracle_``)."""
    return metric.startswith("oracle_")


def higher_is_better(metric: str) -> bool | None:
    """``True`` / ``False`` for the better direction of ``metric``; ``None`` for metrics never ranked.

    >>> higher_is_better("auc_pr"), higher_is_better("delay_points"), higher_is_better("threshold")
    (True, False, None)
    """
    if metric in UNRANKED:
        return None
    return metric not in LOWER_IS_BETTER


def base_name(detector: str) -> str:
    """The registry name a detector label starts with: ``lstm[window_size=20]+likelihood`` -> ``lstm``.

    >>> base_name("random[seed=3]"), base_name("lstm+likelihood"), base_name("zscore")
    ('random', 'lstm', 'zscore')
    """
    return re.split(r"[\[+ ]", detector, maxsplit=1)[0]


def is_published(detector: str) -> bool:
    """True for rows copied from a published scoreboard (names ending in ``" (published)"``)."""
    return detector.endswith(PUBLISHED_SUFFIX)


def is_contender(detector: str, baselines: Collection[str] = SANITY_BASELINES) -> bool:
    """True for a detector that may win a column: neither a sanity baseline nor a published row.

    A post-processed baseline (``random+likelihood``) is still a baseline.

    >>> [is_contender(d) for d in ("lstm", "random", "null+likelihood", "ARTime (published)")]
    [True, False, False, False]
    """
    return not is_published(detector) and base_name(detector) not in baselines


def contenders_first(detectors: Collection[str], baselines: Collection[str] = SANITY_BASELINES) -> list[str]:
    """Detectors in their order, contenders before sanity baselines before published rows.

    >>> contenders_first(["random", "lstm", "x (published)", "null", "zscore"])
    ['lstm', 'zscore', 'random', 'null', 'x (published)']
    """
    names = list(detectors)
    return sorted(names, key=lambda d: (is_published(d), not is_contender(d, baselines) and not is_published(d)))
