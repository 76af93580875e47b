"""The runner: tasks keyed by what changes their result, run on any executor, stored as soon as each finishes.

A task is one detector (with its full, resolved parameters) on one series
with one seed. Its **key** is a SHA-256 over the detector's name, its full
parameters, the seed, the detector's code version, the dataset, the series'
name and the series' fingerprint (its values, labels, timestamps, events and
split). The key decides reuse: a run folder keeps each finished task's
scores and record (which holds the key), and a rerun reuses a task only when
the stored key equals the new one. Raw scores live under
``<detector>-<params hash>/seed<k>/`` (:class:`bench.results.Slot`), so two
parameter sets of one detector coexist.

Code version: the SHA-256 of the source files of the detector's module and
of the modules of the same top-level package that it uses directly (its base
class, helpers such as ``_torch.py``); editing any of them invalidates that
detector's cached tasks. Nothing else in the package does.

Training protocol (the runner's, not the detector's): each detector is fit on
the series' training part (``series.train``) and scores the whole series.
Timed regions hold the detector's own ``fit`` and ``score`` only: before a
detector class's first task in a process, :func:`warm_up` pays its imports
and library start-up untimed, so every process records comparable times. A
detector that raises on one series is recorded as a failed task and the run
goes on.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench import registry
from bench.backends import PoolBroken, TaskTimeout, WorkerDied
from bench.config import DetectorSpec
from bench.detectors.base import Detector
from bench.errors import BenchError, FailFastError, ParameterError
from bench.records import FailureKind, TaskRecord
from bench.results import RunStore, Slot, safe_component
from bench.series import Series


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, default=repr, separators=(",", ":"))


def resolved_params(spec: DetectorSpec) -> dict[str, Any]:
    """The detector's full hyperparameters: its defaults updated with the spec's (the seed parameter left out)."""
    cls = registry.get_detector_class(spec.name)
    seed_name = registry.seed_param(cls)
    full = {k: p.default for k, p in registry.parameters(cls).items() if k != seed_name}
    full.update(spec.params)
    return full


_CODE_VERSIONS: dict[type, str] = {}


def code_version(cls: type) -> str:
    """SHA-256 (first 16 hex digits) of the sources a detector class runs (see the module docstring)."""
    if cls not in _CODE_VERSIONS:
        _CODE_VERSIONS[cls] = _code_version(cls)
    return _CODE_VERSIONS[cls]


def _code_version(cls: type) -> str:
    module = sys.modules[cls.__module__]
    top = cls.__module__.split(".")[0]
    modules = {module}
    for base in cls.__mro__:
        modules.add(sys.modules.get(base.__module__, module))
    for value in vars(module).values():
        owner = value if inspect.ismodule(value) else sys.modules.get(getattr(value, "__module__", None) or "")
        if owner is not None and owner.__name__.split(".")[0] == top:
            modules.add(owner)
    h = hashlib.sha256()
    for m in sorted((m for m in modules if m.__name__.split(".")[0] == top), key=lambda m: m.__name__):
        try:
            source = inspect.getsource(m)
        except (OSError, TypeError):  # a module without source (built in, compiled): its name and version
            source = f"{m.__name__} {getattr(m, '__version__', '')}"
        h.update(m.__name__.encode())
        h.update(source.encode())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Task:
    """One detector (raw, without post-processing) on one series with one seed."""

    detector: DetectorSpec
    params: dict[str, Any]
    seed: int
    series: Series
    key: str
    slot: Slot
    code_version: str

    @property
    def label(self) -> str:
        return f"{self.detector.alias} seed={self.seed} {self.series.key}"


@dataclass(frozen=True)
class _Resolved:
    params: dict[str, Any]
    version: str
    detector_dir: str


_RESOLVED: dict[str, _Resolved] = {}


def _resolve(raw: DetectorSpec) -> _Resolved:
    """Full parameters, code version and folder of a raw detector spec (cached: a grid has many tasks per spec)."""
    cache_key = _canonical({"detector": raw.name, "params": dict(raw.params)})
    if cache_key not in _RESOLVED:
        params = resolved_params(raw)
        version = code_version(registry.get_detector_class(raw.name))
        params_hash = hashlib.sha256(_canonical({"detector": raw.name, "params": params}).encode()).hexdigest()[:10]
        _RESOLVED[cache_key] = _Resolved(params, version, f"{safe_component(raw.name)}-{params_hash}")
    return _RESOLVED[cache_key]


def make_task(spec: DetectorSpec, seed: int, series: Series) -> Task:
    """The task with its key and its slot in a run folder (see the module docstring)."""
    raw = spec.raw
    r = _resolve(raw)
    params, version = r.params, r.version
    key = hashlib.sha256(
        _canonical(
            {
                "detector": raw.name,
                "params": params,
                "seed": seed,
                "code": version,
                "dataset": series.dataset,
                "series": series.name,
                "data": series.fingerprint(),
            }
        ).encode()
    ).hexdigest()
    slot = Slot(r.detector_dir, seed, series.dataset, series.name)
    return Task(raw, params, seed, series, key, slot, version)


def check_task_count(
    rows: tuple[DetectorSpec, ...], seeds: tuple[int, ...], n_series: int, max_tasks: int | None, *, exact: bool = True
) -> None:
    """Refuse a run of more than ``max_tasks`` tasks (None: no limit), counted without building them.

    Rows that share their raw scores (``lstm`` and ``lstm+likelihood``) count
    once, as :func:`plan` makes one task for them. ``exact=False``: ``n_series``
    is a lower bound (some datasets are not counted yet).
    """
    if max_tasks is None:
        return
    n_rows = len({_canonical({"detector": r.name, "params": dict(r.params)}) for r in rows})
    n_tasks = n_rows * len(seeds) * n_series
    if n_tasks > max_tasks:
        raise ParameterError(
            f"This run has {'' if exact else 'at least '}{n_tasks:,} tasks ({n_rows:,} detector rows x "
            f"{len(seeds)} seed(s) x {n_series:,} series), above --max-tasks {max_tasks:,}. "
            "Narrow the grid, the seeds or the series, or raise --max-tasks."
        )


def plan(rows: tuple[DetectorSpec, ...], seeds: tuple[int, ...], series: list[Series]) -> list[Task]:
    """Every distinct task the rows need (``lstm`` and ``lstm+likelihood`` share theirs), in a stable order."""
    tasks: dict[str, Task] = {}
    for spec in rows:
        for seed in seeds:
            for s in series:
                t = make_task(spec, seed, s)
                tasks.setdefault(t.key, t)
    return list(tasks.values())


class InvalidOutput(BenchError, ValueError):
    """A detector's ``score`` returned the wrong shape, non-numbers, NaN or infinity."""


