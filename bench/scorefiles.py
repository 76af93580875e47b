"""Reading anomaly scores produced elsewhere (one CSV per series, NAB's results layout) and scoring them.

A scores folder holds one file per series, ``<category>/<detector>_<file>.csv``
as NAB's ``results/<detector>/`` folders do, or plainly ``<category>/<file>.csv``;
``.csv.gz`` is read too. Each file needs an ``anomaly_score`` column with one
finite number per row of the series, in the series' row order. Files at the top
of the folder (NAB keeps its ``<detector>_<profile>_scores.csv`` tables there)
are not read, unless a series has no category.

When a file has a ``timestamp`` column and the series has timestamps, every
row's timestamp (ISO 8601 or Unix seconds; offsets converted to UTC) must equal
the series' timestamp of the same row, so shuffled rows or files swapped
between series are refused, naming the first row that differs. A file without
a ``timestamp`` column (or for a series without timestamps) is matched by row
count and order only, as before.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bench.datasets.csv_time import parse_timestamps, show_time
from bench.errors import DataError
from bench.metrics.nab import NabSeries, Profile, nab_corpus, published_scores
from bench.series import Series

SCORE_COLUMN = "anomaly_score"
TIMESTAMP_COLUMN = "timestamp"
_SUFFIXES = (".csv.gz", ".csv")


def _split_name(s: Series) -> tuple[str, str]:
    """(category, file stem) of a series named ``<category>/<file stem>``."""
    category = s.metadata.get("category")
    head, _, stem = s.name.rpartition("/")
    return (str(category) if category is not None else head), stem


def _stem(path: Path) -> str | None:
    for suffix in _SUFFIXES:
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return None


def _match(stem: str, wanted: Mapping[str, Series]) -> tuple[str, str] | None:
    """(detector prefix, series stem) for a file stem: exact name, else ``<prefix>_<name>``.

    When several series names fit, the longest one wins (the shortest prefix).
    """
    if stem in wanted:
        return "", stem
    fits = [name for name in wanted if stem.endswith("_" + name) and len(stem) > len(name) + 1]
    if not fits:
        return None
    name = max(fits, key=len)
    return stem[: -len(name) - 1], name


def _read_scores(path: Path, series: Series) -> NDArray[np.float64]:
    n = len(series)
    try:
        frame = pd.read_csv(path, usecols=lambda c: c.strip() in (SCORE_COLUMN, TIMESTAMP_COLUMN), dtype=str)
    except (OSError, ValueError, EOFError) as exc:
        raise DataError(f"Cannot read scores file {path}: {exc}. Check that it is a valid CSV.") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if SCORE_COLUMN not in frame.columns or frame.columns.duplicated().any():
        raise DataError(
            f"Scores file {path} has no '{SCORE_COLUMN}' column (or a repeated one). "
            f"Write one column named '{SCORE_COLUMN}' with one score per row."
        )
    raw = frame[SCORE_COLUMN]
    if len(raw) != n:
        raise DataError(f"Scores file {path} has {len(raw)} rows; the series has {n}. Score every row.")
    if TIMESTAMP_COLUMN in frame.columns and series.timestamps is not None:
        _check_timestamps(path, frame[TIMESTAMP_COLUMN].fillna("").str.strip().tolist(), series.timestamps, series.name)
    values = pd.to_numeric(raw.str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"Scores file {path}: '{SCORE_COLUMN}' is not a finite number at data row {i + 1} "
            f"(got {raw.iloc[i]!r}; {bad.size} such rows). Every score must be a finite number."
        )
    return values


def _check_timestamps(path: Path, cells: list[str], timestamps: NDArray[np.datetime64], name: str) -> None:
    """Refuse a file whose timestamps differ from the series' row by row (shuffled rows, swapped files)."""
    lines = list(range(2, len(cells) + 2))  # after the header line, assuming one line per row
    got, _ = parse_timestamps(cells, where=f"Scores file {path}, column '{TIMESTAMP_COLUMN}'", lines=lines)
    want = np.asarray(timestamps).astype("datetime64[ns]")
    differ = np.flatnonzero(got != want)
    if differ.size:
        i = int(differ[0])
        raise DataError(
            f"Scores file {path}: data row {i + 1} (line {i + 2}) has timestamp {show_time(got[i])}, but row {i + 1} "
            f"of series {name!r} is at {show_time(want[i])} ({differ.size} of {len(want)} rows differ). "
            "Write the scores in the series' row order, in the file named after that series."
        )


