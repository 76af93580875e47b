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
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench import registry
from bench.config import DetectorSpec, RunConfig
from bench.errors import DataError, OutputError, ParameterError, UnknownNameError
from bench.estimator import Estimator
from bench.evaluate import Scored, evaluate
from bench.metrics import catalog
from bench.metrics.thresholds import ThresholdStrategy
from bench.progress import Progress
from bench.report.summary import summary_table, write_summary
from bench.results import (
    RunLock,
    RunStore,
    environment,
    remove_partial_files,
    safe_component,
    write_frame,
    write_json,
)
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
    out: Path | None = None  # where the metrics and summary were written (the run folder, or an evaluation's)

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
                "seed_param": registry.detector_entry(row.name).seed_param,
                "code_version": code_version(cls),
                "post": [p.to_dict() for p in row.post],
            }
        )
    return out


def prepare_folder(store: RunStore, config: RunConfig, *, update: bool = False) -> dict[str, Any] | None:
    """Check that ``store`` may hold this run; return its previous ``config.json`` (None for a new folder).

    A run folder of another config is refused unless ``update`` (then
    finished tasks whose key is unchanged are kept and only the rest runs).
    Call :func:`check_out` before taking the folder's lock.
    """
    previous = store.config()
    if previous is None:
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


DATA_FILE_KEYS = ("sha256", "git_blob", "file", "revision", "path", "repairs", "train")
"""Series metadata recorded in ``config.json``: the files a series was read from, their hashes, the repairs."""


def data_record(series: list[Series]) -> dict[str, Any]:
    """Per series: its fingerprint and, where the loader recorded them, the files it read, their hashes, repairs.

    A user's file (``metadata["path"]``) without a recorded hash is hashed here,
    so a run says exactly which bytes it read.
    """
    from bench.datasets.download import sha256_file

    out: dict[str, Any] = {}
    for s in series:
        entry: dict[str, Any] = {"fingerprint": s.fingerprint(), "n": len(s), "channels": s.n_channels}
        entry.update({k: s.metadata[k] for k in DATA_FILE_KEYS if k in s.metadata})
        path = s.metadata.get("path")
        if path and "sha256" not in entry and Path(str(path)).is_file():
            entry["sha256"] = sha256_file(str(path))
        out[s.key] = entry
    return out


