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
published rows never win; a column whose metric the catalogue does not mark
(:attr:`bench.metrics.catalog.Metric.marked`: timings, delays) has no mark;
a contender's value that a sanity baseline beats is flagged (``beaten``)
and never marked best. Which rows are published or incomplete is data
(:attr:`PaperTable.published`, :attr:`PaperTable.completeness`); the marks
``(published)`` and ``(57/58)`` are added when a renderer prints a row's
label, so no detector name is ever read back as a mark.

A table has a short caption (:attr:`PaperTable.summary`: what, how many
series and seeds) and notes (:attr:`PaperTable.notes`: how each column is
aggregated, which rows are deterministic, what the marks mean). A published
scoreboard gets a table of its own (:func:`published_table`) unless the
caller asks for its rows inline.
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
            return f"avg. rank ({catalog.metric(self.metric).label})"
        return catalog.header(self.metric, self.aggregate if self.aggregate in ("pooled", "total") else "")


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
    notes: list[str] = field(default_factory=list)  # the details under the table
    contenders: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)  # rows copied from a published scoreboard
    completeness: dict[str, tuple[int, int]] = field(default_factory=dict)  # row -> (series ok, all): failures
    summary: str = ""  # the short caption: what the table shows, over how many series and seeds
    ranges: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)  # published as a range only
    display: dict[str, str] = field(default_factory=dict)  # row -> printed name (``--display``)

    def label(self, row: str) -> str:
        """The row's printed label: its display name (``--display``), ``lstm (57/58)`` for a row with failed
        series."""
        name = self.display.get(row, row)
        if row in self.completeness:
            ok, total = self.completeness[row]
            return f"{name} ({ok}/{total})"
        return name

    @property
    def title(self) -> str:
        return self.dataset if self.group is None else f"{self.dataset}: {self.group}"

    @property
    def caption(self) -> str:
        """The short caption and every note, as one paragraph (Markdown, HTML)."""
        return " ".join([self.summary, *self.notes] if self.summary else self.notes)

    @property
    def baselines(self) -> list[str]:
        """The sanity-baseline rows: neither contenders nor published."""
        return [d for d in self.mean.index if d not in self.contenders and d not in self.published]

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
            known = sorted(frames.distinct(metrics.loc[metrics.dataset == dataset, "metric"]))
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
    notes = _aggregation_notes(metrics, dataset, cols, subset) + rank_notes
    n_seeds = metrics.groupby("detector")["seed"].nunique().reindex(dets).fillna(0)
    pub_rows: list[str] = []
    if published is not None and group is None:
        pub = _published(published, dataset, cols, taken=set(dets))
        pub_rows = list(pub.index)
        mean, std = pd.concat([mean, pub]), pd.concat([std, pub * np.nan])
        n_seeds = pd.concat([n_seeds, pd.Series(0, index=pub.index)])
        if pub_rows:
            notes.append(f"Rows marked (published) are copied from {_source(published, dataset)}.")
    notes += _seed_notes(n_seeds[n_seeds > 0]) + deterministic_notes(std, n_seeds) + _incomplete_seed_notes(choice)
    if any(catalog.metric(c.metric).oracle for c in cols):
        notes.append("† oracle: the threshold was chosen with the test labels (an upper bound, not a result).")
    contenders = [d for d in dets if d not in set(baselines)]
    notes.append(marks_note(cols, sorted(set(dets) - set(contenders)), published=bool(pub_rows)))
    if note:
        notes.append(note)
    table = PaperTable(
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
        summary=short_caption(f"{dataset}{'' if group is None else f', {group}'}", len(series_all), n_seeds),
    )
    notes += beaten_notes(table)
    return table


def short_caption(what: str, n_series: int, n_seeds: pd.Series) -> str:
    """The caption proper, one line: ``nab: 58 series, mean ± std over 3 seeds.`` (details go to the notes)."""
    k = int(n_seeds.max()) if len(n_seeds) else 0
    return f"{what}: {n_series} series, " + (f"mean ± std over {k} seeds." if k > 1 else "one seed.")


def deterministic_notes(std: pd.DataFrame, n_seeds: pd.Series) -> list[str]:
    """The rows whose every value is the same on each of their seeds: they show no ``± 0.000``."""
    rows = [
        str(d)
        for d in std.index
        if n_seeds.get(d, 0) > 1 and std.loc[d].notna().any() and (std.loc[d].dropna() == 0).all()
    ]
    if not rows:
        return []
    return [f"Deterministic (the same value on every seed, so no ± is shown): {', '.join(rows)}."]


def beaten_notes(table: PaperTable) -> list[str]:
    """The sentence explaining the ``°`` flag, when a contender's value is beaten by a sanity baseline."""
    if "beaten" not in marks(table, decimals(table)).values():
        return []
    return [f"° a sanity baseline ({', '.join(table.baselines)}) scores better in that column: never marked best."]


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
        std[c.key] = spread(seeds).reindex(dets) if len(seeds) else np.nan
    return mean, std, rank_notes


