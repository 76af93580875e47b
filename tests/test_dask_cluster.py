"""Issue 19.7: a Dask cluster started with README's commands loses a worker mid-run and gives the local numbers."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import bench
from bench.results import read_metrics

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_ROOT = Path(bench.__file__).resolve().parent.parent
"""Where the imported ``bench`` lives: every process the test starts imports the same code."""
README_PORT = "8786"
COST = ("fit_seconds", "score_seconds", "us_per_point")
DEADLINE_S = 300.0
"""The longest any one wait here may take (a loaded CI machine); each wait polls and ends as soon as it can."""


def readme_commands() -> list[list[str]]:
    """The commands of README's "On a cluster" block that start processes (``dask ...``, ``python -m bench ...``)."""
    readme = (REPO_ROOT / "README.md").read_text()
    section = re.search(r"^## On a cluster\n(.*?)^## ", readme, re.S | re.M)
    assert section is not None, "README has no '## On a cluster' section"
    block = re.search(r"^```\n(.*?)^```", section.group(1), re.S | re.M)
    assert block is not None, "README's 'On a cluster' section has no command block"
    commands = []
    for line in block.group(1).splitlines():
        words = shlex.split(line, comments=True)
        if words and words[-1] == "&":
            words = words[:-1]
        if words[:1] == ["dask"] or words[:3] == ["python", "-m", "bench"]:
            commands.append(words)
    return commands


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(condition, what: str, procs: list[subprocess.Popen[bytes]], poll: float = 0.05) -> None:  # type: ignore[no-untyped-def]
    """Poll ``condition`` until it holds; fail with ``what`` at the deadline or when one of ``procs`` has exited."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        dead = [p.args for p in procs if p.poll() is not None]
        assert not dead, f"exited while waiting for {what}: {dead}"
        assert time.monotonic() < deadline, f"no {what} within {DEADLINE_S:g} s"
        time.sleep(poll)


def accepts(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def task_records(out: Path) -> list[Path]:
    return sorted((out / "tasks").rglob("*.json")) if (out / "tasks").is_dir() else []


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Every process the test starts, each in its own session; all killed at the end, failed or not."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for p in started:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait(30)


def test_19_7_a_two_worker_cluster_that_loses_a_worker_gives_the_local_metrics(  # type: ignore[no-untyped-def]
    tmp_path: Path, dask_installed, nab_mirror: Path, processes
) -> None:
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    commands = [[w.replace(README_PORT, str(port)) for w in c] for c in readme_commands()]
    scheduler, *workers = [c for c in commands if c[:2] == ["dask", "scheduler"] or c[:2] == ["dask", "worker"]]
    runs = [c for c in commands if c[:3] == ["python", "-m", "bench"]]
    assert scheduler[:2] == ["dask", "scheduler"] and len(workers) == 2 and len(runs) == 2, commands
    assert all(["--nthreads", "1"] == w[w.index("--nthreads") :][:2] and address in w for w in workers), workers
    cluster_run, local_run = runs if "--scheduler" in runs[0] else runs[::-1]
    assert ["--scheduler", address] == cluster_run[cluster_run.index("--scheduler") :][:2], cluster_run
    assert ["--jobs", "2"] == local_run[local_run.index("--jobs") :][:2], local_run

    # the venv's own tools and Python; this checkout's bench on every process (workers unpickle its tasks)
    bindir = Path(sys.executable).parent
    (tmp_path / "tmp").mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(BENCH_ROOT), os.environ.get("PYTHONPATH", "")]),
        "BENCH_NAB_SOURCE": str(nab_mirror),
        "BENCH_DATA_DIR": str(tmp_path / "datasets"),
        "TMPDIR": str(tmp_path / "tmp"),  # the workers' dask-scratch-space
    }

    def start(words: list[str], log: str) -> subprocess.Popen[bytes]:
        exe = [str(bindir / "dask")] if words[0] == "dask" else [sys.executable]
        with open(tmp_path / log, "wb") as f:
            p = subprocess.Popen(
                exe + words[1:], cwd=tmp_path, env=env, stdout=f, stderr=subprocess.STDOUT, start_new_session=True
            )
        processes.append(p)
        return p

    def out_of(run: list[str]) -> Path:
        return tmp_path / run[run.index("--out") + 1]

    # the local run first: it says how many task records a whole run has
    local = start(local_run, "local.log")
    assert local.wait(DEADLINE_S) == 0, (tmp_path / "local.log").read_text()[-3000:]
    total = len(task_records(out_of(local_run)))
    assert total >= 8, total

    dask_scheduler = start(scheduler, "scheduler.log")
    wait_until(lambda: accepts(port), "scheduler", [dask_scheduler])
    doomed, survivor = (start(w, f"worker{i}.log") for i, w in enumerate(workers))
    with Client(address, timeout="30s") as client:
        client.wait_for_workers(2, timeout=DEADLINE_S)
        pids = {pid: addr for addr, pid in client.run(os.getpid).items()}
    assert set(pids) == {doomed.pid, survivor.pid}, pids  # --no-nanny: the process we start is the worker

    run = start(cluster_run, "cluster.log")
    out = out_of(cluster_run)
    with Client(address, timeout="30s") as client:  # a second client, to see which tasks the doomed worker holds

        def doomed_is_busy() -> bool:
            return len(task_records(out)) >= 2 and bool(client.processing(workers=[pids[doomed.pid]])[pids[doomed.pid]])

        wait_until(doomed_is_busy, "task records and a task on the worker to kill", [dask_scheduler, run, doomed])
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(30)
    done_at_kill = len(task_records(out))
    assert done_at_kill < total, f"the run ended before the worker was killed ({done_at_kill} of {total})"

    assert run.wait(DEADLINE_S) == 0, (tmp_path / "cluster.log").read_text()[-3000:]
    assert survivor.poll() is None
    assert f"Remove worker addr: {pids[doomed.pid]}" in (tmp_path / "scheduler.log").read_text()
    local_out = out_of(local_run)
    assert files(out, "tasks") == files(local_out, "tasks")
    scores = files(out, "scores")
    assert scores == files(local_out, "scores") and scores
    assert all((out / rel).read_bytes() == (local_out / rel).read_bytes() for rel in scores)
    assert comparable(out).equals(comparable(local_out)) and len(comparable(out)) > 0


def files(out: Path, folder: str) -> list[Path]:
    return sorted(p.relative_to(out) for p in (out / folder).rglob("*") if p.is_file())


def comparable(out: Path) -> pd.DataFrame:
    """A run's metrics without the timings, which differ from run to run."""
    m = read_metrics(out / "metrics.csv")
    return m[~m.metric.isin(COST)].reset_index(drop=True)
