"""Tests for the ``csv`` dataset (bench.datasets.csv and its csv_* helpers): one hand test per defended input."""

from __future__ import annotations

import gzip
import inspect
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.datasets import nab
from bench.datasets.csv import load
from bench.errors import DataError, DataWarning, ParameterError
from bench.series import Series, labels_to_events

HEADER = "timestamp,value,label\n"
# a repair warning nobody expected fails the test; expected ones are checked with load_warned or pytest.warns
pytestmark = pytest.mark.filterwarnings("error::bench.errors.DataWarning")


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return path


def minutes(values: list[float], labels: list[int] | None = None, start: int = 0) -> str:
    """A timestamp,value,label CSV with one row per minute from 2020-01-01 00:00."""
    labels = labels or [0] * len(values)
    rows = [
        f"2020-01-01 {(start + i) // 60:02d}:{(start + i) % 60:02d}:00,{v},{y}\n"
        for i, (v, y) in enumerate(zip(values, labels, strict=True))
    ]
    return HEADER + "".join(rows)


def load_warned(**kwargs: Any) -> tuple[list[Series], list[str]]:
    """``load(**kwargs)`` and the DataWarning messages it gave; any other warning fails the test."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = load(**kwargs)
    others = [w for w in caught if not issubclass(w.category, DataWarning)]
    assert not others, [str(w.message) for w in others]
    return out, [str(w.message) for w in caught]


def load_one(path: Path, **kwargs: Any) -> tuple[Series, list[str]]:
    series, msgs = load_warned(path=str(path), **kwargs)
    assert len(series) == 1
    return series[0], msgs


# --------------------------------------------------------------------------- layouts and options


def test_plain_file_gives_one_series_with_metadata(tmp_path: Path) -> None:
    f = write(tmp_path / "m.csv", minutes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [0] * 8 + [1, 0]))
    s, msgs = load_one(f)
    assert msgs == []
    assert (s.dataset, s.name, s.key) == ("csv", "m", "csv/m")
    np.testing.assert_array_equal(s.values[:, 0], np.arange(1, 11))
    assert s.labels.tolist() == [0] * 8 + [1, 0] and s.events == ((8, 9),)
    assert s.timestamps is not None and str(s.timestamps[3]) == "2020-01-01T00:03:00.000000000"
    assert s.train_end == 3  # floor(0.3 * 10), no anomaly before it
    meta = s.metadata
    assert meta["path"] == str(f) and meta["repairs"] == [] and meta["labels"] == "column label"
    assert meta["columns"] == {"timestamp": "timestamp", "values": ["value"], "label": "label", "ignored": []}
    assert meta["train"] == {"rule": "train_fraction=0.3", "train_end": 3}
    json.dumps(meta)  # recordable in a run's config


def test_every_option_is_keyword_only_typed_and_defaulted() -> None:
    params = list(inspect.signature(load).parameters.values())
    assert params[0].name == "data_dir"
    for p in params[1:]:
        assert p.kind is p.KEYWORD_ONLY, p.name
        assert p.annotation is not p.empty and p.default is not p.empty, p.name
    doc = inspect.getdoc(load) or ""
    for p in params[3:]:
        assert p.name in doc, f"{p.name} is not documented"


def test_folder_names_sorted_relative_subfolders_gz_and_hidden_skipped(tmp_path: Path) -> None:
    write(tmp_path / "b.csv", minutes([1, 2, 3, 4]))
    write(tmp_path / "cat" / "a.csv", minutes([5, 6, 7, 8]))
    write(tmp_path / "cat" / "z.csv.gz", gzip.compress(minutes([9, 9, 9, 9]).encode()))
    write(tmp_path / ".hidden" / "x.csv", "junk")
    write(tmp_path / "notes.txt", "not data")
    series, _ = load_warned(path=str(tmp_path))
    assert [s.name for s in series] == ["b", "cat/a", "cat/z"]
    assert series[2].values[:, 0].tolist() == [9, 9, 9, 9]
    write(tmp_path / "b.csv.gz", gzip.compress(minutes([1, 2, 3, 4]).encode()))
    with pytest.raises(DataError, match=r"b.csv and b.csv.gz would be the same series"):
        load(path=str(tmp_path))


def test_no_timestamps_several_value_columns_and_chosen_columns(tmp_path: Path) -> None:
    f = write(tmp_path / "x.csv", "a,b,Anomaly,t\n1,10,0,5\n2,20,0,6\n3,30,1,7\n4,40,0,8\n")
    s, _ = load_one(f)
    assert s.timestamps is None and s.n_channels == 3  # a, b and the numeric t
    assert s.metadata["columns"]["values"] == ["a", "b", "t"] and s.labels.tolist() == [0, 0, 1, 0]
    s, _ = load_one(f, value_columns="b", timestamp_column="t", label_column="none")
    assert s.values[:, 0].tolist() == [10, 20, 30, 40] and s.labels.sum() == 0
    assert s.timestamps is not None and str(s.timestamps[0]) == "1970-01-01T00:00:05.000000000"  # Unix seconds
    with pytest.raises(DataError, match=r"x.csv has no column 'c' \(csv.value_columns\)"):
        load(path=str(f), value_columns="a,c")


def test_text_and_unnamed_columns_are_ignored_with_a_warning(tmp_path: Path) -> None:
    f = write(
        tmp_path / "x.csv", ",timestamp,host,value\n0,2020-01-01,web1,1\n1,2020-01-02,web2,2\n2,2020-01-03,web1,3\n"
    )
    s, msgs = load_one(f, label_column="none")
    assert s.metadata["columns"]["values"] == ["value"]
    assert s.metadata["columns"]["ignored"] == ["<unnamed 1>", "host"]
    assert any("column 'host' is not numeric (line 2: 'web1'); ignored" in m for m in msgs)
    assert any("no label column and no labels file" in m for m in msgs)
    with pytest.raises(DataError, match="no numeric value column"), pytest.warns(DataWarning, match="'host' is not"):
        load(path=str(write(tmp_path / "t.csv", "timestamp,host\n2020-01-01,a\n2020-01-02,b\n")))


# --------------------------------------------------------------------------- defended inputs


def test_missing_values_interpolated_in_time(tmp_path: Path) -> None:
    # irregular spacing: 00:00 -> 0, 00:01 missing, 00:04 -> 8: in time the gap is 8 * 1/4 = 2
    text = HEADER + "2020-01-01 00:00,0,0\n2020-01-01 00:01,,0\n2020-01-01 00:04,8,0\n2020-01-01 00:05,NA,0\n"
    s, msgs = load_one(write(tmp_path / "g.csv", text))
    assert s.values[:, 0].tolist() == [0.0, 2.0, 8.0, 8.0]  # the end takes the nearest value
    assert msgs == [
        f"{tmp_path / 'g.csv'}: 2 missing values in column 'value' (first at line 3); "
        "filled by linear interpolation in time."
    ]
    assert s.metadata["repairs"] == msgs


def test_missing_values_ffill_drop_strict_and_all_missing(tmp_path: Path) -> None:
    text = HEADER + "2020-01-01 00:00,,0\n2020-01-01 00:01,1,0\n2020-01-01 00:02,null,1\n2020-01-01 00:03,3,0\n"
    f = write(tmp_path / "g.csv", text)
    s, _ = load_one(f, missing="ffill", train_end=1, min_test_points=1)
    assert s.values[:, 0].tolist() == [1.0, 1.0, 1.0, 3.0]
    s, msgs = load_one(f, missing="drop", train_end=1, min_test_points=1)
    assert s.values[:, 0].tolist() == [1.0, 3.0] and s.labels.tolist() == [0, 0]
    assert (
        "2 rows have missing values (first at line 2, column 'value'); those rows removed (1 of them labelled"
        in msgs[0]
    )
    with pytest.raises(DataError, match=r"missing values in column 'value'.*Refused: csv.strict=true"):
        load(path=str(f), strict=True)
    with pytest.raises(DataError, match=r"column 'b' has no value at all"):
        load(path=str(write(tmp_path / "e.csv", "a,b\n1,\n2,\n3,\n")), value_columns="a,b")


def test_duplicate_timestamps_merged(tmp_path: Path) -> None:
    text = HEADER + "2020-01-01 00:00,1,0\n2020-01-01 00:01,2,0\n2020-01-01 00:01,4,1\n2020-01-01 00:02,5,0\n"
    f = write(tmp_path / "d.csv", text)
    s, msgs = load_one(f, train_end=1, min_test_points=1)
    assert s.values[:, 0].tolist() == [1.0, 3.0, 5.0] and s.labels.tolist() == [0, 1, 0]
    assert "repeated timestamps: 1 (first 2020-01-01 00:01:00 at lines 3 and 4)" in msgs[0]
    s, _ = load_one(f, duplicates="first", train_end=1, min_test_points=1)
    assert s.values[:, 0].tolist() == [1.0, 2.0, 5.0] and s.labels.tolist() == [0, 1, 0]
    with pytest.raises(DataError, match="repeated timestamps"):
        load(path=str(f), strict=True)


def test_unsorted_timestamps_sorted_with_warning(tmp_path: Path) -> None:
    text = HEADER + "2020-01-01 00:00,1,0\n2020-01-01 00:02,3,1\n2020-01-01 00:01,2,0\n2020-01-01 00:03,4,0\n"
    f = write(tmp_path / "u.csv", text)
    s, msgs = load_one(f, train_end=1, min_test_points=1)
    assert s.values[:, 0].tolist() == [1, 2, 3, 4] and s.labels.tolist() == [0, 0, 1, 0]
    assert "line 4 (2020-01-01 00:01:00) comes after line 3 (2020-01-01 00:02:00)" in msgs[0]
    with pytest.raises(DataError, match="not in time order"):
        load(path=str(f), strict=True)


def test_non_numeric_and_infinite_cells_are_errors(tmp_path: Path) -> None:
    f = write(tmp_path / "n.csv", HEADER + "2020-01-01,1,0\n2020-01-02,1.2.3,0\n2020-01-03,3,0\n")
    with pytest.raises(DataError, match=r"n.csv line 3 \(data row 1\), column 'value': '1.2.3' is not a number"):
        load(path=str(f))
    f = write(tmp_path / "i.csv", HEADER + "2020-01-01,1,0\n2020-01-02,1e999,0\n2020-01-03,3,0\n")
    with pytest.raises(DataError, match=r"line 3 \(data row 1\), column 'value': '1e999' is too large"):
        load(path=str(f))
    f = write(tmp_path / "c.csv", "timestamp;value\n2020-01-01;1.5\n2020-01-02;2,5\n")
    with pytest.raises(DataError, match=r"'2,5' is not a number \(a decimal comma\? set csv.decimal=,\)"):
        load(path=str(f), label_column="none")


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "is empty"),
        (b" \n\n  \n", "is empty"),
        (HEADER.encode(), r"has a header \('timestamp,value,label'\) but no data rows"),
        (b"\xef\xbb\xbftimestamp,value\n\n", "but no data rows"),
        (b"1,2\n3,4\n", "no header line"),
        (HEADER.encode() + b"2020-01-01,1,0\n2020-01-02,2,0,7\n", r"line 3: 4 fields, the header has 3"),
        (b"timestamp,value,value\n2020-01-01,1,2\n", "column 'value' appears twice"),
        (b"value\n\xff\xfe1\n", r"line 2: byte 6 is not valid utf-8"),
        (b"\xff\xfev\x00a\x00", "UTF-16"),
        (b"value\n1\n" + b"9" * 200_000 + b"\n", r"line 3: not a valid CSV line \(field larger than field limit"),
        (b"value\n1\n2\x003\n", r"line 3 \(data row 1\), column 'value': '2\\x003' is not a number"),
    ],
)
def test_malformed_files_are_clear_errors(tmp_path: Path, content: bytes, match: str) -> None:
    f = write(tmp_path / "bad.csv", content)
    with pytest.raises(DataError, match=match) as info:
        load(path=str(f))
    assert str(f) in str(info.value)


def test_bom_is_removed_and_recorded(tmp_path: Path) -> None:
    f = write(tmp_path / "b.csv", b"\xef\xbb\xbf" + minutes([1, 2, 3]).encode())
    s, msgs = load_one(f, train_end=1, min_test_points=1)
    assert msgs == [] and s.metadata["columns"]["timestamp"] == "timestamp"  # not '\ufefftimestamp'
    assert s.metadata["format"]["bom"] is True


def test_semicolon_separator_and_decimal_commas(tmp_path: Path) -> None:
    f = write(tmp_path / "s.csv", "Zeit;Wert;label\n2020-01-01;1,5;0\n2020-01-02;-2,25;0\n2020-01-03;3;1\n")
    s, msgs = load_one(f, timestamp_column="Zeit", train_end=1, min_test_points=1)
    assert s.values[:, 0].tolist() == [1.5, -2.25, 3.0]
    assert s.metadata["format"] == {"sep": ";", "decimal": ",", "bom": False, "encoding": "utf-8"}
    assert len(msgs) == 1 and "decimal commas" in msgs[0]
    f = write(tmp_path / "t.csv", "timestamp\tvalue\n2020-01-01\t1.5\n2020-01-02\t2\n")
    s, _ = load_one(f, label_column="none", train_end=1, min_test_points=1)
    assert s.values[:, 0].tolist() == [1.5, 2.0] and s.metadata["format"]["sep"] == "\t"
    f = write(tmp_path / "p.csv", "timestamp,value\n2020-01-01,1\n2020-01-02,2\n")
    with pytest.raises(DataError, match="no numeric value column"), pytest.warns(DataWarning, match="not numeric"):
        load(path=str(f), sep=";")  # the wrong separator: one column 'timestamp,value' of text


def test_labels_must_be_zero_or_one(tmp_path: Path) -> None:
    f = write(tmp_path / "l.csv", HEADER + "2020-01-01,1,0\n2020-01-02,2,2\n2020-01-03,3,0\n")
    with pytest.raises(DataError, match=r"l.csv line 3 \(data row 1\), column 'label' is '2'; labels must be 0"):
        load(path=str(f))
    f = write(tmp_path / "m.csv", HEADER + "2020-01-01,1,0\n2020-01-02,2,\n2020-01-03,3,0\n")
    with pytest.raises(DataError, match=r"column 'label' is empty"):
        load(path=str(f))
    f = write(tmp_path / "t.csv", HEADER + "2020-01-01,1,false\n2020-01-02,2,TRUE\n2020-01-03,3,0.0\n")
    s, _ = load_one(f, train_before_anomaly=False)
    assert s.labels.tolist() == [0, 1, 0]


def test_too_short_after_training_part(tmp_path: Path) -> None:
    f = write(tmp_path / "s.csv", minutes([1, 2, 3]))
    with pytest.raises(DataError, match=r"s.csv: 1 points after the training part of 2 \(3 in all\); at least 2"):
        load(path=str(f), train_end="2")
    s, _ = load_one(f, train_end="2", min_test_points=1)
    assert s.train_end == 2
    with pytest.raises(DataError, match="at least 2"):
        load(path=str(write(tmp_path / "one.csv", minutes([1]))))


def test_utc_offsets_converted_and_mixed_with_naive_refused(tmp_path: Path) -> None:
    text = HEADER + "2020-03-29T01:30:00+01:00,1,0\n2020-03-29T03:00:00+02:00,2,0\n2020-03-29T03:30+02:00,3,0\n"
    s, msgs = load_one(write(tmp_path / "dst.csv", text), train_end=1, min_test_points=1)
    assert s.timestamps is not None
    assert [str(t)[11:16] for t in s.timestamps] == ["00:30", "01:00", "01:30"]  # UTC
    assert "timestamps with 2 UTC offsets (+01:00, +02:00); all converted to UTC" in msgs[0]
    assert s.metadata["utc_offsets"] == ["+01:00", "+02:00"]
    text = HEADER + "2020-01-01T00:00:00Z,1,0\n2020-01-01T01:00:00,2,0\n"
    with pytest.raises(DataError, match=r"line 3 \(data row 1\): timestamp '2020-01-01T01:00:00' lacks a UTC offset"):
        load(path=str(write(tmp_path / "mix.csv", text)))


def test_bad_timestamps_are_errors(tmp_path: Path) -> None:
    for cell, match in [
        ("yesterday", "'yesterday' is not a timestamp"),
        ("", "the timestamp is missing"),
        ("2500-01-01", "outside the years 1677-2262"),
    ]:
        f = write(tmp_path / "t.csv", HEADER + f"2020-01-01,1,0\n{cell},2,0\n2020-01-03,3,0\n")
        with pytest.raises(DataError, match=match):
            load(path=str(f))
    f = write(tmp_path / "f.csv", HEADER + "31/01/2020 10:00,1,0\n01/02/2020 10:00,2,0\n02/02/2020 10:00,3,0\n")
    s, _ = load_one(f, timestamp_format="%d/%m/%Y %H:%M")
    assert s.timestamps is not None and str(s.timestamps[1])[:10] == "2020-02-01"


# --------------------------------------------------------------------------- labels files


def test_nab_json_labels_file_and_windows_not_in_the_data(tmp_path: Path) -> None:
    write(tmp_path / "data" / "cat" / "a.csv", minutes(list(range(10)), [0] * 10))
    write(tmp_path / "data" / "b.csv", minutes(list(range(10))))
    labels = {
        "cat/a.csv": [["2020-01-01 00:04:00", "2020-01-01 00:05:00.000000"]],
        "b.csv": [],
        "other/c.csv": [["2020-01-01 00:00:00", "2020-01-01 00:01:00"]],
    }
    lf = write(tmp_path / "windows.json", json.dumps(labels))
    series, msgs = load_warned(path=str(tmp_path / "data"), labels_file=str(lf))
    b, a = series  # sorted by name: b, cat/a
    assert a.labels.tolist() == [0, 0, 0, 0, 1, 1, 0, 0, 0, 0] and a.events == ((4, 6),)
    assert a.metadata["labels"] == "labels_file" and a.metadata["columns"]["ignored"] == ["label"]
    assert b.labels.sum() == 0
    assert any("1 entries name no loaded data file (e.g. 'other/c'); ignored" in m for m in msgs)
    # bounds that are not data timestamps: covered rows labelled, with a warning
    lf = write(tmp_path / "w.json", json.dumps({"a.csv": [["2020-01-01 00:03:30", "2020-01-01 00:05:00"]]}))
    s, msgs = load_one(tmp_path / "data" / "cat" / "a.csv", labels_file=str(lf))
    assert s.labels.tolist() == [0, 0, 0, 0, 1, 1, 0, 0, 0, 0]
    assert any("2020-01-01 00:03:30 is not a timestamp of" in m for m in msgs)
    # a window that covers no row is an error
    lf = write(tmp_path / "x.json", json.dumps({"a.csv": [["2021-01-01", "2021-01-02"]]}))
    with pytest.raises(DataError, match=r"covers no row of .*a.csv \(its timestamps run from 2020-01-01 00:00:00"):
        load(path=str(tmp_path / "data" / "cat" / "a.csv"), labels_file=str(lf), label_column="none")
    lf = write(tmp_path / "y.json", json.dumps({"zzz.csv": []}))
    with pytest.raises(DataError, match="names none of the data files"):
        load(path=str(tmp_path / "data"), labels_file=str(lf))


def test_csv_labels_file_rows_and_timestamps(tmp_path: Path) -> None:
    f = write(tmp_path / "a.csv", minutes(list(range(10))))
    lf = write(tmp_path / "lab.csv", "start,end\n2,3\n2020-01-01 00:07,2020-01-01 00:07\n")
    s, _ = load_one(f, labels_file=str(lf))
    assert s.labels.tolist() == [0, 0, 1, 1, 0, 0, 0, 1, 0, 0] and s.events == ((2, 4), (7, 8))
    assert s.train_end == 2  # floor(0.3 * 10) = 3, cut back to the first labelled anomaly
    lf = write(tmp_path / "bad.csv", "start,end\n8,10\n")
    with pytest.raises(DataError, match=r"rows \[8, 10\] go beyond the 10 data rows"):
        load(path=str(f), labels_file=str(lf), label_column="none")
    lf = write(tmp_path / "rev.csv", "start,end\n5,4\n")
    with pytest.raises(DataError, match="end before they start"):
        load(path=str(f), labels_file=str(lf))


def test_csv_labels_file_for_a_folder_needs_a_file_column(tmp_path: Path) -> None:
    write(tmp_path / "d" / "a.csv", minutes(list(range(6))))
    write(tmp_path / "d" / "s" / "b.csv", minutes(list(range(6))))
    lf = write(tmp_path / "lab.csv", "file,start,end\ns/b.csv,4,5\n")
    a, b = load_warned(path=str(tmp_path / "d"), labels_file=str(lf))[0]
    assert a.labels.sum() == 0 and b.labels.tolist() == [0, 0, 0, 0, 1, 1]
    lf = write(tmp_path / "d" / "labels.csv", "start,end\n4,5\n")  # inside the folder: not read as data
    with pytest.raises(DataError, match="has no 'file' column, but there are 2 data files"):
        load(path=str(tmp_path / "d"), labels_file=str(lf))


def test_labels_file_against_the_nab_loader(nab_mirror: Path) -> None:
    """The NAB corpus read as plain CSVs with NAB's windows equals the NAB loader's series."""
    ours, msgs = load_warned(
        path=str(nab_mirror / "data"),
        labels_file=str(nab_mirror / nab.WINDOWS_FILE),
        train_fraction=0.15,
        train_before_anomaly=False,
    )
    theirs = {s.name: s for s in nab.parse(nab_mirror)}
    assert [s.name for s in ours] == sorted(theirs)
    repaired = {s.name for s in ours if s.metadata["repairs"]}
    assert repaired == {  # the NAB files with repeated (or, once, backward) timestamps
        "realAWSCloudwatch/ec2_disk_write_bytes_1ef3de",
        "realAWSCloudwatch/ec2_network_in_5abac7",
        "realAdExchange/exchange-2_cpc_results",
        "realAdExchange/exchange-2_cpm_results",
        "realKnownCause/ec2_request_latency_system_failure",
        "realKnownCause/machine_temperature_system_failure",
        "realTraffic/occupancy_t4013",
        "realTraffic/speed_t4013",
    }
    assert len(msgs) >= len(repaired)
    for s in ours:
        t = theirs[s.name]
        if s.name in repaired:
            assert len(s) < len(t) and s.labels.sum() <= t.labels.sum()
            continue
        np.testing.assert_array_equal(s.values, t.values)
        np.testing.assert_array_equal(s.timestamps, t.timestamps)
        np.testing.assert_array_equal(s.labels, t.labels)
        assert s.events == t.events
        assert s.train_end == int(0.15 * len(t))


# --------------------------------------------------------------------------- the training part


def test_train_fraction_before_first_anomaly_and_train_end(tmp_path: Path) -> None:
    f = write(tmp_path / "a.csv", minutes(list(range(20)), [0] * 4 + [1] + [0] * 15))
    s, _ = load_one(f)
    assert s.train_end == 4 and s.metadata["train"]["rule"].startswith("before the first labelled anomaly")
    assert load_one(f, train_before_anomaly=False)[0].train_end == 6
    assert load_one(f, train_fraction=0.5, train_before_anomaly=False)[0].train_end == 10
    assert load_one(f, train_end="12")[0].train_end == 12
    assert load_one(f, train_end=12)[0].train_end == 12
    assert load_one(f, train_end="2020-01-01 00:07:30")[0].train_end == 8  # points strictly before
    with pytest.raises(DataError, match="beyond its 20 points"):
        load(path=str(f), train_end="21")
    g = write(tmp_path / "b.csv", "value\n1\n2\n3\n")
    with pytest.raises(DataError, match="has no timestamps, so csv.train_end='2020-01-01' must be a row count"):
        load(path=str(g), train_end="2020-01-01")


def test_train_file_is_put_before_the_data(tmp_path: Path) -> None:
    test = write(tmp_path / "d" / "x.csv", minutes([10, 11, 12, 13], [0, 1, 0, 0], start=10))
    train = write(tmp_path / "train" / "x.csv", "timestamp,value,extra\n2020-01-01 00:00,1,a\n2020-01-01 00:01,2,b\n")
    s, _ = load_one(test, train_file=str(train))
    assert s.values[:, 0].tolist() == [1, 2, 10, 11, 12, 13] and s.train_end == 2
    assert s.labels.tolist() == [0, 0, 0, 1, 0, 0] and s.metadata["train"]["file"] == str(train)
    series, _ = load_warned(path=str(tmp_path / "d"), train_file=str(tmp_path / "train"))
    assert series[0].train_end == 2
    late = write(tmp_path / "late.csv", "timestamp,value\n2020-01-01 00:10,1\n")
    with pytest.raises(DataError, match="not before .*x.csv starts"):
        load(path=str(test), train_file=str(late))
    write(tmp_path / "d" / "y.csv", minutes([1, 2, 3]))
    with pytest.raises(DataError, match=r"No training file .*train/y.csv"):
        load(path=str(tmp_path / "d"), train_file=str(tmp_path / "train"))


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"path": None}, "needs a path: --dataset csv:PATH"),
        ({"train_fraction": 1.0}, r"train_fraction must be a number in \(0, 1\)"),
        ({"missing": "zero"}, "csv.missing must be one of interpolate, ffill, drop"),
        ({"duplicates": "sum"}, "csv.duplicates must be one of mean, first"),
        ({"decimal": ";"}, "csv.decimal"),
        ({"min_test_points": 0}, "min_test_points"),
        ({"sep": ";;"}, "csv.sep must be 'auto' or one character"),
        ({"encoding": "klingon"}, "not a known text encoding"),
        ({"labels_file": "l.json", "label_column": "y"}, "not both"),
        ({"train_file": "t.csv", "train_end": "5"}, "not both"),
        ({"strict": "yes"}, "csv.strict must be true or false"),
        ({"train_end": "-5"}, "csv.train_end must be a row count >= 1 or a timestamp"),
    ],
)
def test_bad_options_are_parameter_errors(tmp_path: Path, options: dict[str, Any], match: str) -> None:
    kwargs = {"path": str(write(tmp_path / "a.csv", minutes([1, 2, 3, 4]))), **options}
    with pytest.raises(ParameterError, match=match):
        load(**kwargs)


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load(path=str(tmp_path / "nope.csv"))
    with pytest.raises(DataError, match="No .csv files under"):
        load(path=str(tmp_path))


def test_latin1_file_with_encoding_option(tmp_path: Path) -> None:
    f = write(tmp_path / "l.csv", "temp\u00e9rature,label\n1,0\n2,0\n3,0\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"line 1: byte 4 is not valid utf-8.*csv.encoding"):
        load(path=str(f))
    s, _ = load_one(f, encoding="latin-1")
    assert s.metadata["columns"]["values"] == ["temp\u00e9rature"]


def test_events_agree_with_labels_after_repairs(tmp_path: Path) -> None:
    text = HEADER + "".join(f"2020-01-01 00:{m:02d},{m},{int(m in (3, 4, 8))}\n" for m in (9, 3, 4, 1, 8, 0, 2, 5))
    s, _ = load_one(write(tmp_path / "r.csv", text), train_before_anomaly=False)
    assert s.events == tuple(labels_to_events(s.labels)) == ((3, 5), (6, 7))
