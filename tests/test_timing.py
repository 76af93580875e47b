"""Recorded fit times measure the detector, not the first use of its libraries in a fresh process (issue 16, item 8).

The one test here compares wall times, as the issue asks, with a generous
margin: a fresh process's recorded fit must be within 2x (+ 0.05 s) of the
same fit warmed up. Before the runner's warm-up, a fresh process recorded
about 10x (0.86 s against 0.08 s for iforest on nyc_taxi).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.datasets import nab
from bench.detectors.iforest import IsolationForestDetector

REPO_ROOT = Path(__file__).resolve().parent.parent
SERIES = "realKnownCause/nyc_taxi"


def _fresh_fit_seconds(tmp_path: Path, nab_mirror: Path, jobs: int, tag: str) -> float:
    """``fit_seconds`` that a new ``python -m bench run`` process records for iforest on SERIES."""
    out = tmp_path / f"run-{tag}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        "BENCH_NAB_SOURCE": str(nab_mirror),
        "BENCH_DATA_DIR": str(tmp_path / "data"),
    }
    # --jobs 0 runs the task in the bench process itself, --jobs 2 in a spawned worker process
    cmd = [sys.executable, "-m", "bench", "run", "--detector", "iforest", "--dataset", "nab", "--series", SERIES]
    cmd += ["--no-baselines", "--metrics", "point", "--jobs", str(jobs), "--out", str(out), "-q"]
    subprocess.run(cmd, env=env, check=True, timeout=600, capture_output=True)
    (record,) = [json.loads(p.read_text()) for p in (out / "tasks").rglob("nyc_taxi.json")]
    assert record["status"] == "ok" and record["series"] == SERIES
    return float(record["fit_seconds"])


@pytest.mark.parametrize("jobs", [0, 2], ids=["this-process", "worker-pool"])
def test_fresh_process_records_a_warm_fit_time(tmp_path: Path, nab_mirror: Path, jobs: int) -> None:
    (series,) = [s for s in nab.parse(nab_mirror) if s.name == SERIES]
    IsolationForestDetector().fit(series.train)  # this process is warm now
    warm = []
    for _ in range(3):
        det = IsolationForestDetector()
        t0 = time.perf_counter()
        det.fit(series.train)
        warm.append(time.perf_counter() - t0)
    # the least of two fresh processes: load on a shared machine only adds, first-use costs would be in both
    fresh = min(_fresh_fit_seconds(tmp_path, nab_mirror, jobs, f"{jobs}-{k}") for k in range(2))
    assert fresh <= 2 * min(warm) + 0.05, f"fresh process recorded {fresh:.3f} s; warm fits took {warm}"
