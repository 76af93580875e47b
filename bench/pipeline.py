"""The pipeline: load the series a RunConfig names, run its tasks, evaluate stored scores, write the summary.

``run`` = plan the tasks + execute what is not cached + ``evaluate``;
``evaluate_run`` turns a run folder's stored scores into metrics again
without running any detector, reading the folder's saved ``RunConfig``.
The command line (:mod:`bench.cli`) only builds a config and calls these.
"""

from __future__ import annotations

import fnmatch
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from bench import registry
from bench.config import DetectorSpec, RunConfig
from bench.errors import DataError, OutputError, ParameterError, UnknownNameError
from bench.evaluate import Scored, evaluate
from bench.metrics import catalog
from bench.metrics.thresholds import ThresholdStrategy
from bench.progress import Progress
from bench.report.summary import summary_table, write_summary
from bench.results import RunStore, environment, write_frame, write_json
from bench.runner import Task, code_version, is_done, make_task, plan, resolved_params, run_tasks
from bench.series import Series


@dataclass
class RunResult:
    """What a run or an evaluation produced (also on disk in the run folder)."""

    config: RunConfig
    store: RunStore
    records: list[dict[str, Any]]
    metrics: pd.DataFrame
    table: pd.DataFrame

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("status") != "ok"]


def load_series(config: RunConfig, *, data_dir: str | None = None, progress: bool = False) -> list[Series]:
    """Every series of the config's datasets, filtered by its ``series`` glob (on the name or ``dataset/name``)."""
    series: list[Series] = []
    for ds in config.datasets:
        loader = registry.get_dataset(ds.name).load_function()
        series.extend(loader(data_dir, progress=progress, **ds.options))
    keys = [s.key for s in series]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise DataError(f"Two series are both named {dup!r}; a run needs unique dataset/series names.")
    if config.series:
        pattern = config.series
        kept = [s for s in series if fnmatch.fnmatch(s.name, pattern) or fnmatch.fnmatch(s.key, pattern)]
        if not kept:
            examples = ", ".join(s.name for s in series[:3])
            raise UnknownNameError(
                f"--series {pattern!r} matches none of the {len(series)} series of "
                f"{', '.join(d.name for d in config.datasets)} (names look like: {examples}). "
                "Use a glob such as 'realKnownCause/*'."
            )
        series = kept
    return series


def _resolved(config: RunConfig) -> list[dict[str, Any]]:
    out = []
    for row in config.rows:
        cls = registry.get_detector_class(row.name)
        out.append(
            {
                "alias": row.alias,
                "name": row.name,
                "params": resolved_params(row),
                "seed_param": registry.seed_param(cls),
                "code_version": code_version(cls),
                "post": [p.to_dict() for p in row.post],
            }
        )
    return out


def prepare_folder(store: RunStore, config: RunConfig, *, update: bool = False) -> dict[str, Any] | None:
    """Check that ``store`` may hold this run; return its previous ``config.json`` (None for a new folder).

    A folder that exists, is not empty and is not a run folder is refused (a
    run never overwrites a user's files); a run folder of another config is
    refused unless ``update`` (then finished tasks whose key is unchanged are
    kept and only the rest runs).
    """
    previous = store.config()
    if previous is None:
        if store.root.exists() and (not store.root.is_dir() or any(store.root.iterdir())):
            raise OutputError(
                f"{store.root} exists and is not a bench run folder (no config.json); "
                "choose a new or empty folder with --out."
            )
        return None
    try:
        old = RunConfig.from_dict(previous)
    except ParameterError as exc:
        raise OutputError(f"{store.root} holds a run this version cannot resume: {exc}") from None
    if old != config and not update:
        diff = "; ".join(config.differences(old))
        raise OutputError(
            f"{store.root} already holds a different run ({diff}). Choose another --out, repeat that run's "
            "exact options to resume it, or pass --update to change its config (unchanged tasks are kept)."
        )
    return previous


