"""Dispatch: the tasks not done yet, cut into batches, sent to an executor, each result stored as it comes back.

:mod:`bench.runner` says what a task is and runs it; this module decides
which tasks run (:func:`pending`: a stored record with the same key is
reused), groups small ones (:func:`batches`), keeps a few batches in flight
on any :class:`concurrent.futures.Executor`, and stores each batch's results
with one disk sync (:meth:`bench.results.RunStore.write_tasks`). A batch that
crashed its worker or hung is sent again one task at a time, so a failure is
always one task's; ``--fail-fast``, the task timeout and Ctrl-C keep their
meaning per task.
"""

from __future__ import annotations

import math
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from typing import Any

from bench.backends import PoolBroken, TaskTimeout, WorkerDied
from bench.errors import FailFastError
from bench.evaluate import PerSeries
from bench.records import FailureKind, TaskRecord
from bench.results import RunStore
from bench.runner import Result, Task, execute, execute_batch, failed_record, fit_together, is_done

BATCH_TASKS = 256
"""At most this many tasks travel to a worker together."""
BATCH_POINTS = 50_000
"""At most this many series points travel to a worker together (a longer series goes alone)."""


def batches(tasks: list[Task], todo: list[int], in_flight: int) -> list[list[int]]:
    """``todo`` (indices into ``tasks``) cut into consecutive batches of small tasks.

    A batch holds at most :data:`BATCH_TASKS` tasks and :data:`BATCH_POINTS`
    points, and at most the number of tasks that leaves about two batches per
    submission slot (``in_flight``), so every worker stays busy to the end.
    """
    size = max(1, min(BATCH_TASKS, math.ceil(len(todo) / (2 * max(1, in_flight)))))
    out: list[list[int]] = []
    current: list[int] = []
    points = 0
    for i in todo:
        n = len(tasks[i].series)
        if current and (len(current) >= size or points + n > BATCH_POINTS):
            out.append(current)
            current, points = [], 0
        current.append(i)
        points += n
    if current:
        out.append(current)
    return out


