"""Time the report of existing run folders (``build_report``), the series loaded beforehand as ``bench run`` does.

Usage::

    python benchmarks/bench_report.py RUN_DIR [RUN_DIR ...] [--reps 2] [--profile]

For each run folder the script loads its series (not timed: that is the
data loader's cost, measured by ``benchmarks/bench_scale.py``), then builds
the report ``--reps`` times and prints each build's wall and CPU seconds and
the process's peak resident memory. Matplotlib is imported before the clock
starts (``bench run`` has it loaded when its report starts; a first import
costs about a second). CPU seconds are printed beside wall seconds because
the wall time of a loaded machine says little. ``--profile`` writes a
cProfile (CPU clock) of the last build to ``RUN_DIR.report.prof``.

To compare two versions side by side, run it with each checkout first on
``PYTHONPATH``, on the same folders, in one session. Workloads of issue
19.4: a 10^6-point CSV series with ``zscore``, and 1,000 yahoo-synth series
of 500 points with five rows; e.g.::

    python -m bench run --detector zscore --dataset csv:big.csv --out /tmp/big
    python -m bench run --detector zscore,mad --param zscore.window_size=20,50 --param mad.window_size=20 \\
        --dataset yahoo-synth --param yahoo-synth.n_series=1000 --param yahoo-synth.length=500 \\
        --plots none --out /tmp/many

Not a test: it measures speed.
"""

from __future__ import annotations

import argparse
import cProfile
import resource
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    import matplotlib.figure  # noqa: F401  (imported once per process either way; not the report's own cost)

    from bench.loading import load_series
    from bench.report.build import build_report
    from bench.results import RunStore
    from bench.runfolder import read_config

    for run in args.runs:
        store = RunStore(run)
        series = load_series(read_config(store))
        points = sum(len(s) for s in series)
        for i in range(args.reps):
            prof = cProfile.Profile(time.process_time) if args.profile and i == args.reps - 1 else None
            wall, cpu = time.perf_counter(), time.process_time()
            if prof is not None:
                prof.enable()
            build_report(store, series=series)
            if prof is not None:
                prof.disable()
                prof.dump_stats(str(run) + ".report.prof")
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(
                f"{run}: {len(series)} series, {points:,} points: report wall {wall:.2f} s, cpu {cpu:.2f} s", flush=True
            )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (series loading included)")


if __name__ == "__main__":
    main()
