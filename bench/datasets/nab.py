"""The Numenta Anomaly Benchmark (NAB v1.1): pinned download and loading of its 58 labelled series.

Source: numenta/NAB at commit :data:`REVISION` (MIT licence). Every file used
is pinned by sha256 in ``nab_manifest.txt`` beside this module. Labels follow
NAB's own conventions:

- point labels are 1 inside the anomaly windows of
  ``labels/combined_windows.json``, both window ends included (NAB's
  ``CorpusLabel.getLabels`` keeps ``t1 <= timestamp <= t2``);
- the exact labelled anomaly instants of ``labels/combined_labels.json`` are
  kept as ``Series.anomaly_points``;
- the training part is NAB's probationary period,
  ``min(floor(0.15 * n), 0.15 * 5000)`` points (``getProbationPeriod`` in NAB's
  ``nab/util.py``).

Set ``BENCH_NAB_SOURCE`` to a local copy of NAB (a folder holding ``data/``
and ``labels/``) or a mirror base URL to avoid the canonical GitHub source.
"""

from __future__ import annotations

import difflib
import json
import math
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.datasets import data_root, restore_hint
from bench.datasets.download import FetchReport, VerifyReport, fetch_files, parse_manifest, verify_files
from bench.datasets.info import DatasetInfo
from bench.errors import DataError, UnknownNameError
from bench.series import Series

REVISION = "ea702d75cc2258d9d7dd35ca8e5e2539d71f3140"
"""The numenta/NAB commit every file is pinned to (NAB v1.1)."""

BASE_URL = f"https://raw.githubusercontent.com/numenta/NAB/{REVISION}"
"""The canonical source: ``BASE_URL/<path>`` for every path of the manifest."""

SOURCE_ENV = "BENCH_NAB_SOURCE"
WINDOWS_FILE = "labels/combined_windows.json"
LABELS_FILE = "labels/combined_labels.json"
PROBATIONARY_PERCENT = 0.15
"""NAB's probationary share of each series (``probationaryPercent`` in NAB's ``run.py``)."""
INFO = {
    "nab": DatasetInfo(
        name="nab",
        description=(
            "Numenta Anomaly Benchmark v1.1 (Lavin & Ahmad, ICMLA 2015): 58 real and artificial univariate series "
            "in 7 categories (AWS CloudWatch, ad exchange, known causes, traffic, tweets, artificial) with labelled "
            "anomaly windows. The training part is NAB's probationary period (15%, at most 750 points); runs "
            "report NAB's own normalised score beside NAB's published scoreboard."
        ),
        size="58 series, 365,558 points, 1,127-22,695 points each; 8 MB",
        licence="MIT (numenta/NAB)",
        source=f"numenta/NAB @ {REVISION[:7]} (pinned, sha256 of every file; BENCH_NAB_SOURCE for a mirror)",
        access="download",
    )
}


@lru_cache(maxsize=1)
def manifest() -> dict[str, str]:
    """``{relative path: sha256}`` of the 58 data CSVs and the two combined label files."""
    text = resources.files("bench.datasets").joinpath("nab_manifest.txt").read_text(encoding="utf-8")
    return parse_manifest(text, "bench/datasets/nab_manifest.txt")


def data_files() -> list[str]:
    """Relative paths of the 58 data CSVs (``data/<category>/<file>.csv``), sorted."""
    return sorted(p for p in manifest() if p.startswith("data/"))


def series_names() -> list[str]:
    """The 58 series names, ``<category>/<file stem>``, sorted (e.g. ``realKnownCause/nyc_taxi``)."""
    return sorted(p[len("data/") : -len(".csv")] for p in data_files())


def probationary_period(n: int, percent: float = PROBATIONARY_PERCENT) -> int:
    """NAB's probationary length for a series of ``n`` points: ``min(floor(percent*n), percent*5000)``.

    Follows ``getProbationPeriod`` in numenta/NAB ``nab/util.py``; with the
    default 15 % this is at most 750 points.

    >>> probationary_period(10320), probationary_period(4032), probationary_period(1000)
    (750, 604, 150)
    """
    return int(min(math.floor(percent * n), percent * 5000))