def check_scores(scores: Any, n: int) -> np.ndarray:
    """A detector's output as ``(n,)`` finite float64, or :class:`InvalidOutput` saying what is wrong with it."""
    try:
        arr = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidOutput(f"score() returned something that is not numbers ({exc}).") from None
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.shape != (n,):
        raise InvalidOutput(f"score() returned shape {arr.shape} for a series of {n} points; expected ({n},).")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise InvalidOutput(
            f"score() returned {bad.size} non-finite values (first {arr[bad[0]]} at index {int(bad[0])}); "
            "scores must be finite."
        )
    return arr


@contextmanager
def _alarm(seconds: float | None) -> Iterator[None]:
    """Raise :class:`TaskTimeout` in this thread after ``seconds`` (main thread on Unix only; else no limit)."""
    usable = seconds and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def ring(signum: int, frame: Any) -> None:
        raise TaskTimeout(f"timed out after {seconds:g} s (--task-timeout)")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))  # type: ignore[arg-type]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def base_record(task: Task, **outcome: Any) -> TaskRecord:
    """The record of ``task``: its identity, and the ``outcome`` fields (``status`` and what goes with it)."""
    s = task.series
    return TaskRecord(
        key=task.key,
        detector=task.detector.name,
        params=task.params,
        seed=task.seed,
        seed_param=registry.seed_param(registry.get_detector_class(task.detector.name)),
        code_version=task.code_version,
        dataset=s.dataset,
        series=s.name,
        series_fingerprint=s.fingerprint(),
        n_points=len(s),
        train_end=s.train_end,
        **outcome,
    )


