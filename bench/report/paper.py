"""Paper tables from a run's metric records: detectors as rows, chosen metrics as columns, mean ± std over seeds.

A table is built from the long-form metrics (see :mod:`bench.report.frames`)
and rendered by :mod:`bench.report.render`. How each cell is computed:

- a per-series metric (AUC-PR, F1, ...): for each seed, the unweighted mean
  over the table's series of the defined per-series values (series where the
  value is undefined, such as F1 on a series without anomalies, are
  skipped); ``pooled`` / ``corpus`` / ``total`` columns read or sum the
  evaluator's aggregates instead;
- with several seeds: the mean over seeds of that per-seed value ± its
  sample standard deviation (ddof = 1), i.e. the spread over seeds, not
  over series; only a row's complete seeds count (a seed with failed series
  is left out, and named in the caption; a row with no complete seed shows
  no spread), so no spread comes from a missing series;
- the rank column: each series ranks the detectors by the rank metric
  (per-series values averaged over seeds first; 1 = best, ties share the
  average rank, direction from :attr:`bench.metrics.catalog.Metric.higher_is_better`),
  averaged over the series where every detector of the table has a value.

Best and second-best per column are marked among contenders only: the
sanity baselines (``random``, ``null``, and any row the caller names) and
published rows never win. Which rows are published or incomplete is data
(:attr:`PaperTable.published`, :attr:`PaperTable.completeness`); the marks
``(published)`` and ``(57/58)`` are added when a renderer prints a row's
label, so no detector name is ever read back as a mark.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bench.errors import DataError, ParameterError
from bench.metrics import catalog
from bench.registry import SANITY_BASELINES
from bench.report import frames
from bench.report.stats import average_ranks
from bench.series import Series

_HOW = {
    "mean": "mean over series of the per-series value (series where it is undefined skipped)",
    "pooled": "computed once over all series' evaluated points pooled together",
    "total": "sum over series",
    "corpus": "corpus-level score over all series (NAB: normalised, null detector = 0, perfect = 100)",
}


@dataclass(frozen=True)
class Column:
    """One column: a metric, how it is aggregated over series (``None``: the default), or ``"rank"``.

    ``group``: the column covers only that group's series (a category column of
    :func:`bench.report.categories.category_table`).
    """

    metric: str
    aggregate: str | None = None  # mean | pooled | total | corpus | rank | None (default)
    group: str | None = None

    @property
    def key(self) -> str:
        """A unique machine name: ``auc_pr``, ``f1@pooled``, ``rank@auc_pr``, ``auc_pr[realKnownCause]``."""
        if self.aggregate == "rank":
            key = f"rank@{self.metric}"
        else:
            key = self.metric if self.aggregate in (None, "mean", "corpus") else f"{self.metric}@{self.aggregate}"
        return key if self.group is None else f"{key}[{self.group}]"

    @property
    def header(self) -> str:
        if self.group is not None:
            return self.group
        if self.aggregate == "rank":
            return "avg. rank"
        suffix = f" ({self.aggregate})" if self.aggregate in ("pooled", "total") else ""
        return catalog.header(self.metric) + suffix


def parse_columns(text: str) -> list[Column]:
    """Columns from a comma-separated list: ``auc_pr,f1@pooled,fit_seconds@total``.

    >>> [c.key for c in parse_columns("auc_pr, f1@pooled")]
    ['auc_pr', 'f1@pooled']
    """
    out = []
    for item in (t.strip() for t in text.split(",")):
        if item:
            metric, _, agg = item.partition("@")
            out.append(Column(metric, agg or None))
    return out


def check_columns(columns: Sequence[Column], families: Sequence[str]) -> None:
    """Refuse a column whose metric a run of ``families`` never computes, before the run starts (``run --columns``).

    >>> check_columns(parse_columns("auc_pr"), ["auc"])
    >>> check_columns(parse_columns("auc_prr"), ["auc"])
    Traceback (most recent call last):
    ...
    bench.errors.ParameterError: --columns: 'auc_prr' is not a metric of this run's families (auc). Choose from: ...
    """
    computed = {m.name for f in catalog.resolve(list(families)) for m in f.metrics}
    computed |= {m.name for m in (*catalog.COST, catalog.THRESHOLD)}
    unknown = [c.metric for c in columns if c.metric not in computed]
    if unknown:
        raise ParameterError(
            f"--columns: {', '.join(map(repr, unknown))} is not a metric of this run's families "
            f"({', '.join(families)}). Choose from: {', '.join(sorted(computed))}."
        )


@dataclass(frozen=True)
class PaperTable:
    """One rendered-ready table; ``mean`` / ``std`` are detector x column-key frames."""

    dataset: str
    group: str | None
    columns: list[Column]
    mean: pd.DataFrame
    std: pd.DataFrame
    seeds: pd.Series  # number of seeds per detector (0 for published rows)
    n_series: int
    notes: list[str] = field(default_factory=list)  # caption sentences
    contenders: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)  # rows copied from a published scoreboard
    completeness: dict[str, tuple[int, int]] = field(default_factory=dict)  # row -> (series ok, all): failures

    def label(self, row: str) -> str:
        """The row's printed label: ``lstm (57/58)`` for a row with failed series, ``x (published)``."""
        if row in self.completeness:
            ok, total = self.completeness[row]
            return f"{row} ({ok}/{total})"
        return row

    @property
    def title(self) -> str:
        return self.dataset if self.group is None else f"{self.dataset}: {self.group}"

    @property
    def caption(self) -> str:
        return " ".join(self.notes)

    def direction(self, column: Column) -> bool | None:
        """True when higher is better in ``column`` (ranks: lower is better), None when unranked."""
        return False if column.aggregate == "rank" else catalog.metric(column.metric).higher_is_better


