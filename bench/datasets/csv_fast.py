"""Reading a well-formed CSV file's columns with pyarrow's C parser, or saying it cannot vouch for the file.

The fast path of :func:`bench.datasets.csv_columns.read_rows`. It accepts
only files the line-by-line reader (:mod:`bench.datasets.csv_table`) would
read without a repair or an error, and gives the same values bit for bit:
UTF-8 without a byte-order mark, no quote character, no NUL byte, no bare
``\\r``, no blank line, a header of distinct non-empty names, value cells that
are finite numbers, ``0``/``1`` style labels, timestamps that pyarrow's ISO
8601 parser reads as naive (``2024-01-31 13:45:00``, ``T``, fractions to the
nanosecond; it refuses offsets, and every form pandas would read differently).
Anything else raises :class:`Fallback`, and the caller reads the file line by
line, so every repair and every error message is the line-by-line reader's.
"""

from __future__ import annotations

import codecs
import gzip
import io
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
from numpy.typing import NDArray

from bench.datasets.csv_table import LABEL_CELLS, NUMBER, detect_separator

FIELD_LIMIT = 131072
"""The longest field Python's ``csv`` module reads (its default ``field_size_limit``); longer lines fall back."""

_NS_MIN, _NS_MAX = np.iinfo(np.int64).min + 1, np.iinfo(np.int64).max - 1
"""Timestamps (ns) at or beyond these fall back: ``csv_time`` refuses pandas' Timestamp.min and .max."""


class Fallback(Exception):
    """The fast path cannot vouch for this file; read it line by line."""


BLOCK = 1 << 20
"""Bytes read at a time while a file is checked."""
PARSE_BLOCK = 1 << 18
"""Bytes pyarrow parses at a time. Its streaming reader's memory grows with the block (about 70 MB at
1 MiB, 40 MB at 256 KiB, on a 10^6-row file) and its speed shrinks below that."""
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass
class PlainFile:
    """A file checked to hold nothing the line-by-line reader would treat specially, its separator and header.

    ``data`` holds a ``.csv.gz`` file's text (decompressed once); a plain file
    is read from ``path`` again, a block at a time, so its text is never all
    in memory.
    """

    path: Path
    data: bytes | None
    sep: str
    header: list[str]


def open_plain(path: Path, *, sep: str = "auto", encoding: str = "utf-8") -> PlainFile:
    """Check ``path`` (``.csv`` or ``.csv.gz``) is plain and read its header; :class:`Fallback` when it is not."""
    if codecs.lookup(encoding).name != "utf-8":
        raise Fallback("not UTF-8")
    data = None
    try:
        if path.name.lower().endswith(".gz"):
            data = gzip.decompress(path.read_bytes())
            first = _check(io.BytesIO(data))
        else:
            with path.open("rb") as stream:
                first = _check(stream)
    except (OSError, EOFError, zlib.error):
        raise Fallback("unreadable") from None
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


