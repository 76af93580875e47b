"""Reading a well-formed CSV file's columns with pyarrow's C parser, or saying it cannot vouch for the file.

The fast path of :func:`bench.datasets.csv_columns.read_rows`. It accepts
only files the line-by-line reader (:mod:`bench.datasets.csv_table`) would
read without a repair or an error, and gives the same values bit for bit:
UTF-8 without a byte-order mark, no quote character, no NUL byte, no bare
``\\r``, no blank line, a header of distinct non-empty names, value cells that
are finite numbers, ``0``/``1`` style labels, naive ISO 8601 timestamps in
1678-2261. Anything else raises :class:`Fallback`, and the caller reads the
file line by line, so every repair and every error message is the
line-by-line reader's.
"""

from __future__ import annotations

import codecs
import gzip
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from numpy.typing import NDArray

from bench.datasets.csv_table import NUMBER, detect_separator

FIELD_LIMIT = 131072
"""The longest field Python's ``csv`` module reads (its default ``field_size_limit``); longer lines fall back."""

_LABELS = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "false": 0, "true": 1}
_YEAR = r"(?:167[89]|16[89]\d|1[7-9]\d\d|20\d\d|21\d\d|22[0-5]\d|226[01])"
ISO_NAIVE = rf"^{_YEAR}-\d\d-\d\d(?:[ T]\d\d:\d\d(?::\d\d(?:\.\d{{1,9}})?)?)?$"
"""The timestamps read here (RE2 syntax): naive ISO 8601 dates and times of the years 1678 to 2261,
which pandas' ISO 8601 parser and pyarrow's read alike (others fall back)."""


class Fallback(Exception):
    """The fast path cannot vouch for this file; read it line by line."""


@dataclass
class PlainFile:
    """A file's bytes, separator and header, checked to hold nothing the line-by-line reader would treat specially."""

    path: Path
    data: bytes
    sep: str
    header: list[str]


def open_plain(path: Path, *, sep: str = "auto", encoding: str = "utf-8") -> PlainFile:
    """Read ``path`` (``.csv`` or ``.csv.gz``) and check it is plain; :class:`Fallback` when it is not."""
    if codecs.lookup(encoding).name != "utf-8":
        raise Fallback("not UTF-8")
    try:
        data = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        raise Fallback("unreadable") from None
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise Fallback("byte-order mark")
    if b'"' in data or b"\0" in data or (b"\r" in data and data.count(b"\r") != data.count(b"\r\n")):
        raise Fallback("quotes, NUL bytes or bare carriage returns")
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise Fallback("not valid UTF-8") from None
    if _has_long_line(data):
        raise Fallback("a line longer than the csv module's field limit")
    first_end = data.find(b"\n")
    if first_end < 0:
        raise Fallback("no data row")
    first = data[:first_end].rstrip(b"\r").decode("utf-8")
    if not first.strip() or len(first.splitlines()) != 1:
        raise Fallback("blank first line, or a character str.splitlines() breaks at")
    if sep == "auto":
        sep = detect_separator(first)
    if not sep.isascii():
        raise Fallback("a separator of several bytes")
    header = [c.strip() for c in first.split(sep)]
    if not all(header) or len(set(header)) != len(header) or all(_is_number(c) for c in header):
        raise Fallback("an empty, repeated or numeric column name")
    return PlainFile(path, data, sep, header)


def _has_long_line(data: bytes) -> bool:
    """Whether ``data`` may hold a line longer than :data:`FIELD_LIMIT` bytes.

    Such a line covers a whole aligned block of half that size, so a block with
    no newline is looked for (a few lines just under the limit also say yes).
    """
    block = FIELD_LIMIT // 2
    return any(data.find(b"\n", i, i + block) < 0 for i in range(0, len(data) - block + 1, block))


def _is_number(cell: str) -> bool:
    return re.fullmatch(NUMBER, cell) is not None


