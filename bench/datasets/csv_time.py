"""Timestamp cells to ``datetime64[ns]``: ISO 8601 or a strftime format, Unix seconds, Excel dates, UTC offsets.

Used by the ``csv`` dataset and by ``evaluate --scores`` (:mod:`bench.scorefiles`),
so both read timestamps the same way.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bench.datasets.csv_table import MISSING_TOKENS, NUMBER, classify, one_line
from bench.errors import DataError

_OFFSET = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)$")
_NS_MIN, _NS_MAX = pd.Timestamp.min.value, pd.Timestamp.max.value

EXCEL_UNIX_EPOCH = 25569
"""The spreadsheet serial date of 1970-01-01: days since 1899-12-30, day 0 of the 1900 date system
(Excel, LibreOffice, Google Sheets; right from serial 61, 1900-03-01, on)."""
EXCEL_LOOKALIKE = (20000.0, 80000.0)
"""Numbers all in this range are refused as Unix seconds (1970-01-01 05:33 to 22:13) and look like
Excel serial dates (1954-10-03 to 2119-01-10)."""


def parse_timestamps(
    cells: list[str], *, where: str, fmt: str = "ISO8601", lines: list[int] | None = None
) -> tuple[NDArray[np.datetime64], list[str]]:
    """Timestamp cells as ``datetime64[ns]``, and the distinct UTC offsets found (empty when naive).

    All-number cells are Unix time in seconds, unless they all lie between
    20000 and 80000: such numbers are far likelier spreadsheet serial dates
    (days, 1954-2119) than seconds within one day of 1970, so they are a
    :class:`DataError` saying how to read them: ``fmt="excel"`` reads serial
    dates (days since 1899-12-30, to the millisecond), ``fmt="unix"`` Unix
    seconds whatever their range. Cells with a UTC offset
    (``+01:00``, ``Z``) are converted to UTC; a column mixing cells with and
    without an offset, a missing or unparsable cell, or a date outside
    1677-2262 is a :class:`DataError` naming ``where`` and the data row (and
    its file line, given ``lines``).

    >>> ts, offsets = parse_timestamps(["2020-01-01 00:30+01:00", "2020-01-01T00:00Z"], where="f.csv")
    >>> ts.astype(str).tolist(), offsets
    (['2019-12-31T23:30:00.000000000', '2020-01-01T00:00:00.000000000'], ['+00:00', '+01:00'])
    """
    missing = [i for i, c in enumerate(cells) if c.lower() in MISSING_TOKENS]
    if missing:
        i = missing[0]
        raise DataError(f"{_at(where, i, lines)}: the timestamp is missing ({cells[i]!r}); every row needs one.")
    if fmt == "excel":
        days = _numbers(cells, "days", fmt, where, lines)
        ms = np.round((days - EXCEL_UNIX_EPOCH) * 86_400_000)  # spreadsheets keep time to the millisecond
        return _to_ns(ms, 10**6, cells, where, lines), []
    if fmt == "unix" or (fmt == "ISO8601" and re.fullmatch(NUMBER, cells[0]) and classify(cells)[0].all()):
        numbers = _numbers(cells, "seconds", fmt, where, lines)
        if fmt != "unix":
            _refuse_excel_lookalike(numbers, cells, where)
        seconds = np.asarray(cells, dtype=str)
        if all(re.fullmatch(r"[+-]?\d{1,11}", c) for c in cells):
            return _to_ns(seconds.astype(np.int64), 10**9, cells, where, lines), []
        return _to_ns(seconds.astype(np.float64), 10**9, cells, where, lines), []
    series = pd.Series(cells, dtype=object)
    try:
        parsed = pd.to_datetime(series, format=fmt, errors="coerce")
        offsets = [] if parsed.dt.tz is None or parsed.isna().all() else [_offset_of(parsed[parsed.notna()].iloc[0])]
    except ValueError:  # pandas refuses a mix of offsets (or of offsets and none): look at each cell
        parsed, offsets = None, []
    except (TypeError, OverflowError) as exc:
        raise DataError(f"{where}: cannot read the timestamps with format {fmt!r} ({one_line(exc)}).") from None
    if parsed is None or parsed.isna().any():
        matches = [_OFFSET.search(c) for c in cells]
        aware = np.array([m is not None for m in matches], dtype=bool)
        timelike = np.array([":" in c for c in cells], dtype=bool)
        if aware.any() and not aware.all() and (timelike & (aware != aware[0])).any():
            i = int(np.flatnonzero(timelike & (aware != aware[0]))[0])
            raise DataError(
                f"{_at(where, i, lines)}: timestamp {cells[i]!r} {'has' if aware[i] else 'lacks'} a UTC offset "
                f"and row 0 ({cells[0]!r}) {'has' if aware[0] else 'lacks'} one. "
                "Give every timestamp an offset, or none."
            )
        offsets = sorted({_offset(m.group(1)) for m in matches if m is not None})
        try:
            parsed = pd.to_datetime(series, format=fmt, errors="coerce", utc=bool(aware.all()))
        except (ValueError, TypeError, OverflowError) as exc:
            raise DataError(f"{where}: cannot read the timestamps with format {fmt!r} ({one_line(exc)}).") from None
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"{_at(where, i, lines)}: {cells[i]!r} is not a timestamp in format {fmt!r}; {bad.size} such cells. "
            "Use ISO 8601 (2024-01-31 13:45:00) or Unix seconds, or set csv.timestamp_format (strftime codes)."
        )
    if parsed.dt.tz is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    arr = parsed.to_numpy()
    unit = np.datetime_data(arr.dtype)[0]
    return _to_ns(arr.astype(np.int64), _NS_PER[unit], cells, where, lines), offsets


def _numbers(cells: list[str], unit: str, fmt: str, where: str, lines: list[int] | None) -> NDArray[np.float64]:
    """The cells as numbers, or a :class:`DataError` naming the first that is not one."""
    bad = np.flatnonzero(~classify(cells)[0])
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"{_at(where, i, lines)}: {cells[i]!r} is not a number of {unit} (timestamp format {fmt!r}); "
            f"{bad.size} such cells. Set csv.timestamp_format to the cells' format."
        )
    return np.asarray(cells, dtype=np.float64)


def _refuse_excel_lookalike(numbers: NDArray[np.float64], cells: list[str], where: str) -> None:
    """A :class:`DataError` when every number lies where spreadsheet serial dates do and Unix seconds rarely."""
    lo, hi = EXCEL_LOOKALIKE
    if not ((numbers >= lo) & (numbers <= hi)).all():
        return
    first, last = int(np.argmin(numbers)), int(np.argmax(numbers))

    def as_unix(i: int) -> str:
        return show_time(np.datetime64(round(numbers[i] * 1000), "ms"))

    def as_excel(i: int) -> str:
        return show_time(np.datetime64(round((numbers[i] - EXCEL_UNIX_EPOCH) * 86_400_000), "ms"))

    raise DataError(
        f"{where}: the timestamps are numbers from {cells[first]} to {cells[last]}, which as Unix seconds all fall "
        f"on 1970-01-01 ({as_unix(first)} to {as_unix(last)}) and look like Excel serial dates (days since "
        f"1899-12-30: {as_excel(first)} to {as_excel(last)}). Set csv.timestamp_format=excel to read them as "
        "spreadsheet dates, or csv.timestamp_format=unix to keep them as Unix seconds."
    )


def _offset_of(t: pd.Timestamp) -> str:
    """The UTC offset of an aware timestamp as ``+01:00``."""
    minutes = int(t.utcoffset().total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def show_time(t: np.datetime64) -> str:
    """A timestamp for messages: ``2020-01-01 00:02:00``.

    >>> show_time(np.datetime64("2020-01-01T00:02:00.000000000"))
    '2020-01-01 00:02:00'
    """
    return str(pd.Timestamp(t))


def _at(where: str, i: int, lines: list[int] | None) -> str:
    return f"{where}, line {lines[i]} (data row {i})" if lines is not None else f"{where}, data row {i}"


def _offset(text: str) -> str:
    """``Z``/``+01``/``+0100`` -> ``+00:00``/``+01:00``."""
    if text in ("Z", "z"):
        return "+00:00"
    digits = text[1:].replace(":", "")
    return f"{text[0]}{digits[:2]}:{digits[2:4] or '00'}"


_NS_PER = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


def _to_ns(
    counts: NDArray[Any], per: int, cells: list[str], where: str, lines: list[int] | None
) -> NDArray[np.datetime64]:
    """Counts of a unit of ``per`` nanoseconds as ``datetime64[ns]``, refusing what the ns range cannot hold."""
    lo, hi = _NS_MIN // per + 1, _NS_MAX // per - 1
    out = ~np.isfinite(counts) | (counts < lo) | (counts > hi)
    if out.any():
        i = int(np.flatnonzero(out)[0])
        raise DataError(f"{_at(where, i, lines)}: timestamp {cells[i]!r} is outside the years 1677-2262.")
    if counts.dtype.kind == "f":
        return np.round(counts * per).astype(np.int64).astype("datetime64[ns]")
    return (counts.astype(np.int64) * per).astype("datetime64[ns]")
