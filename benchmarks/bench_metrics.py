"""Time each metric beside its reference implementation on the same arrays, at 10^4, 10^5, 10^6 points.

Run: ``python benchmarks/bench_metrics.py [--sizes 10000 100000 1000000] [--max-ref-size N]``.
Needs the reference packages of the test extra (prts, vus, tsb-ad, scikit-learn). Prints one row
per (metric, size): our seconds, the reference's, their ratio, and the largest value difference.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np

from bench.metrics import (
    affiliation_curve,
    auc_pr,
    auc_roc,
    best_f1_threshold,
    event_prf,
    prf_curve,
    range_prf,
    vus,
)


def make_arrays(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """About one event per 2000 points, lengths 1..200; scores uniform plus a little signal."""
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=np.int64)
    for a in rng.choice(n, max(n // 2000, 2), replace=False):
        y[a : a + int(rng.integers(1, 200))] = 1
    s = rng.random(n) + 0.3 * y
    return y, s


def timed(fn: Callable[..., object], *args: object) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def references() -> dict[str, tuple[Callable, Callable]]:
    import prts
    from sklearn.metrics import average_precision_score, roc_auc_score
    from TSB_AD.evaluation.basic_metrics import basic_metricor
    from vus.metrics import get_metrics

    grader = basic_metricor()

    def ours_vus(y, s, p):
        v = vus(y, s, 100)
        return [v.roc, v.pr]

    def ref_vus(y, s, p):
        r = get_metrics(s, y, metric="vus", slidingWindow=100)
        return [r["VUS_ROC"], r["VUS_PR"]]

    def ours_range(y, s, p):
        r = range_prf(y, p)
        return [r.precision, r.recall]

    def ref_range(y, s, p):
        return [prts.ts_precision(y, p), prts.ts_recall(y, p)]

    return {
        "VUS-ROC+PR (w=100)": (ours_vus, ref_vus),
        "range P+R (prts defaults)": (ours_range, ref_range),
        "PA-F1 sweep (ours: every score; ref: 100 thr)": (
            lambda y, s, p: [best_f1_threshold(y, s, adjusted=True).f1],
            lambda y, s, p: [grader.metric_PointF1PA(y, s)],
        ),
        "PA-F1 sweep on the ref's 100 thr (equal values)": (
            lambda y, s, p: [prf_curve(y, s, np.linspace(s.min(), s.max(), 100), adjusted=True, strict=True).f1.max()],
            lambda y, s, p: [grader.metric_PointF1PA(y, s)],
        ),
        "affiliation sweep (100 thr)": (
            lambda y, s, p: [float(np.nanmax(affiliation_curve(y, s, 100, strict=True).f1))],
            lambda y, s, p: [grader.metric_Affiliation(y, s)],
        ),
        "AUC-ROC + AUC-PR (sklearn)": (
            lambda y, s, p: [auc_roc(y, s), auc_pr(y, s)],
            lambda y, s, p: [roc_auc_score(y, s), average_precision_score(y, s)],
        ),
        "event F1 at a threshold (TSB-AD)": (
            lambda y, s, p: [event_prf(y, p).f1],
            lambda y, s, p: [grader.metric_EventF1PA(y, s, preds=p)],
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10**4, 10**5, 10**6])
    parser.add_argument("--max-ref-size", type=int, default=10**6, help="skip references above this size")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"{'metric':48s} {'n':>8s} {'ours s':>9s} {'ref s':>9s} {'ratio':>8s} {'max |diff|':>11s}")
    for name, (ours, ref) in references().items():
        for n in args.sizes:
            y, s = make_arrays(n)
            p = (s > 0.99).astype(np.int64)
            t_ours, v_ours = timed(ours, y, s, p)
            if n <= args.max_ref_size:
                t_ref, v_ref = timed(ref, y, s, p)
                diff = float(np.max(np.abs(np.subtract(v_ours, v_ref))))
                print(f"{name:48s} {n:8d} {t_ours:9.4f} {t_ref:9.3f} {t_ref / t_ours:8.1f} {diff:11.2e}", flush=True)
            else:
                print(f"{name:48s} {n:8d} {t_ours:9.4f} {'skipped':>9s}", flush=True)


if __name__ == "__main__":
    main()