def spread(seeds: pd.DataFrame) -> pd.Series:
    """Sample std (ddof = 1) over seeds per row; exactly 0 where every seed gave the same value (pandas'
    variance of equal floats can be 1e-17, which would print ``± 0.000``)."""
    same = seeds.nunique(axis=1, dropna=True) == 1
    return seeds.std(axis=1, ddof=1, skipna=True).mask(same & (seeds.notna().sum(axis=1) > 1), 0.0)


def _published(published: pd.DataFrame, dataset: str, cols: list[Column], taken: set[str]) -> pd.DataFrame:
    """The scoreboard's rows of ``dataset``, in its order, labelled ``name (published)`` (unique beside ``taken``)."""
    rows = published[published.dataset == dataset]
    pub = rows.pivot_table(index="detector", columns="metric", values="value", dropna=False)
    pub = pub.reindex(index=list(dict.fromkeys(rows.detector)), columns=[c.metric for c in cols])  # as published
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


def marks_note(cols: Sequence[Column], excluded: Sequence[str], *, published: bool = False) -> str:
    """What bold and underline mean in a table of ``cols``, which rows and columns are never marked."""
    never = [f"sanity baselines ({', '.join(excluded)})"] if excluded else []
    never += ["published rows"] if published else []
    text = "Best and second best per column are marked among the evaluated detectors"
    text += f" ({' and '.join(never)} never marked)" if never else ""
    lower = [
        c.header
        for c in cols
        if c.aggregate == "rank" or (catalog.metric(c.metric).higher_is_better is False and _marked(c))
    ]
    text += f"; lower is better for {', '.join(lower)}, higher for the rest" if lower else ""
    unmarked = [c.header for c in cols if not _marked(c)]
    return text + (f"; not marked: {', '.join(unmarked)}." if unmarked else ".")


def _marked(c: Column) -> bool:
    m = catalog.metric(c.metric)
    return c.aggregate == "rank" or (m.marked and m.higher_is_better is not None)


def _source(published: pd.DataFrame, dataset: str) -> str:
    """Where a dataset's published rows come from (their ``source`` column), else a plain phrase."""
    rows = published[published.dataset == dataset]
    if "source" in rows.columns and len(rows):
        return str(rows["source"].iloc[0])
    return "the benchmark's published scoreboard"


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


PUBLISHED_MODES = ("separate", "inline", "none")
"""Where a published scoreboard goes: a table of its own after the dataset's table, rows inside it, or nowhere."""


def paper_tables(
    metrics: pd.DataFrame,
    columns: Sequence[str | Column] | None = None,
    *,
    groups: Mapping[str, str] | None = None,
    published: pd.DataFrame | None = None,
    published_mode: str = "separate",
    baselines: Collection[str] = SANITY_BASELINES,
    note: str = "",
    dataset_notes: Mapping[str, str] | None = None,
    display: Mapping[str, str] | None = None,
    sort: str | None = None,
) -> list[PaperTable]:
    """Every table of a run: one per dataset, its published scoreboard, then one per group of its series.

    ``groups``: series name -> group. A group table with no value at all (NAB's ``artificialNoAnomaly``
    has no AUC or F1) is left out. ``published_mode``: one of :data:`PUBLISHED_MODES`.
    ``dataset_notes``: a sentence for the notes of a dataset's whole-dataset table (e.g. why its published
    scoreboard is left out). ``display``: row -> printed name. ``sort``: a column key (``nab_standard``,
    ``auc_pr``, ``rank@auc_pr``) that orders the evaluated detectors of each table having it, best first.
    """
    if published_mode not in PUBLISHED_MODES:
        raise ParameterError(f"--published {published_mode!r}: choose {', '.join(PUBLISHED_MODES)}.")
    out = []
    for dataset in frames.distinct(metrics.dataset):
        kw = {"baselines": baselines, "note": note}
        whole = " ".join(t for t in ((dataset_notes or {}).get(dataset, ""), note) if t)
        inline = published if published_mode == "inline" else None
        out.append(build_table(metrics, dataset, columns, published=inline, **{**kw, "note": whole}))  # type: ignore[arg-type]
        if published is not None and published_mode == "separate" and (published.dataset == dataset).any():
            out.append(published_table(published, dataset))
        by_group = frames.group_series(frames.series_names(metrics, dataset), groups or {})
        if len(by_group) > 1:
            for g in by_group:
                table = build_table(metrics, dataset, columns, group=g, groups=groups, **kw)  # type: ignore[arg-type]
                if table.mean.notna().any().any():
                    out.append(table)
    if sort is not None and not any(sort in {c.key for c in t.columns} for t in out):
        keys = sorted({c.key for t in out for c in t.columns})
        raise ParameterError(f"--sort {sort!r} is not a column of these tables; choose from {', '.join(keys)}.")
    return [_arrange(t, display or {}, sort) for t in out]


