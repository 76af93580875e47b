"""The Yahoo Webscope S5 CSV format: read the real (licensed) files, write any univariate series in it.

The reader accepts ``A1Benchmark/real_*.csv`` and ``A2Benchmark/synthetic_*.csv``
(``timestamp,value,is_anomaly``) and ``A3Benchmark/A3Benchmark-TS*.csv``,
``A4Benchmark/A4Benchmark-TS*.csv`` (``timestamps,value,anomaly,changepoint,
trend,noise,seasonality1,seasonality2,seasonality3``). The writer exports any
series in the A3/A4 layout. Registered as the dataset ``yahoo-s5``
(``--dataset yahoo-s5:PATH`` or ``--dataset yahoo-s5 --data-dir DIR``).
"""

from __future__ import annotations

import csv
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bench.datasets.info import DatasetInfo
from bench.datasets.synthetic import DECIMALS, GENERATOR_ID, _components, _int
from bench.errors import DataError, ParameterError
from bench.series import Series

S5_DATASET = "yahoo-s5"
HOW_TO_GET = (
    "Yahoo Webscope S5 needs a (free) licence agreement: request 'S5 - A Labeled Anomaly Detection Dataset' at "
    "https://webscope.sandbox.yahoo.com, unpack it, and run with --dataset yahoo-s5:PATH (the folder holding "
    "A1Benchmark ... A4Benchmark) or put it in <data-dir>/yahoo-s5."
)
INFO = {
    S5_DATASET: DatasetInfo(
        name=S5_DATASET,
        description=(
            "Yahoo Webscope S5 (Laptev et al., KDD 2015): A1 (real production traffic), A2-A4 (synthetic, with "
            "outliers and change points), read from your own download. S5 has no split: the first 30% of each "
            "series is the training part (option train_fraction)."
        ),
        size="367 univariate series (A1 67, A2 100, A3 100, A4 100), 741-1680 points each",
        licence="Yahoo Webscope data licence (research use; not redistributable)",
        source="webscope.sandbox.yahoo.com (no download by bench)",
        access="user-download",
    )
}
S5_COLUMNS = (
    "timestamps",
    "value",
    "anomaly",
    "changepoint",
    "trend",
    "noise",
    "seasonality1",
    "seasonality2",
    "seasonality3",
)
_UNIX_MIN = 10**8  # integer timestamps at least this large are Unix seconds (after 1973-03-03)


def _natural_key(path: Path) -> list[Any]:
    """``real_2`` before ``real_10``."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path.as_posix())]


def _floats(column: pd.Series) -> NDArray[np.float64]:
    """Strings to float64 with Python's correctly rounded parser (exact round trip); NaN where unparsable."""
    out = np.empty(len(column))
    for i, text in enumerate(column):
        try:
            out[i] = float(text)
        except ValueError:
            out[i] = np.nan
    return out


def _timestamps(raw: pd.Series, path: Path) -> NDArray[np.datetime64] | None:
    """Unix seconds (A2-A4) to ``datetime64[ns]``; small integers (A1's 1, 2, ...) to ``None``."""
    ts = _floats(raw)
    if np.all(np.isfinite(ts)):
        if ts.min() >= _UNIX_MIN:
            return (ts.astype(np.int64) * 1_000_000_000).astype("datetime64[ns]")
        return None
    try:
        return pd.to_datetime(raw, format="ISO8601").to_numpy(dtype="datetime64[ns]")
    except (ValueError, TypeError) as exc:
        raise DataError(f"{path}: column {raw.name!r} holds neither numbers nor ISO 8601 dates ({exc}).") from None


def _binary(df: pd.DataFrame, column: str, path: Path) -> NDArray[np.int8]:
    col = _floats(df[column])
    bad = np.flatnonzero(~np.isin(col, (0.0, 1.0)))
    if bad.size:
        raise DataError(
            f"{path}: column {column!r} must hold 0 or 1; row {int(bad[0]) + 1} has {df[column].iloc[bad[0]]!r}."
        )
    return col.astype(np.int8)


