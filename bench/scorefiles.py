"""Reading anomaly scores produced elsewhere (one CSV per series, NAB's results layout) and scoring them.

A scores folder holds one file per series, ``<category>/<detector>_<file>.csv``
as NAB's ``results/<detector>/`` folders do, or plainly ``<category>/<file>.csv``;
``.csv.gz`` is read too. Each file needs an ``anomaly_score`` column with one
finite number per row of the series, in the series' row order. Files at the top
of the folder (NAB keeps its ``<detector>_<profile>_scores.csv`` tables there)
are not read, unless a series has no category.

A file's other columns must agree with the series row by row, so shuffled
rows or files swapped between series are refused, naming the file and the
first row that differs:

- ``timestamp`` (ISO 8601 or Unix seconds; offsets converted to UTC), when the
  series has timestamps;
- ``value`` (NAB writes the series' value beside each score), equal to a
  relative 1e-9, when the series has one channel: it tells apart series whose
  timestamps are identical (NAB's artificial ones);
- ``label``, when there is no ``value`` column (a stale ``label`` beside
  matching values is ignored: the dataset's labels are the ones scored).

A file with none of these columns is matched by row count and order only.
``match="rows"`` (``evaluate --match rows``) is NAB's own behaviour: rows are
matched by position and these columns are not enforced (timestamps must still
be readable); a file whose rows differ from the series' gets one warning with
the count.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bench.datasets.csv_time import parse_timestamps, show_time
from bench.errors import DataError, DataWarning, ParameterError
from bench.metrics.nab import NabSeries, Profile, nab_corpus, published_scores
from bench.series import Series

SCORE_COLUMN = "anomaly_score"
TIMESTAMP_COLUMN = "timestamp"
VALUE_COLUMN = "value"
LABEL_COLUMN = "label"
_COLUMNS = (SCORE_COLUMN, TIMESTAMP_COLUMN, VALUE_COLUMN, LABEL_COLUMN)
MATCHES = ("timestamps", "rows")
"""How a score file's rows are matched to the series': checked row by row (default), or by position as NAB does."""
_SUFFIXES = (".csv.gz", ".csv")


def check_match(match: str) -> None:
    """Refuse an unknown ``--match``, listing the known ones."""
    if match not in MATCHES:
        raise ParameterError(f"--match {match!r}: choose {' or '.join(MATCHES)}.")


def split_name(s: Series) -> tuple[str, str]:
    """(category, file stem) of a series named ``<category>/<file stem>``: where NAB's layout puts its file."""
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


def _read_scores(path: Path, series: Series, match: str) -> NDArray[np.float64]:
    n = len(series)
    try:
        frame = pd.read_csv(path, usecols=lambda c: c.strip() in _COLUMNS, dtype=str)
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
    _check_rows(path, frame, series, match)
    values = pd.to_numeric(raw.str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"Scores file {path}: '{SCORE_COLUMN}' is not a finite number at data row {i + 1} "
            f"(got {raw.iloc[i]!r}; {bad.size} such rows). Every score must be a finite number."
        )
    return values


def _check_rows(path: Path, frame: pd.DataFrame, series: Series, match: str) -> None:
    """Refuse (or with ``match="rows"`` warn about) rows whose timestamp, value or label differ from the series'."""
    differ: dict[str, NDArray[np.bool_]] = {}
    if TIMESTAMP_COLUMN in frame.columns and series.timestamps is not None:
        differ[TIMESTAMP_COLUMN] = _timestamps_differ(path, frame[TIMESTAMP_COLUMN], series, refuse=match != "rows")
    if VALUE_COLUMN in frame.columns and series.n_channels == 1:
        got = pd.to_numeric(frame[VALUE_COLUMN].str.strip(), errors="coerce").to_numpy(dtype=np.float64)
        differ[VALUE_COLUMN] = ~np.isclose(got, np.asarray(series.values, dtype=np.float64).ravel(), rtol=1e-9, atol=0)
    elif LABEL_COLUMN in frame.columns:
        got = pd.to_numeric(frame[LABEL_COLUMN].str.strip(), errors="coerce").to_numpy(dtype=np.float64)
        differ[LABEL_COLUMN] = got != series.labels
    counts = {col: int(d.sum()) for col, d in differ.items() if d.any()}
    if not counts:
        return
    n = len(series)
    if match == "rows":
        rows = int(np.logical_or.reduce(list(differ.values())).sum())
        what = ", ".join(f"{k} {c}" for k, c in counts.items())
        warnings.warn(
            f"Scores file {path}: {rows} of {n} rows differ from series {series.name!r} ({what}); "
            "scored by row position (--match rows), as NAB's scorer does.",
            DataWarning,
            stacklevel=4,
        )
        return
    col = next(iter(counts))
    i = int(np.flatnonzero(differ[col])[0])
    want = np.asarray(series.values).ravel()[i] if col == VALUE_COLUMN else series.labels[i]
    raise DataError(
        f"Scores file {path}: column '{col}' differs from series {series.name!r} in {counts[col]} of {n} rows "
        f"(first at data row {i + 1}: {frame[col].iloc[i]!r}, the series has {want.item()!r}), so the file was "
        "written for other data (another series, or another version of it). Put each series' scores in the file "
        "named after it, or pass --match rows to match rows by position as NAB's scorer does."
    )