def resolve_source(source: str | os.PathLike[str] | None = None) -> str:
    """The source to fetch from: ``source``, else ``$BENCH_NAB_SOURCE``, else :data:`BASE_URL`."""
    if source is not None:
        return os.fspath(source)
    return os.environ.get(SOURCE_ENV) or BASE_URL


def _hint(source: str | os.PathLike[str] | None) -> str:
    what = "a local copy of NAB (a folder holding data/ and labels/) or a mirror base URL"
    if source is not None:
        return f"Check the NAB source {os.fspath(source)!r} (or use {SOURCE_ENV}): it should be {what}."
    env = os.environ.get(SOURCE_ENV)
    if env:
        return f"Check {SOURCE_ENV}={env!r}: it should be {what}."
    return f"No {SOURCE_ENV} is set; set {SOURCE_ENV} to {what} (needed without network access)."


def fetch(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    source: str | os.PathLike[str] | None = None,
    progress: bool = False,
    paths: list[str] | None = None,
    backoff: float = 0.5,
    retries: int = 3,
) -> Path:
    """Download NAB (only what is missing or corrupt) into ``<data root>/nab`` and return that folder.

    Parameters
    ----------
    data_dir
        Data root (see :func:`bench.datasets.data_root`); files land in ``<root>/nab``.
    source
        A folder, ``file://`` URL or base URL replacing the canonical GitHub
        source; defaults to ``$BENCH_NAB_SOURCE``, else :data:`BASE_URL`.
    progress
        Show a tqdm progress bar.
    paths
        Relative paths to fetch (default: the whole manifest).
    backoff, retries
        Passed to :func:`bench.datasets.download.fetch_files`.

    Raises
    ------
    bench.errors.DownloadError, bench.errors.ChecksumError, bench.errors.OutputError
        As :func:`bench.datasets.download.fetch_files`; messages name ``BENCH_NAB_SOURCE``.
    """
    return fetch_report(data_dir, source=source, progress=progress, paths=paths, backoff=backoff, retries=retries).dest


def fetch_report(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    source: str | os.PathLike[str] | None = None,
    progress: bool = False,
    paths: list[str] | None = None,
    backoff: float = 0.5,
    retries: int = 3,
    refuse_changed: bool = False,
) -> FetchReport:
    """As :func:`fetch`, but return the :class:`~bench.datasets.download.FetchReport` (what was downloaded).

    With ``refuse_changed`` (what :func:`load` does), a file on disk that
    differs from its pin is a :class:`~bench.errors.ChecksumError` naming it,
    instead of being fetched again.
    """
    return fetch_files(
        sorted(manifest()) if paths is None else paths,
        manifest(),
        data_root(data_dir) / "nab",
        resolve_source(source),
        label="NAB",
        hint=_hint(source),
        retries=retries,
        backoff=backoff,
        progress=progress,
        refuse_changed=restore_hint("nab", data_dir) if refuse_changed else None,
    )


def verify(data_dir: str | os.PathLike[str] | None = None) -> VerifyReport:
    """Re-hash every pinned NAB file under ``<data root>/nab`` against its sha256; download nothing."""
    return verify_files(sorted(manifest()), manifest(), data_root(data_dir) / "nab")


