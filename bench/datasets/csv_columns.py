"""Choosing a CSV file's timestamp, value and label columns, and parsing them into rows (nothing repaired yet)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.datasets import csv_fast
from bench.datasets.csv_fast import PlainFile
from bench.datasets.csv_labels import Window, window_labels
from bench.datasets.csv_repair import Repairs, Rows
from bench.datasets.csv_table import (
    Table,
    classify,
    detect_decimal,
    parse_labels,
    parse_numbers,
    read_table,
)
from bench.datasets.csv_time import parse_timestamps
from bench.errors import DataError, DataWarning

TIMESTAMP_NAMES = ("timestamp", "timestamps", "time", "date", "datetime")
"""Column names (any case) taken as the timestamp column by ``timestamp_column="auto"``."""
LABEL_NAMES = ("label", "labels", "is_anomaly", "anomaly", "is_outlier", "outlier")
"""Column names (any case) taken as the label column by ``label_column="auto"``."""


@dataclass(frozen=True)
class ReadOptions:
    """The options of :func:`bench.datasets.csv.load` that say how one file is read."""

    timestamp_column: str
    value_columns: str
    label_column: str
    missing: str
    duplicates: str
    sep: str
    decimal: str
    timestamp_format: str
    encoding: str


def _pick(table: Table | PlainFile, wanted: str, auto_names: tuple[str, ...], what: str, option: str) -> str | None:
    """The column called ``wanted`` (any case), or for ``"auto"`` the one of ``auto_names``; ``"none"``: None."""
    lower = {h.lower(): h for h in table.header}
    if wanted == "none":
        return None
    if wanted == "auto":
        hits = [h for h in table.header if h.lower() in auto_names]
        if len(hits) > 1:
            raise DataError(
                f"{table.path}: several columns could be the {what} ({', '.join(map(repr, hits))}); "
                f"set csv.{option} to one."
            )
        return hits[0] if hits else None
    if wanted.lower() not in lower:
        raise DataError(
            f"{table.path} has no column {wanted!r} (csv.{option}); its columns: {', '.join(map(repr, table.header))}."
        )
    return lower[wanted.lower()]


def _named_values(table: Table | PlainFile, opts: ReadOptions, taken: list[str]) -> list[str]:
    """The value columns ``csv.value_columns`` names (not ``"auto"``)."""
    names = [_pick(table, w.strip(), (), "value column", "value_columns") or "" for w in opts.value_columns.split(",")]
    clash = [c for c in names if c in taken or names.count(c) > 1]
    if clash:
        raise DataError(f"{table.path}: csv.value_columns names {clash[0]!r} twice or as timestamp/label column.")
    return names


def _value_names(
    table: Table, opts: ReadOptions, taken: list[str], repairs: Repairs
) -> tuple[list[str], list[str], str]:
    """(value columns, ignored columns, decimal separator)."""
    rest = [h for h in table.header if h not in taken]
    if opts.value_columns != "auto":
        rest = _named_values(table, opts, taken)
    decimal = opts.decimal if opts.decimal != "auto" else detect_decimal([table.columns[c] for c in rest], table.sep)
    if opts.value_columns != "auto":
        return rest, [h for h in table.header if h not in taken and h not in rest], decimal
    names, ignored = [], []
    for c in rest:
        cells = table.columns[c]
        numeric, missing = classify(cells, decimal)
        present = ~missing
        if c.startswith("<unnamed") or 2 * numeric.sum() < present.sum() or not present.any():
            ignored.append(c)
            example = next((f"line {table.lines[i]}: {cells[i]!r}" for i in np.flatnonzero(present & ~numeric)), "")
            why = "has no name" if c.startswith("<unnamed") else "is not numeric" if present.any() else "is empty"
            repairs.note(
                f"{table.path}: column {c!r} {why}{f' ({example})' if example else ''}; ignored. "
                "Choose columns with csv.value_columns."
            )
        else:
            names.append(c)
    if not names:
        raise DataError(
            f"{table.path}: no numeric value column among {', '.join(map(repr, table.header))}. Set csv.value_columns."
        )
    return names, ignored, decimal


@dataclass
class _Read:
    """One file's chosen columns and parsed cells, from either path (nothing repaired yet).

    ``labels`` is None when the label column is still to be parsed from ``table``
    (the line-by-line path parses it last, after the notes, as it always has).
    """

    ts_col: str | None
    label_col: str | None
    names: list[str]
    ignored: list[str]
    decimal: str
    sep: str
    bom: bool
    matrix: NDArray[np.float64]
    ts: NDArray[np.datetime64] | None
    offsets: list[str]
    lines: NDArray[np.int64]
    labels: NDArray[np.int8] | None = None
    table: Table | None = None

    def label_values(self, column: str) -> NDArray[np.int8]:
        """The label column: as the fast path parsed it, or parsed now from the line-by-line table."""
        if self.labels is not None:
            return self.labels
        if self.table is None:
            raise ValueError(f"{column!r}: the fast path was not asked for the labels")
        return parse_labels(self.table, column)


def _read_fast(file: Path, opts: ReadOptions, with_labels: bool) -> _Read | None:
    """The file read by :mod:`bench.datasets.csv_fast`, or None when the line-by-line path must read it.

    Any problem, an error included, gives None: the line-by-line path then
    finds it and reports it (or repairs it) with its own message.
    """
    if opts.timestamp_format != "ISO8601" or opts.decimal == ",":
        return None
    try:
        plain = csv_fast.open_plain(file, sep=opts.sep, encoding=opts.encoding)
        ts_col = _pick(plain, opts.timestamp_column, TIMESTAMP_NAMES, "timestamp column", "timestamp_column")
        label_col = _pick(plain, opts.label_column, LABEL_NAMES, "label column", "label_column")
        taken = [c for c in (ts_col, label_col) if c is not None]
        if opts.value_columns == "auto":
            names = [h for h in plain.header if h not in taken]
        else:
            names = _named_values(plain, opts, taken)
        if not names:
            return None
        ignored = [h for h in plain.header if h not in taken and h not in names]
        parsed = csv_fast.read_columns(
            plain, numbers=names, timestamps=ts_col, labels=label_col if with_labels else None
        )
        sep = plain.sep
    except (csv_fast.Fallback, DataError):
        return None
    n = len(parsed.values)
    lines = np.arange(2, n + 2, dtype=np.int64)  # no blank line: data row i is line i + 2
    return _Read(
        ts_col, label_col, names, ignored, ".", sep, False, parsed.values, parsed.timestamps, [], lines, parsed.labels
    )


def _read_slow(file: Path, opts: ReadOptions, repairs: Repairs) -> _Read:
    """The file read line by line (:mod:`bench.datasets.csv_table`): every repair noted, every problem an error."""
    table = read_table(file, sep=opts.sep, encoding=opts.encoding)
    ts_col = _pick(table, opts.timestamp_column, TIMESTAMP_NAMES, "timestamp column", "timestamp_column")
    label_col = _pick(table, opts.label_column, LABEL_NAMES, "label column", "label_column")
    taken = [c for c in (ts_col, label_col) if c is not None]
    names, ignored, decimal = _value_names(table, opts, taken, repairs)
    matrix = np.column_stack([parse_numbers(table, c, decimal) for c in names])
    ts, offsets = None, list[str]()
    if ts_col is not None:
        ts, offsets = parse_timestamps(
            table.columns[ts_col], where=f"{file}, column {ts_col!r}", fmt=opts.timestamp_format, lines=table.lines
        )
    lines = np.asarray(table.lines, dtype=np.int64)
    return _Read(
        ts_col, label_col, names, ignored, decimal, table.sep, table.bom, matrix, ts, offsets, lines, table=table
    )


def read_rows(
    file: Path, opts: ReadOptions, repairs: Repairs, windows: list[Window] | None, values: list[str] | None = None
) -> tuple[Rows, list[str], dict[str, Any]]:
    """Parse one file (rows as written, nothing repaired yet), its value column names and metadata.

    A well-formed file is read by :mod:`bench.datasets.csv_fast`; any other
    by :mod:`bench.datasets.csv_table`, line by line, which repairs or
    reports what it finds. Both give the same rows for a file both read.
    """
    if values is not None:
        opts = replace(opts, value_columns=",".join(values))
    read = _read_fast(file, opts, windows is None) or _read_slow(file, opts, repairs)
    ts_col, label_col, names, ignored = read.ts_col, read.label_col, read.names, read.ignored
    if len(read.offsets) > 1:
        repairs.note(
            f"{file}, column {ts_col!r}: timestamps with {len(read.offsets)} UTC offsets "
            f"({', '.join(read.offsets)}); all converted to UTC."
        )
    if read.decimal == "," and opts.decimal == "auto":
        warnings.warn(
            f"{file}: numbers read with decimal commas (e.g. 1,5 = 1.5); set csv.decimal=. if "
            "the commas separate thousands.",
            DataWarning,
            stacklevel=2,
        )
    n = len(read.lines)
    if windows is not None:
        if label_col is not None:
            repairs.note(f"{file}: column {label_col!r} ignored; the labels come from csv.labels_file.")
            ignored.append(label_col)
            label_col = None
        labels = window_labels(windows, n, read.ts, bool(read.offsets), file, repairs)
        source = "labels_file"
    else:
        labels = read.label_values(label_col) if label_col else np.zeros(n, dtype=np.int8)
        source = f"column {label_col}" if label_col else "none"
    meta: dict[str, Any] = {
        "path": str(file),
        "format": {"sep": read.sep, "decimal": read.decimal, "bom": read.bom, "encoding": opts.encoding},
        "columns": {"timestamp": ts_col, "values": names, "label": label_col, "ignored": ignored},
        "labels": source,
        "utc_offsets": read.offsets,
        "rows_in_file": n,
    }
    return Rows(read.matrix, labels, read.ts, read.lines), names, meta
