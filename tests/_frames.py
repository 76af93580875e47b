"""Small long-form metric frames for the report and compare tests, built the way the evaluator writes them."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

import pandas as pd

COLUMNS = ["dataset", "series", "aggregate", "detector", "seed", "metric", "value"]


def metric_frame(
    value: Callable[[str, str, int, str], float],
    *,
    dataset: str = "toy",
    series: Sequence[str] = ("a/s1", "a/s2", "b/s3", "b/s4"),
    detectors: Sequence[str] = ("det1", "det2", "random", "null"),
    seeds: Sequence[int] = (0,),
    metrics: Sequence[str] = ("auc_pr", "f1", "delay_points"),
    corpus: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Per-series rows from ``value(series, detector, seed, metric)``, plus ``(mean)`` rows (nanmean over series)
    and optional ``(corpus)`` rows ``nab_standard`` (per detector, same on every seed)."""
    rows = [
        (dataset, s, "", d, k, m, float(value(s, d, k, m)))
        for d in detectors
        for k in seeds
        for s in series
        for m in metrics
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    means = frame.groupby(["dataset", "detector", "seed", "metric"], sort=False)["value"].mean().reset_index()
    means["series"], means["aggregate"] = "", "mean"
    parts = [frame, means[COLUMNS]]
    if corpus:
        parts.append(
            pd.DataFrame(
                [(dataset, "", "corpus", d, k, "nab_standard", v) for d, v in corpus.items() for k in seeds],
                columns=COLUMNS,
            )
        )
    return pd.concat(parts, ignore_index=True)


def seeded(seed: int = 0) -> Callable[[str, str, int, str], float]:
    """Deterministic pseudo-random values in [0, 1) per (series, detector, seed, metric); det1 better than det2."""

    def value(s: str, d: str, k: int, m: str) -> float:
        h = zlib.crc32(repr((s, d, k, m, seed)).encode()) % 10_000 / 10_000
        bonus = {"det1": 0.3, "det2": 0.1}.get(d, 0.0)
        return min(1.0, 0.5 * h + bonus) if m != "delay_points" else 10 * h + 5 * (d == "det2")

    return value
