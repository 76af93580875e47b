"""Tests for bench.datasets.synthetic (the Yahoo-style generator) and bench.datasets.yahoo_s5 (the S5 file format)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from bench.datasets.synthetic import DATASET, MIN_PART, generate, load_synthetic
from bench.datasets.yahoo_s5 import (
    load_yahoo_s5,
    read_yahoo_s5,
    write_yahoo_s5,
)
from bench.errors import DataError, ParameterError
from bench.series import Series, labels_to_events

# Pins the exact bytes of generate() with its defaults (seed 0). It fails if
# numpy's random streams, np.sin, the rounding, or the generator change, i.e.
# it is the cross-machine / cross-version determinism check. Computed once
# with digest(generate()); a deliberate change to the generator must update it
# (and say so in the changelog: published results on yahoo-synth change too).
GOLDEN_SHA256 = "c75eddf21e2d79dde87dc1f3bf5b9f4653aca463f7635043e9b2fed1d4815c02"


def digest(series: list[Series]) -> str:
    """SHA-256 over every series' name, values, labels, timestamps, events and train_end (little-endian)."""
    h = hashlib.sha256()
    for s in series:
        h.update(s.key.encode())
        h.update(s.values.astype("<f8").tobytes())
        h.update(s.labels.astype("i1").tobytes())
        assert s.timestamps is not None
        h.update(s.timestamps.astype("datetime64[ns]").astype("<i8").tobytes())
        h.update(json.dumps([s.train_end, list(s.events)]).encode())
    return h.hexdigest()


def test_golden_hash_of_default_dataset() -> None:
    assert digest(generate()) == GOLDEN_SHA256


def test_same_seed_same_bytes_and_different_seed_differs() -> None:
    a, b = generate(4, 400, seed=7), generate(4, 400, seed=7)
    assert digest(a) == digest(b)
    assert digest(generate(4, 400, seed=8)) != digest(a)
    assert not np.array_equal(a[0].values, generate(4, 400, seed=8)[0].values)


def test_series_do_not_depend_on_n_series() -> None:
    few, many = generate(2, 300, seed=3), generate(6, 300, seed=3)
    assert digest(few) == digest(many[:2])
    assert [s.name for s in many] == [f"synth_{i:03d}" for i in range(6)]


def test_shape_types_and_naming() -> None:
    series = load_synthetic(None, progress=True, n_series=3, length=500)
    assert len(series) == 3
    for s in series:
        assert s.dataset == DATASET == "yahoo-synth"
        assert s.values.shape == (500, 1) and s.values.dtype == np.float64
        assert s.labels.dtype == np.int8
        assert s.timestamps is not None and s.timestamps.dtype == np.dtype("datetime64[ns]")
        # hourly steps from 2020-01-01
        assert s.timestamps[0] == np.datetime64("2020-01-01T00:00")
        assert np.all(np.diff(s.timestamps) == np.timedelta64(1, "h"))
        assert np.all(np.isfinite(s.values))
        # values are rounded to 6 decimals
        assert np.array_equal(s.values, np.round(s.values, 6))


def test_default_loader_is_ten_series_of_1500() -> None:
    series = load_synthetic()
    assert len(series) == 10 and all(len(s) == 1500 for s in series)
    assert all(s.train_end == 450 for s in series)


def test_clean_training_prefix() -> None:
    for s in generate(30, 600, anomaly_rate=0.2, train_fraction=0.4, seed=11):
        assert s.train_end == 240
        # no label at or before train_end, no change point or any anomaly start there
        assert s.labels[: s.train_end + 1].sum() == 0
        assert all(a["start"] > s.train_end for a in s.metadata["anomalies"])
        # the training part equals trend + seasonality + noise: no injected effect in it
        md = s.metadata
        t = np.arange(s.train_end)
        clean = md["level"] + md["slope"] * t
        for c in md["seasonal"]:
            clean = clean + c["amplitude"] * np.sin(2 * np.pi * (t % c["period"]) / c["period"] + c["phase"])
        resid = s.values[: s.train_end, 0] - clean
        assert abs(resid.std() - md["noise_std"]) < 0.25 * md["noise_std"]


def test_labels_events_and_metadata_agree() -> None:
    for s in generate(20, 800, anomaly_rate=0.05, seed=5):
        md = s.metadata["anomalies"]
        assert s.events == tuple((a["start"], a["end"]) for a in md)
        # events never touch, so the events derived from labels are the same ones
        assert list(s.events) == labels_to_events(s.labels)
        assert s.anomaly_points.tolist() == [a["start"] for a in md]
        for a in md:
            assert a["kind"] in ("outlier", "level_shift", "collective")
            if a["kind"] == "outlier":
                assert a["end"] - a["start"] == 1
            if a["kind"] == "level_shift":
                assert 1 <= a["end"] - a["start"] <= 5
            if a["kind"] == "collective":
                assert 2 <= a["end"] - a["start"] <= 15
            assert abs(a["magnitude"]) >= 3 * s.metadata["noise_std"] - 1e-12


