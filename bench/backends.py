"""Executors the runner sends tasks to: local worker processes, a Dask cluster, or (``jobs=0``) this process.

The runner needs nothing but :class:`concurrent.futures.Executor`'s
``submit``; a backend is a function here returning one. Workers only compute:
a task's result (record and scores) comes back to the runner, which alone
writes the run folder, so a remote cluster needs no shared file system.

- ``processes`` (default): :class:`WorkerPool`, spawned worker processes with
  one thread each, started as tasks arrive and never more than the tasks (nor
  more than :data:`MAX_JOBS_PER_CORE` per core). A task that runs past
  ``task_timeout`` (counted from when its worker starts it) has its worker
  killed and fails alone (:class:`TaskTimeout`); a worker that dies (a
  segfault, ``os._exit``) fails only the task it was running
  (:class:`WorkerDied`); either way a fresh worker replaces it. This holds
  for one worker too: ``jobs=1`` is one worker process, and only ``jobs=0``
  runs the tasks in this process, where a crash ends the run (for debuggers
  and profilers).
- ``dask``: a local ``distributed.LocalCluster`` on 127.0.0.1, or an existing
  cluster (``--scheduler tcp://HOST:PORT``) through ``Client.get_executor()``.
  Dask cannot interrupt a running task: the runner records a task past the
  timeout as failed and goes on, but the worker thread keeps running it.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import connection, get_context
from typing import Any
from urllib.parse import urlsplit

from bench.errors import BenchError, MissingDependencyError, ParameterError

BACKENDS = ("processes", "dask")
DEFAULT_TASK_TIMEOUT = 3600.0
"""Seconds one task (fit + score of one series) may take before it is stopped and recorded as failed."""


class TaskTimeout(BenchError, TimeoutError):
    """A task ran past the task timeout; its worker was stopped."""


class WorkerDied(BenchError, RuntimeError):
    """The worker process running a task ended without answering (a crash, ``os._exit``, the OOM killer)."""


class PoolBroken(BenchError, RuntimeError):
    """Worker processes cannot run at all (they die before they start); no task is to blame, the run stops."""


MAX_JOBS_PER_CORE = 4
"""More local workers than this per core only share the cores (and the memory): ``--jobs`` is capped there."""
SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss")
"""Transports a Dask scheduler address may name (``inproc://`` lives in one process, so never this one's cluster)."""


def default_jobs(n_tasks: int) -> int:
    """Worker processes when the user does not say: one per core, or 1 for small runs (< 8 tasks)."""
    return max(1, min(os.cpu_count() or 1, n_tasks)) if n_tasks >= 8 else 1


def check_jobs(jobs: int | None) -> None:
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 0):
        raise ParameterError(
            f"--jobs must be an integer >= 1 (worker processes), or 0 to run in this process; got {jobs!r}."
        )


def check_scheduler(scheduler: str | None) -> None:
    """Refuse a Dask scheduler address that is not ``tcp://HOST:PORT`` (or tls, ws, wss) before anything connects."""
    if scheduler is None:
        return
    try:
        parts = urlsplit(scheduler)
        port = parts.port
    except ValueError:  # an unclosed IPv6 bracket, a port out of range or not a number
        port, parts = None, None
    if parts is None or parts.scheme not in SCHEDULER_SCHEMES or not parts.hostname or not port or parts.path:
        raise ParameterError(
            f"--scheduler must be a Dask scheduler address, tcp://HOST:PORT (or tls://, ws://, wss://; an IPv6 "
            f"host in brackets, tcp://[::1]:8786); got {scheduler!r}. `dask scheduler` prints its address."
        )


def worker_count(jobs: int | None, n_tasks: int, *, local: bool = True) -> int:
    """Workers for ``n_tasks``: ``jobs`` (or :func:`default_jobs`), never more than the tasks.

    Local workers are also capped at :data:`MAX_JOBS_PER_CORE` per core, with a
    warning: a thousand processes on a few cores only compete for them.
    """
    width = min(default_jobs(n_tasks) if jobs is None else jobs, max(1, n_tasks))
    cores = os.cpu_count() or 1
    if local and width > MAX_JOBS_PER_CORE * cores:
        limit = MAX_JOBS_PER_CORE * cores
        warnings.warn(
            f"--jobs {jobs} is more than {MAX_JOBS_PER_CORE} worker processes per core ({cores} cores here); "
            f"using {limit} worker processes.",
            stacklevel=2,
        )
        width = limit
    return width


