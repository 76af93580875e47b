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

Batches: small tasks travel to a worker together (:mod:`bench.dispatch`
cuts them), run one after the other there (:func:`execute_batch`), and come
back together, so the cost of
a submission, a result message and a disk sync is shared. Each task still
has its own timeout (``SIGALRM`` in the worker), its own record and its own
failure: a batch whose worker crashed or hung is sent again one task at a
time. The worker also computes the per-series metric values of the raw
scores (:class:`bench.evaluate.PerSeries`), returned in the record, so the
last stage only computes what needs every series (pooled and corpus values).
A detector class that declares ``fit_many`` is fitted once for all its tasks
of a batch that share parameters and seed (see :func:`execute_batch`).
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
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench import registry
from bench.backends import TaskTimeout
from bench.config import DetectorSpec
from bench.detectors.base import Detector
from bench.errors import BenchError, ParameterError
from bench.evaluate import PerSeries
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


Result = tuple[TaskRecord, "np.ndarray | None"]
"""What running a task gives: its record, and its scores (None when it failed)."""


def execute(
    task: Task,
    timeout: float | None = None,
    per_series: PerSeries | None = None,
    *,
    fitted: tuple[Any, float] | None = None,
) -> Result:
    """Fit and score one task; return its record and scores (None when it failed). Never raises for a detector.

    Runs wherever the executor puts it (this process, a worker process, a
    cluster node) and writes nothing: the runner stores the result. In this
    process ``timeout`` is enforced with ``SIGALRM``; worker pools enforce it
    by stopping the worker. With ``per_series``, the record of a task that
    succeeded carries its scores' per-series metric values (``metrics``).
    ``fitted``: the detector already fitted by its class's ``fit_many`` and
    the fit seconds charged to this task (:func:`execute_batch`).
    """
    s = task.series
    try:
        with _alarm(timeout):
            if fitted is None:
                det = registry.make_detector(task.detector.name, task.params, seed=task.seed)
                warm_up(det, s.train)
                t0 = time.perf_counter()
                det.fit(s.train)
                fit_seconds = time.perf_counter() - t0
            else:
                det, fit_seconds = fitted
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
    n_warmup = int(getattr(det, "n_warmup_", 0))
    record = base_record(
        task,
        status="ok",
        fit_seconds=fit_seconds,
        score_seconds=t2 - t1,
        us_per_point=(t2 - t1) / len(s) * 1e6,
        n_warmup=n_warmup,
        epochs_run=det.epochs_run_ if registry.detector_entry(task.detector.name).reports_epochs else None,
        metrics=_metrics(per_series, s, scores, n_warmup),
    )
    return record, scores


def _metrics(per_series: PerSeries | None, s: Series, scores: np.ndarray, n_warmup: int) -> dict[str, Any] | None:
    """The record's ``metrics`` entry, or None: the last stage then computes the values (and reports any error)."""
    if per_series is None:
        return None
    try:
        return {"settings": per_series.settings(), "values": per_series.values(s, scores, n_warmup)}
    except Exception:  # not the task's failure: the last stage computes them again and says what went wrong
        return None


def fit_together(tasks: list[Task], timeout: float | None) -> dict[int, tuple[Any, float]]:
    """Detectors fitted together by their class's ``fit_many``, by task index, with each one's share of the time.

    A detector class may declare ``fit_many(detectors, trains)`` (a class or
    static method): fit every detector of the list on its training array,
    as ``fit`` would, in one go (one batched training loop). Tasks of a
    batch with the same detector, parameters and seed are fitted that way;
    the fit time is shared equally among them. When ``fit_many`` raises
    (or passes the group's timeout), its tasks are fitted one by one
    instead, so each failure stays its own task's.
    """
    groups: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    for i, t in enumerate(tasks):
        try:
            cls = registry.get_detector_class(t.detector.name)
        except Exception:  # noqa: S112 - the task fails on it alone, in execute
            continue
        if callable(getattr(cls, "fit_many", None)):
            groups[(t.detector.name, _canonical(t.params), t.seed)].append(i)
    fitted: dict[int, tuple[Any, float]] = {}
    for idx in groups.values():
        try:
            with _alarm(timeout * len(idx) if timeout else None):
                dets = [
                    registry.make_detector(tasks[i].detector.name, tasks[i].params, seed=tasks[i].seed) for i in idx
                ]
                warm_up(dets[0], tasks[idx[0]].series.train)
                t0 = time.perf_counter()
                type(dets[0]).fit_many(dets, [tasks[i].series.train for i in idx])
                share = (time.perf_counter() - t0) / len(idx)
        except Exception:  # each task is fitted alone instead, and fails (or not) on its own
            continue
        fitted.update({i: (d, share) for i, d in zip(idx, dets, strict=True)})
    return fitted


def execute_batch(tasks: list[Task], timeout: float | None = None, per_series: PerSeries | None = None) -> list[Result]:
    """:func:`execute` for each task of a batch, in order, in one process; ``timeout`` applies to each task.

    Detectors whose class declares ``fit_many`` are fitted together first
    (:func:`fit_together`); every task is then scored (and, for the others,
    fitted) on its own, so its record, timing and failure are its own.
    """
    for name in {t.detector.name for t in tasks}:  # imports, untimed: each task's clock covers its own work
        try:
            registry.get_detector_class(name)
        except Exception:  # noqa: S112 - each of its tasks fails on it, with its own record (execute)
            continue
    fitted = fit_together(tasks, timeout)
    return [execute(t, timeout, per_series, fitted=fitted.get(i)) for i, t in enumerate(tasks)]


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
