"""Issue 19's scale measurements (items 1-5) side by side in one run, for this checkout and optionally an older one.

Usage::

    python benchmarks/bench_scale.py                                  # this checkout, full size
    python benchmarks/bench_scale.py --against /path/to/old/checkout  # before / after / ratio
    python benchmarks/bench_scale.py --points 2000 --series 20 --length 200 --only csv,small

Parts (``--only``):

- ``csv``: one generated CSV series of ``--points`` rows (timestamp,value,label; numpy, seeded, the same
  file for both checkouts). The project's CSV loader (``bench.datasets.csv.load``) beside
  ``pandas.read_csv`` + ``pandas.to_datetime`` of the same file, each timed in its own interpreter
  (imports excluded); then ``bench run --detector zscore --dataset csv:FILE`` (the sanity baselines and the
  report included, as a user runs it): wall, the zscore row's fit + score seconds from its task record,
  peak memory, the report stage's seconds, and the bytes the run folder holds per stored point.
- ``small``: ``bench run --detector null --no-baselines --jobs 2`` on ``--series`` yahoo-synth series of
  ``--length`` points, and the same run on one series. Cost per task =
  ((wall - report) - (one-series wall - its report)) / (tasks - 1), the start-up, loading of one series
  and the run's fixed stages left out; bytes per stored point of that folder.
- ``report``: the report stage of ``bench run`` with five cheap rows (null, random, zscore, mad,
  gaussian) on the same series.

Every command runs in a fresh interpreter with ``PYTHONPATH`` set to the checkout measured, under a
wrapper process of its own, so its peak memory (``getrusage(RUSAGE_CHILDREN)``: the largest single
process, workers included) is its own. With ``--against``, each measurement runs on the old checkout, then
on this one, before the next starts, so both sides see the same load. The report's seconds are read
from the line ``bench run`` prints (``Report: ... (N files, S s)``); where a checkout prints none,
``bench report`` is timed on its own. Task records are found by walking the run folder for JSON files
holding ``fit_seconds``; the score store is every file in the run folder's sub-folders other than
``report/``, ``tasks/`` and ``evaluations/``, whatever its extension. Not a test: the full size takes
many minutes; the machine's load average is printed beside the table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[1]
PARTS = ("csv", "small", "report")
REPORT_ROWS = ["--detector", "null,random,zscore,mad,gaussian"]
REPORT_ROWS += ["--param", "gaussian.window_size=100", "--param", "gaussian.step_size=10"]
NOT_STORE = ("report", "tasks", "evaluations")  # run-folder sub-folders that hold no scores

# (key, label, part): the table's rows, in order
ROWS = [
    ("load_s", "CSV loader, s", "csv"),
    ("pandas_s", "pandas.read_csv + to_datetime, s", "csv"),
    ("load_x_pandas", "loader / pandas (x)", "csv"),
    ("load_mb", "loader peak memory, MB", "csv"),
    ("run_s", "csv run: wall, s", "csv"),
    ("detector_s", "csv run: zscore fit + score, s", "csv"),
    ("run_mb", "csv run: peak memory, MB", "csv"),
    ("run_report_s", "csv run: report stage, s", "csv"),
    ("csv_store_b", "csv run: score store, bytes per point", "csv"),
    ("csv_folder_b", "csv run: whole folder, bytes per point", "csv"),
    ("task_ms", "null, 2 workers: ms per task", "small"),
    ("small_s", "null, 2 workers: wall, s", "small"),
    ("small_store_b", "null run: score store, bytes per point", "small"),
    ("small_folder_b", "null run: whole folder, bytes per point", "small"),
    ("report_s", "5 rows: report stage, s", "report"),
    ("report_run_s", "5 rows: run wall, s", "report"),
]

_WRAPPER = """
import json, resource, subprocess, sys, time
cmd = json.loads(sys.argv[1])
t0 = time.perf_counter()
proc = subprocess.run(cmd, capture_output=True, text=True, cwd=sys.argv[2])
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
json.dump({"rc": proc.returncode, "wall": wall, "peak_kb": peak, "out": proc.stdout, "err": proc.stderr}, sys.stdout)
"""

_LOAD = """
import json, sys, time
import bench
from bench.datasets.csv import load
t0 = time.perf_counter()
series = load(path=sys.argv[1])
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "points": sum(len(s.values) for s in series), "module": bench.__file__}))
"""

_PANDAS = """
import json, sys, time
import pandas as pd
t0 = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
stamps = pd.to_datetime(frame["timestamp"], format="ISO8601")
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "points": len(stamps)}))
"""

_REPORT_LINE = re.compile(r"^Report: .*\((?:\d+ files?, )?([0-9.]+) s\)\s*$", re.MULTILINE)


@dataclass
class Done:
    """One finished command: exit code, wall seconds, peak memory of its largest process, its output."""

    rc: int
    wall: float
    peak_mb: float
    out: str
    err: str


def measured(cmd: list[str], checkout: Path, cwd: Path) -> Done:
    """Run ``cmd`` with ``PYTHONPATH=checkout`` under a wrapper interpreter of its own; fail loudly on an error."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    wrapper = subprocess.run(
        [sys.executable, "-c", _WRAPPER, json.dumps(cmd), str(cwd)], capture_output=True, text=True, env=env
    )
    if wrapper.returncode != 0:
        raise SystemExit(f"the measuring wrapper failed:\n{wrapper.stderr}")
    got = json.loads(wrapper.stdout)
    done = Done(got["rc"], got["wall"], got["peak_kb"] / 1024, got["out"], got["err"])
    if done.rc != 0:
        raise SystemExit(f"{' '.join(cmd)}\nexited with {done.rc} (PYTHONPATH={checkout}):\n{done.err[-3000:]}")
    return done


