"""The Yahoo-style synthetic generator (``yahoo-synth``): seeded series with injected, labelled anomalies.

The generator builds series like the synthetic part of Yahoo's Webscope S5
benchmark (A3: outliers, A4: outliers and change points; Laptev, Amizadeh and
Flint, "Generic and Scalable Framework for Automated Time-series Anomaly
Detection", KDD 2015): a trend, up to three seasonal components, Gaussian
noise, and labelled anomalies injected after a clean training prefix. It needs
no download, so it is the suite's embedded default dataset. The S5 file
format (reading the real files, writing generated ones) is
:mod:`bench.datasets.yahoo_s5`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.errors import ParameterError
from bench.series import Series

DATASET = "yahoo-synth"
GENERATOR_ID = "bench.datasets.yahoo.generate"
"""``metadata["generator"]`` of generated series (kept from the module's first name, so metadata stays stable)."""
DECIMALS = 6
"""Generated values are rounded to this many decimals (see :func:`generate`)."""
ORIGIN = np.datetime64("2020-01-01T00:00:00", "ns")
"""Timestamp of the first generated point; points are one hour apart."""
KINDS = ("outlier", "level_shift", "collective")
DEFAULT_KINDS = {"outlier": 0.6, "level_shift": 0.2, "collective": 0.2}
"""Kind weights when ``kinds`` is not given."""
MIN_PART = 10
"""The training prefix and the test part each need at least this many points."""


def _range(name: str, value: Any, *, low: float = 0.0, integer: bool = False) -> tuple[float, float]:
    """A ``(lo, hi)`` knob (a single number means ``(x, x)``), checked to be ordered and ``>= low``."""
    pair = (
        (value, value) if isinstance(value, (int, float)) else tuple(value) if isinstance(value, (tuple, list)) else ()
    )
    ok = len(pair) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pair)
    if ok and integer:
        ok = all(float(v).is_integer() for v in pair)
    if not ok or not all(math.isfinite(v) for v in pair) or not low <= pair[0] <= pair[1]:
        kind = "integers" if integer else "numbers"
        raise ParameterError(
            f"{name} must be a number or a pair (lo, hi) of {kind} with {low} <= lo <= hi; got {value!r}."
        )
    return float(pair[0]), float(pair[1])


def _int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ParameterError(f"{name} must be an integer >= {low}; got {value!r}.")
    return int(value)


def _min_length(train_fraction: float) -> int:
    """Smallest length whose training prefix and test part both have ``MIN_PART`` points."""
    length = 2 * MIN_PART
    while int(train_fraction * length) < MIN_PART or length - int(train_fraction * length) < MIN_PART:
        length += 1
    return length