def read_columns(
    plain: PlainFile, *, numbers: list[str], texts: list[str], labels: str | None = None
) -> dict[str, pa.ChunkedArray]:
    """The named columns: ``numbers`` as float64, ``texts`` as strings, ``labels`` dictionary-encoded.

    :class:`Fallback` for no data row, a row whose field count differs from
    the header's, or a number cell pyarrow cannot read. Each line after the
    header is one row (no quotes, no bare ``\\r``, blank lines not skipped: one
    is a row of too few fields, or an empty number cell), so data row ``i`` is
    line ``i + 2``.
    """
    wanted = [*numbers, *texts, *([labels] if labels else [])]
    if any(c not in plain.header for c in wanted) or len(set(wanted)) != len(wanted):
        raise Fallback("unknown or repeated column")
    types: dict[str, pa.DataType] = {c: pa.float64() for c in numbers}
    types.update({c: pa.string() for c in texts})
    if labels:
        types[labels] = pa.dictionary(pa.int32(), pa.string())
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(plain.data),
            read_options=pa_csv.ReadOptions(column_names=plain.header, skip_rows=1),
            parse_options=pa_csv.ParseOptions(
                delimiter=plain.sep,
                quote_char=False,
                double_quote=False,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=types,
                include_columns=wanted,
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise Fallback("pyarrow could not read the file as plain CSV") from None
    if table.num_rows == 0:
        raise Fallback("no data row")
    return {c: table.column(c) for c in wanted}


def numbers(column: pa.ChunkedArray) -> NDArray[np.float64]:
    """A float64 column as numpy; :class:`Fallback` for a NaN or infinite cell (``nan``, ``inf``, ``1e400``)."""
    out = column.to_numpy()
    if not np.isfinite(out).all():
        raise Fallback("a missing or non-finite number")
    return out


def labels(column: pa.ChunkedArray) -> NDArray[np.int8]:
    """A dictionary-encoded label column as int8 0/1; :class:`Fallback` for any other cell."""
    parts = []
    for chunk in column.chunks:
        lut = np.array([_LABELS.get(str(v).lower(), -1) for v in chunk.dictionary.to_pylist()], dtype=np.int8)
        parts.append(lut[chunk.indices.to_numpy()] if lut.size else np.zeros(0, dtype=np.int8))
    out = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int8)
    if (out < 0).any():
        raise Fallback("a label other than 0/1")
    return out


def timestamps(column: pa.ChunkedArray) -> NDArray[np.datetime64]:
    """Naive ISO 8601 timestamp cells (:data:`ISO_NAIVE`) as ``datetime64[ns]``; :class:`Fallback` for others."""
    if not _fixed_width_iso(column) and not pc.all(pc.match_substring_regex(column, ISO_NAIVE)).as_py():
        raise Fallback("timestamps other than naive ISO 8601")
    try:
        parsed = pc.cast(column, pa.timestamp("ns"))
    except pa.ArrowInvalid:
        raise Fallback("a date that does not exist") from None
    return parsed.to_numpy().astype("datetime64[ns]")


_ISO_SHAPE = "dddd-dd-ddTdd:dd:dd.ddddddddd"
"""Where :data:`ISO_NAIVE` has digits (``d``), the date-time separator (``T``: ``T`` or space) and literals."""
_LOW = np.array([ord("0" if k == "d" else " " if k == "T" else k) for k in _ISO_SHAPE], dtype=np.uint8)
_SPAN = np.array([9 if k == "d" else ord("T") - ord(" ") if k == "T" else 0 for k in _ISO_SHAPE], dtype=np.uint8)
"""Each position's allowed bytes as ``_LOW`` to ``_LOW + _SPAN`` (uint8 arithmetic wraps what lies below round)."""
_DATE_TIME = np.array([ord(" "), ord("T")], dtype=np.uint8)


def _fixed_width_iso(column: pa.ChunkedArray) -> bool:
    """Whether every cell has one width and matches :data:`ISO_NAIVE`, checked as a byte matrix (cells by position).

    The quick check for the common case (``2014-04-01 00:00:00`` in every
    row); False sends the cells to the regular expression.
    """
    width = pc.min_max(pc.binary_length(column)).as_py()
    if width["min"] != width["max"] or width["min"] not in (10, 16, 19, *range(21, 30)):
        return False
    w = int(width["min"])
    for chunk in column.chunks:
        if len(chunk) == 0:
            continue
        start = chunk.offset * 4
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32, count=2, offset=start)
        end = int(offsets[0]) + w * len(chunk)
        cells = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[int(offsets[0]) : end].reshape(-1, w)
        if not ((cells - _LOW[:w]) <= _SPAN[:w]).all():
            return False
        if w > 10 and not np.isin(cells[:, 10], _DATE_TIME).all():
            return False
        year = (cells[:, :4] - ord("0")).astype(np.int32) @ np.array([1000, 100, 10, 1], dtype=np.int32)
        if year.min() < 1678 or year.max() > 2261:
            return False
    return True
