"""Reading one delimited text file into checked cells: decoding, separator, header, numbers, labels.

Every problem found here is a :class:`~bench.errors.DataError` naming the
file, the line (1-based, the header is line 1), the 0-based data row and the
column. Nothing here repairs data; :mod:`bench.datasets.csv_repair` does.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bench.errors import DataError

MISSING_TOKENS = frozenset({"", "na", "n/a", "#n/a", "nan", "-nan", "null", "none"})
"""Cells (stripped, any case) that mean "no value"."""

SEPARATORS = (",", ";", "\t", "|")
"""The separators ``sep="auto"`` chooses from: the one occurring most often in the header line."""

NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
"""What a number cell looks like (a regular expression): ``1``, ``-2.5``, ``.5``, ``3e-4``."""
_COMMA_NUMBER = re.compile(r"[+-]?\d+,\d+")


@dataclass
class Table:
    """The cells of one file as read: stripped strings, one list per column.

    ``lines[i]`` is the file line of data row ``i`` (for messages).
    """

    path: Path
    header: list[str]
    columns: dict[str, list[str]]
    lines: list[int]
    sep: str
    bom: bool

    def __len__(self) -> int:
        return len(self.lines)

    def where(self, row: int, column: str | None = None) -> str:
        """``'<path> line L (data row i), column 'c''`` for messages."""
        col = f", column {column!r}" if column is not None else ""
        return f"{self.path} line {self.lines[row]} (data row {row}){col}"


def one_line(exc: BaseException) -> str:
    """An exception's text on one line (messages are printed as one line)."""
    return " ".join(str(exc).split())


def _decode(path: Path, encoding: str) -> tuple[str, bool]:
    try:
        raw = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"Cannot read {path}: {one_line(exc)}.") from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not encoding.lower().startswith("utf-16"):
        raise DataError(f"{path} is UTF-16 encoded; save it as UTF-8 or set csv.encoding=utf-16.")
    bom = raw.startswith(codecs.BOM_UTF8)
    if bom:
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{path} line {line}: byte {exc.start} is not valid {encoding} ({exc.reason}). "
            "Save the file as UTF-8, or set csv.encoding to its encoding (e.g. csv.encoding=latin-1)."
        ) from None
    if text.startswith("\ufeff"):  # a BOM in an encoding other than UTF-8's bytes
        text, bom = text[1:], True
    return text, bom


def detect_separator(line: str) -> str:
    """The candidate of :data:`SEPARATORS` occurring most often in ``line`` (``,`` when none does).

    >>> detect_separator("time;value;label"), detect_separator("value")
    (';', ',')
    """
    counts = [line.count(s) for s in SEPARATORS]
    best = max(range(len(SEPARATORS)), key=lambda i: (counts[i], -i))
    return SEPARATORS[best] if counts[best] else ","