def series_groups(series: Iterable[Series], key: str = "category") -> dict[str, str]:
    """Series name -> group from ``metadata[key]``, else the name's first path component (NAB's category)."""
    out: dict[str, str] = {}
    for s in series:
        group = s.metadata.get(key) or (s.name.split("/", 1)[0] if "/" in s.name else None)
        if group:
            out[s.name] = str(group)
    return out


def _resolve(
    metrics: pd.DataFrame, dataset: str, wanted: Sequence[Column], explicit: bool, subset: bool
) -> list[Column]:
    out = []
    for col in wanted:
        if col.aggregate == "rank":
            out.append(col)
            continue
        have = frames.available_aggregates(metrics, dataset, col.metric)
        agg = col.aggregate or frames.default_aggregate(metrics, dataset, col.metric)
        if subset:
            have = [a for a in have if a in ("mean", "total")]
        if agg in have:
            out.append(Column(col.metric, agg))
        elif explicit and not subset:
            known = sorted(set(metrics.loc[metrics.dataset == dataset, "metric"]))
            raise DataError(
                f"Metric {col.key!r} is not in the {dataset} results (aggregates there: {', '.join(have) or 'none'}). "
                f"Available metrics: {', '.join(known)}."
            )
    return out


def _rank_metric(columns: Sequence[Column]) -> str | None:
    """The first ranked mean column's metric, else the first mean column with a direction that is no oracle."""
    means = [c.metric for c in columns if c.aggregate == "mean"]
    ranked = [m for m in means if catalog.metric(m).ranked]
    usable = [m for m in means if catalog.metric(m).higher_is_better is not None and not catalog.metric(m).oracle]
    return (ranked or usable or [None])[0]


