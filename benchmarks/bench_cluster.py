"""A UCR-size corpus on one process, two local worker processes and a two-worker Dask cluster, side by side.

Usage::

    python benchmarks/bench_cluster.py --scale 0.01     # 250 series x 800 points: a quick check
    python benchmarks/bench_cluster.py                  # --scale 1: 250 series x 80,000 points = 2 x 10^7

The corpus is ``yahoo-synth`` with ``n_series=250`` and ``length=80,000 x S``
(UCR's archive has 250 series of up to hundreds of thousands of points; here
they all have one length). Each configuration runs ``python -m bench run``
in a fresh interpreter with a fresh results folder, the sanity baselines left
out and no figures (``--plots none``):

- one process: ``--jobs 0`` (the tasks in the ``bench`` process itself);
- two local workers: ``--jobs 2`` (two spawned worker processes);
- the cluster: ``--scheduler tcp://127.0.0.1:PORT`` on ``dask scheduler`` and
  two ``dask worker --nthreads 1 --no-nanny`` started from this Python's
  ``bin`` (as README's "On a cluster" does), started before the clock and
  stopped after.

The table gives the wall time of each run (start-up, generating the corpus,
the tasks, evaluation and the report's tables included), the detector's own
time summed over the task records, the wall time per point, and the speedup
over one process; the last line says whether the three runs' metrics (the
timings left out) are identical. Not a test: numbers depend on the machine
and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
N_SERIES = 250
LENGTH_AT_SCALE_1 = 80_000
"""250 x 80,000 = 2 x 10^7 points at ``--scale 1``."""
MIN_LENGTH = 200
COST = ("fit_seconds", "score_seconds", "us_per_point")


def env() -> dict[str, str]:
    """This checkout's ``bench`` on every process: the workers unpickle its tasks."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def cluster(workdir: Path, workers: int = 2) -> Iterator[str]:
    """``dask scheduler`` and ``workers`` single-thread ``dask worker`` processes on 127.0.0.1; its address."""
    from distributed import Client

    dask = str(Path(sys.executable).parent / "dask")
    address = f"tcp://127.0.0.1:{free_port()}"
    port = address.rsplit(":", 1)[1]
    log = open(workdir / "cluster.log", "wb")  # noqa: SIM115 - closed below, after the processes
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
            cwd=workdir,
            env=env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    ]
    try:
        worker = [dask, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard"]
        procs += [
            subprocess.Popen(worker, cwd=workdir, env=env(), stdout=log, stderr=subprocess.STDOUT)
            for _ in range(workers)
        ]
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for p in procs:
            p.kill()
            p.wait(30)
        log.close()


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env())
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        raise SystemExit(proc.returncode)
    return wall


def detector_seconds(out: Path) -> float:
    records = [json.loads(p.read_text()) for p in (out / "tasks").rglob("*.json")]
    return sum(r.get("fit_seconds", 0) + r.get("score_seconds", 0) for r in records)


def metrics_without_timings(out: Path):  # type: ignore[no-untyped-def]
    from bench.results import read_metrics

    m = read_metrics(out / "metrics.csv")
    return m[~m.metric.isin(COST)].reset_index(drop=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="series length = 80,000 x SCALE (default 1)")
    parser.add_argument("--detector", default="zscore", help="detector row(s), as for bench run (default zscore)")
    args = parser.parse_args()
    length = max(MIN_LENGTH, round(LENGTH_AT_SCALE_1 * args.scale))
    points = N_SERIES * length
    run = [sys.executable, "-m", "bench", "run", "--detector", args.detector, "--dataset", "yahoo-synth"]
    run += ["--param", f"yahoo-synth.n_series={N_SERIES}", "--param", f"yahoo-synth.length={length}"]
    run += ["--no-baselines", "--plots", "none", "-q"]
    print(
        f"{N_SERIES} series x {length:,} points = {points:,} points, --detector {args.detector}; {os.cpu_count()} cores"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        configs = [("one process (--jobs 0)", ["--jobs", "0"]), ("2 local workers (--jobs 2)", ["--jobs", "2"])]
        for name, flags in configs:
            out = work / f"run{len(rows)}"
            rows.append((name, timed([*run, *flags, "--out", str(out)]), out))
        with cluster(work) as address:
            out = work / "cluster"
            rows.append(("2-worker dask cluster", timed([*run, "--scheduler", address, "--out", str(out)]), out))
        one = rows[0][1]
        print(f"{'configuration':28s} {'wall s':>8s} {'detector s':>11s} {'µs/point':>9s} {'speedup':>8s}")
        for name, wall, out in rows:
            print(f"{name:28s} {wall:8.1f} {detector_seconds(out):11.1f} {wall / points * 1e6:9.2f} {one / wall:8.2f}")
        first = metrics_without_timings(rows[0][2])
        same = all(metrics_without_timings(out).equals(first) for _, _, out in rows[1:])
        print(f"metrics identical across the three runs (timings left out): {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