def _check(opts: dict[str, Any]) -> dict[str, Any]:
    """Validate every knob of :func:`generate`; return them normalised."""
    out = dict(opts)
    out["n_series"] = _int("n_series", opts["n_series"], 1)
    out["seed"] = _int("seed", opts["seed"], 0)
    out["length"] = _int("length", opts["length"], 1)
    f = opts["train_fraction"]
    if isinstance(f, bool) or not isinstance(f, (int, float)) or not 0 < f < 1:
        raise ParameterError(f"train_fraction must be a number in (0, 1); got {f!r}.")
    if out["length"] < _min_length(f):
        raise ParameterError(
            f"length={out['length']} is too short: with train_fraction={f} the training prefix has "
            f"{int(f * out['length'])} points and the test part {out['length'] - int(f * out['length'])}; "
            f"each needs at least {MIN_PART}. Use length >= {_min_length(f)}."
        )
    rate = opts["anomaly_rate"]
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 0.5:
        raise ParameterError(f"anomaly_rate must be a number in [0, 0.5]; got {rate!r}.")
    periods = tuple(opts["periods"]) if isinstance(opts["periods"], (tuple, list)) else (None,)
    if not all(isinstance(p, (int, np.integer)) and not isinstance(p, bool) and p >= 2 for p in periods):
        raise ParameterError(f"periods must be integers >= 2 (points per cycle); got {opts['periods']!r}.")
    out["periods"] = tuple(int(p) for p in periods)
    lo, hi = _range("n_seasonal", opts["n_seasonal"], integer=True)
    if hi > min(3, len(periods)):
        raise ParameterError(
            f"n_seasonal={opts['n_seasonal']!r} asks for more seasonal components than allowed: "
            f"at most 3 (the S5 layout) and at most len(periods)={len(periods)}."
        )
    out["n_seasonal"] = (int(lo), int(hi))
    for name in ("amplitude", "noise_std", "level", "outlier_size", "shift_size"):
        out[name] = _range(name, opts[name], low=-math.inf if name == "level" else 0.0)
    out["slope"] = _range("slope", opts["slope"], low=-math.inf)
    lo, hi = _range("collective_length", opts["collective_length"], low=2, integer=True)
    out["collective_length"] = (int(lo), int(hi))
    out["shift_label_width"] = _int("shift_label_width", opts["shift_label_width"], 1)
    out["min_gap"] = _int("min_gap", opts["min_gap"], 1)
    kinds = DEFAULT_KINDS if opts["kinds"] is None else opts["kinds"]
    weights = (
        dict(kinds)
        if isinstance(kinds, Mapping)
        else {k: 1.0 for k in kinds}
        if isinstance(kinds, (tuple, list))
        else {kinds: 1.0}
    )
    unknown = sorted(set(weights) - set(KINDS))
    bad = [w for w in weights.values() if not isinstance(w, (int, float)) or not w >= 0 or not math.isfinite(w)]
    if unknown or bad or sum(weights.values()) <= 0:
        raise ParameterError(
            f"kinds must map anomaly kinds ({', '.join(KINDS)}) to non-negative weights with a positive sum; "
            f"got {kinds!r}."
        )
    out["kinds"] = {k: float(weights.get(k, 0.0)) for k in KINDS}
    return out


def _seasonal(length: int, period: int, amplitude: float, phase: float) -> NDArray[np.float64]:
    """``amplitude * sin(2 pi t / period + phase)``, with ``t`` reduced modulo the period first."""
    t = np.arange(length, dtype=np.float64) % period
    return amplitude * np.sin(2.0 * np.pi * (t / period) + phase)


_Parts = tuple[NDArray[np.float64], list[NDArray[np.float64]], NDArray[np.float64]]


def _components(length: int, meta: Mapping[str, Any]) -> _Parts:
    """Trend, seasonal components and anomaly effect of a generated series, rebuilt from its metadata."""
    trend = meta["level"] + meta["slope"] * np.arange(length, dtype=np.float64)
    seasonal = [_seasonal(length, s["period"], s["amplitude"], s["phase"]) for s in meta["seasonal"]]
    effect = np.zeros(length)
    for a in meta["anomalies"]:
        if a["kind"] == "outlier":
            effect[a["start"]] += a["magnitude"]
        elif a["kind"] == "level_shift":
            effect[a["start"] :] += a["magnitude"]  # a change point: the new level persists
        else:
            effect[a["start"] : a["end"]] += a["magnitude"]
    return trend, seasonal, effect