def _timestamps_differ(path: Path, cells: pd.Series, series: Series, *, refuse: bool) -> NDArray[np.bool_]:
    """Which rows' timestamps differ from the series'; ``refuse``: the first one is an error (shuffled, swapped)."""
    texts = cells.fillna("").str.strip().tolist()
    lines = list(range(2, len(texts) + 2))  # after the header line, assuming one line per row
    got, _ = parse_timestamps(texts, where=f"Scores file {path}, column '{TIMESTAMP_COLUMN}'", lines=lines)
    want = np.asarray(series.timestamps).astype("datetime64[ns]")
    differ = got != want
    if refuse and differ.any():
        i = int(np.flatnonzero(differ)[0])
        raise DataError(
            f"Scores file {path}: data row {i + 1} (line {i + 2}) has timestamp {show_time(got[i])}, but row {i + 1} "
            f"of series {series.name!r} is at {show_time(want[i])} ({int(differ.sum())} of {len(want)} rows differ). "
            "Write the scores in the series' row order, in the file named after that series, "
            "or pass --match rows to match rows by position as NAB's scorer does."
        )
    return differ


def read_score_dir(
    scores_dir: str | os.PathLike[str], series: Sequence[Series], *, match: str = "timestamps"
) -> tuple[dict[str, NDArray[np.float64]], str | None]:
    """Read one score file per series from a folder laid out as NAB's results.

    Parameters
    ----------
    scores_dir
        Folder with ``<category>/[<detector>_]<file>.csv[.gz]`` files.
    series
        The series the files must cover, named ``<category>/<file stem>``.
    match
        ``timestamps`` (default): a file's ``timestamp``, ``value`` or ``label``
        column must agree with the series row by row; ``rows``: rows are
        matched by position, as NAB's scorer does, with one
        :class:`~bench.errors.DataWarning` per file whose rows differ.

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
        or (naming the first such row) a ``timestamp``, ``value`` or ``label``
        differing from the series' row (unless ``match="rows"``).
    ParameterError
        An unknown ``match``.
    """
    check_match(match)
    root = Path(scores_dir)
    if not root.is_dir():
        raise DataError(f"Scores folder {root} does not exist. Pass the folder holding <category>/ folders.")
    by_cat: dict[str, dict[str, Series]] = {}
    for s in series:
        cat, stem = split_name(s)
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
    out = {s.name: _read_scores(found[s.name][0], s, match) for s in series}
    prefixes = {prefix for _, prefix in found.values()}
    detector = prefixes.pop() if len(prefixes) == 1 else None
    return out, (detector or None)


def evaluate_nab_dir(
    scores_dir: str | os.PathLike[str],
    series: Sequence[Series],
    profiles: Mapping[str, Profile] | None = None,
    *,
    match: str = "timestamps",
) -> dict[str, Any]:
    """NAB's score of externally produced outputs: the JSON-ready result of ``bench evaluate --metrics nab``.

    Each series' windows are its ``events`` and its probationary length its
    ``train_end`` (as the NAB loader sets them). ``match``: as in :func:`read_score_dir`.

    Returns
    -------
    dict
        ``{profile: {"normalised_score", "raw_score", "threshold"}}`` for each
        profile, plus ``"detector"`` when every file shares a detector prefix;
        when that detector is on NAB's published scoreboard, each profile also
        carries ``"published_normalised_score"``.
    """
    scores, detector = read_score_dir(scores_dir, series, match=match)
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
