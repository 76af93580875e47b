"""The last stage of ``run`` and ``evaluate``: metrics from the stored scores, written with failures and the summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from bench import registry
from bench.config import (
    DatasetSpec,
    DetectorSpec,
    RunConfig,
    one_threshold_datasets,
    raw_error_rows,
    resolve_metrics,
)
from bench.evaluate import PerSeries, Scored, evaluate, family_applies
from bench.metrics import catalog
from bench.metrics.thresholds import ThresholdStrategy
from bench.records import TaskRecord
from bench.report.summary import summary_table, write_summary
from bench.results import RunStore, write_frame
from bench.runfolder import left_out_scoreboards, published_rows, scored_items
from bench.runner import Task
from bench.series import Series

FAILURE_COLUMNS = ["dataset", "series", "detector", "params", "seed", "failure", "error", "task"]


@dataclass
class RunResult:
    """What a run or an evaluation produced (also on disk in the run folder)."""

    config: RunConfig
    store: RunStore
    records: list[TaskRecord]
    metrics: pd.DataFrame
    table: pd.DataFrame
    out: Path | None = None  # where the metrics and summary were written (the run folder, or an evaluation's)
    series: list[Series] = field(default_factory=list)  # the series evaluated (a report after a run reuses them)
    requested: tuple[str, ...] = ()  # metric families asked for by name (empty: the default set), shown in the terminal
    notes: list[str] = field(default_factory=list)  # what the terminal says under the table (also in summary.md)

    @property
    def failed(self) -> list[TaskRecord]:
        return [r for r in self.records if not r.ok]


def with_worker_values(items: list[Scored], rows: Sequence[DetectorSpec], per_series: PerSeries) -> list[Scored]:
    """``items`` with the per-series values their workers computed, where they hold for these settings.

    A raw row's item (no post-processor) takes the ``values`` of its task's
    record when the record's ``settings`` are ``per_series``'; the others
    keep None and are computed by :func:`bench.evaluate.evaluate`.
    """
    raw = {row.alias for row in rows if not row.post}
    settings = per_series.settings()
    out = []
    for it in items:
        saved = it.record.metrics
        if it.row in raw and saved is not None and saved.get("settings") == settings:
            it = replace(it, values=saved["values"])
        out.append(it)
    return out


def failures_frame(tasks: list[Task], records: list[TaskRecord], root: Path) -> pd.DataFrame:
    """One row per failed task (machine-readable ``failures.csv``)."""
    rows = [
        (
            t.series.dataset,
            t.series.name,
            t.detector.name,
            t.slot.detector_dir,
            t.seed,
            r.failure or "exception",
            r.error,
            str(RunStore(root).task_path(t.slot).relative_to(root)),
        )
        for t, r in zip(tasks, records, strict=True)
        if not r.ok
    ]
    return pd.DataFrame(rows, columns=FAILURE_COLUMNS)


def finish(
    store: RunStore,
    config: RunConfig,
    series: list[Series],
    tasks: list[Task],
    records: list[TaskRecord],
    *,
    threshold: ThresholdStrategy | None = None,
    metrics: tuple[str, ...] | None = None,
    out: Path | None = None,
) -> RunResult:
    """Evaluate every row from the stored raw scores; write metrics, failures and the summary to ``out``.

    A row with failed series is evaluated on the others, marked ``alias
    (k/n)`` in the summary, and gets no corpus-level score (such as NAB's):
    a corpus score over part of the corpus would stand beside published
    full-corpus scores as if comparable.
    """
    out = store.root if out is None else out
    strategy = threshold or config.threshold
    families = catalog.resolve(list(metrics or config.metrics))
    items, counts = scored_items(store, config, series, tasks, records)
    items = with_worker_values(items, config.rows, PerSeries(strategy, tuple(metrics or config.metrics)))
    incomplete = {k for k, (ok, total) in counts.items() if ok < total}
    frame = evaluate(items, families, strategy=strategy, applies=family_applies, incomplete=incomplete)
    count_rows = [
        (ds, "", "count", row, seed, m, float(v))
        for (ds, row, seed), (ok, total) in counts.items()
        for m, v in (("series_ok", ok), ("series_failed", total - ok))
    ]
    frame = pd.concat([frame, pd.DataFrame(count_rows, columns=frame.columns)], ignore_index=True)
    write_frame(out / "metrics.csv", frame, root=store.root)
    write_frame(out / "failures.csv", failures_frame(tasks, records, store.root), root=store.root)
    published = published_rows(config) if metrics is None or set(metrics) == set(config.metrics) else None
    table = summary_table(frame, published)
    failed = [r for r in records if not r.ok]
    left_out = list(left_out_scoreboards(config).values()) if published is None else []
    raw = raw_error_notes(config.rows, families, config.datasets)
    incomplete_notes = _incomplete_notes(counts, families)
    write_summary(out, table, strategy, failed, incomplete=incomplete_notes, more_notes=[*raw, *left_out])
    keys = tuple(f.key for f in families)
    requested = () if set(keys) == set(resolve_metrics(None, config.datasets)) else keys
    return RunResult(config, store, records, frame, table, out, series, requested, raw)


def raw_error_notes(
    rows: Sequence[DetectorSpec], families: list[catalog.MetricFamily], datasets: Sequence[DatasetSpec]
) -> list[str]:
    """Why a raw-error row scores low where one threshold scores a whole dataset (NAB), and which row to read."""
    on = one_threshold_datasets([f.key for f in families], datasets)
    raw = raw_error_rows(rows)
    if not on or not raw:
        return []
    post = registry.RAW_ERROR_POST
    names = ", ".join(d.alias for d in raw)
    scored = ", ".join(catalog.header(m.name) for f in families if f.one_threshold for m in f.metrics if m.default)
    paired = [o.alias for o in rows if [p.name for p in o.post] == [post] and any(o.raw == d.raw for d in raw)]
    read = (
        f"read {', '.join(paired)} (the same raw scores, post-processed)"
        if paired
        else f"add +{post} (e.g. --detector {raw[0].name},{raw[0].name}+{post}) for a score it can threshold"
    )
    return [
        f"{names} score{'s' if len(raw) == 1 else ''} a raw error on each series' own scale; "
        f"{scored or 'the corpus score'} on {', '.join(on)} sweeps one threshold over all its series, which such "
        f"scores cannot serve (so the raw row ranks low there): {read}."
    ]


def _incomplete_notes(counts: dict[tuple[str, str, int], list[int]], families: list[catalog.MetricFamily]) -> list[str]:
    corpus = [f.key for f in families if f.corpus is not None]
    notes = []
    for (ds, row, seed), (ok, total) in counts.items():
        if ok < total:
            extra = f"; no corpus-level score ({', '.join(corpus)}) on an incomplete corpus" if corpus else ""
            notes.append(f"{row} (seed {seed}) on {ds}: {total - ok} of {total} series failed{extra}")
    return notes