def pending(
    store: RunStore, tasks: list[Task], *, force: bool = False, retry_failed: bool = False
) -> tuple[dict[int, TaskRecord], list[int]]:
    """The stored records of the tasks already done (by index), and the indices of the others, in order."""
    done: dict[int, TaskRecord] = {}
    todo: list[int] = []
    for i, t in enumerate(tasks):
        prev = None if force else is_done(store, t, retry_failed=retry_failed)
        if prev is not None:
            done[i] = prev
        else:
            todo.append(i)
    return done, todo


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
    per_series: PerSeries | None = None,
    done: tuple[dict[int, TaskRecord], list[int]] | None = None,
) -> list[TaskRecord]:
    """Run every task not already done in ``store`` on ``executor``; store each result as it comes; return all.

    ``executor`` is any :class:`concurrent.futures.Executor` (local processes,
    a Dask client's executor, ...); ``None`` runs the tasks one by one in this
    process. Small tasks go in batches (:func:`batches`); at most ``in_flight``
    batches are submitted ahead, so an interrupt leaves little queued work
    and progress stays live. ``on_done(task, record)`` is called as each task
    is stored. ``force`` recomputes every task; ``retry_failed`` reruns the
    ones recorded as failed (otherwise a failure is final for its key).
    ``per_series``: the settings under which workers evaluate the raw scores.
    ``done``: :func:`pending`'s answer when the caller already has it. On
    Ctrl-C, the queued tasks are dropped and the running ones finish and are
    saved (a second Ctrl-C stops them).
    """
    records, todo = done if done is not None else pending(store, tasks, force=force, retry_failed=retry_failed)
    records = dict(records)

    def finished(batch: list[int], results: list[Result]) -> None:
        """Store a batch's results (one disk sync), then report each; --fail-fast stops at its first failure.

        With --fail-fast, the tasks after a failed one in its batch are not stored, as if they had not run.
        """
        if fail_fast:
            first = next((k for k, (r, _) in enumerate(results) if not r.ok), None)
            if first is not None:
                batch, results = batch[: first + 1], results[: first + 1]
        written = store.write_tasks(
            [(tasks[i].slot, r, s, tasks[i].series) for i, (r, s) in zip(batch, results, strict=True)]
        )
        for i, record in zip(batch, written, strict=True):
            records[i] = record
            if on_done:
                on_done(tasks[i], record)
        for i, record in zip(batch, written, strict=True):
            if fail_fast and not record.ok:
                raise FailFastError(f"--fail-fast: {tasks[i].label} failed: {record.error}")

    if executor is None:
        for batch in batches(tasks, todo, in_flight):
            results: list[Result] = []
            try:
                fitted = fit_together([tasks[i] for i in batch], timeout)
                for k, i in enumerate(batch):
                    results.append(execute(tasks[i], timeout, per_series, fitted=fitted.get(k)))
                    if fail_fast and not results[-1][0].ok:
                        break
            finally:  # what finished is saved, even on Ctrl-C
                if results:
                    finished(batch[: len(results)], results)
        return [records[i] for i in range(len(tasks))]

    enforces = getattr(executor, "enforces_timeout", False)
    own_timeout = timeout if not enforces else None
    submitted: dict[Future[Any], tuple[list[int], float]] = {}
    queue: deque[list[int]] = deque(batches(tasks, todo, in_flight))

    def submit(batch: list[int]) -> Future[Any]:
        ts = [tasks[i] for i in batch]
        if len(batch) == 1:  # alone, as before batches: the executor (or the runner) enforces its timeout
            return executor.submit(execute_batch, ts, None, per_series)
        if enforces:  # each task's own timeout runs in the worker; the pool stops a batch that hangs anyway
            whole = None if timeout is None else timeout * (len(batch) + 1)
            return executor.submit_with_timeout(whole, execute_batch, ts, timeout, per_series)  # type: ignore[attr-defined]
        return executor.submit(execute_batch, ts, timeout, per_series)

    def fill() -> None:
        while len(submitted) < max(1, in_flight) and queue:
            batch = queue.popleft()
            submitted[submit(batch)] = (batch, time.monotonic())

    def one_by_one(batch: list[int]) -> None:
        """A batch that crashed or hung goes again one task at a time, so only the culprit fails."""
        queue.extendleft([i] for i in reversed(batch))

    def collect(fut: Future[Any], batch: list[int]) -> None:
        try:
            results = fut.result()
        except PoolBroken:
            raise  # the environment, not the task: nothing is recorded, the run stops with the reason
        except (TaskTimeout, WorkerDied) as exc:
            if len(batch) > 1:
                return one_by_one(batch)
            kind: FailureKind = "timeout" if isinstance(exc, TaskTimeout) else "crash"
            results = [(failed_record(tasks[batch[0]], exc, kind), None)]
        except Exception as exc:  # the executor lost the task (a remote worker died, ...)
            if len(batch) > 1:
                return one_by_one(batch)
            results = [(failed_record(tasks[batch[0]], exc, "crash", traceback.format_exc()), None)]
        finished(batch, results)

    try:
        fill()
        while submitted:
            ready, _ = wait(list(submitted), timeout=5.0 if own_timeout else None, return_when=FIRST_COMPLETED)
            for fut in ready:
                batch, _ = submitted.pop(fut)
                collect(fut, batch)
            if own_timeout:
                now = time.monotonic()
                for fut, (batch, started) in list(submitted.items()):
                    # from submission: at most a worker's worth are submitted
                    if now - started > own_timeout * len(batch):
                        fut.cancel()
                        submitted.pop(fut)
                        if len(batch) > 1:
                            one_by_one(batch)
                            continue
                        exc = TaskTimeout(f"timed out after {own_timeout:g} s (--task-timeout)")
                        finished(batch, [(failed_record(tasks[batch[0]], exc, "timeout"), None)])
            fill()
    except KeyboardInterrupt:
        running = [f for f in submitted if not f.cancel()]
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
                    collect(fut, submitted[fut][0])
            except KeyboardInterrupt:
                pass
        raise
    except BaseException:
        for fut in submitted:
            fut.cancel()
        raise
    return [records[i] for i in range(len(tasks))]