def read_table(path: Path, *, sep: str = "auto", encoding: str = "utf-8") -> Table:
    """Read ``path`` (``.csv`` or ``.csv.gz``) into a :class:`Table` of stripped strings.

    Blank lines are skipped (they hold no data). Raises :class:`DataError` for
    an unreadable or empty file, a file with a header but no rows, a header
    that is all numbers (no header line), an empty or repeated column name, and
    a row whose field count differs from the header's.
    """
    text, bom = _decode(path, encoding)
    if not text.strip():
        raise DataError(f"{path} is empty. A CSV needs a header line (e.g. timestamp,value) and data rows.")
    first = next(line for line in text.splitlines() if line.strip())
    if sep == "auto":
        sep = detect_separator(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if header is None:
                header = [c.strip() or f"<unnamed {j + 1}>" for j, c in enumerate(row)]
                _check_header(path, header, sep)
                continue
            if len(row) != len(header):
                raise DataError(
                    f"{path} line {reader.line_num}: {len(row)} fields, the header has {len(header)}. "
                    f"Check the separator ({sep!r}; set csv.sep to change it) and the quoting."
                )
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(f"{path} line {reader.line_num}: not a valid CSV line ({one_line(exc)}).") from None
    if header is None:  # only blank or empty quoted fields
        raise DataError(f"{path} holds no header line, only empty fields. Add one, e.g. timestamp,value.")
    if not rows:
        raise DataError(f"{path} has a header ({sep.join(header)!r}) but no data rows.")
    columns = {name: [r[j].strip() for r in rows] for j, name in enumerate(header)}
    return Table(path, header, columns, lines, sep, bom)


def _check_header(path: Path, header: list[str], sep: str) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise DataError(f"{path} line 1: column {name!r} appears twice in the header. Rename one.")
        seen.add(name)
    if all(re.fullmatch(NUMBER, c) for c in header):
        raise DataError(
            f"{path} line 1 is all numbers ({sep.join(header)!r}): the file has no header line. "
            "Add one naming the columns, e.g. timestamp,value,label."
        )


def classify(cells: list[str], decimal: str = ".") -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(is a number, is missing) for each cell.

    Numbers are plain decimals (``1``, ``-2.5``, ``3e-4``; ``1,5`` with
    ``decimal=","``), words such as ``inf`` are not; missing cells are
    :data:`MISSING_TOKENS`.

    >>> classify(["1", "-2.5e3", "", "NaN", "inf", "x"])
    (array([ True,  True, False, False, False, False]), array([False, False,  True,  True, False, False]))
    """
    s = pd.Series(cells, dtype=object)
    if decimal == ",":
        s = s.str.replace(",", ".", regex=False)
    parsed = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    number = ~np.isnan(parsed)
    for i in np.flatnonzero(np.isinf(parsed)):  # to_numeric also reads 'inf', 'Infinity'
        number[i] = re.fullmatch(NUMBER, str(s.iloc[i])) is not None
    missing = np.zeros(len(cells), dtype=bool)
    for i in np.flatnonzero(~number):
        missing[i] = cells[i].lower() in MISSING_TOKENS
    return number, missing


def detect_decimal(columns: list[list[str]], sep: str) -> str:
    """``","`` when ``sep`` is not a comma and number cells use decimal commas (``1,5``) but never points.

    >>> detect_decimal([["1,5", "2"]], ";"), detect_decimal([["1,5", "2.5"]], ";"), detect_decimal([["1"]], ",")
    (',', '.', '.')
    """
    if sep == ",":
        return "."
    commas = points = False
    for col in columns:
        number = classify(col)[0]
        points = points or any("." in col[i] for i in np.flatnonzero(number))
        commas = commas or any(_COMMA_NUMBER.fullmatch(col[i]) for i in np.flatnonzero(~number))
    return "," if commas and not points else "."


def parse_numbers(table: Table, column: str, decimal: str) -> NDArray[np.float64]:
    """The column as float64 with NaN for missing cells; a non-numeric or non-finite cell is a DataError.

    Numbers are parsed with numpy's correctly rounded conversion, so a
    float written with ``repr`` reads back exactly.
    """
    cells = table.columns[column]
    number, missing = classify(cells, decimal)
    bad = np.flatnonzero(~missing & ~number)
    if bad.size:
        i = int(bad[0])
        hint = " (a decimal comma? set csv.decimal=,)" if _COMMA_NUMBER.fullmatch(cells[i]) else ""
        raise DataError(
            f"{table.where(i, column)}: {cells[i]!r} is not a number{hint}; {bad.size} such cells in the column. "
            "Fix them, leave them empty (a missing value), or choose other columns with csv.value_columns."
        )
    out = np.full(len(cells), np.nan)
    text = np.asarray(cells, dtype=object)[number].astype(str)
    if decimal == ",":
        text = np.char.replace(text, ",", ".")
    out[number] = text.astype(np.float64)
    inf = np.flatnonzero(np.isinf(out))
    if inf.size:
        i = int(inf[0])
        raise DataError(f"{table.where(i, column)}: {cells[i]!r} is too large for a float64 (not finite).")
    return out


LABEL_CELLS = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "false": 0, "true": 1}
"""Label cells (any case) and their labels; any other cell in a label column is an error."""


def parse_labels(table: Table, column: str) -> NDArray[np.int8]:
    """The label column as int8 0/1 (``0``, ``1``, ``0.0``, ``1.0``, ``false``, ``true``); anything else is an error."""
    cells = table.columns[column]
    out = np.zeros(len(cells), dtype=np.int8)
    for i, cell in enumerate(cells):
        value = LABEL_CELLS.get(cell.lower())
        if value is None:
            what = "is empty" if cell.lower() in MISSING_TOKENS else f"is {cell!r}"
            raise DataError(
                f"{table.where(i, column)} {what}; labels must be 0 (normal) or 1 (anomalous). "
                "Fix the cell, or choose another column with csv.label_column (or none)."
            )
        out[i] = value
    return out
