"""The score store's size and write time, before (another source tree, e.g. the previous release) and after.

Usage::

    python benchmarks/bench_store.py --before DIR [--full]

``DIR`` is a source tree of the release to compare with (``git archive <commit> | tar -x -C DIR``).
Two cases, as issue 19 measures them: one series of 10^6 points, and 300 yahoo-synth series of 1500
points, each with 3 rows (zscore, random, null) and 1 seed. For each tree, in a fresh interpreter
(``PYTHONPATH`` set to the tree), every task's result is stored through ``RunStore.write_task`` (the
runner's call) into an empty folder, timed; then the bytes of the store (``scores/`` + ``series/``) and of
the task records, per stored point per (row, seed): the store's bytes / (points x rows x seeds), timestamps
and labels counted once per series as they are stored. ``--full`` also runs ``bench run`` of each case
with each tree and measures the whole folder (report included) and its wall time. Not a test; the numbers
depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = {
    "1 series x 10^6 points": {"n_series": 1, "length": 1_000_000},
    "300 series x 1500 points": {"n_series": 300, "length": 1500},
}
ROWS = ("zscore", "random", "null")

WRITE = """
import json, sys, time
import numpy as np
from bench.datasets.synthetic import generate
from bench.records import TaskRecord
from bench.results import RunStore, Slot
out, n_series, length = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
series = generate(n_series=n_series, length=length)
rng = np.random.default_rng(0)
scores = {s.name: rng.random(len(s)) for s in series}
store = RunStore(out)
t0 = time.perf_counter()
for row in ROWS:
    for s in series:
        slot = Slot(row + "-0123456789", 0, s.dataset, s.name)
        record = TaskRecord("ok", key="k", detector=row, dataset=s.dataset, series=s.name, n_points=len(s))
        store.write_task(slot, record, scores[s.name], s)
print(json.dumps({"seconds": time.perf_counter() - t0, "points": sum(len(s) for s in series)}))
""".replace("ROWS", repr(ROWS))


def folder_bytes(path: Path) -> int:
    """Apparent size of every file under ``path`` (what the files hold, not the blocks they take)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def store_case(tree: Path, n_series: int, length: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        env = {**os.environ, "PYTHONPATH": str(tree)}
        cmd = [sys.executable, "-c", WRITE, tmp, str(n_series), str(length)]
        done = json.loads(subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True, check=True).stdout)
        root = Path(tmp)
        store = folder_bytes(root / "scores") + folder_bytes(root / "series")
        stored_points = done["points"] * len(ROWS)
        return {
            "write s": done["seconds"],
            "store MB": store / 1e6,
            "B/point": store / stored_points,
            "records B/point": folder_bytes(root / "tasks") / stored_points,
        }


def full_case(tree: Path, n_series: int, length: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-store-run-") as tmp:
        out = Path(tmp) / "run"
        env = {**os.environ, "PYTHONPATH": str(tree)}
        argv = ["--detector", "zscore", "--dataset", "yahoo-synth", "--param", f"yahoo-synth.n_series={n_series}"]
        argv += ["--param", f"yahoo-synth.length={length}", "-q", "--out", str(out)]
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bench", "run", *argv], env=env, cwd=tmp, capture_output=True, check=True)
        wall = time.perf_counter() - t0
        points = n_series * length * len(ROWS)
        store = folder_bytes(out / "scores") + folder_bytes(out / "series")
        return {"run wall s": wall, "folder MB": folder_bytes(out) / 1e6, "store B/point": store / points}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, type=Path, help="source tree of the release to compare with")
    parser.add_argument("--full", action="store_true", help="also run `bench run` of each case with each tree")
    args = parser.parse_args()
    after = Path(__file__).resolve().parent.parent
    for case, size in CASES.items():
        for name, tree in (("before", args.before), ("after", after)):
            got = store_case(tree, **size)
            if args.full:
                got.update(full_case(tree, **size))
            print(f"{case:26} {name:6} " + "  ".join(f"{k} {v:.3f}" for k, v in got.items()), flush=True)


if __name__ == "__main__":
    main()