def parse_display(items: Sequence[str]) -> dict[str, str]:
    """``--display`` values ``ROW=NAME`` as a mapping (``lstm+likelihood=LSTM + likelihood``).

    >>> parse_display(["lstm+likelihood=LSTM + likelihood"])
    {'lstm+likelihood': 'LSTM + likelihood'}
    """
    out = {}
    for item in items:
        row, eq, name = item.partition("=")
        if not eq or not row.strip() or not name.strip():
            raise ParameterError(f'--display {item!r}: give ROW=NAME, e.g. lstm+likelihood="LSTM + likelihood".')
        out[row.strip()] = name.strip()
    return out


def _arrange(table: PaperTable, display: Mapping[str, str], sort: str | None) -> PaperTable:
    """``table`` with display names, and its evaluated detectors ordered by column ``sort`` (best first)."""
    from dataclasses import replace

    order = list(table.mean.index)
    column = next((c for c in table.columns if c.key == sort), None)
    if column is not None and table.direction(column) is not None:
        values = table.mean.loc[table.contenders, column.key]
        ranked = values.sort_values(ascending=not table.direction(column), na_position="last", kind="stable")
        order = [*ranked.index, *(d for d in order if d not in table.contenders)]
    return replace(
        table,
        mean=table.mean.loc[order],
        std=table.std.loc[order],
        contenders=[d for d in order if d in table.contenders],
        display={**table.display, **{k: v for k, v in display.items() if k in table.mean.index}},
    )


def published_table(published: pd.DataFrame, dataset: str) -> PaperTable:
    """A published scoreboard as a table of its own: its rows, names, order and values as published.

    ``published``: rows (dataset, detector, metric, value), optionally ``low``/``high`` (a published range;
    a row published as a range only has a NaN value), ``note`` (the row's footnote) and ``source``.
    Nothing is marked: these numbers were not computed by this run.
    """
    rows = published[published.dataset == dataset]
    if rows.empty:
        raise DataError(f"No published rows of {dataset}; datasets there: {sorted(set(published.dataset))}.")
    names = list(dict.fromkeys(rows.detector.astype(str)))
    cols = [Column(m, catalog.metric(m).over_series) for m in dict.fromkeys(rows.metric.astype(str))]
    keyed = rows.assign(key=[Column(m, catalog.metric(m).over_series).key for m in rows.metric])
    mean = keyed.pivot_table(index="detector", columns="key", values="value", dropna=False).reindex(
        index=names, columns=[c.key for c in cols]
    )
    mean.index.name = "detector"
    ranges: dict[tuple[str, str], tuple[float, float]] = {}
    if {"low", "high"} <= set(rows.columns):
        for r in keyed.itertuples(index=False):
            if math.isnan(float(r.value)) and not math.isnan(float(r.low)):
                ranges[(str(r.detector), str(r.key))] = (float(r.low), float(r.high))
    footnotes = list(dict.fromkeys(n for n in rows.get("note", pd.Series(dtype=str)) if isinstance(n, str) and n))
    source = _source(published, dataset)
    notes = [
        f"Copied from {source}, not computed by this run; values as published, under the scoreboard's names.",
        *footnotes,
    ]
    return PaperTable(
        dataset=dataset,
        group="published scoreboard",
        columns=cols,
        mean=mean,
        std=mean * np.nan,
        seeds=pd.Series(0, index=mean.index),
        n_series=0,
        notes=notes,
        published=names,
        summary=f"{dataset}: the published scoreboard ({', '.join(c.header for c in cols)}).",
        ranges=ranges,
    )


def marks(table: PaperTable, decimals: Mapping[str, int]) -> dict[tuple[str, str], str]:
    """``(detector, column key) -> "best" | "second" | "beaten"`` among contenders, comparing values as printed.

    Only columns whose metric is marked (:attr:`~bench.metrics.catalog.Metric.marked`) and has a direction
    get marks. A contender strictly worse than the best sanity baseline of the column is ``beaten`` and
    takes no part in best and second best.
    """
    out: dict[tuple[str, str], str] = {}
    for c in table.columns:
        direction = table.direction(c)
        if direction is None or not _marked(c):
            continue
        shown = table.mean.loc[table.contenders, c.key].dropna().round(decimals[c.key])
        base = table.mean.loc[table.baselines, c.key].dropna().round(decimals[c.key])
        if len(base):
            bar = base.max() if direction else base.min()
            beaten = shown < bar if direction else shown > bar
            out.update({(det, c.key): "beaten" for det in shown.index[beaten]})
            shown = shown[~beaten]
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
