"""The ``csv`` dataset: a user's own CSV file, or folder of them, read defensively (``--dataset csv:PATH``).

Reading cells is :mod:`bench.datasets.csv_table`'s job (timestamps
:mod:`bench.datasets.csv_time`'s), choosing columns
:mod:`bench.datasets.csv_columns`'s, repairs :mod:`bench.datasets.csv_repair`'s,
labels files :mod:`bench.datasets.csv_labels`'s; this module finds the files,
applies the options, chooses the training part and builds the series. See
:func:`load` for the layouts, options, repairs and errors.
"""

from __future__ import annotations

import codecs
import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from bench.datasets.csv_columns import LABEL_NAMES, TIMESTAMP_NAMES, ReadOptions, read_rows
from bench.datasets.csv_labels import Window, match_labels, read_labels_file
from bench.datasets.csv_repair import DUPLICATE_REPAIRS, MISSING_REPAIRS, Repairs, Rows, repair_rows
from bench.datasets.csv_time import parse_timestamps, show_time
from bench.datasets.info import DatasetInfo
from bench.errors import DataError, DataWarning, ParameterError
from bench.series import Series

__all__ = ["DATASET", "LABEL_NAMES", "TIMESTAMP_NAMES", "load"]

DATASET = "csv"
_SUFFIXES = (".csv.gz", ".csv")
INFO = {
    DATASET: DatasetInfo(
        name=DATASET,
        description=(
            "Your own data: a CSV file or a folder of them (--dataset csv:PATH), each file one series with a "
            "timestamp column (or none), value columns and a 0/1 label column or a labels file of windows. Input "
            "problems are repaired with a warning or refused with an error naming file, row and column (README)."
        ),
        size="whatever PATH holds",
        licence="yours",
        source="PATH (the files are hashed into config.json)",
        access="user-files",
    )
}


