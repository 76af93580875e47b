"""Time NAB's full scoring pipeline (three profiles, threshold optimisation, normalisation) on the NAB corpus.

Usage::

    python benchmarks/bench_nab_score.py [--reference DIR] [--mirror DIR] [--detector NAME] [--repeat N]

``--reference`` is the folder of NAB reference outputs (default
``../shared/reference/nab`` beside the repository, or ``$BENCH_SHARED_DIR/reference/nab``);
``--mirror`` the NAB mirror with ``labels/combined_windows.json`` and ``data/``.
File loading is not timed. The scores are checked against ``expected.json``
(1e-6) and the script exits 1 when they differ. NAB's own pipeline takes 17 to
22 seconds per detector for the same work.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from bench.datasets import nab as nab_dataset
from bench.metrics.nab import NabSeries, nab_corpus
from bench.scorefiles import read_score_dir


def _shared() -> Path:
    env = os.environ.get("BENCH_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parent.parent.parent / "shared"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=_shared() / "reference" / "nab")
    parser.add_argument("--mirror", type=Path, default=_shared() / "datasets" / "nab")
    parser.add_argument("--detector", default="numenta")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)

    series = nab_dataset.parse(args.mirror)
    scores, _ = read_score_dir(args.reference / args.detector, series)
    corpus = [NabSeries(scores[s.name], s.events, s.train_end) for s in series]
    rows = sum(len(s) for s in series)

    best = float("inf")
    result = {}
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = nab_corpus(corpus)
        best = min(best, time.perf_counter() - start)
    print(
        f"NAB pipeline, {args.detector}: {len(series)} series, {rows} rows, 3 profiles: "
        f"best of {args.repeat}: {best:.4f} s"
    )

    expected = json.loads((args.reference / "expected.json").read_text())[args.detector]
    ok = True
    for name, r in result.items():
        want = expected[name]
        same = (
            abs(r.raw_score - want["raw_score"]) <= 1e-6 and abs(r.normalised_score - want["normalised_score"]) <= 1e-6
        )
        ok &= same
        print(
            f"  {name:20s} threshold {r.threshold:.12g} raw {r.raw_score:.9f} "
            f"normalised {r.normalised_score:.9f}  NAB {want['normalised_score']:.9f} "
            f"{'same' if same else 'DIFFERENT'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
