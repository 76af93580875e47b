"""A tiny generated run for the plot and HTML tests: series with spikes, detector traces, and their metric records."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.metrics.auc import auc_pr
from bench.metrics.point import point_prf
from bench.report.plots import Trace
from bench.series import Series

DETECTORS = ("spike", "smooth", "lstm[window_size=20]", "random", "null")


def make_series(i: int, n: int = 600, channels: int = 1, timestamps: bool = True) -> Series:
    rng = np.random.default_rng(i)
    t = np.arange(n)
    values = np.sin(2 * np.pi * t / 50)[:, None] + 0.1 * rng.standard_normal((n, channels))
    labels = np.zeros(n, np.int8)
    for start in (250 + 20 * i, 450):
        labels[start : start + 10] = 1
        values[start : start + 10] += 3.0
    ts = np.datetime64("2024-01-01T00:00") + t.astype("timedelta64[m]") * 5 if timestamps else None
    return Series(
        "toy", f"group{i % 2}/s{i}", values, labels, ts, train_end=150, metadata={"category": f"group{i % 2}"}
    )


def make_traces(s: Series, seed: int = 0) -> dict[str, Trace]:
    rng = np.random.default_rng(seed)
    v = s.values[:, 0]
    raw = {
        "spike": np.abs(v - np.convolve(v, np.ones(25) / 25, mode="same")),
        "smooth": np.convolve(np.abs(v), np.ones(9) / 9, mode="same"),
        "lstm[window_size=20]": np.abs(v) + 0.3 * rng.random(len(v)),
        "random": rng.random(len(v)),
        "null": np.full(len(v), 0.5),
    }
    out = {}
    for det, sc in raw.items():
        train = sc[: s.train_end]
        thr = float(train.mean() + 3 * train.std())
        out[det] = Trace(sc, thr, sc[s.train_end :] >= thr)
    return out


def make_run(n_series: int = 6, seeds: tuple[int, ...] = (0, 1)) -> tuple[list[Series], dict, pd.DataFrame]:
    """Series, ``{(series name, seed): traces}`` and the metric records (per series and ``(mean)``)."""
    series = [make_series(i) for i in range(n_series)]
    traces, rows = {}, []
    for seed in seeds:
        for s in series:
            tr = make_traces(s, seed)
            traces[(s.name, seed)] = tr
            y = s.labels[s.train_end :]
            for det, t in tr.items():
                prf = point_prf(y, t.alarms)
                values = {
                    "auc_pr": auc_pr(y, t.scores[s.train_end :]),
                    "f1": prf.f1,
                    "alarms": float(t.alarms.sum()),
                    "threshold": t.threshold,
                }
                rows += [("toy", s.name, "", det, seed, m, float(v)) for m, v in values.items()]
    frame = pd.DataFrame(rows, columns=["dataset", "series", "aggregate", "detector", "seed", "metric", "value"])
    means = frame.groupby(["dataset", "detector", "seed", "metric"], sort=False)["value"].mean().reset_index()
    means["series"], means["aggregate"] = "", "mean"
    return series, traces, pd.concat([frame, means[frame.columns]], ignore_index=True)