def test_injected_effects_are_where_metadata_says() -> None:
    # With no noise, no trend and no seasonality, the series is level + injected effects only.
    s = generate(
        1,
        400,
        anomaly_rate=0.05,
        seed=2,
        n_seasonal=0,
        noise_std=0.0,
        slope=0.0,
        level=10.0,
        outlier_size=4.0,
        shift_size=4.0,
    )[0]
    x = s.values[:, 0]
    expected = np.full(400, 10.0)
    for a in s.metadata["anomalies"]:
        if a["kind"] == "outlier":
            expected[a["start"]] += a["magnitude"]
        elif a["kind"] == "level_shift":
            expected[a["start"] :] += a["magnitude"]
        else:
            expected[a["start"] : a["end"]] += a["magnitude"]
    assert np.allclose(x, expected, atol=1e-6)
    assert np.all(x[: s.train_end + 1] == 10.0)


def test_anomaly_rate_is_respected() -> None:
    # 0.02 * (1000 - 300) = 14 labelled points per series, 0.1 * 700 = 70, 0.5 * 700 = 350.
    for rate, per_series in ((0.02, 14), (0.1, 70), (0.5, 350)):
        series = generate(15, 1000, anomaly_rate=rate, seed=9)
        assert all(int(s.labels.sum()) == per_series for s in series)
        frac = np.mean([s.labels[s.train_end :].mean() for s in series])
        assert abs(frac - rate) < 0.01
    assert all(s.labels.sum() == 0 and s.events == () for s in generate(3, 300, anomaly_rate=0.0))


def test_kinds_and_seasonal_knobs() -> None:
    only_outliers = generate(5, 500, anomaly_rate=0.05, kinds=("outlier",), seed=1)
    assert {a["kind"] for s in only_outliers for a in s.metadata["anomalies"]} == {"outlier"}
    three = generate(5, 500, n_seasonal=3, periods=(12, 24, 48), seed=1)
    assert all(sorted(c["period"] for c in s.metadata["seasonal"]) == [12, 24, 48] for s in three)
    none = generate(2, 500, n_seasonal=0, seed=1)
    assert all(s.metadata["seasonal"] == [] for s in none)
    # metadata is plain JSON (results stores can write it)
    json.dumps(three[0].metadata)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"n_series": 0}, "n_series must be an integer >= 1; got 0"),
        ({"length": 25}, "length=25 is too short"),
        ({"length": 30, "train_fraction": 0.9}, "Use length >="),
        ({"anomaly_rate": 0.6}, "anomaly_rate must be a number in [0, 0.5]; got 0.6"),
        ({"anomaly_rate": -0.1}, "anomaly_rate must be a number in [0, 0.5]"),
        ({"train_fraction": 1.0}, "train_fraction must be a number in (0, 1)"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        ({"n_seasonal": 4}, "at most 3"),
        ({"noise_std": (2.0, 1.0)}, "noise_std must be a number or a pair"),
        ({"kinds": {"spike": 1.0}}, "kinds must map anomaly kinds"),
        ({"periods": (1, 24)}, "periods must be integers >= 2"),
    ],
)
def test_parameter_errors(kwargs: dict, needle: str) -> None:
    with pytest.raises(ParameterError) as info:
        generate(**kwargs)
    assert needle in str(info.value)


def test_minimum_length_message_is_exact() -> None:
    with pytest.raises(ParameterError, match=r"Use length >= (\d+)") as info:
        generate(length=20)
    minimum = int(str(info.value).rsplit(">= ", 1)[1].rstrip("."))
    series = generate(1, minimum)  # the length the message names works
    assert series[0].train_end >= MIN_PART and minimum - series[0].train_end >= MIN_PART


# --------------------------------------------------------------------------- S5 format


def test_read_a1_layout(tmp_path: Path) -> None:
    path = tmp_path / "real_1.csv"
    path.write_text("timestamp,value,is_anomaly\n1,10.5,0\n2,11,0\n3,99.25,1\n4,10,0\n")
    s = read_yahoo_s5(path)
    assert s.dataset == "yahoo-s5" and s.name == "real_1"
    assert s.values[:, 0].tolist() == [10.5, 11.0, 99.25, 10.0]
    assert s.labels.tolist() == [0, 0, 1, 0] and s.events == ((2, 3),)
    # A1 numbers its points 1, 2, ...: those are not dates
    assert s.timestamps is None and s.train_end == 0


def test_read_a2_unix_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "synthetic_1.csv"
    # 1416726000 = 2014-11-23T07:00:00Z
    path.write_text("timestamp,value,is_anomaly\n1416726000,1.0,0\n1416729600,2.0,1\n")
    s = read_yahoo_s5(path, train_end=1)
    assert s.timestamps is not None
    assert s.timestamps.tolist() == np.array(["2014-11-23T07:00", "2014-11-23T08:00"], "datetime64[ns]").tolist()
    assert s.train_end == 1