def load(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    progress: bool = False,
    path: str | None = None,
    timestamp_column: str = "auto",
    value_columns: str = "auto",
    label_column: str = "auto",
    labels_file: str = "",
    train_fraction: float = 0.3,
    train_before_anomaly: bool = True,
    train_end: str | int = "",
    train_file: str = "",
    missing: str = "interpolate",
    duplicates: str = "mean",
    min_test_points: int = 2,
    strict: bool = False,
    sep: str = "auto",
    decimal: str = "auto",
    timestamp_format: str = "ISO8601",
    encoding: str = "utf-8",
) -> list[Series]:
    """The ``csv`` dataset loader: one series per CSV file at ``path``, sorted by name.

    Parameters
    ----------
    data_dir, progress
        Unused (the loader interface); relative paths are relative to the working directory.
    path
        A ``.csv`` (or ``.csv.gz``) file, or a folder: every ``.csv``/``.csv.gz``
        file under it, sub-folders included (hidden ones skipped), is a series
        named by its path relative to the folder without the suffix
        (``sub/name``), so a NAB-like ``<category>/<file>.csv`` layout keeps
        its names. A single file's series is named by its stem.
    timestamp_column
        ``"auto"`` (the column named one of :data:`TIMESTAMP_NAMES`, any case;
        none is fine), a column name, or ``"none"`` (no timestamps). ISO 8601
        text (or ``timestamp_format``) or Unix seconds.
    value_columns
        ``"auto"`` (every other column whose cells are mostly numbers; the
        others are ignored with a warning) or comma-separated column names.
    label_column
        ``"auto"`` (the column named one of :data:`LABEL_NAMES`), a name, or
        ``"none"``. Cells must be 0/1 (``0.0``, ``true``, ``false`` too).
    labels_file
        Windows of anomalies instead of a label column: NAB's JSON
        ``{"<file>.csv": [[start, end], ...]}`` or a CSV ``start,end[,file]``;
        see :mod:`bench.datasets.csv_labels`. They apply to the data file's
        rows (not to a ``train_file``).
    train_fraction
        The training part is the first ``floor(train_fraction * n)`` points,
        at least 1 (default 0.3, as ``yahoo-s5``; in (0, 1)), ...
    train_before_anomaly
        ... cut back to the first labelled anomaly when that comes earlier
        (default true), so detectors are fit on anomaly-free data and every
        labelled anomaly is evaluated.
    train_end
        Instead: a row count (the first ``train_end`` points of the loaded
        series, at least 1) or a timestamp (the points before it), for every file.
    train_file
        Instead: a separate file of training data (same value columns; for a
        folder ``path``, a folder with a file of the same relative name per
        series), put before the data; its timestamps must all come first.
    missing
        Missing cells (empty, ``NA``, ``NaN``, ``null``...): ``"interpolate"``
        (linear, in time; the nearest value at the ends), ``"ffill"`` or
        ``"drop"`` the row.
    duplicates
        Rows sharing a timestamp are merged: ``"mean"`` of their values or the
        ``"first"`` row's; label 1 if any row's is.
    min_test_points
        Fewest points allowed after the training part (default 2).
    strict
        Refuse every repair (a ``DataError`` instead of a ``DataWarning``).
    sep, decimal
        ``"auto"`` (the separator among ``, ; tab |`` most frequent in the
        header line; decimal commas when the separator is not a comma and
        numbers use commas and never points), or the character.
    timestamp_format
        ``"ISO8601"`` (also reads Unix seconds), a strftime format such as
        ``%d/%m/%Y %H:%M``, ``"unix"`` (numbers of seconds, whatever their
        range) or ``"excel"`` (spreadsheet serial dates: days since
        1899-12-30). Numbers that all lie between 20000 and 80000 look like
        Excel dates and are refused unless ``"unix"`` or ``"excel"`` says which.
    encoding
        The files' text encoding (a UTF-8 byte-order mark is always removed).

    Repairs, each a :class:`~bench.errors.DataWarning` naming file, line and
    column and listed in ``metadata["repairs"]``: unsorted timestamps (rows
    sorted), repeated timestamps (merged), missing values (``missing``),
    timestamps with different UTC offsets (converted to UTC), ignored
    columns, labels-file windows whose bounds are not timestamps of the data.
    Errors (:class:`~bench.errors.DataError`, naming file, line and column):
    an empty or header-only file, a row with the wrong number of fields,
    a non-numeric or infinite value, a label other than 0/1, a missing or
    unreadable timestamp, timestamps mixing offsets and none, a window outside
    the data, an empty training part (no detector can be fit on 0 points: the
    first row labelled, a time before the first row), a series with fewer than
    ``min_test_points`` points after its training part. Nothing is dropped
    without a warning.
    """
    del data_dir, progress
    if not path:
        raise ParameterError("The csv dataset needs a path: --dataset csv:PATH (a CSV file or a folder of them).")
    opts = _options(locals())
    root = Path(path)
    if not root.exists():
        raise DataError(f"CSV path {root} does not exist. Give a .csv file or a folder holding .csv files.")
    train_root = Path(train_file) if train_file else None
    if train_root is not None and root.is_dir() != train_root.is_dir():
        raise DataError(f"train_file {train_root} must be a {'folder' if root.is_dir() else 'file'}, as {root} is.")
    skip = [p.resolve() for p in (Path(labels_file) if labels_file else None, train_root) if p is not None]
    files = _data_files(root, skip)
    shared = Repairs(strict)
    windows: dict[str, list[Window]] = {}
    if labels_file:
        raw = read_labels_file(Path(labels_file), sep=sep, encoding=encoding)
        json_form = labels_file.lower().endswith(".json")
        windows = match_labels(raw, [rel for _, rel in files], Path(labels_file), shared, warn_absent=json_form)
    out = []
    for file, rel in files:
        repairs = Repairs(strict, list(shared.notes))
        rows, names, meta = read_rows(file, opts, repairs, windows.get(rel, []) if labels_file else None)
        rows = repair_rows(rows, names, file, missing=missing, duplicates=duplicates, repairs=repairs)
        if train_root is not None:
            rows, k, meta["train"] = _prepend_train(rows, names, meta, train_root, root, rel, opts, repairs)
        else:
            k, meta["train"] = _split(rows, train_fraction, train_before_anomaly, train_end, file)
        n = len(rows.lines)
        if n - k < min_test_points:
            raise DataError(
                f"{file}: {n - k} points after the training part of {k} ({n} in all); at least {min_test_points} "
                "are needed to evaluate. Use a longer file or a smaller training part (csv.train_fraction, train_end)."
            )
        meta["repairs"] = repairs.notes
        name = _strip_suffix(rel) if root.is_dir() else _strip_suffix(file.name)
        out.append(Series(DATASET, name, rows.values, rows.labels, rows.timestamps, train_end=k, metadata=meta))
    unlabelled = [s.name for s in out if s.metadata["labels"] == "none"]
    if unlabelled:
        warnings.warn(
            f"{len(unlabelled)} CSV series (e.g. {unlabelled[0]!r}) have no label column and no labels file: every "
            "point is labelled normal, so metrics that need anomalies are undefined. Set csv.label_column or "
            "csv.labels_file.",
            DataWarning,
            stacklevel=2,
        )
    return out


