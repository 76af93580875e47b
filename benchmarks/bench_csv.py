"""Time and peak memory of the ``csv`` dataset loader on one NAB-style file, fast path against line by line.

Run: ``python benchmarks/bench_csv.py [--rows 1000000] [--repeat 3] [--no-label]``.
Writes ``timestamp,value,label`` rows (5-minute steps, floats written with
``repr``) to a temporary file, then loads it in a fresh process per reader,
so each peak resident memory is its own: the loader as it is (pyarrow fast
path), the loader with the fast path switched off (the line-by-line reader,
as before issue 19), and ``pandas.read_csv`` with ``parse_dates`` for scale.
Prints seconds (best of ``--repeat``), peak RSS (``VmHWM``), the peak after the imports,
and each reader's time as a multiple of the fast path's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CHILD = r"""
import json, resource, sys, time
from unittest import mock
import pandas as pd
import pyarrow
from bench.datasets import csv_columns
from bench.datasets.csv import load

mode, path, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])


def peak_mb():
    # VmHWM is this process's own peak; ru_maxrss starts from the parent's RSS at fork on Linux
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


base = peak_mb()


def once():
    if mode == "pandas":
        frame = pd.read_csv(path, parse_dates=["timestamp"])
        return len(frame)
    if mode == "line-by-line":
        with mock.patch.object(csv_columns, "_read_fast", return_value=None):
            return len(load(path=path)[0].values)
    return len(load(path=path)[0].values)


best = float("inf")
for _ in range(repeat):
    t0 = time.perf_counter()
    rows = once()
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"seconds": best, "peak_mb": peak_mb(), "base_mb": base, "rows": rows}))
"""

READERS = ("fast path", "line-by-line", "pandas")


def write_file(path: Path, rows: int, label: bool, seed: int = 0) -> None:
    """A NAB-style file: ISO timestamps 5 minutes apart, a random walk written with repr, 0/1 labels."""
    rng = np.random.default_rng(seed)
    times = np.datetime64("2014-04-01T00:00:00") + np.arange(rows) * np.timedelta64(5, "m")
    stamps = np.char.replace(np.datetime_as_string(times, unit="s"), "T", " ")
    values = rng.normal(size=rows).cumsum().tolist()
    labels = (rng.random(rows) < 0.01).astype(int)
    labels[: rows // 2] = 0  # the training part is anomaly-free
    with path.open("w") as f:
        f.write("timestamp,value" + (",label" if label else "") + "\n")
        for i in range(rows):
            f.write(f"{stamps[i]},{values[i]!r}" + (f",{labels[i]}" if label else "") + "\n")


def measure(reader: str, path: Path, repeat: int) -> dict[str, float]:
    mode = {"fast path": "fast", "line-by-line": "line-by-line", "pandas": "pandas"}[reader]
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", CHILD, mode, str(path), str(repeat)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-label", action="store_true", help="write timestamp,value only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "series.csv"
        write_file(path, args.rows, not args.no_label)
        size = path.stat().st_size / 1e6
        print(f"{args.rows} rows, {size:.1f} MB; best of {args.repeat}; each reader in its own process")
        results = {r: measure(r, path, args.repeat) for r in READERS}
    fast = results["fast path"]["seconds"]
    print(f"{'reader':<14}{'seconds':>9}{'x fast':>8}{'peak MB':>9}{'after imports':>15}{'peak - imports':>16}")
    for reader, r in results.items():
        print(
            f"{reader:<14}{r['seconds']:>9.3f}{r['seconds'] / fast:>8.1f}{r['peak_mb']:>9.0f}"
            f"{r['base_mb']:>15.0f}{r['peak_mb'] - r['base_mb']:>16.0f}"
        )


if __name__ == "__main__":
    main()