def write_csv(path: Path, points: int, seed: int = 0) -> None:
    """A NAB-style series: one-minute timestamps, a noisy daily sine, labelled level shifts and spikes."""
    rng = np.random.default_rng(seed)
    t = np.arange(points)
    values = 10 + np.sin(2 * np.pi * t / 1440) + rng.normal(0, 0.2, points)
    labels = np.zeros(points, dtype=np.int8)
    for start in rng.choice(np.arange(points // 3, points - 60), size=max(1, points // 100_000), replace=False):
        labels[start : start + 50] = 1
        values[start : start + 50] += rng.choice([-3.0, 3.0])
    stamps = np.datetime64("2020-01-01T00:00:00") + t.astype("timedelta64[m]")
    text = np.char.replace(np.datetime_as_string(stamps, unit="s"), "T", " ")
    with path.open("w", encoding="utf-8") as fh:
        fh.write("timestamp,value,label\n")
        for lo in range(0, points, 100_000):
            hi = min(points, lo + 100_000)
            rows = (
                f"{s},{v!r},{y}"
                for s, v, y in zip(text[lo:hi], values[lo:hi].tolist(), labels[lo:hi].tolist(), strict=True)
            )
            fh.write("\n".join(rows) + "\n")


def task_records(folder: Path) -> list[dict]:
    """Every task record in a run folder, whatever the layout: JSON objects (or lists of them) with ``fit_seconds``."""
    found: list[dict] = []
    for path in sorted(folder.rglob("*.json")):
        if path.relative_to(folder).parts[0] == "report":
            continue
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        found += [o for o in (obj if isinstance(obj, list) else [obj]) if isinstance(o, dict) and "fit_seconds" in o]
    return found


def folder_bytes(folder: Path) -> tuple[int, int, list[str]]:
    """(score store bytes, whole folder bytes, the sub-folders counted as the store)."""
    store = whole = 0
    parts: set[str] = set()
    for path in folder.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        size = path.stat().st_size
        whole += size
        rel = path.relative_to(folder).parts
        if len(rel) > 1 and rel[0] not in NOT_STORE:
            store += size
            parts.add(rel[0])
    return store, whole, sorted(parts)


def report_seconds(done: Done, out: Path, checkout: Path, work: Path) -> float:
    """The report stage's seconds as ``bench run`` printed them, else ``bench report`` timed on its own."""
    match = _REPORT_LINE.search(done.out)
    if match:
        return float(match.group(1))
    return measured([sys.executable, "-m", "bench", "report", "-q", str(out)], checkout, work).wall


def ok_records(out: Path) -> list[dict]:
    return [r for r in task_records(out) if r.get("status", "ok") == "ok"]


def stored_points(records: list[dict]) -> float:
    points = sum(int(r.get("n_points") or 0) for r in records)
    return points if points else math.nan


def measure_csv(side: str, checkout: Path, work: Path, file: Path, stats: dict, notes: list[str]) -> None:
    py = sys.executable
    loaded = measured([py, "-c", _LOAD, str(file)], checkout, work)
    load = json.loads(loaded.out)
    if not Path(load["module"]).resolve().is_relative_to(checkout.resolve()):
        raise SystemExit(f"{side}: bench was imported from {load['module']}, not from {checkout}")
    stats["load_s"] = load["seconds"]
    stats["load_mb"] = loaded.peak_mb
    pandas = json.loads(measured([py, "-c", _PANDAS, str(file)], checkout, work).out)
    stats["pandas_s"] = pandas["seconds"]
    stats["load_x_pandas"] = stats["load_s"] / stats["pandas_s"]
    out = work / f"{side}-csv-run"
    cmd = [py, "-m", "bench", "run", "-q", "--detector", "zscore", "--dataset", f"csv:{file}", "--out", str(out)]
    done = measured([*cmd, "--data-dir", str(work / "data")], checkout, work)
    records = ok_records(out)
    stats["run_s"], stats["run_mb"] = done.wall, done.peak_mb
    zscore = [r for r in records if r.get("detector") == "zscore"]
    stats["detector_s"] = sum(r["fit_seconds"] + r["score_seconds"] for r in zscore) if zscore else math.nan
    stats["run_report_s"] = report_seconds(done, out, checkout, work)
    store, whole, parts = folder_bytes(out)
    points = stored_points(records)
    stats["csv_store_b"], stats["csv_folder_b"] = store / points, whole / points
    notes.append(f"{side}: csv run, {len(records)} tasks, score store = {', '.join(parts) or 'nothing'}")


def synth(series: int, length: int) -> list[str]:
    return [
        "--dataset",
        "yahoo-synth",
        "--param",
        f"yahoo-synth.n_series={series}",
        "--param",
        f"yahoo-synth.length={length}",
    ]


def measure_small(
    side: str, checkout: Path, work: Path, args: argparse.Namespace, stats: dict, notes: list[str]
) -> None:
    base = [sys.executable, "-m", "bench", "run", "-q", "--detector", "null", "--no-baselines", "--jobs", "2"]
    base += ["--data-dir", str(work / "data")]
    one_out, out = work / f"{side}-one", work / f"{side}-small"
    one = measured([*base, *synth(1, args.length), "--out", str(one_out)], checkout, work)
    full = measured([*base, *synth(args.series, args.length), "--out", str(out)], checkout, work)
    fixed = one.wall - report_seconds(one, one_out, checkout, work)
    variable = full.wall - report_seconds(full, out, checkout, work) - fixed
    records, one_records = ok_records(out), ok_records(one_out)
    stats["task_ms"] = variable / (len(records) - len(one_records)) * 1000 if len(records) > 1 else math.nan
    stats["small_s"] = full.wall
    store, whole, parts = folder_bytes(out)
    points = stored_points(records)
    stats["small_store_b"], stats["small_folder_b"] = store / points, whole / points
    notes.append(f"{side}: null run, {len(records)} tasks, fixed cost {fixed:.1f} s, score store = {', '.join(parts)}")


def measure_report(side: str, checkout: Path, work: Path, args: argparse.Namespace, stats: dict) -> None:
    out = work / f"{side}-report"
    cmd = [sys.executable, "-m", "bench", "run", "-q", *REPORT_ROWS, "--no-baselines", "--jobs", "2"]
    cmd += [*synth(args.series, args.length), "--data-dir", str(work / "data"), "--out", str(out)]
    done = measured(cmd, checkout, work)
    stats["report_s"] = report_seconds(done, out, checkout, work)
    stats["report_run_s"] = done.wall


def revision(checkout: Path) -> str:
    """The checkout's short commit, marked dirty when it has uncommitted changes."""
    git = ["git", "-C", str(checkout)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    return (head or "not a git checkout") + (" + uncommitted changes" if dirty.stdout.strip() else "")


def number(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.1f}"


def table(sides: list[str], stats: dict[str, dict], parts: list[str]) -> str:
    head = ["measure", *sides] + (["after / before"] if len(sides) == 2 else [])
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    for key, label, part in ROWS:
        if part not in parts:
            continue
        values = [stats[s][key] for s in sides]
        cells = [number(v) for v in values]
        if len(sides) == 2:
            cells.append(number(values[1] / values[0]) if values[0] else "n/a")
        lines.append("| " + " | ".join([label, *cells]) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=1_000_000, help="rows of the CSV series (default: 10^6)")
    parser.add_argument("--series", type=int, default=1000, help="series of the small runs (default: 1000)")
    parser.add_argument("--length", type=int, default=500, help="points per small series (default: 500)")
    parser.add_argument("--only", default=",".join(PARTS), help=f"parts, comma-separated, of {', '.join(PARTS)}")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (its path is printed)")
    parser.add_argument("--against", type=Path, help="an older checkout to measure first (the 'before' column)")
    args = parser.parse_args()
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    if unknown := sorted(set(parts) - set(PARTS)):
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    if args.against is not None and not (args.against / "bench" / "__init__.py").is_file():
        parser.error(f"--against {args.against}: no bench package there")
    checkouts = {"before": args.against.resolve(), "after": HERE} if args.against else {"this checkout": HERE}
    sides = list(checkouts)
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    stats: dict[str, dict] = {side: {key: math.nan for key, _, _ in ROWS} for side in sides}
    notes: list[str] = []
    load_before = os.getloadavg()
    try:
        file = work / "series.csv"
        if "csv" in parts:
            write_csv(file, args.points)
        for part in parts:
            for side, checkout in checkouts.items():
                print(f"[{part}] {side} ({checkout})", file=sys.stderr, flush=True)
                if part == "csv":
                    measure_csv(side, checkout, work, file, stats[side], notes)
                elif part == "small":
                    measure_small(side, checkout, work, args, stats[side], notes)
                else:
                    measure_report(side, checkout, work, args, stats[side])
    finally:
        if args.keep:
            print(f"work folder kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    for side, checkout in checkouts.items():
        print(f"- {side}: {checkout} at {revision(checkout)}")
    print(f"- csv series: {args.points:,} points; small runs: {args.series:,} series x {args.length:,} points")
    print(
        f"- {os.cpu_count()} cores; load average (1 min) {load_before[0]:.1f} at the start, "
        f"{load_after[0]:.1f} at the end"
    )
    for note in notes:
        print(f"- {note}")
    print()
    print(table(sides, stats, parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