def build_table(
    metrics: pd.DataFrame,
    dataset: str,
    columns: Sequence[str | Column] | None = None,
    *,
    group: str | None = None,
    groups: Mapping[str, str] | None = None,
    rank_metric: str | None = "auto",
    published: pd.DataFrame | None = None,
    baselines: Collection[str] = SANITY_BASELINES,
    note: str = "",
) -> PaperTable:
    """One paper table of ``dataset`` (or of its series in ``group``, per ``groups``: series name -> group).

    ``columns``: metric names or :class:`Column` (default: the catalogue's default columns, those present).
    ``rank_metric``: the metric of the average-rank column (``"auto"``: the first ranked mean column;
    ``None``: no rank column). ``published``: rows (dataset, detector, metric, value) of a published
    scoreboard appended to a whole-dataset table. ``baselines``: the rows that are sanity baselines (never
    marked best; exact row names). ``note`` ends the caption (e.g. the threshold strategy).
    """
    frames.check_frame(metrics)
    choice = frames.complete_seeds(metrics[metrics.dataset == dataset])
    metrics = choice.metrics
    subset = None
    if group is not None:
        subset = [s for s in frames.series_names(metrics, dataset) if (groups or {}).get(s) == group]
        if not subset:
            raise DataError(f"No series of {dataset} is in group {group!r}; check the series -> group mapping.")
    wanted = [c if isinstance(c, Column) else Column(c) for c in (columns or catalog.default_columns())]
    dets = frames.detectors(metrics, dataset)
    incomplete = {det: v for (ds, det), v in frames.completeness(metrics, dataset).items()}
    cols = _resolve(metrics, dataset, wanted, explicit=columns is not None, subset=subset is not None)
    if rank_metric == "auto":
        rank_metric = _rank_metric(cols)
    if rank_metric and not any(c.aggregate == "rank" for c in cols):
        cols.append(Column(rank_metric, "rank"))
    metrics = metrics[(metrics.dataset == dataset) & metrics.metric.isin({c.metric for c in cols})]
    mean, std, rank_notes = _cells(metrics, dataset, cols, dets, subset)
    std.loc[[det for (_, det) in choice.partial if det in std.index]] = np.nan  # spread would be over series
    series_all = subset or frames.series_names(metrics, dataset)
    notes = [f"{dataset}{'' if group is None else f', {group}'}: {len(series_all)} series."]
    notes += _aggregation_notes(metrics, dataset, cols, subset) + rank_notes
    n_seeds = metrics.groupby("detector")["seed"].nunique().reindex(dets).fillna(0)
    pub_rows: list[str] = []
    if published is not None and group is None:
        pub = _published(published, dataset, cols, taken=set(dets))
        pub_rows = list(pub.index)
        mean, std = pd.concat([mean, pub]), pd.concat([std, pub * np.nan])
        n_seeds = pd.concat([n_seeds, pd.Series(0, index=pub.index)])
        if pub_rows:
            notes.append("Rows marked (published) are copied from the benchmark's published scoreboard.")
    notes += _seed_notes(n_seeds[n_seeds > 0]) + _incomplete_seed_notes(choice)
    if any(catalog.metric(c.metric).oracle for c in cols):
        notes.append("† oracle: the threshold was chosen with the test labels (an upper bound, not a result).")
    contenders = [d for d in dets if d not in set(baselines)]
    notes.append(_marks_note(cols, sorted(set(dets) - set(contenders))))
    if note:
        notes.append(note)
    return PaperTable(
        dataset=dataset,
        group=group,
        columns=cols,
        mean=mean,
        std=std,
        seeds=n_seeds.astype(int),
        n_series=len(series_all),
        notes=notes,
        contenders=contenders,
        published=pub_rows,
        completeness={d: v for d, v in incomplete.items() if d in mean.index},
    )


def _cells(
    metrics: pd.DataFrame, dataset: str, cols: list[Column], dets: list[str], subset: list[str] | None
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Detector x column means and standard deviations over seeds, and the rank columns' caption sentences."""
    mean = pd.DataFrame(index=pd.Index(dets, name="detector"), dtype=float)
    std = mean.copy()
    rank_notes = []
    for c in cols:
        if c.aggregate == "rank":
            values = frames.per_series(metrics, dataset, c.metric, detectors=dets, series=subset)
            up = bool(catalog.metric(c.metric).higher_is_better)
            ranks = average_ranks(values, up) if len(values) else pd.Series(dtype=float)
            mean[c.key], std[c.key] = ranks.reindex(dets), np.nan
            n_rank = len(values.dropna()) if len(values) else 0
            name = catalog.header(c.metric)
            rank_notes.append(
                f"Avg. rank: each detector's rank by {name} (1 = best, ties share the average rank; "
                f"values averaged over seeds first), averaged over the {n_rank} series where every detector's "
                f"{name} is defined."
            )
            continue
        seeds = frames.per_seed(metrics, dataset, c.metric, str(c.aggregate), series=subset)
        mean[c.key] = seeds.mean(axis=1, skipna=True).reindex(dets) if len(seeds) else np.nan
        std[c.key] = seeds.std(axis=1, ddof=1, skipna=True).reindex(dets) if len(seeds) else np.nan
    return mean, std, rank_notes


def _published(published: pd.DataFrame, dataset: str, cols: list[Column], taken: set[str]) -> pd.DataFrame:
    """The scoreboard's rows of ``dataset`` as table rows labelled ``name (published)`` (unique beside ``taken``)."""
    pub = published[published.dataset == dataset].pivot_table(index="detector", columns="metric", values="value")
    pub = pub.reindex(columns=[c.metric for c in cols])
    pub.columns = [c.key for c in cols]
    labels = []
    for name in pub.index:
        label = f"{name} (published)"
        while label in taken:  # a run row of that very name: the published one gives way
            label += "*"
        taken.add(label)
        labels.append(label)
    pub.index = pd.Index(labels, name="detector")
    return pub


def _marks_note(cols: list[Column], excluded: list[str]) -> str:
    text = "Best and second best per column are marked among the evaluated detectors"
    if excluded:
        text += f" (sanity baselines {', '.join(excluded)} and published rows never marked)"
    lower = [c.header for c in cols if catalog.metric(c.metric).higher_is_better is False or c.aggregate == "rank"]
    return text + (f"; lower is better for {', '.join(lower)}, higher for the rest." if lower else ".")


def _aggregation_notes(metrics: pd.DataFrame, dataset: str, cols: list[Column], subset: list[str] | None) -> list[str]:
    by_how: dict[str, list[str]] = {}
    for c in cols:
        if c.aggregate == "rank":
            continue
        text = c.header
        if c.aggregate == "mean":
            values = frames.per_series(metrics, dataset, c.metric, series=subset)
            n_def, n_all = int(values.notna().any(axis=1).sum()), len(values)
            if 0 < n_def < n_all:
                text += f" (defined on {n_def} of {n_all} series)"
        by_how.setdefault(str(c.aggregate), []).append(text)
    return [f"{', '.join(names)}: {_HOW[how]}." for how, names in by_how.items()]


def _seed_notes(n_seeds: pd.Series) -> list[str]:
    if n_seeds.empty or n_seeds.max() <= 1:
        return ["One seed per detector: no spread over seeds shown."]
    counts = sorted(set(n_seeds.astype(int)))
    k = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]} to {counts[-1]}"
    return [f"{k} seeds: mean ± sample standard deviation (ddof = 1) over seeds of each seed's value."]


