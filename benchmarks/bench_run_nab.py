"""Time the main job, ``python -m bench run --detector lstm --dataset nab``, end to end on this machine.

Usage::

    BENCH_NAB_SOURCE=../shared/datasets/nab python benchmarks/bench_run_nab.py [--detector lstm] [-- extra run args]

Runs the command in a subprocess (a fresh interpreter, as a user would), with
a temporary data root and results folder, and prints the wall time, the
per-detector fit/score totals from the run's task records, and the headline
metrics of the summary. Not a test: it takes minutes and measures speed.
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

import pandas as pd


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--detector", default="lstm")
    parser.add_argument("--dataset", default="nab")
    parser.add_argument("--keep", help="write the run folder here instead of a temporary folder")
    parser.add_argument("extra", nargs="*", help="more arguments for 'bench run' (after --)")
    args = parser.parse_args()
    if args.dataset == "nab" and not os.environ.get("BENCH_NAB_SOURCE"):
        shared = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "nab"
        if shared.exists():
            os.environ["BENCH_NAB_SOURCE"] = str(shared)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.keep) if args.keep else Path(tmp) / "run"
        data = Path(tmp) / "data"
        # fetch first so the timing below is the run itself, not the download
        subprocess.run(
            [sys.executable, "-m", "bench", "datasets", "fetch", args.dataset, "--data-dir", str(data), "-q"],
            check=False,
            capture_output=True,
        )
        cmd = [
            sys.executable,
            "-m",
            "bench",
            "run",
            "--detector",
            args.detector,
            "--dataset",
            args.dataset,
            "--data-dir",
            str(data),
            "--out",
            str(out),
            "-q",
            *args.extra,
        ]
        print("$", " ".join(cmd), flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        print(proc.stdout)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return proc.returncode
        records = [json.loads(p.read_text()) for p in (out / "tasks").rglob("*.json")]
        frame = pd.DataFrame(records)
        print(f"wall time: {wall:.1f} s on {os.cpu_count()} cores ({len(frame)} tasks)")
        ok = frame[frame.status == "ok"]
        totals = ok.groupby("detector")[["fit_seconds", "score_seconds"]].sum()
        totals["series"] = ok.groupby("detector").size()
        print(totals.round(2).to_string())
        failed = frame[frame.status != "ok"]
        if len(failed):
            print(f"{len(failed)} failed tasks:\n{failed[['detector', 'series', 'error']].to_string()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