def _check(stream: BinaryIO) -> str:
    """The first line of ``stream``, after reading all of it a block at a time; :class:`Fallback` for a
    byte-order mark, a quote, a NUL byte, a bare ``\\r``, invalid UTF-8 or a line over :data:`FIELD_LIMIT`."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    head, first = b"", None
    run = 0  # bytes since the last newline
    cr_open = False  # the last block ended with \r: the next must start with \n
    block = stream.read(max(BLOCK, 4))  # the longest byte-order mark is in the first block
    if block.startswith(_BOMS):
        raise Fallback("byte-order mark")
    while block:
        if b'"' in block or b"\0" in block or (cr_open and not block.startswith(b"\n")):
            raise Fallback("quotes, NUL bytes or bare carriage returns")
        cr_open = block.endswith(b"\r")
        if b"\r" in block and block.count(b"\r") != block.count(b"\r\n") + cr_open:
            raise Fallback("bare carriage returns")
        if not block.isascii() or decoder.getstate()[0]:
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                raise Fallback("not valid UTF-8") from None
        start, end = block.find(b"\n"), block.rfind(b"\n")
        if first is None:
            head += block if start < 0 else block[:start]
            if start >= 0:
                first = head.rstrip(b"\r").decode("utf-8")
        if start < 0:
            run += len(block)
        elif run + start > FIELD_LIMIT or _has_long_line(block):
            raise Fallback("a line longer than the csv module's field limit")
        else:
            run = len(block) - end - 1
        if run > FIELD_LIMIT:
            raise Fallback("a line longer than the csv module's field limit")
        block = stream.read(BLOCK)
    if cr_open:
        raise Fallback("a bare carriage return at the end")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise Fallback("not valid UTF-8") from None
    if first is None:
        raise Fallback("no data row")
    return first


def _has_long_line(data: bytes) -> bool:
    """Whether ``data`` may hold a line longer than :data:`FIELD_LIMIT` bytes.

    Such a line covers a whole aligned block of half that size, so a block with
    no newline is looked for (a few lines just under the limit also say yes).
    """
    block = FIELD_LIMIT // 2
    return any(data.find(b"\n", i, i + block) < 0 for i in range(0, len(data) - block + 1, block))


def _is_number(cell: str) -> bool:
    return re.fullmatch(NUMBER, cell) is not None


@dataclass
class Columns:
    """The cells the loader needs, parsed: ``values`` ``(n, d)``, ``timestamps`` and ``labels`` when asked for."""

    values: NDArray[np.float64]
    timestamps: NDArray[np.datetime64] | None
    labels: NDArray[np.int8] | None


def read_columns(plain: PlainFile, *, numbers: list[str], timestamps: str | None, labels: str | None) -> Columns:
    """The named columns parsed, a block of rows at a time (so only one block's text is held at once).

    ``numbers`` are float64 (:func:`numbers_of`), ``timestamps`` naive ISO 8601
    (:func:`timestamps_of`), ``labels`` 0/1 (:func:`labels_of`). :class:`Fallback`
    for no data row, a row whose field count differs from the header's, or any
    cell those functions refuse. Each line after the header is one row (no
    quotes, no bare ``\\r``, blank lines not skipped: one is a row of too few
    fields, or an empty number cell), so data row ``i`` is line ``i + 2``.
    """
    wanted = [*numbers, *([timestamps] if timestamps else []), *([labels] if labels else [])]
    if not numbers or any(c not in plain.header for c in wanted) or len(set(wanted)) != len(wanted):
        raise Fallback("no value column, or an unknown or repeated column")
    types: dict[str, pa.DataType] = {c: pa.float64() for c in numbers}
    if timestamps:
        types[timestamps] = pa.timestamp("ns")  # pyarrow's ISO 8601 parser: no offsets, nothing pandas reads otherwise
    if labels:
        types[labels] = pa.dictionary(pa.int32(), pa.string())
    values, stamps, flags = [], [], []
    try:
        with pa.BufferReader(plain.data) if plain.data is not None else pa.OSFile(str(plain.path)) as source:
            reader = pa_csv.open_csv(
                source,
                read_options=pa_csv.ReadOptions(column_names=plain.header, skip_rows=1, block_size=PARSE_BLOCK),
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
            for batch in reader:
                values.append(np.column_stack([numbers_of(batch.column(c)) for c in numbers]))
                if timestamps:
                    stamps.append(timestamps_of(batch.column(timestamps)))
                if labels:
                    flags.append(labels_of(batch.column(labels)))
            del reader
    except (OSError, pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise Fallback("pyarrow could not read the file as plain CSV") from None
    finally:
        pa.default_memory_pool().release_unused()  # the parser's blocks, which the allocator would keep
    if not values or not sum(len(v) for v in values):
        raise Fallback("no data row")
    return Columns(
        np.concatenate(values),
        np.concatenate(stamps) if timestamps else None,
        np.concatenate(flags) if labels else None,
    )


def numbers_of(column: pa.Array) -> NDArray[np.float64]:
    """A float64 column as numpy; :class:`Fallback` for a NaN or infinite cell (``nan``, ``inf``, ``1e400``)."""
    out = column.to_numpy(zero_copy_only=False)
    if not np.isfinite(out).all():
        raise Fallback("a missing or non-finite number")
    return out


def labels_of(column: pa.DictionaryArray) -> NDArray[np.int8]:
    """A dictionary-encoded label column as int8 0/1; :class:`Fallback` for any other cell."""
    lut = np.array([LABEL_CELLS.get(v.lower(), -1) for v in column.dictionary.to_pylist()] or [0], dtype=np.int8)
    out = lut[column.indices.to_numpy(zero_copy_only=False)]
    if (out < 0).any():
        raise Fallback("a label other than 0/1")
    return out


def timestamps_of(column: pa.TimestampArray) -> NDArray[np.datetime64]:
    """A timestamp column pyarrow parsed (naive ISO 8601) as ``datetime64[ns]``; :class:`Fallback` for the
    two instants at the ends of the nanosecond range, which the line-by-line reader refuses."""
    out = column.to_numpy(zero_copy_only=False).astype("datetime64[ns]", copy=False)
    ns = out.view(np.int64)
    if ns.size and (ns.min() <= _NS_MIN or ns.max() >= _NS_MAX):
        raise Fallback("a timestamp at the end of the nanosecond range")
    return out