def write_config(
    store: RunStore, config: RunConfig, n_series: int, execution: dict[str, Any], previous: dict[str, Any] | None
) -> None:
    """``config.json``: the RunConfig, resolved parameters, and one entry per session that wrote to the folder."""
    env = environment()
    sessions = list((previous or {}).get("sessions", []))
    sessions.append({"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), **execution, **env})
    write_json(
        store.root / "config.json",
        {**config.to_dict(), "n_series": n_series, "resolved": _resolved(config), "sessions": sessions},
    )


def run(
    config: RunConfig,
    store: RunStore,
    executor: Executor | None = None,
    *,
    data_dir: str | None = None,
    progress: bool = False,
    update: bool = False,
    execution: dict[str, Any] | None = None,
    series: list[Series] | None = None,
    in_flight: int = 4,
) -> RunResult:
    """Run every task of ``config`` not already done in ``store`` on ``executor``, then evaluate and summarise."""
    series = load_series(config, data_dir=data_dir, progress=progress) if series is None else series
    tasks = plan(config.rows, config.seeds, series)
    previous = prepare_folder(store, config, update=update)
    write_config(store, config, len(series), execution or {}, previous)
    done_before = sum(is_done(store, t) is not None for t in tasks)
    bar = Progress(len(tasks), initial=done_before, enabled=progress)
    try:
        records = run_tasks(
            store,
            tasks,
            executor,
            on_done=lambda t, r: bar.update(t.label, r.get("status") == "ok"),
            in_flight=in_flight,
        )
    finally:
        bar.close()
    return finish(store, config, series, tasks, records)


def _post_scores(row: DetectorSpec, raw: np.ndarray, series: Series, n_warmup: int) -> np.ndarray:
    """The row's post-processors applied in order, each fitted on the training part's (post-warm-up) scores."""
    scores = raw
    for p in row.post:
        pp = registry.get_postprocessor_class(p.name)(**p.params)
        pp.fit(scores[min(n_warmup, series.train_end) : series.train_end])
        scores = np.asarray(pp.transform(scores), dtype=np.float64)
    return scores


def _applies(config: RunConfig) -> Any:
    def applies(fam: catalog.MetricFamily, dataset: str) -> bool:
        return not fam.dataset_specific or fam.key in registry.get_dataset(dataset).metric_families

    return applies


def published_rows(config: RunConfig) -> pd.DataFrame | None:
    """Published results of the run's datasets whose own metric families the run computed."""
    frames = []
    for ds in config.datasets:
        entry = registry.get_dataset(ds.name)
        if entry.published and set(entry.metric_families) & set(config.metrics):
            frames.append(registry.resolve(entry.published, "published results")())
    return pd.concat(frames, ignore_index=True) if frames else None


def finish(
    store: RunStore,
    config: RunConfig,
    series: list[Series],
    tasks: list[Task],
    records: list[dict[str, Any]],
    *,
    threshold: ThresholdStrategy | None = None,
    metrics: tuple[str, ...] | None = None,
) -> RunResult:
    """Evaluate every row from the stored raw scores, write ``metrics.csv`` and the summary files."""
    by_key = {t.key: (t, r) for t, r in zip(tasks, records, strict=True)}
    strategy = threshold or config.threshold
    families = catalog.resolve(list(metrics or config.metrics))
    items: list[Scored] = []
    for row in config.rows:
        for seed in config.seeds:
            for s in series:
                task, rec = by_key[make_task(row, seed, s).key]
                if rec.get("status") != "ok":
                    continue
                raw = store.read_scores(store.score_path(task.slot))
                n_warmup = int(rec.get("n_warmup", 0))
                scores = _post_scores(row, raw, s, n_warmup) if row.post else raw
                items.append(Scored(row.alias, seed, s, scores, n_warmup, rec))
    frame = evaluate(items, families, strategy=strategy, applies=_applies(config))
    write_frame(store.root / "metrics.csv", frame)
    published = published_rows(config) if metrics is None or set(metrics) == set(config.metrics) else None
    table = summary_table(frame, published)
    write_summary(store.root, table, strategy, [r for r in records if r.get("status") != "ok"], published is not None)
    return RunResult(config, store, records, frame, table)


def read_config(store: RunStore) -> RunConfig:
    """The RunConfig saved in a run folder."""
    saved = store.config()
    if saved is None:
        raise OutputError(f"{store.root} has no config.json: not a run folder written by 'bench run'.")
    return RunConfig.from_dict(saved)


def evaluate_run(
    store: RunStore,
    *,
    data_dir: str | None = None,
    progress: bool = False,
    metrics: tuple[str, ...] | None = None,
    threshold: ThresholdStrategy | None = None,
) -> RunResult:
    """Metrics and summary again from a run folder's stored scores (other metric families or threshold)."""
    config = read_config(store)
    series = load_series(config, data_dir=data_dir, progress=progress)
    tasks = plan(config.rows, config.seeds, series)
    records: list[dict[str, Any]] = []
    missing = []
    for t in tasks:
        rec = store.read_task(store.task_path(t.slot))
        if (
            rec is None
            or rec.get("key") != t.key
            or (rec.get("status") == "ok" and not store.score_path(t.slot).exists())
        ):
            missing.append(t)
            continue
        records.append(rec)
    if missing:
        raise DataError(
            f"{len(missing)} of {len(tasks)} tasks of {store.root} have no stored result for this code and data "
            f"(e.g. {missing[0].label}); run `python -m bench run --out {store.root}` with the same options first."
        )
    return finish(store, config, series, tasks, records, threshold=threshold, metrics=metrics)
