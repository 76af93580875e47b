"""Property-based tests of the ``csv`` dataset: random malformed files give a clear DataError or valid series.

Hypothesis writes random CSV files (odd headers, ragged rows, any cells:
numbers, words, missing markers, timestamps with and without offsets,
separators, quotes, BOMs, stray bytes) and labels files, and checks that the
loader never fails any other way: no other exception type, no NaN or
infinite value, only DataWarnings, and every error names the file.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bench.datasets.csv import load
from bench.errors import DataError, DataWarning
from bench.series import Series, labels_to_events

# derandomized (the same examples on every run, so CI is reproducible) and no example database in the checkout
SETTINGS = settings(
    max_examples=100, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)

NAMES = ["timestamp", "time", "Date", "value", "x", "y", "label", "is_anomaly", "", "host", "value"]
WORDS = [
    "",
    " ",
    "NA",
    "nan",
    "null",
    "None",
    "inf",
    "-Infinity",
    "1e999",
    "abc",
    "1,5",
    "1.2.3",
    "0",
    "1",
    "2",
    "true",
    "-0",
    ".5",
    "5.",
    "+3",
    "0x10",
    "1_000",
    '"',
    '""',
    "'",
    ";",
    ",",
    "\t",
    "\\",
    "\u00e9",
    "\ufeff",
]
OFFSETS = ["", "", "Z", "+01:00", "-05:30", "+0200", " UTC"]


def _timestamp(dt: Any, offset: str, style: int) -> str:
    text = [dt.isoformat(sep=" "), dt.isoformat(), dt.strftime("%Y-%m-%d"), dt.strftime("%d/%m/%Y %H:%M")][style]
    return text + offset if style < 2 else text


cells = st.one_of(
    st.sampled_from(WORDS),
    st.floats().map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.integers(0, 4 * 10**9).map(str),  # Unix seconds
    st.builds(
        _timestamp,
        st.datetimes(min_value=__import__("datetime").datetime(1600, 1, 1)),
        st.sampled_from(OFFSETS),
        st.integers(0, 3),
    ),
    st.text(max_size=6),
)


@st.composite
def csv_bytes(draw: Callable[..., Any]) -> bytes:
    """A random, usually malformed, CSV file."""
    header = draw(st.lists(st.sampled_from(NAMES) | st.text(max_size=4), min_size=1, max_size=4))
    sep = draw(st.sampled_from([",", ",", ";", "\t", "|"]))
    n_rows = draw(st.integers(0, 12))
    lines = [sep.join(header)]
    for _ in range(n_rows):
        width = len(header) + draw(st.sampled_from([0, 0, 0, 0, 0, 1, -1]))
        row = draw(st.lists(cells, min_size=max(width, 0), max_size=max(width, 0)))
        if draw(st.booleans()):
            row = ['"' + c.replace('"', '""') + '"' for c in row]
        lines.append(sep.join(row))
        if draw(st.integers(0, 9)) == 0:
            lines.append("")
    data = draw(st.sampled_from(["\n", "\r\n"])).join(lines).encode("utf-8")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 7)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at:]
    return data


@st.composite
def near_valid_bytes(draw: Callable[..., Any]) -> bytes:
    """A mostly well-formed CSV with a few defects: repeated or unsorted timestamps, gaps, bad cells, offsets."""
    n = draw(st.integers(1, 25))
    has_ts, has_label, k = draw(st.booleans()), draw(st.booleans()), draw(st.integers(1, 3))
    header = (["timestamp"] if has_ts else []) + [f"v{j}" for j in range(k)] + (["label"] if has_label else [])
    minutes = sorted(draw(st.lists(st.integers(0, 40), min_size=n, max_size=n)))
    if n > 1 and draw(st.booleans()):
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        minutes[i], minutes[j] = minutes[j], minutes[i]
    offsets = draw(st.sampled_from([[""], [""], ["+01:00"], ["+01:00", "+02:00"], ["", "Z"]]))
    good, bad = st.floats(-1e6, 1e6).map(repr), st.sampled_from(["", "", "", "NA", "abc", "1,5", "inf"])
    value = st.integers(0, 29).flatmap(lambda r: bad if r == 0 else good)
    label = st.integers(0, 99).flatmap(lambda r: st.sampled_from(["2", ""]) if r == 0 else st.sampled_from("0001"))
    lines = [",".join(header)]
    for m in minutes:
        row = [f"2020-01-01 {m // 60:02d}:{m % 60:02d}:00{draw(st.sampled_from(offsets))}"] if has_ts else []
        row += [draw(value) for _ in range(k)] + ([draw(label)] if has_label else [])
        lines.append(",".join(row))
    sep = draw(st.sampled_from([",", ";"]))
    return ("\n".join(lines).replace(",", sep) + "\n").encode()


REPAIR_OPTIONS = {
    "missing": st.sampled_from(["interpolate", "ffill", "drop"]),
    "duplicates": st.sampled_from(["mean", "first"]),
    "strict": st.booleans(),
    "train_fraction": st.floats(0.01, 0.9),
    "train_before_anomaly": st.booleans(),
    "min_test_points": st.integers(1, 3),
}
repair_options = st.fixed_dictionaries({}, optional=REPAIR_OPTIONS)
options = st.fixed_dictionaries(
    {},
    optional={
        **REPAIR_OPTIONS,
        "timestamp_column": st.sampled_from(["auto", "none", "x"]),
        "label_column": st.sampled_from(["auto", "none", "y"]),
        "value_columns": st.sampled_from(["auto", "value", "x,y"]),
        "decimal": st.sampled_from(["auto", ".", ","]),
    },
)


def check_valid(series: list[Series], min_test_points: int) -> None:
    """What every loaded series must satisfy."""
    assert series
    for s in series:
        assert isinstance(s, Series) and s.dataset == "csv"
        assert s.values.dtype == np.float64 and s.values.ndim == 2 and s.values.shape[1] >= 1
        assert np.isfinite(s.values).all()
        assert s.labels.dtype == np.int8 and set(np.unique(s.labels).tolist()) <= {0, 1}
        assert len(s) - s.train_end >= min_test_points and s.train_end >= 1  # 17.22: never an empty training part
        if s.timestamps is not None:
            assert s.timestamps.dtype == np.dtype("datetime64[ns]")
            assert (np.diff(s.timestamps.astype(np.int64)) > 0).all()
        assert list(s.events) == labels_to_events(s.labels)
        json.dumps(s.metadata)


def load_checked(path: Path, named: list[Path], **kwargs: Any) -> list[Series] | None:
    """``load``: a valid result, or None after a DataError naming one of ``named``; any other outcome fails."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            series = load(path=str(path), **kwargs)
        except DataError as exc:
            event("DataError")
            assert any(str(p) in str(exc) for p in named), str(exc)
            assert "\n" not in str(exc), "a message is one line"
            return None
    assert all(issubclass(w.category, DataWarning) for w in caught), [str(w.message) for w in caught]
    check_valid(series, kwargs.get("min_test_points", 2))
    event("valid series" + (" after repairs" if any(s.metadata["repairs"] for s in series) else ""))
    return series