def _options(given: dict[str, Any]) -> ReadOptions:
    """Check the options (ParameterError naming the option) and bundle those the reader needs."""
    f = given["train_fraction"]
    if isinstance(f, bool) or not isinstance(f, (int, float)) or not 0 < f < 1:
        raise ParameterError(f"csv.train_fraction must be a number in (0, 1); got {f!r}.")
    for key, allowed in (
        ("missing", MISSING_REPAIRS),
        ("duplicates", DUPLICATE_REPAIRS),
        ("decimal", ("auto", ".", ",")),
    ):
        if given[key] not in allowed:
            raise ParameterError(f"csv.{key} must be one of {', '.join(allowed)}; got {given[key]!r}.")
    m = given["min_test_points"]
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise ParameterError(f"csv.min_test_points must be an integer >= 1; got {m!r}.")
    sep = {"tab": "\t", "\\t": "\t"}.get(given["sep"], given["sep"])
    if sep != "auto" and (len(sep) != 1 or sep in '"\r\n'):
        raise ParameterError(f"csv.sep must be 'auto' or one character such as ';' or tab; got {given['sep']!r}.")
    try:
        codecs.lookup(given["encoding"])
    except LookupError:
        raise ParameterError(f"csv.encoding {given['encoding']!r} is not a known text encoding.") from None
    if given["labels_file"] and given["label_column"] not in ("auto", "none"):
        raise ParameterError("Give csv.label_column or csv.labels_file, not both.")
    end = str(given["train_end"]).strip()
    if isinstance(given["train_end"], bool) or (end.lstrip("+-").isdigit() and int(end) < 1):
        raise ParameterError(f"csv.train_end must be a row count >= 1 or a timestamp; got {given['train_end']!r}.")
    if given["train_file"] and end:
        raise ParameterError("Give csv.train_end or csv.train_file, not both.")
    for key in ("strict", "train_before_anomaly"):
        if not isinstance(given[key], bool):
            raise ParameterError(f"csv.{key} must be true or false; got {given[key]!r}.")
    return ReadOptions(
        given["timestamp_column"],
        given["value_columns"],
        given["label_column"],
        given["missing"],
        given["duplicates"],
        sep,
        given["decimal"],
        given["timestamp_format"],
        given["encoding"],
    )


