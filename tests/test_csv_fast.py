"""The csv dataset's fast path (``bench.datasets.csv_fast``) against the line-by-line reader it stands in for.

Every file is loaded twice, once as the loader does (fast path first) and
once with the fast path switched off: series, repairs, warnings and error
messages must be identical. Well-formed files must take the fast path;
files with a problem must fall back to the line-by-line reader.
"""

from __future__ import annotations

import datetime as dt
import gzip
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bench.datasets import csv_columns, csv_fast
from bench.datasets.csv import load
from bench.datasets.csv_columns import ReadOptions
from bench.errors import DataError

SETTINGS = settings(
    max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
OPTIONS = ReadOptions("auto", "auto", "auto", "interpolate", "mean", "auto", "auto", "ISO8601", "utf-8")


@contextmanager
def _line_by_line() -> Iterator[None]:
    """The loader with its fast path switched off."""
    with mock.patch.object(csv_columns, "_read_fast", return_value=None):
        yield


def _outcome(path: Path, **options: Any) -> tuple[Any, ...]:
    """What loading ``path`` gives: the series' arrays and metadata, or the error; and the warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            (s,) = load(path=str(path), **options)
            result: tuple[Any, ...] = (
                "ok",
                s.values.tobytes(),
                s.values.shape,
                s.labels.tobytes(),
                None if s.timestamps is None else s.timestamps.tobytes(),
                s.train_end,
                s.metadata,
            )
        except DataError as exc:
            result = ("error", str(exc))
    return (*result, [(w.category.__name__, str(w.message)) for w in caught])


def _both(path: Path, **options: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    fast = _outcome(path, **options)
    with _line_by_line():
        slow = _outcome(path, **options)
    return fast, slow


def _takes_fast_path(path: Path, with_labels: bool = True) -> bool:
    return csv_columns._read_fast(path, OPTIONS, with_labels) is not None


# ---- well-formed files --------------------------------------------------------------------------------------


def _timestamp(t: dt.datetime, style: int, digits: int) -> str:
    date = t.strftime("%Y-%m-%d")
    if style == 0:
        return date
    sep = " " if style % 2 else "T"
    text = f"{date}{sep}{t:%H:%M}" if style < 3 else f"{date}{sep}{t:%H:%M:%S}"
    if style >= 5 and digits:
        text += "." + f"{t.microsecond:06d}{t.microsecond % 997:03d}"[:digits]
    return text


_NUMBER = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda x: f"{x:.6e}"),
    st.integers(-(10**25), 10**25).map(str),
    st.sampled_from(["-0", ".5", "5.", "+3", "-.25e-3", "1E+05", "0.1e-400", "00012", "4.9e-324"]),
)
_LABEL = st.sampled_from(["0", "0", "0", "0", "1", "0.0", "1.0", "true", "false", "True", "FALSE"])


@st.composite
def plain_files(draw: st.DrawFn) -> dict[str, Any]:
    """The parts of a file the fast path reads: header, cells, separator, line ending."""
    n = draw(st.integers(3, 25))
    ts_name = draw(st.sampled_from(["timestamp", "time", "Date", None]))
    value_names = draw(st.lists(st.sampled_from(["value", "x", "y", "load"]), min_size=1, max_size=3, unique=True))
    label_name = draw(st.sampled_from(["label", "is_anomaly", None]))
    columns: dict[str, list[str]] = {}
    if ts_name:
        start = draw(st.datetimes(min_value=dt.datetime(1679, 1, 1), max_value=dt.datetime(2250, 1, 1)))
        steps = draw(st.lists(st.integers(-3600, 10**7), min_size=n, max_size=n))  # some back in time, some equal
        style = draw(st.integers(0, 6))
        mixed = draw(st.booleans())  # widths differ: the regular expression, not the byte matrix
        times = [start + dt.timedelta(seconds=int(s), microseconds=7 * i) for i, s in enumerate(np.cumsum(steps))]
        columns[ts_name] = [
            _timestamp(t, draw(st.integers(0, 6)) if mixed else style, 1 + i % 9) for i, t in enumerate(times)
        ]
    for name in value_names:
        columns[name] = draw(st.lists(_NUMBER, min_size=n, max_size=n))
    if label_name:
        columns[label_name] = ["0", *draw(st.lists(_LABEL, min_size=n - 1, max_size=n - 1))]  # a training part
    order = draw(st.permutations(list(columns)))
    return {
        "columns": {c: columns[c] for c in order},
        "sep": draw(st.sampled_from([",", ";", "\t", "|"])),
        "newline": draw(st.sampled_from(["\n", "\r\n"])),
        "last_newline": draw(st.booleans()),
        "gz": draw(st.booleans()),
        "space": draw(st.booleans()),  # a space around the separator (both readers strip it)
    }


def _text(spec: dict[str, Any]) -> str:
    names = list(spec["columns"])
    sep = spec["sep"] + (" " if spec["space"] and spec["sep"] != " " else "")
    rows = [sep.join(names)] + [sep.join(cells) for cells in zip(*spec["columns"].values(), strict=True)]
    return spec["newline"].join(rows) + (spec["newline"] if spec["last_newline"] else "")


def _write(folder: Path, text: str | bytes, gz: bool = False) -> Path:
    data = text.encode("utf-8") if isinstance(text, str) else text
    path = folder / ("data.csv.gz" if gz else "data.csv")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


# a file is checked a block at a time: tiny blocks split \r\n pairs, UTF-8 characters and lines between blocks
BLOCKS = st.sampled_from([csv_fast.BLOCK, 1, 2, 3, 7, 64])


@SETTINGS
@given(spec=plain_files(), block=BLOCKS)
def test_fast_path_reads_well_formed_files_as_the_line_by_line_reader(spec: dict[str, Any], block: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, mock.patch.object(csv_fast, "BLOCK", block):
        path = _write(Path(tmp), _text(spec), spec["gz"])
        taken = _takes_fast_path(path)
        event(f"fast path taken: {taken}")
        fast, slow = _both(path, strict=False)
        assert fast == slow
        # the space the fast path allows is pyarrow's number parsing; a space in a timestamp or label falls back
        assert taken or spec["space"]


# ---- files with a problem ------------------------------------------------------------------------------------

_HOSTILE = [
    "",
    " ",
    "NA",
    "nan",
    "NaN",
    "+nan",
    "null",
    "inf",
    "-Infinity",
    "1e999",
    "abc",
    "1,5",
    "0x10",
    "1_000",
    '"1"',
    "2",
    "\u00e9",
    "\u0661",
    "2019-02-29",
    "1600-01-01",
    "2020-01-01 00:00:00+01:00",
    "2020-01-01T00:00:00Z",
    "1700000000",
    "45000",
    "2020-01-01 24:00:00",
    "2020-1-1",
]


@st.composite
def damaged_files(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A well-formed file with one thing wrong: a hostile cell, a blank line, a ragged row, a BOM, a stray byte."""
    spec = draw(plain_files())
    columns = spec["columns"]
    kind = draw(st.sampled_from(["cell", "cell", "cell", "blank", "ragged", "bom", "latin-1", "cr", "header"]))
    if kind == "cell":
        name = draw(st.sampled_from(list(columns)))
        row = draw(st.integers(0, len(columns[name]) - 1))
        columns[name][row] = draw(st.sampled_from(_HOSTILE))
    text = _text(spec)
    lines = text.split(spec["newline"])
    at = draw(st.integers(1, max(1, len(lines) - 1)))
    if kind == "blank":
        lines.insert(at, draw(st.sampled_from(["", " "])))
    elif kind == "ragged":
        lines[at] += spec["sep"] + "1"
    elif kind == "cr":
        lines[at] = lines[at].replace(spec["sep"], "\r", 1) if spec["sep"] in lines[at] else lines[at] + "\r"
    elif kind == "header":
        lines[0] = draw(
            st.sampled_from(["value" + spec["sep"] + "value", spec["sep"] + "value", "1" + spec["sep"] + "2"])
        )
    data = spec["newline"].join(lines).encode("utf-8")
    if kind == "bom":
        data = b"\xef\xbb\xbf" + data
    elif kind == "latin-1":
        data = data.replace(b"\n", b"\xe9\n", 1)
    return data, spec["gz"]


@SETTINGS
@given(damaged=damaged_files(), strict=st.booleans(), block=BLOCKS)
def test_a_damaged_file_gives_the_line_by_line_readers_repairs_and_errors(
    damaged: tuple[bytes, bool], strict: bool, block: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp, mock.patch.object(csv_fast, "BLOCK", block):
        path = _write(Path(tmp), *damaged)
        fast, slow = _both(path, strict=strict)
        event(f"outcome: {fast[0]}")
        assert fast == slow


@pytest.mark.parametrize(
    "text",
    [
        "timestamp,value\n2020-01-01,1\n2020-01-02,2,3\n",  # ragged row
        'timestamp,value\n2020-01-01,"1"\n2020-01-02,2\n',  # quotes
        "\ufefftimestamp,value\n2020-01-01,1\n2020-01-02,2\n",  # byte-order mark
        "timestamp,value,value\n2020-01-01,1,2\n2020-01-02,2,3\n",  # repeated column name
        "timestamp,,value\n2020-01-01,1,2\n2020-01-02,2,3\n",  # unnamed column
        "timestamp,value\n2020-01-01,inf\n2020-01-02,2\n",  # infinite value
        "timestamp,value\n2020-01-01,1e999\n2020-01-02,2\n",  # too large for a float64
        "timestamp,value\n2020-01-01,NaN\n2020-01-02,2\n2020-01-03,4\n",  # a missing value, interpolated
        "timestamp,value\n2020-01-01,\n2020-01-02,2\n2020-01-03,4\n",  # an empty cell, interpolated
        "timestamp,value\n2020-01-01,1,5\n2020-01-02,2\n",  # decimal comma in a comma file
        "timestamp;value\n2020-01-01;1,5\n2020-01-02;2,5\n2020-01-03;3,5\n",  # decimal commas
        "timestamp,value,label\n2020-01-01,1,2\n2020-01-02,2,0\n",  # a label other than 0/1
        "timestamp,value,label\n2020-01-01,1, 1\n2020-01-02,2,0\n2020-01-03,2,0\n",  # a space before a label
        "timestamp,value\n2020-01-01 00:00+01:00,1\n2020-01-02 00:00+02:00,2\n2020-01-03 00:00Z,3\n",  # offsets
        "timestamp,value\n1700000000,1\n1700000060,2\n1700000120,3\n",  # Unix seconds
        "timestamp,value\n45000,1\n45001,2\n45002,3\n",  # Excel-looking numbers
        "timestamp,value\n2019-02-29,1\n2019-03-01,2\n",  # no such day
        "timestamp,value\n1600-01-01,1\n1600-01-02,2\n",  # outside the nanosecond range
        # the first nanosecond timestamp, which pyarrow reads and the line-by-line reader refuses
        "timestamp,value\n1677-09-21 00:12:43.145224192,1\n1677-09-22 00:00:00.000000000,2\n",
        "timestamp,value\n2262-04-11 23:47:16.854775807,1\n",  # pandas' Timestamp.max, refused
        "timestamp,value\n2020-01-01 00:00:00.1234567891,1\n2020-01-02,1\n2020-01-03,1\n",  # 10 digits
        "timestamp,value\n2020-01-01 1:00,1\n2020-01-02 1:00,1\n2020-01-03 1:00,1\n",  # a 1-digit hour
        "timestamp,value\n20200101,1\n20200102,1\n20200103,1\n",  # basic format (numbers: Unix seconds)
        "timestamp,value\n2020-01-01,1\n\n2020-01-02,2\n2020-01-03,2\n",  # blank line
        "timestamp,value\n2020-01-01,1\r2020-01-02,2\r2020-01-03,2\r",  # old Mac line endings
        "timestamp,value\n",  # header only
        "1,2\n3,4\n",  # no header line
        "timestamp,value\n2020-01-01,abc\n2020-01-02,2\n",  # a word
        "timestamp,value,host\n2020-01-01,1,a\n2020-01-02,2,b\n2020-01-03,2,c\n",  # a text column, ignored
        "value\n" + "1\n" * 5 + "9" * 140_000 + "\n",  # a line longer than the csv module's field limit
    ],
)
@pytest.mark.parametrize("block", [csv_fast.BLOCK, 2])
def test_a_problem_falls_back_and_keeps_the_line_by_line_message(tmp_path: Path, text: str, block: int) -> None:
    path = _write(tmp_path, text)
    with mock.patch.object(csv_fast, "BLOCK", block):
        assert not _takes_fast_path(path)
    fast, slow = _both(path)
    assert fast == slow


@pytest.mark.parametrize(
    "stamps",
    [
        ["2020-01-01T00", "2020-01-01 01", "2020-01-01T02:30"],  # hours only, minutes
        ["2020-01-01", "2020-01-01 00:00:00.5", "2020-01-01T00:00:00.123456789"],  # mixed widths, fractions
        ["2262-04-11 23:47:16.854775806", "2262-04-11 23:47:16.854775806"],  # near the end of the range
    ],
)
def test_timestamp_forms_pyarrow_reads_are_read_alike(tmp_path: Path, stamps: list[str]) -> None:
    path = _write(tmp_path, "timestamp,value\n" + "".join(f"{t},{i}\n" for i, t in enumerate(stamps * 2)))
    fast, slow = _both(path, train_end=1)
    assert fast == slow
    assert _takes_fast_path(path) == (not stamps[0].startswith("2262"))  # the last but one ns falls back too


def test_repairs_after_reading_are_the_same_on_both_paths(tmp_path: Path) -> None:
    # unsorted and repeated timestamps are repaired after reading (csv_repair), whichever path read the file
    path = _write(tmp_path, "timestamp,value\n2020-01-03,1\n2020-01-02,2\n2020-01-02,3\n2020-01-04,3\n2020-01-05,1\n")
    assert _takes_fast_path(path)
    fast, slow = _both(path)
    assert fast == slow and fast[0] == "ok" and len(fast[-1]) == 3  # sorted, merged, no labels: three warnings


def test_invalid_utf8_in_a_column_nobody_reads_still_falls_back(tmp_path: Path) -> None:
    # pyarrow checks UTF-8 only in the columns it converts; the line-by-line reader decodes the whole file
    path = _write(tmp_path, b"timestamp,value,host\n2020-01-01,1,a\n2020-01-02,2,\xff\n2020-01-03,3,c\n")
    options = {"value_columns": "value"}
    assert csv_columns._read_fast(path, OPTIONS, True) is None
    fast, slow = _both(path, **options)
    assert fast == slow and fast[0] == "error" and "not valid utf-8" in fast[1]


def test_a_long_field_in_a_column_nobody_reads_still_falls_back(tmp_path: Path) -> None:
    # the csv module refuses a field over its field_size_limit (131072) anywhere in the file
    text = "timestamp,value,note\n" + "".join(
        f"2020-01-0{i},{i},{'x' * 140_000 if i == 5 else 'a'}\n" for i in range(1, 9)
    )
    path = _write(tmp_path, text)
    opts = ReadOptions("auto", "value", "auto", "interpolate", "mean", "auto", "auto", "ISO8601", "utf-8")
    assert csv_columns._read_fast(path, opts, True) is None
    fast, slow = _both(path, value_columns="value")
    assert fast == slow and fast[0] == "error" and "field larger than field limit" in fast[1]


def test_explicit_columns_and_a_labels_file_take_the_fast_path(tmp_path: Path) -> None:
    text = "time,a,b,label\n" + "".join(f"2020-01-01 00:{i:02d}:00,{i}.5,{-i},{int(i == 7)}\n" for i in range(40))
    path = _write(tmp_path, text)
    labels = tmp_path / "labels.csv"
    labels.write_text("start,end\n2020-01-01 00:10:00,2020-01-01 00:12:00\n")
    opts = ReadOptions("time", "b", "auto", "interpolate", "mean", ",", ".", "ISO8601", "utf-8")
    read = csv_columns._read_fast(path, opts, with_labels=False)
    assert read is not None and read.names == ["b"] and read.ignored == ["a"] and read.labels is None
    for options in ({"value_columns": "b"}, {"value_columns": "b,a", "labels_file": str(labels)}):
        fast, slow = _both(path, **options)
        assert fast == slow and fast[0] == "ok"


# ---- a large file --------------------------------------------------------------------------------------------


def test_a_large_file_reads_back_exactly(tmp_path: Path) -> None:
    n = 100_000
    rng = np.random.default_rng(19)
    times = np.datetime64("2014-04-01T00:00:00", "ns") + np.arange(n) * np.timedelta64(5, "m")
    values = rng.normal(size=n).cumsum() * 10.0 ** rng.integers(-5, 5, size=n)
    labels = (rng.random(n) < 0.01).astype(np.int8)
    labels[:10] = 0
    stamps = np.datetime_as_string(times, unit="s")
    body = "\n".join(
        f"{t.replace('T', ' ')},{v!r},{y}" for t, v, y in zip(stamps, values.tolist(), labels.tolist(), strict=True)
    )
    path = _write(tmp_path, "timestamp,value,label\n" + body + "\n")
    read = csv_columns._read_fast(path, OPTIONS, True)
    assert read is not None
    assert read.matrix.shape == (n, 1) and read.matrix.dtype == np.float64
    assert np.array_equal(read.matrix[:, 0], values)  # bit for bit: a float written with repr reads back exactly
    assert read.ts is not None and read.ts.dtype == np.dtype("datetime64[ns]") and np.array_equal(read.ts, times)
    assert read.labels is not None and read.labels.dtype == np.int8 and np.array_equal(read.labels, labels)
    assert np.array_equal(read.lines, np.arange(2, n + 2))
    with _line_by_line():
        (slow,) = load(path=str(path))
    (fast,) = load(path=str(path))
    assert np.array_equal(fast.values, slow.values) and np.array_equal(fast.timestamps, slow.timestamps)
    assert np.array_equal(fast.labels, slow.labels) and fast.metadata == slow.metadata
