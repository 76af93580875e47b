"""The runner's cost: overhead per task, and a full NAB run on each backend, side by side in one session.

Usage::

    python benchmarks/bench_runner.py overhead            # 200 tiny series with the null detector
    python benchmarks/bench_runner.py nab [--detector lstm,iforest,zscore]
    python benchmarks/bench_runner.py scale [--series-count 1000] [--length 500] [--jobs 2]

``overhead`` runs ``bench run --detector null --metrics alarms`` on 200
series of 200 points (yahoo-synth) in this process (``--jobs 0``), on 1 and 2 worker processes and on a
2-worker local Dask cluster, and prints the wall time of the task phase and
the time per task. ``nab`` runs the full NAB corpus with the given detectors
on the same three backends. Each configuration runs in a fresh interpreter
(``python -m bench``), as a user would, with a fresh results folder; the
times exclude nothing (start-up, loading, evaluation included), and the
overhead is (wall - the same run's time with no tasks) / tasks.

``scale`` is issue 19's per-task target: ``null`` on ``--series-count``
series of ``--length`` points (yahoo-synth) with the default metrics, in this
process and on ``--jobs`` worker processes, end to end (planning, dispatch,
storing, evaluating; ``--plots none``, so the report is the HTML page alone).
Per task = (wall - the one-series run's wall) / tasks; the CPU column is the
same difference in CPU seconds of the run and its workers (less sensitive than
wall time to other work on the machine). Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BACKENDS = {
    "this process": ["--jobs", "0"],
    "1 worker process": ["--jobs", "1"],
    "2 worker processes": ["--jobs", "2"],
    "2-worker Dask LocalCluster": ["--jobs", "2", "--backend", "dask"],
}


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 3):
        print(proc.stderr, file=sys.stderr)
        raise SystemExit(proc.returncode)
    return wall


def task_seconds(out: Path) -> tuple[int, float]:
    records = [json.loads(p.read_text()) for p in (out / "tasks").rglob("*.json")]
    return len(records), sum(r.get("fit_seconds", 0) + r.get("score_seconds", 0) for r in records)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("overhead", "nab", "scale"))
    parser.add_argument("--detector", default="lstm,iforest,zscore")
    parser.add_argument("--series-count", type=int, default=1000, help="scale: series (default 1000)")
    parser.add_argument("--length", type=int, default=500, help="scale: points per series (default 500)")
    parser.add_argument("--jobs", type=int, default=2, help="scale: worker processes (default 2)")
    args = parser.parse_args()
    if args.what == "scale":
        return scale(args.series_count, args.length, args.jobs)
    if args.what == "nab" and not os.environ.get("BENCH_NAB_SOURCE"):
        shared = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "nab"
        if shared.exists():
            os.environ["BENCH_NAB_SOURCE"] = str(shared)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        if args.what == "overhead":
            # the cheapest metric family, so the time is the runner's (VUS alone costs ~15 ms a series)
            run = ["--detector", "null", "--no-baselines", "--dataset", "yahoo-synth", "--metrics", "alarms"]
            run += ["--param", "yahoo-synth.n_series=200", "--param", "yahoo-synth.length=200"]
        else:
            run = ["--detector", args.detector, "--no-baselines", "--dataset", "nab", "--data-dir", str(data)]
            subprocess.run([sys.executable, "-m", "bench", "datasets", "fetch", "nab", "--data-dir", str(data), "-q"])
        base = [sys.executable, "-m", "bench", "run", *run, "-q", "--plots", "none"]
        # the same command with a series filter matching one series: start-up, loading and evaluation alone
        first = "synth_000" if args.what == "overhead" else "realKnownCause/nyc_taxi"
        one = timed([*base, "--series", first, "--out", str(Path(tmp) / "one"), "--jobs", "0"])
        print(f"{os.cpu_count()} cores; fixed cost (start-up, loading, one task, evaluation): {one:.1f} s")
        print(f"{'backend':28s} {'wall s':>8s} {'tasks':>6s} {'task s':>8s} {'ms per task':>12s}")
        for name, flags in BACKENDS.items():
            out = Path(tmp) / name.replace(" ", "_")
            wall = timed([*base, *flags, "--out", str(out)])
            n, busy = task_seconds(out)
            per_task = (wall - one) / n * 1000
            print(f"{name:28s} {wall:8.1f} {n:6d} {busy:8.1f} {per_task:12.1f}")
    return 0


def cpu_seconds() -> float:
    """User + system CPU seconds of the finished child processes (and the workers they waited for) so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def scale(n_series: int, length: int, jobs: int) -> int:
    """Per-task cost of ``null`` (default metrics) on ``n_series`` x ``length``, in this process and on workers."""
    run = ["--detector", "null", "--no-baselines", "--dataset", "yahoo-synth", "-q", "--plots", "none"]
    run += ["--param", f"yahoo-synth.n_series={n_series}", "--param", f"yahoo-synth.length={length}"]
    base = [sys.executable, "-m", "bench", "run", *run]
    with tempfile.TemporaryDirectory() as tmp:
        cpu0 = cpu_seconds()
        one = timed([*base, "--series", "synth_000", "--out", str(Path(tmp) / "one"), "--jobs", "0"])
        one_cpu = cpu_seconds() - cpu0
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start (other work shares them)")
        print(f"{n_series} series x {length} points, null, default metrics; fixed cost (one series): {one:.1f} s")
        print(
            f"{'where':24s} {'wall s':>8s} {'tasks':>6s} {'detector s':>11s} {'ms per task':>12s} {'CPU ms/task':>12s}"
        )
        for name, flags in {"this process": ["--jobs", "0"], f"{jobs} worker processes": ["--jobs", str(jobs)]}.items():
            out = Path(tmp) / name.replace(" ", "_")
            cpu0 = cpu_seconds()
            wall = timed([*base, *flags, "--out", str(out)])
            cpu = cpu_seconds() - cpu0 - one_cpu
            n, busy = task_seconds(out)
            print(f"{name:24s} {wall:8.1f} {n:6d} {busy:11.2f} {(wall - one) / n * 1000:12.1f} {cpu / n * 1000:12.1f}")
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