def read_yahoo_s5(
    path: str | os.PathLike[str], *, name: str | None = None, train_end: int = 0, include_changepoints: bool = False
) -> Series:
    """One Yahoo S5 CSV file (any of A1-A4) as a Series of dataset ``yahoo-s5``.

    Parameters
    ----------
    path
        ``timestamp,value,is_anomaly`` (A1, A2) or ``timestamps,value,anomaly,
        changepoint,...`` (A3, A4; extra columns are ignored).
    name
        Series name; default: the file's stem.
    train_end
        S5 has no train/test split, so by default nothing is training data
        (``train_end=0``); pass the split you want.
    include_changepoints
        A4 marks change points in a ``changepoint`` column, separately from
        ``anomaly``; labels are the ``anomaly`` column only (as Yahoo scores
        them) unless this is true. Change point indices are always in
        ``metadata["changepoints"]``.

    Integer timestamps of at least 1e8 are Unix seconds; smaller ones (A1
    numbers its points 1, 2, ...) give ``timestamps=None``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"Yahoo S5 file {path} does not exist.")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"Cannot parse Yahoo S5 file {path}: {exc}.") from None
    df.columns = [str(c).strip() for c in df.columns]
    layout = (
        ("timestamps", "value", "anomaly")
        if "anomaly" in df.columns or "timestamps" in df.columns
        else ("timestamp", "value", "is_anomaly")
    )
    for column in layout:
        if column not in df.columns:
            raise DataError(
                f"Yahoo S5 file {path} has no column {column!r} (columns: {', '.join(df.columns)}). "
                "Expected timestamp,value,is_anomaly (A1/A2) or timestamps,value,anomaly,changepoint,... (A3/A4)."
            )
    if len(df) == 0:
        raise DataError(f"Yahoo S5 file {path} has a header but no rows.")
    values = _floats(df["value"])
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise DataError(
            f"{path}: column 'value' row {int(bad[0]) + 1} is not a finite number ({df['value'].iloc[bad[0]]!r})."
        )
    labels = _binary(df, layout[2], path)
    meta: dict[str, Any] = {"path": str(path), "layout": "A3/A4" if layout[0] == "timestamps" else "A1/A2"}
    if "changepoint" in df.columns:
        cps = _binary(df, "changepoint", path)
        meta["changepoints"] = [int(i) for i in np.flatnonzero(cps)]
        if include_changepoints:
            labels = labels | cps
    train_end = _int("train_end", train_end, 0)
    if train_end > len(df):
        raise ParameterError(f"train_end={train_end} is beyond the {len(df)} rows of {path}.")
    return Series(
        dataset=S5_DATASET,
        name=name or path.stem,
        values=values,
        labels=labels,
        timestamps=_timestamps(df[layout[0]], path),
        train_end=train_end,
        metadata=meta,
    )


def load_yahoo_s5(
    folder: str | os.PathLike[str], *, train_fraction: float = 0.0, include_changepoints: bool = False
) -> list[Series]:
    """Every S5 CSV under ``folder`` (one benchmark folder or the S5 root), in natural order.

    Names are paths relative to ``folder`` without ``.csv``
    (``A1Benchmark/real_1``). The per-benchmark summary files
    ``A3Benchmark_all.csv`` and ``A4Benchmark_all.csv`` are skipped.
    ``train_end = int(train_fraction * n)`` per series (0 by default: S5 has
    no split).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(
            f"Yahoo S5 folder {folder} does not exist; point it at the unpacked S5 data "
            "(the folder holding A1Benchmark ... A4Benchmark, or one of them)."
        )
    if isinstance(train_fraction, bool) or not isinstance(train_fraction, (int, float)) or not 0 <= train_fraction < 1:
        raise ParameterError(f"train_fraction must be a number in [0, 1); got {train_fraction!r}.")
    files = sorted((p for p in folder.rglob("*.csv") if not p.stem.endswith("_all")), key=_natural_key)
    if not files:
        raise DataError(f"No Yahoo S5 .csv files under {folder}.")
    out = []
    for p in files:
        s = read_yahoo_s5(
            p, name=p.relative_to(folder).with_suffix("").as_posix(), include_changepoints=include_changepoints
        )
        out.append(
            Series(
                dataset=s.dataset,
                name=s.name,
                values=s.values,
                labels=s.labels,
                timestamps=s.timestamps,
                train_end=int(train_fraction * len(s)),
                metadata=s.metadata,
            )
        )
    return out


