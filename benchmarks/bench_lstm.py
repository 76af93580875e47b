"""Time the LSTM detector's fit and score on every series of NAB and yahoo-synth, in one process.

Usage::

    BENCH_NAB_SOURCE=../shared/datasets/nab python benchmarks/bench_lstm.py [--dataset nab,yahoo-synth]
        [--param hidden_size=32 ...] [--seeds 0,1,2] [--threads 1] [--save DIR] [--totals-only]

For each series the detector is fitted on the training part and scores the
whole series, as the runner does; the script prints, per series, the fit and
score seconds (wall) and the epochs run, then per dataset and seed the totals
(wall and CPU). One torch thread by default, as in the runner's worker
processes; the wall time of a whole ``bench run`` (worker processes,
evaluation) is what ``benchmarks/bench_run_nab.py`` measures. ``--save DIR``
writes the scores to ``DIR/<dataset>-seed<k>.npz`` (one array per series,
and its warm-up count as ``n_warmup:<series>``) for quality checks.
Not a test: it takes a minute or more and measures speed.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def parse_value(text: str) -> Any:
    """A Python literal (``32``, ``3e-3``, ``None``, ``False``), else the text itself (``cpu``)."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def load(dataset: str, data_dir: Path) -> list[Any]:
    """The dataset's series through the registry (NAB from ``$BENCH_NAB_SOURCE`` or ``../shared``)."""
    from bench import registry

    if dataset == "nab" and not os.environ.get("BENCH_NAB_SOURCE"):
        shared = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "nab"
        if shared.exists():
            os.environ["BENCH_NAB_SOURCE"] = str(shared)
    return list(registry.get_dataset_loader(dataset)(data_dir))


def time_series(params: dict[str, Any], series: Any, seed: int) -> tuple[dict[str, float], np.ndarray]:
    """Fit on the training part and score the whole series; the timings and the scores."""
    from bench.detectors.lstm import LSTMDetector

    det = LSTMDetector(**{**params, "seed": seed})
    w0, c0 = time.perf_counter(), time.process_time()
    det.fit(series.train)
    w1, c1 = time.perf_counter(), time.process_time()
    scores = det.score(series.values)
    w2, c2 = time.perf_counter(), time.process_time()
    row = {"fit_s": w1 - w0, "fit_cpu": c1 - c0, "score_s": w2 - w1, "score_cpu": c2 - c1}
    return {**row, "epochs": float(det.epochs_run_), "n_warmup": float(det.n_warmup_)}, scores


def run_dataset(dataset: str, series: list[Any], params: dict[str, Any], seed: int, args: argparse.Namespace) -> None:
    rows, saved = [], {}
    for s in series:
        row, scores = time_series(params, s, seed)
        rows.append(row)
        saved[s.name] = scores
        saved[f"n_warmup:{s.name}"] = np.int64(row["n_warmup"])
        if not args.totals_only:
            print(
                f"  {dataset} {s.name:58s} n={len(s):6d} train={s.train_end:4d}  fit {row['fit_s']:6.2f} s "
                f"({row['epochs']:2.0f} epochs)  score {row['score_s']:6.2f} s",
                flush=True,
            )
    total = {k: sum(r[k] for r in rows) for k in ("fit_s", "fit_cpu", "score_s", "score_cpu", "epochs")}
    print(
        f"{dataset} seed={seed}: {len(rows)} series, {sum(len(s) for s in series)} points; "
        f"fit {total['fit_s']:.1f} s (cpu {total['fit_cpu']:.1f}, {total['epochs']:.0f} epochs), "
        f"score {total['score_s']:.1f} s (cpu {total['score_cpu']:.1f}), "
        f"total {total['fit_s'] + total['score_s']:.1f} s",
        flush=True,
    )
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        np.savez(args.save / f"{dataset}-seed{seed}.npz", **saved)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="nab,yahoo-synth")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="an LSTMDetector parameter")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1, as in the runner's workers)")
    parser.add_argument("--series", default="", help="only series whose name contains this text")
    parser.add_argument("--save", type=Path, help="write the scores here, one .npz per dataset and seed")
    parser.add_argument("--totals-only", action="store_true", help="no line per series")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    params: dict[str, Any] = {"device": "cpu"}
    for item in args.param:
        name, _, text = item.partition("=")
        params[name] = parse_value(text)
    print(f"LSTMDetector({', '.join(f'{k}={v!r}' for k, v in params.items())}), {args.threads} thread(s)")
    with tempfile.TemporaryDirectory() as tmp:
        for dataset in args.dataset.split(","):
            series = [s for s in load(dataset, Path(tmp) / "data") if args.series in s.name]
            for seed in (int(k) for k in args.seeds.split(",")):
                run_dataset(dataset, series, params, seed, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