def _anomalies(
    rng: np.random.Generator, opts: dict[str, Any], train_end: int, length: int, sigma: float, amp: float
) -> list[dict[str, Any]]:
    """Draw the kinds, labelled lengths, positions and signed magnitudes of one series' anomalies."""
    n_test = length - train_end
    budget = int(math.floor(opts["anomaly_rate"] * n_test + 1e-9))
    names = list(KINDS)
    p = np.array([opts["kinds"][k] for k in names])
    specs: list[tuple[str, int]] = []
    remaining = budget
    while remaining > 0:
        kind = names[int(rng.choice(len(names), p=p / p.sum()))]
        if kind == "outlier":
            n = 1
        elif kind == "level_shift":
            n = opts["shift_label_width"]
        else:
            n = int(rng.integers(opts["collective_length"][0], opts["collective_length"][1] + 1))
        n = min(n, remaining)
        if kind == "collective" and n < 2:
            kind = "outlier"
        specs.append((kind, n))
        remaining -= n
    if not specs:
        return []
    specs = [specs[j] for j in rng.permutation(len(specs))]
    k = len(specs)
    # budget <= n_test / 2 and k <= budget, so the gap is at least 1: anomalies never touch.
    gap = min(opts["min_gap"], (n_test - budget) // k)
    slack = n_test - budget - gap * k
    offsets = np.sort(rng.integers(0, slack + 1, size=k))
    out, used = [], 0
    for i, (kind, n) in enumerate(specs):
        start = train_end + gap * (i + 1) + int(offsets[i]) + used
        used += n
        sign = 1.0 if rng.random() < 0.5 else -1.0
        if kind == "outlier":
            size = rng.uniform(*opts["outlier_size"]) * sigma + rng.uniform(0.0, 0.5) * amp
        else:
            size = rng.uniform(*opts["shift_size"]) * sigma
        out.append({"kind": kind, "start": start, "end": start + n, "magnitude": float(sign * size)})
    return out


def _one(i: int, opts: dict[str, Any]) -> Series:
    """Series ``i``: its own random stream ``SeedSequence([seed, i])``, independent of ``n_series``."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([opts["seed"], i])))
    length = opts["length"]
    train_end = int(opts["train_fraction"] * length)
    sigma = float(rng.uniform(*opts["noise_std"]))
    level = float(rng.uniform(*opts["level"]))
    slope = float(rng.uniform(*opts["slope"]))
    n_seas = int(rng.integers(opts["n_seasonal"][0], opts["n_seasonal"][1] + 1))
    periods = sorted(opts["periods"][j] for j in rng.choice(len(opts["periods"]), size=n_seas, replace=False))
    seasonal = [
        {
            "period": int(p),
            "amplitude": float(rng.uniform(*opts["amplitude"])),
            "phase": float(rng.uniform(0.0, 2.0 * np.pi)),
        }
        for p in periods
    ]
    noise = sigma * rng.standard_normal(length)
    amp = sum(s["amplitude"] for s in seasonal)
    anomalies = _anomalies(rng, opts, train_end, length, sigma, amp)
    meta: dict[str, Any] = {
        "generator": GENERATOR_ID,
        "seed": opts["seed"],
        "index": i,
        "level": level,
        "slope": slope,
        "noise_std": sigma,
        "seasonal": seasonal,
        "anomalies": anomalies,
        "decimals": DECIMALS,
    }
    trend, seas, effect = _components(length, meta)
    values = trend + noise + effect
    for s in seas:
        values = values + s
    labels = np.zeros(length, dtype=np.int8)
    for a in anomalies:
        labels[a["start"] : a["end"]] = 1
    return Series(
        dataset=DATASET,
        name=f"synth_{i:03d}",
        values=np.round(values, DECIMALS)[:, None],
        labels=labels,
        timestamps=ORIGIN + np.arange(length) * np.timedelta64(1, "h"),
        events=tuple((a["start"], a["end"]) for a in anomalies),
        train_end=train_end,
        anomaly_points=np.array([a["start"] for a in anomalies], dtype=np.int64),
        metadata=meta,
    )


def generate(
    n_series: int = 10,
    length: int = 1500,
    *,
    anomaly_rate: float = 0.01,
    train_fraction: float = 0.3,
    seed: int = 0,
    periods: tuple[int, ...] = (12, 24, 48, 168),
    n_seasonal: int | tuple[int, int] = (1, 3),
    amplitude: float | tuple[float, float] = (2.0, 10.0),
    noise_std: float | tuple[float, float] = (0.5, 1.5),
    level: float | tuple[float, float] = (0.0, 100.0),
    slope: float | tuple[float, float] = (-0.01, 0.01),
    kinds: Mapping[str, float] | tuple[str, ...] | None = None,
    outlier_size: float | tuple[float, float] = (3.0, 6.0),
    shift_size: float | tuple[float, float] = (3.0, 5.0),
    shift_label_width: int = 5,
    collective_length: int | tuple[int, int] = (5, 15),
    min_gap: int = 20,
) -> list[Series]:
    """Yahoo-style synthetic series with labelled anomalies after a clean training prefix.

    Each series (``yahoo-synth/synth_000``, ...) is, at hourly steps ``t``,
    ``level + slope * t + sum_j A_j sin(2 pi t / P_j + phi_j) + noise + anomalies``,
    the additive trend + seasonality + noise model of Yahoo S5's A3/A4 data
    (Laptev et al., KDD 2015). Per series, ``noise`` is Gaussian with standard
    deviation ``sigma`` drawn from ``noise_std``; ``level``, ``slope`` and each
    ``A_j`` are drawn uniformly from their ranges, the phases from ``[0, 2 pi)``,
    and the number of seasonal components from ``n_seasonal`` (inclusive),
    their periods (in points) without repetition from ``periods``. Every drawn
    parameter is in ``Series.metadata``.

    Anomalies (``metadata["anomalies"]``: kind, labelled ``[start, end)``,
    signed magnitude; also ``Series.events``, and their starts in
    ``Series.anomaly_points``):

    - ``outlier``: one point moved by ``U(outlier_size) * sigma + U(0, 0.5) * A``
      (``A`` the sum of seasonal amplitudes), labelled at that point;
    - ``level_shift``: a change point; from ``start`` to the end of the series
      the level moves by ``U(shift_size) * sigma``; the first
      ``shift_label_width`` points from the change are labelled;
    - ``collective``: ``U(collective_length)`` consecutive points offset by
      ``U(shift_size) * sigma``, all labelled.

    Signs are drawn at random. Kinds are drawn with the weights in ``kinds``
    (a mapping kind -> weight, or one kind or a tuple of kinds for equal weights; default
    ``DEFAULT_KINDS``: 60% outliers, 20% level shifts, 20% collective).

    Parameters
    ----------
    n_series, length
        How many series, and the number of points of each.
    anomaly_rate
        Fraction of labelled points in the test part, in ``[0, 0.5]``: each
        series gets exactly ``floor(anomaly_rate * (length - train_end))``
        labelled points (the last anomaly drawn is shortened to fit; a
        collective anomaly shortened to one point becomes an outlier).
    train_fraction
        ``train_end = int(train_fraction * length)``. Nothing at or before
        index ``train_end`` is anomalous (no outlier, no change point), so
        ``values[:train_end]`` is clean training data.
    seed
        Non-negative integer. Series ``i`` draws from its own stream
        ``PCG64(SeedSequence([seed, i]))``, so it does not depend on
        ``n_series``.
    min_gap
        At least this many unlabelled points before each anomaly (fewer only
        when ``anomaly_rate`` leaves no room, but always at least one, so
        events never touch).

    Returns
    -------
    list of Series
        Values ``(length, 1)`` rounded to ``DECIMALS`` (6) decimals, int8
        labels, hourly ``datetime64[ns]`` timestamps from ``ORIGIN``.

    Notes
    -----
    The rounding makes the bytes the same on every machine: ``np.sin`` may
    differ in the last bit between CPUs (SIMD against scalar code paths);
    rounding to 6 decimals absorbs such differences, except in the
    vanishingly rare case of a value within one ulp of a rounding boundary.

    Examples
    --------
    >>> s = generate(n_series=2, length=300, seed=1)[0]
    >>> s.key, s.values.shape, int(s.labels[: s.train_end + 1].sum())
    ('yahoo-synth/synth_000', (300, 1), 0)
    """
    opts = _check(
        {
            "n_series": n_series,
            "length": length,
            "anomaly_rate": anomaly_rate,
            "train_fraction": train_fraction,
            "seed": seed,
            "periods": periods,
            "n_seasonal": n_seasonal,
            "amplitude": amplitude,
            "noise_std": noise_std,
            "level": level,
            "slope": slope,
            "kinds": kinds,
            "outlier_size": outlier_size,
            "shift_size": shift_size,
            "shift_label_width": shift_label_width,
            "collective_length": collective_length,
            "min_gap": min_gap,
        }
    )
    return [_one(i, opts) for i in range(opts["n_series"])]


def load_synthetic(
    data_dir: str | os.PathLike[str] | None = None, *, progress: bool = False, **generate_kwargs: Any
) -> list[Series]:
    """The ``yahoo-synth`` dataset loader: :func:`generate` with its defaults (10 x 1500 points).

    ``data_dir`` and ``progress`` are accepted for the loader interface and
    ignored: nothing is downloaded, and generating takes milliseconds.
    """
    del data_dir, progress
    return generate(**generate_kwargs)


load_synthetic.options_signature = generate  # type: ignore[attr-defined]  # --param yahoo-synth.NAME=VALUE
