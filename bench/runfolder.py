"""Reading a run folder back: its saved ``RunConfig``, its task records and its stored scores, post-processed.

Everything after ``run`` (``evaluate``, ``report``, the end of ``run``
itself) reads the folder through these functions; none runs a detector.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench import registry
from bench.config import DetectorSpec, RunConfig
from bench.errors import DataError, OutputError
from bench.evaluate import Scored
from bench.records import TaskRecord
from bench.results import RunStore
from bench.runner import Task, make_task
from bench.series import Series


def read_config(store: RunStore) -> RunConfig:
    """The RunConfig saved in a run folder."""
    saved = store.config()
    if saved is None:
        raise OutputError(f"{store.root} has no config.json: not a run folder written by 'bench run'.")
    return RunConfig.from_dict(saved)


def stored_records(store: RunStore, tasks: list[Task], *, strict: bool = True) -> list[TaskRecord]:
    """The stored record of every task, which must exist for the current code and data (else a clear error).

    ``strict=False`` (reports): whatever record a task's slot holds, even one
    computed with older code, and a "missing" record for a task that has none.
    """
    records: list[TaskRecord] = []
    missing = []
    for t in tasks:
        rec = store.read_task(store.task_path(t.slot))
        lost = rec is not None and rec.ok and not store.score_path(t.slot, rec).exists()
        if not strict:
            records.append(rec if rec is not None and not lost else TaskRecord.missing())
            continue
        if rec is None or rec.key != t.key or lost:
            missing.append(t)
            continue
        records.append(rec)
    if missing:
        raise DataError(
            f"{len(missing)} of {len(tasks)} tasks of {store.root} have no stored result for this code and data "
            f"(e.g. {missing[0].label}); run `python -m bench run --out {store.root}` with the same options first."
        )
    return records


def post_scores(row: DetectorSpec, raw: np.ndarray, series: Series, n_warmup: int) -> tuple[np.ndarray, int]:
    """The row's post-processors applied in order; returns the scores and their warm-up length.

    Each stage is fitted on the training part's scores after the warm-up so
    far (the detector's, then each stage's ``n_warmup_``: the likelihood's
    learning period), and sees the series values when it needs them (the
    spatial rule). The warm-up points are left out of the label-free
    threshold's reference scores, as the detector's are.
    """
    scores, te = raw, series.train_end
    for p in row.post:
        pp = registry.get_postprocessor_class(p.name)(**p.params)
        values = series.values if getattr(pp, "needs_values", False) else None
        lo = min(n_warmup, te)
        pp.fit(scores[lo:te], None if values is None else values[lo:te])
        scores = np.asarray(pp.transform(scores, values))
        n_warmup = max(n_warmup, int(getattr(pp, "n_warmup_", 0)))
    return scores.astype(np.float64), n_warmup


def scored_items(
    store: RunStore,
    config: RunConfig,
    series: list[Series],
    tasks: list[Task],
    records: list[TaskRecord],
    *,
    rows: tuple[DetectorSpec, ...] | None = None,
    seeds: tuple[int, ...] | None = None,
) -> tuple[list[Scored], dict[tuple[str, str, int], list[int]]]:
    """Every row's scores on every series and seed from the stored raw scores (post-processors applied).

    Each score file is checked against its record's sha256 and the series' length
    (:meth:`~bench.results.RunStore.read_scores`): a replaced file is refused, naming it.
    Also returns, per ``(dataset, row, seed)``, ``[series ok, series in all]`` (failed tasks give no item).
    ``rows`` and ``seeds``: only these of the config's (``bench export``).
    """
    by_key = {t.key: (t, r) for t, r in zip(tasks, records, strict=True)}
    items: list[Scored] = []
    counts: dict[tuple[str, str, int], list[int]] = {}
    for row in config.rows if rows is None else rows:
        for seed in config.seeds if seeds is None else seeds:
            for s in series:
                task, rec = by_key[make_task(row, seed, s).key]
                count = counts.setdefault((s.dataset, row.alias, seed), [0, 0])
                count[1] += 1
                if not rec.ok:
                    continue
                count[0] += 1
                raw = store.read_scores(task.slot, rec, n_points=len(s))
                scores, n_warmup = post_scores(row, raw, s, rec.n_warmup)
                items.append(Scored(row.alias, seed, s, scores, n_warmup, rec))
    return items, counts


def _scoreboards(config: RunConfig) -> dict[str, str]:
    """Dataset -> where its published scoreboard is (``module:function``), for the run's datasets that have one
    of metric families the run computed."""
    out = {}
    for ds in config.datasets:
        entry = registry.get_dataset(ds.name)
        if entry.published and set(entry.metric_families) & set(config.metrics):
            out[ds.name] = entry.published
    return out


def published_rows(config: RunConfig) -> pd.DataFrame | None:
    """Published results of the run's datasets whose own metric families the run computed, for a whole-dataset run.

    A published scoreboard scores the whole corpus, so a run with a series filter (``--series``) gets none
    beside its own rows: its corpus-level scores are over part of the corpus (:func:`left_out_scoreboards`
    says so under its tables).
    """
    if config.series is not None:
        return None
    frames = [registry.resolve(where, "published results")() for where in _scoreboards(config).values()]
    return pd.concat(frames, ignore_index=True) if frames else None


def left_out_scoreboards(config: RunConfig) -> dict[str, str]:
    """Dataset -> the sentence saying why its published scoreboard is not beside the run's rows (a series filter)."""
    if config.series is None:
        return {}
    return {
        ds: f"{ds}'s published scoreboard is left out: it scores the whole corpus, and this run's --series "
        f"{config.series!r} kept part of it, so its corpus-level scores cover only the run's own series."
        for ds in _scoreboards(config)
    }