def _strip_suffix(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _data_files(root: Path, skip: list[Path]) -> list[tuple[Path, str]]:
    """(file, path relative to ``root``) of every data file, sorted; ``root`` itself when it is a file."""
    if root.is_file():
        return [(root, root.name)]
    found = []
    for p in root.rglob("*"):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not p.is_file():
            continue
        if _strip_suffix(p.name) == p.name or any(p.resolve() == s or s in p.resolve().parents for s in skip):
            continue
        found.append((p, rel.as_posix()))
    found.sort(key=lambda fr: fr[1])
    names: dict[str, str] = {}
    for _, name in found:
        other = names.setdefault(_strip_suffix(name), name)
        if other != name:
            raise DataError(f"{root}: {other} and {name} would be the same series; keep one.")
    if not found:
        raise DataError(f"No .csv files under {root} (hidden folders are skipped).")
    return found


def _split(
    rows: Rows, fraction: float, before_anomaly: bool, train_end: str | int, file: Path
) -> tuple[int, dict[str, Any]]:
    """The training length and how it was chosen, from ``train_end`` or ``train_fraction``.

    An empty training part is a :class:`DataError` naming the file and the
    options that give one: no detector can be fit on 0 points.
    """
    n = len(rows.lines)
    text = str(train_end).strip()
    if text.lstrip("+").isdigit():
        k = int(text)  # at least 1 (checked with the options)
        if k > n:
            raise DataError(f"{file}: csv.train_end={k} is beyond its {n} points.")
        return k, {"rule": "train_end", "train_end": k}
    if text:
        if rows.timestamps is None:
            raise DataError(f"{file} has no timestamps, so csv.train_end={text!r} must be a row count.")
        when, _ = parse_timestamps([text], where="csv.train_end")
        k = int(np.searchsorted(rows.timestamps, when[0], side="left"))
        if k == 0:
            raise DataError(
                f"{file}: the training part is empty (points before {text}; the first row is at "
                f"{show_time(rows.timestamps[0])}), so no detector can be fit. Set csv.train_end to a later time or "
                "a row count, or give training data with csv.train_file=FILE."
            )
        return k, {"rule": f"points before {text}", "train_end": k}
    k = max(1, math.floor(fraction * n))
    first = np.flatnonzero(rows.labels)
    if before_anomaly and first.size and first[0] < k:
        if first[0] == 0:
            raise DataError(
                f"{file}: the training part is empty: row 0 is labelled anomalous and the training part stops before "
                "the first anomaly (csv.train_before_anomaly), so no detector can be fit. Give anomaly-free training "
                "data with csv.train_file=FILE, or train on the first rows anyway with "
                f"csv.train_before_anomaly=false (train_fraction={fraction}: {k} points) or csv.train_end=N."
            )
        rule = f"before the first labelled anomaly (row {int(first[0])}; train_fraction={fraction} gives {k})"
        return int(first[0]), {"rule": rule, "train_end": int(first[0])}
    return k, {"rule": f"train_fraction={fraction}", "train_end": k}


def _prepend_train(
    rows: Rows,
    names: list[str],
    meta: dict[str, Any],
    train_root: Path,
    root: Path,
    rel: str,
    opts: ReadOptions,
    repairs: Repairs,
) -> tuple[Rows, int, dict[str, Any]]:
    """The training file's rows (read and repaired like the data) put before the data's."""
    train = train_root / rel if root.is_dir() else train_root
    if not train.is_file():
        raise DataError(f"No training file {train} for {root / rel if root.is_dir() else root} (csv.train_file).")
    t_rows, _, t_meta = read_rows(train, opts, repairs, None, values=names)
    t_rows = repair_rows(t_rows, names, train, missing=opts.missing, duplicates=opts.duplicates, repairs=repairs)
    if (t_rows.timestamps is None) != (rows.timestamps is None) or bool(t_meta["utc_offsets"]) != bool(
        meta["utc_offsets"]
    ):
        raise DataError(
            f"{train} and {meta['path']}: one has timestamps (or UTC offsets) and the other not; both or neither."
        )
    if rows.timestamps is not None and t_rows.timestamps is not None and t_rows.timestamps[-1] >= rows.timestamps[0]:
        raise DataError(
            f"{train} ends at {t_rows.timestamps[-1]}, not before {meta['path']} starts ({rows.timestamps[0]}); "
            "the training data must come first."
        )
    ts = None if rows.timestamps is None else np.concatenate([t_rows.timestamps, rows.timestamps])
    k = len(t_rows.lines)
    merged = Rows(
        np.concatenate([t_rows.values, rows.values]),
        np.concatenate([t_rows.labels, rows.labels]),
        ts,
        np.concatenate([t_rows.lines, rows.lines]),
    )
    return merged, k, {"rule": "train_file", "train_end": k, "file": str(train), "columns": t_meta["columns"]}