def _incomplete_seed_notes(choice: frames.SeedChoice) -> list[str]:
    notes = []
    if choice.left_out:
        rows = "; ".join(frames.seed_note(det, seeds) for (_, det), seeds in choice.left_out.items())
        notes.append(
            f"Seeds with failed series are left out of their row (mean ± std over its complete seeds only): {rows}."
        )
    partial = {key: seeds for key, seeds in choice.partial.items() if len(seeds) > 1}  # one seed: no spread anyway
    if partial:
        rows = "; ".join(frames.seed_note(det, seeds) for (_, det), seeds in partial.items())
        notes.append(
            "No seed has every series (values are means over the series that did not fail; "
            f"no spread over seeds is shown, as it would come from the missing series): {rows}."
        )
    return notes


def paper_tables(
    metrics: pd.DataFrame,
    columns: Sequence[str | Column] | None = None,
    *,
    groups: Mapping[str, str] | None = None,
    published: pd.DataFrame | None = None,
    baselines: Collection[str] = SANITY_BASELINES,
    note: str = "",
    dataset_notes: Mapping[str, str] | None = None,
) -> list[PaperTable]:
    """Every table of a run: one per dataset, then one per group of its series (``groups``: name -> group).

    A group table with no value at all (NAB's ``artificialNoAnomaly`` has no AUC or F1) is left out.
    ``dataset_notes``: a sentence for the caption of a dataset's whole-dataset table (e.g. why its published
    scoreboard is left out).
    """
    out = []
    for dataset in dict.fromkeys(metrics.dataset.astype(str)):
        kw = {"published": published, "baselines": baselines, "note": note}
        whole = " ".join(t for t in ((dataset_notes or {}).get(dataset, ""), note) if t)
        out.append(build_table(metrics, dataset, columns, **{**kw, "note": whole}))  # type: ignore[arg-type]
        by_group = frames.group_series(frames.series_names(metrics, dataset), groups or {})
        if len(by_group) > 1:
            kw.pop("published")
            for g in by_group:
                table = build_table(metrics, dataset, columns, group=g, groups=groups, **kw)  # type: ignore[arg-type]
                if table.mean.notna().any().any():
                    out.append(table)
    return out


def marks(table: PaperTable, decimals: Mapping[str, int]) -> dict[tuple[str, str], str]:
    """``(detector, column key) -> "best" | "second"`` among contenders, comparing the values as printed."""
    out: dict[tuple[str, str], str] = {}
    for c in table.columns:
        direction = table.direction(c)
        if direction is None:
            continue
        shown = table.mean.loc[table.contenders, c.key].dropna().round(decimals[c.key])
        distinct = sorted(set(shown), reverse=direction)
        for rank_name, value in zip(("best", "second"), distinct, strict=False):
            for det in shown.index[shown == value]:
                out[(det, c.key)] = rank_name
    return out


def decimals(table: PaperTable) -> dict[str, int]:
    """Digits after the point per column: 2 for ranks, else 3 below 10, 1 below 1000, 0 above."""
    out = {}
    for c in table.columns:
        top = float(np.nanmax(np.abs(table.mean[c.key].to_numpy(dtype=float)), initial=0.0))
        out[c.key] = 2 if c.aggregate == "rank" else 3 if top < 10 or math.isnan(top) else 1 if top < 1000 else 0
    return out