def load(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    source: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> list[Series]:
    """All 58 NAB series, sorted by name, fetching first whatever is missing.

    Every file on disk is checked against its pinned sha256 (through the
    digest cache, see :class:`~bench.datasets.download.DigestCache`); a file
    changed since it was downloaded is refused
    (:class:`~bench.errors.ChecksumError` naming it, both hashes and how to
    restore it), never used nor silently replaced.

    See the module docstring for the label conventions; ``metadata`` holds
    ``category``, ``file`` (``data/<category>/<file>.csv``), ``windows``
    (``[[start, end], ...]`` timestamp strings as in NAB) and ``revision``.
    """
    return parse(fetch_report(data_dir, source=source, progress=progress, refuse_changed=True).dest)


def parse(nab_dir: str | os.PathLike[str], names: list[str] | None = None) -> list[Series]:
    """Read NAB series from a folder holding ``data/`` and ``labels/`` (no download, no hash check).

    Parameters
    ----------
    nab_dir
        The NAB folder (what :func:`fetch` returns).
    names
        Series names to read (default: all 58), see :func:`series_names`.
    """
    nab_dir = Path(nab_dir)
    all_names = series_names()
    if names is None:
        names = all_names
    for name in names:
        if name not in all_names:
            close = difflib.get_close_matches(name, all_names, n=3)
            raise UnknownNameError(
                f"Unknown NAB series {name!r}. "
                + (f"Did you mean {', '.join(close)}? " if close else "")
                + "Names are <category>/<file stem>, e.g. realKnownCause/nyc_taxi."
            )
    windows = _read_json(nab_dir / WINDOWS_FILE)
    points = _read_json(nab_dir / LABELS_FILE)
    return [_read_series(nab_dir, name, windows, points) for name in sorted(names)]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            return dict(json.load(fh))
    except FileNotFoundError:
        raise DataError(f"NAB label file {path} is missing; run `python -m bench datasets fetch nab`.") from None


def _read_series(nab_dir: Path, name: str, windows: dict[str, Any], points: dict[str, Any]) -> Series:
    key = f"{name}.csv"
    rel = f"data/{key}"
    try:
        frame = pd.read_csv(nab_dir / rel, usecols=["timestamp", "value"])
    except FileNotFoundError:
        raise DataError(f"NAB file {nab_dir / rel} is missing; run `python -m bench datasets fetch nab`.") from None
    ts = pd.to_datetime(frame["timestamp"], format="%Y-%m-%d %H:%M:%S").to_numpy(dtype="datetime64[ns]")
    values = frame["value"].to_numpy(dtype=np.float64)
    n = len(values)

    # A few NAB files repeat a timestamp (around DST changes) and machine_temperature
    # steps back once, so nothing here assumes sorted timestamps: labels are
    # NAB's mask t1 <= t <= t2 over all rows, and an event runs from the first
    # row stamped t1 to the first row stamped t2 (where NAB's sweeper enters
    # and leaves the window).
    raw_windows = [[str(a), str(b)] for a, b in windows.get(key, [])]
    labels = np.zeros(n, dtype=np.int8)
    events: list[tuple[int, int]] = []
    for start_s, end_s in raw_windows:
        start, end = _instants([start_s, end_s])
        labels[(ts >= start) & (ts <= end)] = 1
        lo, hi = _first_row(ts, start, rel), _first_row(ts, end, rel)
        events.append((lo, hi + 1))

    anomaly_points = np.array([_first_row(ts, t, rel) for t in _instants(points.get(key, []))], dtype=np.int64)

    category = name.split("/", 1)[0]
    return Series(
        dataset="nab",
        name=name,
        values=values,
        labels=labels,
        timestamps=ts,
        events=tuple(events),
        train_end=probationary_period(n),
        anomaly_points=anomaly_points,
        metadata={"category": category, "file": rel, "windows": raw_windows, "revision": REVISION},
    )


def _first_row(ts: np.ndarray, instant: np.datetime64, rel: str) -> int:
    """Index of the first row stamped ``instant``; NAB label files only use instants present in the data."""
    hits = np.flatnonzero(ts == instant)
    if hits.size == 0:
        raise DataError(f"NAB file {rel}: labelled timestamp {instant} does not occur in the file.")
    return int(hits[0])


def _instants(texts: list[str]) -> np.ndarray:
    """NAB timestamp strings (with or without ``.ffffff``) as ``datetime64[ns]``."""
    return pd.to_datetime(pd.Series(texts, dtype=object), format="ISO8601").to_numpy(dtype="datetime64[ns]")