def test_read_a4_layout_with_changepoints(tmp_path: Path) -> None:
    path = tmp_path / "A4Benchmark-TS1.csv"
    path.write_text(
        "timestamps,value,anomaly,changepoint,trend,noise,seasonality1,seasonality2,seasonality3\n"
        "1416722400,5.0,0,0,1,0,0,0,0\n"
        "1416726000,6.0,0,1,1,0,0,0,0\n"
        "1416729600,40.0,1,0,1,0,0,0,0\n"
        "1416733200,6.0,0,0,1,0,0,0,0\n"
    )
    s = read_yahoo_s5(path)
    assert s.labels.tolist() == [0, 0, 1, 0]
    assert s.metadata["changepoints"] == [1] and s.metadata["layout"] == "A3/A4"
    both = read_yahoo_s5(path, include_changepoints=True)
    assert both.labels.tolist() == [0, 1, 1, 0]
    # they touch, so they form one event
    assert both.events == ((1, 3),)


def test_missing_column_names_column_and_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text("timestamps,val,anomaly\n1,2,0\n")
    with pytest.raises(DataError) as info:
        read_yahoo_s5(path)
    assert "'value'" in str(info.value) and str(path) in str(info.value)
    a1 = tmp_path / "a1.csv"
    a1.write_text("timestamp,value\n1,2\n")
    with pytest.raises(DataError, match="no column 'is_anomaly'"):
        read_yahoo_s5(a1)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("timestamp,value,is_anomaly\n1,abc,0\n", "column 'value' row 1"),
        ("timestamp,value,is_anomaly\n1,2,0\n2,3,7\n", "column 'is_anomaly' must hold 0 or 1; row 2"),
        ("timestamp,value,is_anomaly\n", "no rows"),
        ("", "Cannot parse"),
    ],
)
def test_malformed_files(tmp_path: Path, body: str, needle: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(DataError) as info:
        read_yahoo_s5(path)
    assert needle in str(info.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        read_yahoo_s5(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="does not exist"):
        load_yahoo_s5(tmp_path / "nope")
    with pytest.raises(DataError, match="No Yahoo S5 .csv files"):
        load_yahoo_s5(tmp_path)


def test_load_folder_natural_order_and_skip_summary(tmp_path: Path) -> None:
    a1 = tmp_path / "A1Benchmark"
    a1.mkdir()
    for k in (10, 2, 1):
        rows = "".join(f"{i},{i},0\n" for i in range(1, 11))
        (a1 / f"real_{k}.csv").write_text("timestamp,value,is_anomaly\n" + rows)
    (tmp_path / "A3Benchmark").mkdir()
    (tmp_path / "A3Benchmark" / "A3Benchmark_all.csv").write_text("not,a,series\n")
    series = load_yahoo_s5(tmp_path, train_fraction=0.3)
    assert [s.name for s in series] == ["A1Benchmark/real_1", "A1Benchmark/real_2", "A1Benchmark/real_10"]
    assert all(s.train_end == 3 for s in series)


def test_round_trip_of_generated_series(tmp_path: Path) -> None:
    originals = generate(3, 400, anomaly_rate=0.05, seed=4, n_seasonal=3)
    for s in originals:
        write_yahoo_s5(s, tmp_path / "A4Benchmark" / f"{s.name}.csv")
    back = load_yahoo_s5(tmp_path / "A4Benchmark")
    for s, r in zip(originals, back, strict=True):
        assert r.name == s.name
        assert np.array_equal(r.values, s.values)  # bit for bit
        assert np.array_equal(r.labels, s.labels)
        assert r.timestamps is not None and np.array_equal(r.timestamps, s.timestamps)
        shifts = [a["start"] for a in s.metadata["anomalies"] if a["kind"] == "level_shift"]
        assert r.metadata["changepoints"] == shifts
    # the component columns add up to the value minus the injected anomalies
    import pandas as pd

    df = pd.read_csv(tmp_path / "A4Benchmark" / "synth_000.csv")
    parts = df[["trend", "noise", "seasonality1", "seasonality2", "seasonality3"]].sum(axis=1)
    anomalous = df["value"] - parts
    assert np.allclose(anomalous[: originals[0].train_end + 1], 0.0, atol=1e-5)
    assert abs(df["noise"].std() - originals[0].metadata["noise_std"]) < 0.2 * originals[0].metadata["noise_std"]


def test_write_plain_series_without_timestamps(tmp_path: Path) -> None:
    s = Series(dataset="x", name="y", values=np.array([1.5, 2.0, 3.0]), labels=np.array([0, 1, 0]))
    path = write_yahoo_s5(s, tmp_path / "y.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == "timestamps,value,anomaly,changepoint,trend,noise,seasonality1,seasonality2,seasonality3"
    assert lines[2] == "2,2.0,1,0,,,,,"
    r = read_yahoo_s5(path)
    assert r.values[:, 0].tolist() == [1.5, 2.0, 3.0] and r.timestamps is None
    with pytest.raises(DataError, match="one channel"):
        write_yahoo_s5(Series(dataset="x", name="z", values=np.ones((3, 2)), labels=np.zeros(3)), tmp_path / "z.csv")
