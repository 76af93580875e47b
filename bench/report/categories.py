"""One metric per group of series: detectors as rows, categories (e.g. NAB's seven) as columns.

Each cell is, per seed, the unweighted mean of the defined per-series values
over the group's series, then mean ± sample std (ddof = 1) over seeds, as in
:mod:`bench.report.paper`; the last column is the same over all series. The
result is a :class:`~bench.report.paper.PaperTable`, so every renderer of
:mod:`bench.report.render` applies (best bold, second underlined, sanity
baselines never marked, values a sanity baseline beats flagged).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from bench.errors import DataError
from bench.metrics import catalog
from bench.registry import SANITY_BASELINES
from bench.report import frames
from bench.report.paper import (
    Column,
    PaperTable,
    _seed_notes,
    beaten_notes,
    deterministic_notes,
    marks_note,
    short_caption,
    spread,
)

ALL = "all series"


def category_table(
    metrics: pd.DataFrame,
    dataset: str,
    metric: str,
    groups: Mapping[str, str],
    *,
    baselines: Collection[str] = SANITY_BASELINES,
    note: str = "",
) -> PaperTable:
    """Detectors x groups of ``metric``'s per-series mean (``groups``: series name -> group)."""
    frames.check_frame(metrics)
    metrics = metrics[(metrics.dataset == dataset) & (metrics.metric == metric)]
    names = frames.series_names(metrics, dataset)
    by_group = frames.group_series(names, groups)
    if not by_group:
        raise DataError(
            f"No per-series {metric!r} values of {dataset} fall in any group; check the metric name and the "
            f"series -> group mapping (series look like {names[:2]})."
        )
    dets = frames.detectors(metrics, dataset)
    cols = [Column(metric, "mean", g) for g in by_group] + [Column(metric, "mean", ALL)]
    mean = pd.DataFrame(index=pd.Index(dets, name="detector"), dtype=float)
    std = mean.copy()
    for c in cols:
        subset = names if c.group == ALL else by_group[str(c.group)]
        seeds = frames.per_seed(metrics, dataset, metric, "mean", series=subset)
        mean[c.key] = seeds.mean(axis=1).reindex(dets) if len(seeds) else np.nan
        std[c.key] = spread(seeds).reindex(dets) if len(seeds) else np.nan
    keep = [c for c in cols if mean[c.key].notna().any()]  # a group where the metric is never defined
    dropped = [str(c.group) for c in cols if c not in keep]
    n_seeds = metrics.groupby("detector")["seed"].nunique().reindex(dets).fillna(0).astype(int)
    sizes = ", ".join(f"{g} {len(s)}" for g, s in by_group.items())
    label = catalog.header(metric)
    notes = [
        f"Series per group: {sizes}. Each cell is the mean over the group's series of the per-series {label} "
        "(series where it is undefined skipped).",
        *_seed_notes(n_seeds[n_seeds > 0]),
        *deterministic_notes(std[[c.key for c in keep]], n_seeds),
    ]
    if dropped:
        notes.append(f"Not shown ({label} undefined on every series): {', '.join(dropped)}.")
    if catalog.metric(metric).oracle:
        notes.append("† oracle: the threshold was chosen with the test labels (an upper bound, not a result).")
    contenders = [d for d in dets if d not in baselines]
    notes.append(marks_note(keep, sorted(set(dets) - set(contenders))))
    if note:
        notes.append(note)
    table = PaperTable(
        dataset=dataset,
        group=f"{label} by group",
        columns=keep,
        mean=mean[[c.key for c in keep]],
        std=std[[c.key for c in keep]],
        seeds=n_seeds,
        n_series=len(names),
        notes=notes,
        contenders=contenders,
        summary=short_caption(f"{dataset}, {label} per group of series", len(names), n_seeds),
    )
    notes += beaten_notes(table)
    return table
