"""Executors the runner can send tasks to: this process, local worker processes (and, later, a cluster).

The runner needs nothing but :class:`concurrent.futures.Executor`'s
``submit``; a new backend is a function here returning one, used as a
context manager (``with make_executor(...) as ex:``) so its workers are
released however the run ends.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from multiprocessing import get_context

from bench.errors import ParameterError
from bench.runner import init_worker

BACKENDS = ("processes",)


def default_jobs(n_tasks: int) -> int:
    """Worker processes when the user does not say: one per core, or 1 for small runs (< 8 tasks)."""
    return max(1, min(os.cpu_count() or 1, n_tasks)) if n_tasks >= 8 else 1


def check_jobs(jobs: int | None) -> None:
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ParameterError(f"--jobs must be an integer >= 1; got {jobs!r}.")


def local_processes(jobs: int) -> ProcessPoolExecutor:
    """``jobs`` spawned worker processes, one thread each, ignoring Ctrl-C (the parent handles it)."""
    return ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=init_worker)


def make_executor(jobs: int | None, n_tasks: int) -> tuple[AbstractContextManager[Executor | None], int]:
    """The executor for a local run and its width: ``None`` (this process) for one job, else worker processes."""
    check_jobs(jobs)
    width = default_jobs(n_tasks) if jobs is None else jobs
    if width <= 1:
        return nullcontext(None), 1
    return local_processes(width), width