def check_timeout(timeout: float | None) -> None:
    if timeout is not None and not (isinstance(timeout, (int, float)) and 0 < timeout < float("inf")):
        raise ParameterError(f"--task-timeout must be a number of seconds > 0; got {timeout!r}.")


def init_worker() -> None:  # pragma: no cover - runs in a child process
    """One thread per worker process, and Ctrl-C left to the parent.

    The processes are the parallelism (torch reads the thread variables at
    import). A Ctrl-C in a terminal reaches every process of the group; the
    workers ignore it, and the parent decides what to stop.
    """
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    signal.signal(signal.SIGINT, signal.SIG_IGN)


READY = "ready"
STARTED = "started"
MAX_START_FAILURES = 3
"""Workers that die before they are ready, this many times in a row, fail the pool (a broken environment)."""
LOAD_SECONDS = 120.0
"""How long (or the task timeout, if longer) a worker may take to load a task, which imports its modules,
before it starts it; the task's own timeout starts then."""


def _worker_main(conn: Any) -> None:  # pragma: no cover - runs in a child process
    init_worker()
    conn.send(READY)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        fn, args, kwargs = message  # loaded: the task's modules are imported, its clock starts now
        conn.send(STARTED)
        try:
            reply: tuple[bool, Any] = (True, fn(*args, **kwargs))
        except BaseException as exc:  # sent back to the parent, which decides
            reply = (False, exc)
        try:
            conn.send(reply)
        except Exception as exc:  # an unpicklable result or exception
            conn.send((False, RuntimeError(f"the task's result could not be sent back: {exc!r}")))


@dataclass
class _Worker:
    process: Any
    conn: Any
    ready: bool = False
    future: Future[Any] | None = None
    deadline: float = float("inf")
    loaded: bool = False  # its task is loaded and running (the task timeout runs), else still loading
    timeout: float | None = None  # its task's timeout


@dataclass
class _Job:
    future: Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    started: bool = False  # its future is RUNNING (a requeued job keeps it so)
    timeout: float | None = None