def write_config(
    store: RunStore, config: RunConfig, series: list[Series], execution: dict[str, Any], previous: dict[str, Any] | None
) -> None:
    """``config.json``: the RunConfig, resolved parameters, the data read, and one entry per writing session."""
    env = environment()
    sessions = list((previous or {}).get("sessions", []))
    sessions.append({"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), **execution, **env})
    write_json(
        store.root / "config.json",
        {
            **config.to_dict(),
            "n_series": len(series),
            "resolved": _resolved(config),
            "data": data_record(series),
            "sessions": sessions,
        },
    )


def preflight(config: RunConfig) -> None:
    """Catch bad parameters before any task runs: build every detector and check its hyperparameters.

    A ``window_size=-5`` would otherwise fail every task one by one. Checks
    are :meth:`bench.estimator.Estimator.check_params`; a duck-typed plug-in
    (not an :class:`~bench.estimator.Estimator`) has none and is checked by its own ``fit``.
    """
    for row in config.rows:
        det = registry.make_detector(row.name, resolved_params(row.raw), seed=config.seeds[0])
        if isinstance(det, Estimator):
            try:
                det.check_params()
            except ParameterError as exc:
                raise ParameterError(f"{row.alias}: {exc}") from None
        for p in row.post:
            pp = registry.get_postprocessor_class(p.name)(**p.params)
            if isinstance(pp, Estimator):
                pp.check_params()


def check_out(store: RunStore) -> None:
    """Refuse a folder that exists, is not empty and is not a run folder (a run never overwrites your files)."""
    root = store.root
    ours = {".lock"}  # a run's lock file alone (a run starting, or killed before writing) is not the user's
    if (
        root.exists()
        and store.config() is None
        and (not root.is_dir() or any(p.name not in ours for p in root.iterdir()))
    ):
        raise OutputError(
            f"{root} exists and is not a bench run folder (no config.json); choose a new or empty folder with --out."
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
    timeout: float | None = None,
    force: bool = False,
    retry_failed: bool = False,
    fail_fast: bool = False,
) -> RunResult:
    """Run every task of ``config`` not already done in ``store`` on ``executor``, then evaluate and summarise.

    The folder is locked for the whole run (one writer); temporary files a
    killed run left behind are removed first.
    """
    series = load_series(config, data_dir=data_dir, progress=progress) if series is None else series
    preflight(config)
    tasks = plan(config.rows, config.seeds, series)
    check_out(store)
    with RunLock(store.root):
        remove_partial_files(store.root)
        previous = prepare_folder(store, config, update=update)
        write_config(store, config, series, execution or {}, previous)
        done_before = 0 if force else sum(is_done(store, t, retry_failed=retry_failed) is not None for t in tasks)
        bar = Progress(len(tasks), initial=done_before, enabled=progress)
        try:
            records = run_tasks(
                store,
                tasks,
                executor,
                on_done=lambda t, r: bar.update(t.label, r.get("status") == "ok"),
                in_flight=in_flight,
                timeout=timeout,
                force=force,
                retry_failed=retry_failed,
                fail_fast=fail_fast,
            )
        finally:
            bar.close()
        return finish(store, config, series, tasks, records)


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


def scored_items(
    store: RunStore, config: RunConfig, series: list[Series], tasks: list[Task], records: list[dict[str, Any]]
) -> tuple[list[Scored], dict[tuple[str, str, int], list[int]]]:
    """Every row's scores on every series and seed from the stored raw scores (post-processors applied).

    Also returns, per ``(dataset, row, seed)``, ``[series ok, series in all]`` (failed tasks give no item).
    """
    by_key = {t.key: (t, r) for t, r in zip(tasks, records, strict=True)}
    items: list[Scored] = []
    counts: dict[tuple[str, str, int], list[int]] = {}
    for row in config.rows:
        for seed in config.seeds:
            for s in series:
                task, rec = by_key[make_task(row, seed, s).key]
                count = counts.setdefault((s.dataset, row.alias, seed), [0, 0])
                count[1] += 1
                if rec.get("status") != "ok":
                    continue
                count[0] += 1
                raw = store.read_scores(store.score_path(task.slot))
                scores, n_warmup = post_scores(row, raw, s, int(rec.get("n_warmup", 0)))
                items.append(Scored(row.alias, seed, s, scores, n_warmup, rec))
    return items, counts


FAILURE_COLUMNS = ["dataset", "series", "detector", "params", "seed", "failure", "error", "task"]


def failures_frame(tasks: list[Task], records: list[dict[str, Any]], root: Any) -> pd.DataFrame:
    """One row per failed task (machine-readable ``failures.csv``)."""
    rows = [
        (
            t.series.dataset,
            t.series.name,
            t.detector.name,
            t.slot.detector_dir,
            t.seed,
            r.get("failure", "exception"),
            r.get("error", ""),
            str(RunStore(root).task_path(t.slot).relative_to(root)),
        )
        for t, r in zip(tasks, records, strict=True)
        if r.get("status") != "ok"
    ]
    return pd.DataFrame(rows, columns=FAILURE_COLUMNS)


def finish(
    store: RunStore,
    config: RunConfig,
    series: list[Series],
    tasks: list[Task],
    records: list[dict[str, Any]],
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
    incomplete = {k for k, (ok, total) in counts.items() if ok < total}
    frame = evaluate(items, families, strategy=strategy, applies=_applies(config), incomplete=incomplete)
    count_rows = [
        (ds, "", "count", row, seed, m, float(v))
        for (ds, row, seed), (ok, total) in counts.items()
        for m, v in (("series_ok", ok), ("series_failed", total - ok))
    ]
    frame = pd.concat([frame, pd.DataFrame(count_rows, columns=frame.columns)], ignore_index=True)
    write_frame(out / "metrics.csv", frame)
    write_frame(out / "failures.csv", failures_frame(tasks, records, store.root))
    published = published_rows(config) if metrics is None or set(metrics) == set(config.metrics) else None
    table = summary_table(frame, published)
    failed = [r for r in records if r.get("status") != "ok"]
    write_summary(out, table, strategy, failed, incomplete=_incomplete_notes(counts, families))
    return RunResult(config, store, records, frame, table, out)


def _incomplete_notes(counts: dict[tuple[str, str, int], list[int]], families: list[catalog.MetricFamily]) -> list[str]:
    corpus = [f.key for f in families if f.corpus is not None]
    notes = []
    for (ds, row, seed), (ok, total) in counts.items():
        if ok < total:
            extra = f"; no corpus-level score ({', '.join(corpus)}) on an incomplete corpus" if corpus else ""
            notes.append(f"{row} (seed {seed}) on {ds}: {total - ok} of {total} series failed{extra}")
    return notes


def read_config(store: RunStore) -> RunConfig:
    """The RunConfig saved in a run folder."""
    saved = store.config()
    if saved is None:
        raise OutputError(f"{store.root} has no config.json: not a run folder written by 'bench run'.")
    return RunConfig.from_dict(saved)


def evaluation_name(
    metrics: tuple[str, ...] | None,
    threshold: ThresholdStrategy | None,
    config: RunConfig,
    post: list[list[str]] | None = None,
) -> str:
    """A folder name for an evaluation's settings: ``quantile-0.5``, ``train_mean_std-3_auc+vus``.

    The threshold spec, then the metric families when they differ from the run's.
    """
    name = (threshold or config.threshold).spec().replace(":", "-")
    if metrics is not None and tuple(metrics) != config.metrics:
        name += "_" + "+".join(metrics)
    if post:
        name += "_post-" + ",".join("+".join(c) for c in post)
    return safe_component(name)


def stored_records(store: RunStore, tasks: list[Task], *, strict: bool = True) -> list[dict[str, Any]]:
    """The stored record of every task, which must exist for the current code and data (else a clear error).

    ``strict=False`` (reports): whatever record a task's slot holds, even one
    computed with older code, and a "missing" record for a task that has none.
    """
    records: list[dict[str, Any]] = []
    missing = []
    for t in tasks:
        rec = store.read_task(store.task_path(t.slot))
        lost = rec is not None and rec.get("status") == "ok" and not store.score_path(t.slot).exists()
        if not strict:
            records.append(rec if rec is not None and not lost else {"status": "missing"})
            continue
        if rec is None or rec.get("key") != t.key or lost:
            missing.append(t)
            continue
        records.append(rec)
    if missing:
        raise DataError(
            f"{len(missing)} of {len(tasks)} tasks of {store.root} have no stored result for this code and data "
            f"(e.g. {missing[0].label}); run `python -m bench run --out {store.root}` with the same options first."
        )
    return records


def with_post(config: RunConfig, chains: list[list[str]]) -> RunConfig:
    """``config`` with, for every row, one more row per post-processing chain (``lstm`` -> ``lstm+likelihood``)."""
    from dataclasses import replace

    from bench.config import PostSpec, disambiguate

    extra = []
    for chain in chains:
        for name in chain:
            registry.get_postprocessor_class(name)  # unknown names fail with the list
        for row in config.rows:
            post = row.post + tuple(PostSpec(n) for n in chain)
            extra.append(DetectorSpec(row.name, row.params, row.alias + "".join(f"+{n}" for n in chain), post))
    return replace(config, detectors=disambiguate(config.rows + tuple(extra)), baselines=False)


def evaluate_run(
    store: RunStore,
    *,
    data_dir: str | None = None,
    progress: bool = False,
    metrics: tuple[str, ...] | None = None,
    threshold: ThresholdStrategy | None = None,
    name: str | None = None,
    overwrite: bool = False,
    post: list[list[str]] | None = None,
) -> RunResult:
    """Evaluate a run folder's stored scores again (other metric families or threshold), without running detectors.

    The result goes to ``<run>/evaluations/<name>/`` (``metrics.csv``,
    ``failures.csv``, the summary files and ``evaluation.json`` with the
    settings), never over the run's own files; an existing evaluation of that
    name is refused unless ``overwrite``. Every task must have a stored result
    for the current code and data (else the run must be resumed first).
    ``post`` adds, beside every row, that row with each post-processing chain
    applied to its stored raw scores (no detector runs).
    """
    config = read_config(store)
    if post:
        config = with_post(config, post)
    if metrics is not None:
        catalog.resolve(list(metrics))
    series = load_series(config, data_dir=data_dir, progress=progress)
    tasks = plan(config.rows, config.seeds, series)
    records = stored_records(store, tasks)
    name = safe_component(name) if name else evaluation_name(metrics, threshold, config, post)
    out = store.root / "evaluations" / name
    with RunLock(store.root):
        if out.exists() and not overwrite:
            raise OutputError(f"{out} already exists; pass --overwrite to replace it, or --name to keep both.")
        result = finish(store, config, series, tasks, records, threshold=threshold, metrics=metrics, out=out)
        write_json(
            out / "evaluation.json",
            {
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "threshold": (threshold or config.threshold).spec(),
                "metrics": list(metrics or config.metrics),
                "post": ["+".join(c) for c in post or []],
                "config": config.to_dict(),
                "environment": environment(),
            },
        )
    result.out = out
    return result