@SETTINGS
@given(data=csv_bytes(), opts=options)
def test_random_files_give_a_clear_error_or_valid_series(data: bytes, opts: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.csv"
        path.write_bytes(data)
        load_checked(path, [path], **opts)


@SETTINGS
@given(data=near_valid_bytes(), opts=repair_options)
def test_nearly_valid_files_are_repaired_or_refused_clearly(data: bytes, opts: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.csv"
        path.write_bytes(data)
        load_checked(path, [path], **opts)


@SETTINGS
@given(files=st.lists(st.one_of(csv_bytes(), near_valid_bytes()), min_size=1, max_size=3), opts=options)
def test_random_folders_give_a_clear_error_or_valid_series(files: list[bytes], opts: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"d{i}" / "f.csv" for i in range(len(files))]
        for p, data in zip(paths, files, strict=True):
            p.parent.mkdir()
            p.write_bytes(data)
        series = load_checked(Path(tmp), paths, **opts)
        assert series is None or [s.name for s in series] == [f"d{i}/f" for i in range(len(files))]


bounds = st.one_of(
    st.integers(-2, 30),
    st.integers(-2, 30).map(str),
    st.builds(lambda m, s: f"2020-01-01 00:{m:02d}{s}", st.integers(0, 59), st.sampled_from(["", ":30", "+01:00"])),
    st.sampled_from(["", "x", "2019-12-31", None, 1.5, True]),
)
windows = st.lists(st.lists(bounds, min_size=0, max_size=3), max_size=4)


@SETTINGS
@given(
    entries=st.dictionaries(st.sampled_from(["a.csv", "a", "sub/a.csv", "b.csv", "./a.csv"]), windows, max_size=3),
    as_csv=st.booleans(),
    opts=options,
)
def test_random_labels_files_give_a_clear_error_or_valid_series(
    entries: dict[str, Any], as_csv: bool, opts: dict[str, Any]
) -> None:
    opts = {k: v for k, v in opts.items() if k != "label_column"}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "a.csv"
        data.write_text("timestamp,value\n" + "".join(f"2020-01-01 00:{m:02d},{m % 7}\n" for m in range(20)))
        if as_csv:
            labels = Path(tmp) / "labels.csv"
            rows = [w for ws in entries.values() for w in ws]
            labels.write_text(
                "start,end\n" + "".join(",".join("" if b is None else str(b) for b in w) + "\n" for w in rows)
            )
        else:
            labels = Path(tmp) / "labels.json"
            labels.write_text(json.dumps(entries))
        load_checked(data, [data, labels], labels_file=str(labels), **opts)


@SETTINGS
@given(
    values=st.lists(
        st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=2, max_size=2), min_size=3, max_size=30
    ),
    steps=st.lists(st.integers(1, 10**6), min_size=30, max_size=30),
    labels=st.lists(st.integers(0, 1), min_size=30, max_size=30),
    sep=st.sampled_from([",", ";", "\t", "|"]),
    bom=st.booleans(),
)
def test_well_formed_files_read_back_exactly(
    values: list[list[float]], steps: list[int], labels: list[int], sep: str, bom: bool
) -> None:
    n = len(values)
    seconds = 1_500_000_000 + np.cumsum(steps[:n])
    stamps = np.asarray(seconds * 10**9, dtype="datetime64[ns]")
    lines = [sep.join(["timestamp", "v0", "v1", "label"])]
    lines += [
        sep.join([str(t).replace("T", " "), repr(a), repr(b), str(y)])
        for t, (a, b), y in zip(stamps, values, labels, strict=False)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.csv"
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + ("\n".join(lines) + "\n").encode())
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            (s,) = load(path=str(path), train_end=1, min_test_points=1)
    np.testing.assert_array_equal(s.values, np.asarray(values))
    np.testing.assert_array_equal(s.timestamps, stamps)
    assert s.labels.tolist() == labels[:n] and s.metadata["repairs"] == []
    assert s.metadata["format"]["sep"] == sep and s.metadata["format"]["bom"] is bom
