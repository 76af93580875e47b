"""The runner: fit and score every (detector, seed, series) task, store scores, survive crashes.

Training protocol (the runner's, not the detector's): each detector is fit on
the series' training part (``series.train``: NAB's probationary period, the
generator's clean prefix) and scores the whole series. A detector that
raises on one series is recorded as a failed task and the run goes on; a
task already complete in the run folder is not run again (resume).
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any

from tqdm import tqdm

from bench.errors import BenchError
from bench.registry import make_detector
from bench.results import RunStore, write_json
from bench.series import Series

SEED_PARAMS = ("seed", "random_state")


@dataclass(frozen=True)
class DetectorSpec:
    """A detector as the user named it, with hyperparameters overriding its defaults."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    detector: DetectorSpec
    seed: int
    series: Series

    @property
    def label(self) -> str:
        return f"{self.detector.name} seed={self.seed} {self.series.key}"


def build_detector(spec: DetectorSpec, seed: int) -> Any:
    """Instantiate with the run's seed given to whichever seed parameter the detector has."""
    det = make_detector(spec.name, spec.params)
    for p in SEED_PARAMS:
        if p in det.get_params():
            det.set_params(**{p: seed})
    return det


def execute(task: Task, store: RunStore) -> dict[str, Any]:
    """Run one task and write its scores and record; never raises for a detector's failure."""
    s = task.series
    record: dict[str, Any] = {
        "detector": task.detector.name,
        "seed": task.seed,
        "dataset": s.dataset,
        "series": s.name,
        "n_points": len(s),
        "train_end": s.train_end,
    }
    try:
        det = build_detector(task.detector, task.seed)
        t0 = time.perf_counter()
        det.fit(s.train)
        t1 = time.perf_counter()
        scores = det.score(s.values)
        t2 = time.perf_counter()
    except BenchError as exc:
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a detector bug must not end the run; keep the traceback
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    else:
        store.write_scores(
            store.score_path(task.detector.name, task.seed, s.dataset, s.name), scores, s.labels, s.timestamps
        )
        record.update(
            status="ok",
            fit_seconds=t1 - t0,
            score_seconds=t2 - t1,
            us_per_point=(t2 - t1) / len(s) * 1e6,
            n_warmup=int(getattr(det, "n_warmup_", 0)),
            epochs_run=getattr(det, "epochs_run_", None),
        )
    write_json(store.task_path(task.detector.name, task.seed, s.dataset, s.name), record)
    return record


def _init_worker() -> None:  # pragma: no cover - runs in a child process
    """One thread per worker process, and Ctrl-C left to the parent.

    The processes are the parallelism (torch reads the thread variables at
    import). A Ctrl-C in a terminal reaches every process of the group; the
    workers ignore it so that the task each is running finishes and is
    saved, while the parent cancels the tasks not yet started.
    """
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _execute_in_worker(task: Task, root: str) -> dict[str, Any]:
    return execute(task, RunStore(root))  # pragma: no cover - runs in a child process


def default_jobs(n_tasks: int) -> int:
    """Worker processes when the user does not say: one per core, or 1 for small runs (< 8 tasks)."""
    return max(1, min(os.cpu_count() or 1, n_tasks)) if n_tasks >= 8 else 1


def run_tasks(
    store: RunStore,
    tasks: list[Task],
    *,
    jobs: int | None = None,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Run every task not already complete in ``store``; return all task records in task order.

    ``jobs`` worker processes (default :func:`default_jobs`), each limited to
    one thread; with ``jobs=1`` everything runs in this process.
    """
    records: dict[int, dict[str, Any]] = {}
    todo: list[int] = []
    for i, t in enumerate(tasks):
        prev = store.read_task(store.task_path(t.detector.name, t.seed, t.series.dataset, t.series.name))
        score_file = store.score_path(t.detector.name, t.seed, t.series.dataset, t.series.name)
        if prev and prev.get("status") == "ok" and score_file.exists():
            records[i] = prev
        else:
            todo.append(i)
    bar = tqdm(
        total=len(tasks),
        initial=len(tasks) - len(todo),
        disable=not progress,
        unit="series",
        desc="run",
        file=sys.stderr,
        dynamic_ncols=True,
    )
    jobs = default_jobs(len(todo)) if jobs is None else jobs
    try:
        if jobs <= 1:
            for i in todo:
                bar.set_postfix_str(tasks[i].label, refresh=False)
                records[i] = execute(tasks[i], store)
                bar.update()
        else:
            pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=_init_worker)
            try:
                futures = {pool.submit(_execute_in_worker, tasks[i], str(store.root)): i for i in todo}
                for fut in as_completed(futures):
                    records[futures[fut]] = fut.result()
                    bar.update()
            except BaseException:
                # interrupted (or a worker died): drop the queued tasks, let the running ones finish
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
    finally:
        bar.close()
    return [records[i] for i in range(len(tasks))]
