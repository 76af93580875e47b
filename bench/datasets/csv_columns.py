"""Choosing a CSV file's timestamp, value and label columns, and parsing them into rows (nothing repaired yet)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

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


def _pick(table: Table, wanted: str, auto_names: tuple[str, ...], what: str, option: str) -> str | None:
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


def _value_names(
    table: Table, opts: ReadOptions, taken: list[str], repairs: Repairs
) -> tuple[list[str], list[str], str]:
    """(value columns, ignored columns, decimal separator)."""
    rest = [h for h in table.header if h not in taken]
    if opts.value_columns != "auto":
        names = [
            _pick(table, w.strip(), (), "value column", "value_columns") or "" for w in opts.value_columns.split(",")
        ]
        clash = [c for c in names if c in taken or names.count(c) > 1]
        if clash:
            raise DataError(f"{table.path}: csv.value_columns names {clash[0]!r} twice or as timestamp/label column.")
        rest = names
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


def read_rows(
    file: Path, opts: ReadOptions, repairs: Repairs, windows: list[Window] | None, values: list[str] | None = None
) -> tuple[Rows, list[str], dict[str, Any]]:
    """Parse one file (rows as written, nothing repaired yet), its value column names and metadata."""
    table = read_table(file, sep=opts.sep, encoding=opts.encoding)
    ts_col = _pick(table, opts.timestamp_column, TIMESTAMP_NAMES, "timestamp column", "timestamp_column")
    label_col = _pick(table, opts.label_column, LABEL_NAMES, "label column", "label_column")
    taken = [c for c in (ts_col, label_col) if c is not None]
    if values is not None:
        opts = replace(opts, value_columns=",".join(values))
    names, ignored, decimal = _value_names(table, opts, taken, repairs)
    matrix = np.column_stack([parse_numbers(table, c, decimal) for c in names])
    ts, offsets, aware = None, list[str](), False
    if ts_col is not None:
        ts, offsets = parse_timestamps(
            table.columns[ts_col], where=f"{file}, column {ts_col!r}", fmt=opts.timestamp_format, lines=table.lines
        )
        aware = bool(offsets)
        if len(offsets) > 1:
            repairs.note(
                f"{file}, column {ts_col!r}: timestamps with {len(offsets)} UTC offsets "
                f"({', '.join(offsets)}); all converted to UTC."
            )
    if decimal == "," and opts.decimal == "auto":
        warnings.warn(
            f"{file}: numbers read with decimal commas (e.g. 1,5 = 1.5); set csv.decimal=. if "
            "the commas separate thousands.",
            DataWarning,
            stacklevel=2,
        )
    n = len(table)
    if windows is not None:
        if label_col is not None:
            repairs.note(f"{file}: column {label_col!r} ignored; the labels come from csv.labels_file.")
            ignored.append(label_col)
            label_col = None
        labels = window_labels(windows, n, ts, aware, file, repairs)
        source = "labels_file"
    else:
        labels = parse_labels(table, label_col) if label_col else np.zeros(n, dtype=np.int8)
        source = f"column {label_col}" if label_col else "none"
    meta: dict[str, Any] = {
        "path": str(file),
        "format": {"sep": table.sep, "decimal": decimal, "bom": table.bom, "encoding": opts.encoding},
        "columns": {"timestamp": ts_col, "values": names, "label": label_col, "ignored": ignored},
        "labels": source,
        "utc_offsets": offsets,
        "rows_in_file": n,
    }
    return Rows(matrix, labels, ts, np.asarray(table.lines, dtype=np.int64)), names, meta
