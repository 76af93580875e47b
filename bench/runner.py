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
the series' training part (``series.train``) and scores the whole series. A
detector that raises on one series is recorded as a failed task and the run
goes on.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench import registry
from bench.config import DetectorSpec
from bench.errors import BenchError
from bench.results import RunStore, Slot, safe_component, write_json
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


def make_task(spec: DetectorSpec, seed: int, series: Series) -> Task:
    """The task with its key and its slot in a run folder (see the module docstring)."""
    raw = spec.raw
    params = resolved_params(raw)
    version = code_version(registry.get_detector_class(raw.name))
    params_hash = hashlib.sha256(_canonical({"detector": raw.name, "params": params}).encode()).hexdigest()[:10]
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
    slot = Slot(f"{safe_component(raw.name)}-{params_hash}", seed, series.dataset, series.name)
    return Task(raw, params, seed, series, key, slot, version)


def plan(rows: tuple[DetectorSpec, ...], seeds: tuple[int, ...], series: list[Series]) -> list[Task]:
    """Every distinct task the rows need (``lstm`` and ``lstm+likelihood`` share theirs), in a stable order."""
    tasks: dict[str, Task] = {}
    for spec in rows:
        for seed in seeds:
            for s in series:
                t = make_task(spec, seed, s)
                tasks.setdefault(t.key, t)
    return list(tasks.values())


def check_scores(scores: Any, n: int) -> np.ndarray:
    """A detector's output as ``(n,)`` finite float64, or a ``BenchError`` saying what is wrong with it."""
    try:
        arr = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise BenchError(f"score() returned something that is not numbers ({exc}).") from None
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.shape != (n,):
        raise BenchError(f"score() returned shape {arr.shape} for a series of {n} points; expected ({n},).")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise BenchError(
            f"score() returned {bad.size} non-finite values (first {arr[bad[0]]} at index {int(bad[0])}); "
            "scores must be finite."
        )
    return arr


def execute(task: Task, store: RunStore) -> dict[str, Any]:
    """Run one task and write its scores, then its record; never raises for a detector's failure."""
    s = task.series
    record: dict[str, Any] = {
        "key": task.key,
        "detector": task.detector.name,
        "params": task.params,
        "seed": task.seed,
        "seed_param": registry.seed_param(registry.get_detector_class(task.detector.name)),
        "code_version": task.code_version,
        "dataset": s.dataset,
        "series": s.name,
        "series_fingerprint": s.fingerprint(),
        "n_points": len(s),
        "train_end": s.train_end,
    }
    try:
        det = registry.make_detector(task.detector.name, task.params, seed=task.seed)
        t0 = time.perf_counter()
        det.fit(s.train)
        t1 = time.perf_counter()
        scores = check_scores(det.score(s.values), len(s))
        t2 = time.perf_counter()
    except BenchError as exc:
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a detector bug must not end the run; keep the traceback
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    else:
        store.write_scores(store.score_path(task.slot), scores, s.labels, s.timestamps)
        record.update(
            status="ok",
            fit_seconds=t1 - t0,
            score_seconds=t2 - t1,
            us_per_point=(t2 - t1) / len(s) * 1e6,
            n_warmup=int(getattr(det, "n_warmup_", 0)),
            epochs_run=getattr(det, "epochs_run_", None),
        )
    write_json(store.task_path(task.slot), record)
    return record


def init_worker() -> None:  # pragma: no cover - runs in a child process
    """One thread per worker process, and Ctrl-C left to the parent.

    The processes are the parallelism (torch reads the thread variables at
    import). A Ctrl-C in a terminal reaches every process of the group; the
    workers ignore it so that the task each is running finishes and is
    saved, while the parent cancels the tasks not yet started.
    """
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def execute_at(task: Task, root: str) -> dict[str, Any]:
    """:func:`execute` with the run folder given as a path (what a worker process or cluster node receives)."""
    return execute(task, RunStore(root))


def is_done(store: RunStore, task: Task) -> dict[str, Any] | None:
    """The stored record of ``task`` when it finished with this exact key and its scores exist, else None."""
    prev = store.read_task(store.task_path(task.slot))
    if prev and prev.get("status") == "ok" and prev.get("key") == task.key and store.score_path(task.slot).exists():
        return prev
    return None


def run_tasks(
    store: RunStore,
    tasks: list[Task],
    executor: Executor | None = None,
    *,
    on_done: Callable[[Task, dict[str, Any]], None] | None = None,
    in_flight: int = 4,
) -> list[dict[str, Any]]:
    """Run every task not already done in ``store`` on ``executor``; return all records in task order.

    ``executor`` is any :class:`concurrent.futures.Executor` (local processes,
    a Dask client's executor, ...); ``None`` runs the tasks one by one in this
    process. At most ``in_flight`` tasks are submitted ahead, so an interrupt
    leaves little queued work and progress stays live. ``on_done(task, record)``
    is called in this process as each task finishes (progress, fail-fast).
    """
    records: dict[int, dict[str, Any]] = {}
    todo: list[int] = []
    for i, t in enumerate(tasks):
        prev = is_done(store, t)
        if prev is not None:
            records[i] = prev
        else:
            todo.append(i)
    if executor is None:
        for i in todo:
            records[i] = execute(tasks[i], store)
            if on_done:
                on_done(tasks[i], records[i])
        return [records[i] for i in range(len(tasks))]
    pending: dict[Future[dict[str, Any]], int] = {}
    queue: Iterator[int] = iter(todo)
    root = str(store.root)

    def fill() -> None:
        while len(pending) < max(1, in_flight):
            i = next(queue, None)
            if i is None:
                return
            pending[executor.submit(execute_at, tasks[i], root)] = i

    try:
        fill()
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for fut in done:
                i = pending.pop(fut)
                records[i] = fut.result()
                if on_done:
                    on_done(tasks[i], records[i])
            fill()
    except BaseException:
        for fut in pending:  # interrupted: drop what has not started; the running ones finish and are saved
            fut.cancel()
        raise
    return [records[i] for i in range(len(tasks))]