def failed_record(task: Task, exc: BaseException, kind: FailureKind, trace: str | None = None) -> TaskRecord:
    """The record of a task that failed: ``kind`` is exception, invalid_output, timeout or crash."""
    return base_record(task, status="failed", failure=kind, error=f"{type(exc).__name__}: {exc}", traceback=trace)


_WARMED: set[type] = set()
"""Detector classes warmed up in this process (module state: each worker process has its own)."""


def warm_up(det: Any, train: np.ndarray) -> None:
    """Run ``det``'s untimed warm-up (:meth:`~bench.detectors.base.Detector.warm_up`) once per class and process.

    Imports inside ``fit`` and one-time library start-up (torch, scikit-learn's
    first forest) would otherwise be charged to whichever task comes first
    in each process. A duck-typed plug-in (not a
    :class:`~bench.detectors.base.Detector`) has no warm-up and is timed as it is.
    """
    cls = type(det)
    if cls in _WARMED or not isinstance(det, Detector):
        return
    det.warm_up(train)
    _WARMED.add(cls)


def execute(task: Task, timeout: float | None = None) -> tuple[TaskRecord, np.ndarray | None]:
    """Fit and score one task; return its record and scores (None when it failed). Never raises for a detector.

    Runs wherever the executor puts it (this process, a worker process, a
    cluster node) and writes nothing: the runner stores the result. In this
    process ``timeout`` is enforced with ``SIGALRM``; worker pools enforce it
    by stopping the worker.
    """
    s = task.series
    try:
        with _alarm(timeout):
            det = registry.make_detector(task.detector.name, task.params, seed=task.seed)
            warm_up(det, s.train)
            t0 = time.perf_counter()
            det.fit(s.train)
            t1 = time.perf_counter()
            raw = det.score(s.values)
            t2 = time.perf_counter()
        scores = check_scores(raw, len(s))
    except TaskTimeout as exc:
        return failed_record(task, exc, "timeout"), None
    except InvalidOutput as exc:
        return failed_record(task, exc, "invalid_output"), None
    except BenchError as exc:
        return failed_record(task, exc, "exception"), None
    except Exception as exc:  # a detector bug must not end the run; keep the traceback
        return failed_record(task, exc, "exception", traceback.format_exc()), None
    record = base_record(
        task,
        status="ok",
        fit_seconds=t1 - t0,
        score_seconds=t2 - t1,
        us_per_point=(t2 - t1) / len(s) * 1e6,
        n_warmup=int(getattr(det, "n_warmup_", 0)),
        epochs_run=det.epochs_run_ if registry.detector_entry(task.detector.name).reports_epochs else None,
    )
    return record, scores


def store_result(store: RunStore, task: Task, record: TaskRecord, scores: np.ndarray | None) -> TaskRecord:
    """Scores first, then the record with their sha256 (which marks the task done); returns the record written."""
    return store.write_task(task.slot, record, scores, task.series)


def is_done(store: RunStore, task: Task, *, retry_failed: bool = True) -> TaskRecord | None:
    """The stored record of ``task`` when it has one with this exact key (and its scores, intact), else None.

    A failed task counts as done unless ``retry_failed`` (``--retry-failed``).
    """
    prev = store.read_task(store.task_path(task.slot))
    if prev is None or prev.key != task.key:
        return None
    if prev.ok:  # a score file replaced or edited since (sha256 differs) is recomputed
        return prev if store.scores_intact(task.slot, prev) else None
    return None if retry_failed else prev


