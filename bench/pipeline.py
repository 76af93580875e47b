"""The pipeline: orchestrate ``run`` (prepare, execute, evaluate) and ``evaluate`` (stored scores to metrics again).

``run`` = load the series + plan the tasks + size an executor from the
:class:`RunOptions` + execute what is not cached + :func:`bench.finish.finish`;
``evaluate_run`` turns a run folder's stored scores into metrics again
without running any detector, reading the folder's saved ``RunConfig``. Each
step lives in its own module (:mod:`bench.loading`, :mod:`bench.prepare`,
:mod:`bench.runner`, :mod:`bench.runfolder`, :mod:`bench.finish`); the command
line (:mod:`bench.cli`) only builds a config and options and calls these.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import registry
from bench.backends import DEFAULT_TASK_TIMEOUT, check_jobs, check_scheduler, check_timeout, make_executor
from bench.config import DetectorSpec, PostSpec, RunConfig, dataset_spec, disambiguate, resolve_metrics
from bench.dispatch import pending, run_tasks
from bench.errors import OutputError, ParameterError
from bench.evaluate import PerSeries
from bench.finish import RunResult, finish
from bench.loading import count_series, load_series
from bench.metrics.thresholds import ThresholdStrategy
from bench.prepare import check_out, preflight, prepare_folder, write_config
from bench.progress import Progress
from bench.records import TaskRecord
from bench.results import RunLock, RunStore, environment, remove_partial_files, safe_component, write_json
from bench.runfolder import read_config, stored_records
from bench.runner import Task, check_task_count, plan
from bench.series import Series

__all__ = ["RunOptions", "RunResult", "evaluate_run", "evaluate_score_files", "run"]


@dataclass(frozen=True)
class RunOptions:
    """How a run executes: none of it changes a result, so none of it is in the :class:`RunConfig`.

    Parameters
    ----------
    jobs
        Worker processes (or Dask workers), never more than the tasks; None: one per core, 1 for runs under 8
        tasks. Even one worker isolates the run from a detector that crashes its process; 0 runs the tasks in
        this process (no isolation: for debuggers and profilers).
    backend
        ``processes`` (local worker processes) or ``dask``.
    scheduler
        An existing Dask cluster's address (implies ``backend="dask"``).
    task_timeout
        Seconds one task may take before it is stopped and recorded as failed.
    in_flight
        Tasks submitted ahead of the finished ones; None: twice the width for worker processes, the width
        for Dask.
    fail_fast
        Stop at the first failed task.
    force
        Recompute every task, even those stored with the same key.
    retry_failed
        Rerun the tasks stored as failed (otherwise a failure is final for its key).
    update
        Let an existing run folder change its config (tasks whose key is unchanged are kept).
    max_tasks
        Refuse a run of more tasks than this, counted before any series or task is built (None: no limit;
        the command line's ``--max-tasks`` sets it).
    progress
        Show progress bars.
    """

    jobs: int | None = None
    backend: str = "processes"
    scheduler: str | None = None
    task_timeout: float | None = DEFAULT_TASK_TIMEOUT
    in_flight: int | None = None
    fail_fast: bool = False
    force: bool = False
    retry_failed: bool = False
    update: bool = False
    max_tasks: int | None = None
    progress: bool = False

    def __post_init__(self) -> None:
        check_jobs(self.jobs)
        check_timeout(self.task_timeout)
        check_scheduler(self.scheduler)
        if self.in_flight is not None and (isinstance(self.in_flight, bool) or self.in_flight < 1):
            raise ParameterError(f"in_flight must be an integer >= 1; got {self.in_flight!r}.")
        if self.max_tasks is not None and (isinstance(self.max_tasks, bool) or self.max_tasks < 1):
            raise ParameterError(f"--max-tasks must be an integer >= 1; got {self.max_tasks!r}.")

    def in_flight_for(self, width: int) -> int:
        """Tasks to keep submitted for an executor of ``width`` workers."""
        if self.in_flight is not None:
            return self.in_flight
        return width if self.backend == "dask" or self.scheduler else 2 * width


def run(
    config: RunConfig,
    store: RunStore,
    options: RunOptions | None = None,
    *,
    data_dir: str | None = None,
    series: list[Series] | None = None,
    command: str = "run",
) -> RunResult:
    """Run every task of ``config`` not already done in ``store``, then evaluate and summarise.

    The executor is built here from ``options``, sized by the number of
    planned tasks. The folder is locked for the whole run (one writer);
    temporary files a killed run left behind are removed first. ``series``
    skips loading them again; ``command`` is recorded in the folder's
    ``config.json`` session entry.
    """
    options = options or RunOptions()
    if series is None:
        counted, exact = count_series(config)  # refuse a run too big before its series are built
        check_task_count(config.rows, config.seeds, counted, options.max_tasks, exact=exact)
        series = load_series(config, data_dir=data_dir, progress=options.progress)
    check_task_count(config.rows, config.seeds, len(series), options.max_tasks)
    preflight(config, series)
    tasks = plan(config.rows, config.seeds, series)
    context, width, where = make_executor(
        options.jobs,
        len(tasks),
        backend=options.backend,
        scheduler=options.scheduler,
        task_timeout=options.task_timeout,
    )
    with context as executor:
        check_out(store)
        with RunLock(store.root):
            remove_partial_files(store.root)
            previous = prepare_folder(store, config, update=options.update)
            write_config(store, config, series, {"command": command, "jobs": width, "backend": where}, previous)
            per_series = PerSeries(config.threshold, tuple(config.metrics)) if _raw_rows(config) else None
            records = _execute(store, tasks, executor, options, options.in_flight_for(width), per_series)
            return finish(store, config, series, tasks, records)


def _raw_rows(config: RunConfig) -> bool:
    """Whether a row of ``config`` is a detector's raw scores (no post-processing): the workers then evaluate them."""
    return any(not row.post for row in config.rows)


def _execute(
    store: RunStore,
    tasks: list[Task],
    executor: Executor | None,
    options: RunOptions,
    in_flight: int,
    per_series: PerSeries | None = None,
) -> list[TaskRecord]:
    """:func:`bench.runner.run_tasks` with a progress bar that starts at the tasks already done."""
    done = pending(store, tasks, force=options.force, retry_failed=options.retry_failed)
    bar = Progress(len(tasks), initial=len(done[0]), enabled=options.progress)
    try:
        return run_tasks(
            store,
            tasks,
            executor,
            on_done=lambda t, r: bar.update(t.label, r.ok),
            in_flight=in_flight,
            timeout=options.task_timeout,
            force=options.force,
            retry_failed=options.retry_failed,
            fail_fast=options.fail_fast,
            per_series=per_series,
            done=done,
        )
    finally:
        bar.close()


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


def with_post(config: RunConfig, chains: list[list[str]]) -> RunConfig:
    """``config`` with, for every row, one more row per post-processing chain (``lstm`` -> ``lstm+likelihood``).

    A chain that would apply a post-processor twice to a row (``lstm+likelihood`` and ``--post likelihood``, or
    ``--post likelihood+likelihood``) is refused (:class:`ParameterError`).
    """
    extra = []
    for chain in chains:
        for name in chain:
            registry.get_postprocessor_class(name)  # unknown names fail with the list
        for row in config.rows:
            names = [p.name for p in row.post] + list(chain)
            again = next((n for i, n in enumerate(names) if n in names[:i]), None)
            if again is not None:
                raise ParameterError(
                    f"--post {'+'.join(chain)}: row {row.alias!r} would get {again!r} twice "
                    f"({row.alias}+{'+'.join(chain)}); a post-processor is applied once. --post adds the chain "
                    "to every row of the run: choose one that no row has yet, or run the rows you want with "
                    "DETECTOR+POST."
                )
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
        resolve_metrics(metrics, config.datasets)  # unknown names, and families that apply to none of its datasets
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
            root=store.root,
        )
    result.out = out
    return result


def evaluate_score_files(
    scores_dir: Path,
    datasets: list[str],
    metrics: list[str],
    *,
    data_dir: str | None = None,
    progress: bool = False,
    match: str = "timestamps",
) -> dict[str, Any]:
    """Score a folder of external score files laid out like NAB's results against ``datasets``' labels.

    Only NAB's layout and score (``datasets == metrics == ["nab"]``) are supported for now. ``match``:
    ``timestamps`` (each file's rows checked against the series') or ``rows`` (by position, as NAB's
    scorer; :func:`bench.scorefiles.read_score_dir`).
    """
    from bench.scorefiles import check_match, evaluate_nab_dir

    if metrics != ["nab"] or datasets != ["nab"]:
        raise ParameterError("Scoring a folder of external scores supports --dataset nab --metrics nab for now.")
    check_match(match)  # before loading the series
    series = load_series(RunConfig((), (dataset_spec("nab"),)), data_dir=data_dir, progress=progress)
    return evaluate_nab_dir(scores_dir, series, match=match)