class WorkerPool(Executor):
    """Up to ``jobs`` spawned worker processes; a hung or crashed task fails alone and its worker is replaced.

    A background thread starts workers as queued tasks need them (never more
    than ``jobs``), hands queued tasks to idle workers, collects results,
    stops a worker whose task passed the timeout, and retires any worker that
    died. A task's timeout counts from when its worker has loaded it (the
    modules it imports, which a fresh worker on a busy machine may take
    seconds over), not from when it was sent. Workers that keep dying before
    they are ready (an environment where they cannot start) fail every task
    with a clear message instead of being restarted forever.
    """

    enforces_timeout = True

    def __init__(self, jobs: int, task_timeout: float | None = None) -> None:
        if jobs < 1:
            raise ParameterError(f"A WorkerPool needs at least one worker; got jobs={jobs!r}.")
        self._ctx = get_context("spawn")
        self._timeout = task_timeout
        self._queue: deque[_Job] = deque()
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = self._ctx.Pipe(duplex=False)
        self._closing = False
        self._broken: BaseException | None = None
        self._start_failures = 0
        self._jobs = jobs
        self._load_seconds = max(task_timeout or 0.0, LOAD_SECONDS)
        self._workers: list[_Worker] = []
        self._thread = threading.Thread(target=self._run, name="bench-worker-pool", daemon=True)
        self._thread.start()

    def _start(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_worker_main, args=(child,), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self.submit_with_timeout(self._timeout, fn, *args, **kwargs)

    def submit_with_timeout(
        self, timeout: float | None, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Future[Any]:
        """:meth:`submit` with its own timeout (a batch of tasks: the sum of theirs) instead of the pool's."""
        future: Future[Any] = Future()
        with self._lock:
            if self._broken is not None:
                raise self._broken
            if self._closing:
                raise RuntimeError("cannot submit to a WorkerPool that is shutting down")
            self._queue.append(_Job(future, fn, args, kwargs, timeout=timeout))
        self._wake()
        return future

    def _wake(self) -> None:
        try:
            self._wake_w.send(None)
        except OSError:
            pass

    def _grow(self) -> None:
        """Start workers for the queued tasks that no worker (idle or starting) will take, up to ``jobs``."""
        with self._lock:
            unserved = len(self._queue) - sum(w.future is None for w in self._workers)
        for _ in range(min(unserved, self._jobs - len(self._workers))):
            self._workers.append(self._start())

    def _dispatch(self) -> None:
        self._grow()
        for w in self._workers:
            if w.future is not None or not w.ready:
                continue
            with self._lock:
                job = None
                while self._queue:
                    candidate = self._queue.popleft()
                    if candidate.started or candidate.future.set_running_or_notify_cancel():
                        candidate.started = True
                        job = candidate
                        break
            if job is None:
                return
            try:
                w.conn.send((job.fn, job.args, job.kwargs))
            except (OSError, EOFError):  # the worker died meanwhile: the task goes back to the front
                with self._lock:
                    self._queue.appendleft(job)
                continue
            except Exception as exc:  # the task cannot be pickled: fail it, keep the worker
                job.future.set_exception(exc)
                continue
            w.future, w.loaded, w.timeout = job.future, False, job.timeout
            w.deadline = time.monotonic() + max(self._load_seconds, job.timeout or 0.0) if job.timeout else float("inf")

    def _retire(self, w: _Worker, error: BaseException | None) -> None:
        """Stop ``w`` and fail its task with ``error`` (when it had one); the next dispatch starts a replacement."""
        if w.process.is_alive():
            w.process.kill()
        w.process.join(30)  # a crashing process may still be writing its core dump
        w.conn.close()
        if w.future is not None and error is not None:
            w.future.set_exception(error)
        if not w.ready:
            self._start_failures += 1
            if self._start_failures >= MAX_START_FAILURES:
                raise PoolBroken(
                    f"worker processes die before they start ({_exit_reason(w.process.exitcode)}). They re-import "
                    "the program that started bench: run it as `python -m bench` or from a script file, not from "
                    "standard input or a notebook cell."
                )
        else:
            self._start_failures = 0
        self._workers.remove(w)

    def _busy(self) -> bool:
        with self._lock:
            return bool(self._queue) or any(w.future is not None for w in self._workers)

    def _step(self) -> None:
        self._dispatch()
        live = [w for w in self._workers if not w.conn.closed]
        deadline = min((w.deadline for w in live), default=float("inf"))
        wait_for = None if deadline == float("inf") else max(0.0, deadline - time.monotonic())
        waitables = [self._wake_r] + [w.conn for w in live] + [w.process.sentinel for w in live]
        ready = connection.wait(waitables, timeout=wait_for)
        if self._wake_r in ready:
            while self._wake_r.poll():
                self._wake_r.recv()
        now = time.monotonic()
        for w in live:
            if w.conn in ready:
                try:
                    message = w.conn.recv()
                except (EOFError, OSError):
                    self._retire(w, WorkerDied(_exit_reason(self._exit_code(w))))
                    continue
                if message == READY:
                    w.ready = True
                    continue
                if message == STARTED:
                    w.loaded = True
                    w.deadline = now + w.timeout if w.timeout else float("inf")
                    continue
                ok, value = message
                future, w.future, w.deadline = w.future, None, float("inf")
                if future is not None:
                    future.set_result(value) if ok else future.set_exception(value)
            elif w.process.sentinel in ready:
                self._retire(w, WorkerDied(_exit_reason(self._exit_code(w))))
            elif w.future is not None and now >= w.deadline:
                self._retire(w, self._timed_out(w))

    def _timed_out(self, w: _Worker) -> TaskTimeout:
        if w.loaded:
            return TaskTimeout(f"timed out after {w.timeout:g} s (--task-timeout)")
        load = max(self._load_seconds, w.timeout or 0.0)
        return TaskTimeout(f"the worker did not finish loading the task (importing its modules) within {load:g} s")

    @staticmethod
    def _exit_code(w: _Worker) -> int | None:
        w.process.join(30)
        return w.process.exitcode

    def _run(self) -> None:
        try:
            while not (self._closing and not self._busy()):
                self._step()
        except BaseException as exc:  # never leave a future waiting forever: fail them all with the reason
            with self._lock:
                self._broken = exc
                jobs = list(self._queue)
                self._queue.clear()
            for job in jobs:
                if job.started or job.future.set_running_or_notify_cancel():
                    job.future.set_exception(exc)
            for w in self._workers:
                if w.future is not None and not w.future.done():
                    w.future.set_exception(exc)
                    w.future = None
        for w in self._workers:
            try:
                w.conn.send(None)
            except (OSError, ValueError):
                pass
        for w in self._workers:
            w.process.join(10)
            if w.process.is_alive():
                w.process.kill()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closing = True
            if cancel_futures:
                while self._queue:
                    self._queue.popleft().future.cancel()
        self._wake()
        if wait:
            self._thread.join()

    def kill(self) -> None:
        """Stop every worker now (a second Ctrl-C): running tasks fail, queued ones are cancelled."""
        with self._lock:
            self._closing = True
            while self._queue:
                self._queue.popleft().future.cancel()
        for w in list(self._workers):
            if w.process.is_alive():
                w.process.kill()
        self._wake()
        self._thread.join(10)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool | None:
        if exc_type is not None:
            self.kill()  # interrupted or failed: the runner already saved what it could
            return None
        self.shutdown(wait=True)
        return None


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the worker process was killed by {name} (a crash in native code, or the OOM killer)"
    return f"the worker process exited with code {code} without returning a result"


@contextmanager
def dask_executor(scheduler: str | None, jobs: int) -> Iterator[Executor]:
    """An executor on an existing Dask cluster (``scheduler``) or a local one of ``jobs`` single-thread workers."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise MissingDependencyError(
            "The Dask backend needs the optional 'dask' extra: pip install -e '.[dask]'"
        ) from None
    if scheduler:
        try:
            client = Client(scheduler, timeout="30s")
        except (OSError, TypeError, ValueError) as exc:  # unreachable, or tls:// without Dask's TLS settings
            raise ParameterError(f"Cannot reach the Dask scheduler at {scheduler}: {exc}.") from None
        cluster = None
    else:
        cluster = LocalCluster(
            n_workers=jobs, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        )
        client = Client(cluster)
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def make_executor(
    jobs: int | None,
    n_tasks: int,
    *,
    backend: str = "processes",
    scheduler: str | None = None,
    task_timeout: float | None = DEFAULT_TASK_TIMEOUT,
) -> tuple[Any, int, str]:
    """(context manager giving the executor or None, its width, a description) for a run of ``n_tasks``.

    ``jobs=0`` with the local backend runs the tasks in this process (``None``): no isolation.
    """
    check_jobs(jobs)
    check_timeout(task_timeout)
    check_scheduler(scheduler)
    if scheduler is not None:
        backend = "dask"
    if backend not in BACKENDS:
        raise ParameterError(f"Unknown backend {backend!r}. Available: {', '.join(BACKENDS)}.")
    if backend == "dask":
        if jobs == 0:
            raise ParameterError("--jobs 0 runs the tasks in this process, not on Dask; give --jobs N >= 1 or drop it.")
        if scheduler is not None:
            width = worker_count(jobs, n_tasks, local=False)
            return dask_executor(scheduler, width), width, f"dask cluster at {scheduler}"
        width = worker_count(jobs, n_tasks)
        return dask_executor(None, width), width, f"local dask cluster of {width} workers"
    if jobs == 0:
        return _nothing(), 1, "this process"
    width = worker_count(jobs, n_tasks)
    return WorkerPool(width, task_timeout), width, f"{width} worker process{'es' if width > 1 else ''}"