def run_tasks(
    store: RunStore,
    tasks: list[Task],
    executor: Executor | None = None,
    *,
    on_done: Callable[[Task, TaskRecord], None] | None = None,
    in_flight: int = 4,
    timeout: float | None = None,
    force: bool = False,
    retry_failed: bool = False,
    fail_fast: bool = False,
) -> list[TaskRecord]:
    """Run every task not already done in ``store`` on ``executor``; store each result as it comes; return all.

    ``executor`` is any :class:`concurrent.futures.Executor` (local processes,
    a Dask client's executor, ...); ``None`` runs the tasks one by one in this
    process. At most ``in_flight`` tasks are submitted ahead, so an interrupt
    leaves little queued work and progress stays live. ``on_done(task,
    record)`` is called as each task finishes. ``force`` recomputes every
    task; ``retry_failed`` reruns the ones recorded as failed (otherwise a
    failure is final for its key). On Ctrl-C, the queued tasks are dropped and
    the running ones finish and are saved (a second Ctrl-C stops them).
    """
    records: dict[int, TaskRecord] = {}
    todo: list[int] = []
    for i, t in enumerate(tasks):
        prev = None if force else is_done(store, t, retry_failed=retry_failed)
        if prev is not None:
            records[i] = prev
        else:
            todo.append(i)

    def finished(i: int, record: TaskRecord, scores: np.ndarray | None) -> None:
        record = store_result(store, tasks[i], record, scores)
        records[i] = record
        if on_done:
            on_done(tasks[i], record)
        if fail_fast and not record.ok:
            raise FailFastError(f"--fail-fast: {tasks[i].label} failed: {record.error}")

    if executor is None:
        for i in todo:
            finished(i, *execute(tasks[i], timeout))
        return [records[i] for i in range(len(tasks))]

    own_timeout = timeout if not getattr(executor, "enforces_timeout", False) else None
    pending: dict[Future[Any], tuple[int, float]] = {}
    queue: Iterator[int] = iter(todo)

    def fill() -> None:
        while len(pending) < max(1, in_flight):
            i = next(queue, None)
            if i is None:
                return
            pending[executor.submit(execute, tasks[i])] = (i, time.monotonic())

    def collect(fut: Future[Any], i: int) -> None:
        try:
            record, scores = fut.result()
        except PoolBroken:
            raise  # the environment, not the task: nothing is recorded, the run stops with the reason
        except (TaskTimeout, WorkerDied) as exc:
            record, scores = failed_record(tasks[i], exc, "timeout" if isinstance(exc, TaskTimeout) else "crash"), None
        except Exception as exc:  # the executor lost the task (a remote worker died, ...)
            record, scores = failed_record(tasks[i], exc, "crash", traceback.format_exc()), None
        finished(i, record, scores)

    try:
        fill()
        while pending:
            done, _ = wait(list(pending), timeout=5.0 if own_timeout else None, return_when=FIRST_COMPLETED)
            for fut in done:
                i, _ = pending.pop(fut)
                collect(fut, i)
            if own_timeout:
                now = time.monotonic()
                for fut, (i, started) in list(pending.items()):
                    if now - started > own_timeout:  # from submission: at most a worker's worth are submitted
                        fut.cancel()
                        pending.pop(fut)
                        exc = TaskTimeout(f"timed out after {own_timeout:g} s (--task-timeout)")
                        finished(i, failed_record(tasks[i], exc, "timeout"), None)
            fill()
    except KeyboardInterrupt:
        running = [f for f in pending if not f.cancel()]
        if running:
            print(
                f"interrupted: waiting for {len(running)} running task(s) to finish and be saved "
                "(Ctrl-C again to stop them now)",
                file=sys.stderr,
                flush=True,
            )
            try:
                for fut in running:
                    wait([fut])
                    collect(fut, pending[fut][0])
            except KeyboardInterrupt:
                pass
        raise
    except BaseException:
        for fut in pending:
            fut.cancel()
        raise
    return [records[i] for i in range(len(tasks))]