def read_score_dir(
    scores_dir: str | os.PathLike[str], series: Sequence[Series]
) -> tuple[dict[str, NDArray[np.float64]], str | None]:
    """Read one score file per series from a folder laid out as NAB's results.

    Parameters
    ----------
    scores_dir
        Folder with ``<category>/[<detector>_]<file>.csv[.gz]`` files.
    series
        The series the files must cover, named ``<category>/<file stem>``.

    Returns
    -------
    scores, detector
        Series name -> ``(n,)`` scores, and the detector prefix when every file
        carries the same one (else ``None``).

    Raises
    ------
    DataError
        Naming the file: a series without a file, a file matching no series
        (or a second file for one series), a file whose row count differs from
        the series', a missing ``anomaly_score`` column, a non-finite score,
        or (naming the first such row) a ``timestamp`` differing from the
        series' timestamp of the same row.
    """
    root = Path(scores_dir)
    if not root.is_dir():
        raise DataError(f"Scores folder {root} does not exist. Pass the folder holding <category>/ folders.")
    by_cat: dict[str, dict[str, Series]] = {}
    for s in series:
        cat, stem = _split_name(s)
        by_cat.setdefault(cat, {})[stem] = s
    found: dict[str, tuple[Path, str]] = {}
    folders = [(cat, root / cat if cat else root) for cat in by_cat]
    folders += [(p.name, p) for p in sorted(root.iterdir()) if p.is_dir() and p.name not in by_cat]
    for cat, folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            file_stem = _stem(path)
            if file_stem is None or not path.is_file() or (not cat and file_stem.endswith("_scores")):
                continue
            hit = _match(file_stem, by_cat.get(cat, {}))
            if hit is None:
                raise DataError(
                    f"Scores file {path} matches no series of the dataset (category {cat!r}). "
                    "Remove it, or name it <detector>_<file>.csv after a series' file."
                )
            prefix, name = hit
            s = by_cat[cat][name]
            if s.name in found:
                raise DataError(f"Two scores files for series {s.name!r}: {found[s.name][0]} and {path}. Keep one.")
            found[s.name] = (path, prefix)
    missing = [s.name for s in series if s.name not in found]
    if missing:
        raise DataError(
            f"No scores file for {len(missing)} series, e.g. {missing[0]!r} "
            f"(expected {root}/{missing[0]}.csv or <category>/<detector>_<file>.csv)."
        )
    out = {s.name: _read_scores(found[s.name][0], s) for s in series}
    prefixes = {prefix for _, prefix in found.values()}
    detector = prefixes.pop() if len(prefixes) == 1 else None
    return out, (detector or None)


def evaluate_nab_dir(
    scores_dir: str | os.PathLike[str],
    series: Sequence[Series],
    profiles: Mapping[str, Profile] | None = None,
) -> dict[str, Any]:
    """NAB's score of externally produced outputs: the JSON-ready result of ``bench evaluate --metrics nab``.

    Each series' windows are its ``events`` and its probationary length its
    ``train_end`` (as the NAB loader sets them).

    Returns
    -------
    dict
        ``{profile: {"normalised_score", "raw_score", "threshold"}}`` for each
        profile, plus ``"detector"`` when every file shares a detector prefix;
        when that detector is on NAB's published scoreboard, each profile also
        carries ``"published_normalised_score"``.
    """
    scores, detector = read_score_dir(scores_dir, series)
    corpus = [NabSeries(scores[s.name], s.events, s.train_end) for s in series]
    results = nab_corpus(corpus, profiles)
    published = published_scores().get(detector or "", {})
    out: dict[str, Any] = {}
    if detector:
        out["detector"] = detector
    for name, r in results.items():
        entry: dict[str, float] = {
            "normalised_score": r.normalised_score,
            "raw_score": r.raw_score,
            "threshold": r.threshold,
        }
        if name in published:
            entry["published_normalised_score"] = published[name]
        out[name] = entry
    return out