def _fmt(x: float) -> str:
    return "" if not math.isfinite(x) else repr(float(x))


def write_yahoo_s5(series: Series, path: str | os.PathLike[str]) -> Path:
    """Write a univariate series in the A3/A4 layout; returns the path.

    ``timestamps`` are Unix seconds (``1, 2, ...`` when the series has none);
    ``anomaly`` is the labels; ``changepoint`` marks the starts of generated
    level shifts (or ``metadata["changepoints"]``). For generated series the
    ``trend``, ``noise`` and ``seasonality1..3`` columns hold the components
    rebuilt from the metadata (``noise`` is what remains once trend,
    seasonality and the injected anomalies are removed); otherwise they are
    empty. Values are written with Python's shortest round-trip repr.
    """
    if series.n_channels != 1:
        raise DataError(f"The Yahoo S5 layout holds one channel; {series.key} has {series.n_channels}.")
    n = len(series)
    x = series.values[:, 0]
    if series.timestamps is None:
        ts = np.arange(1, n + 1, dtype=np.int64)
    else:
        ts = np.asarray(series.timestamps).astype("datetime64[s]").astype(np.int64)
    meta = series.metadata
    cp = np.zeros(n, dtype=np.int8)
    empty = np.full(n, np.nan)
    trend, noise, seas = empty, empty, [empty, empty, empty]
    if meta.get("generator") == GENERATOR_ID:
        trend, comps, effect = _components(n, meta)
        rest = x - trend - effect
        for c in comps:
            rest = rest - c
        noise = np.round(rest, DECIMALS)
        seas = [np.round(c, DECIMALS) for c in comps] + [empty] * (3 - len(comps))
        trend = np.round(trend, DECIMALS)
        cp[[a["start"] for a in meta["anomalies"] if a["kind"] == "level_shift"]] = 1
    else:
        cp[list(meta.get("changepoints", []))] = 1
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(S5_COLUMNS)
        for i in range(n):
            w.writerow(
                [int(ts[i]), _fmt(x[i]), int(series.labels[i]), int(cp[i]), _fmt(trend[i]), _fmt(noise[i])]
                + [_fmt(s[i]) for s in seas]
            )
    return path


def load(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    progress: bool = False,
    path: str | None = None,
    train_fraction: float = 0.3,
    include_changepoints: bool = False,
) -> list[Series]:
    """The ``yahoo-s5`` dataset loader: the licensed S5 files the user downloaded from Yahoo Webscope.

    Parameters
    ----------
    data_dir
        Data root (:func:`bench.datasets.data_root`); the files are read from
        ``<root>/yahoo-s5`` (or the root itself when it holds the S5 folders).
    path
        The S5 folder, overriding ``data_dir`` (``--dataset yahoo-s5:PATH``).
    train_fraction
        S5 has no train/test split; the first ``train_fraction`` of each series
        is the training part (default 0.3, so every detector has data to fit).
        Labels inside it are kept, but metrics cover only the rest.
    include_changepoints
        As in :func:`read_yahoo_s5`.
    """
    from bench.datasets import data_root

    del progress
    if path is None:
        root = data_root(data_dir)
        folder = root / S5_DATASET
        path = str(folder if folder.is_dir() or not root.is_dir() else root)
    return load_yahoo_s5(path, train_fraction=train_fraction, include_changepoints=include_changepoints)
