"""Tests for the timestamp check of bench.scorefiles (``evaluate --scores``): shuffled rows and swapped files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.errors import DataError
from bench.scorefiles import read_score_dir
from bench.series import Series


def _series(name: str, start: str, n: int = 6, timestamps: bool = True) -> Series:
    ts = pd.date_range(start, periods=n, freq="5min").to_numpy(dtype="datetime64[ns]") if timestamps else None
    return Series("nab", name, np.zeros(n), np.zeros(n, dtype=np.int8), timestamps=ts, train_end=1)


def _write(root: Path, rel: str, s: Series, scores: np.ndarray, order: np.ndarray | None = None) -> Path:
    """A NAB-style results file for ``s``; rows taken in ``order`` (default: the series' own)."""
    order = np.arange(len(s)) if order is None else order
    frame = pd.DataFrame({"anomaly_score": scores[order]})
    if s.timestamps is not None:
        frame.insert(0, "timestamp", pd.to_datetime(s.timestamps[order]).strftime("%Y-%m-%d %H:%M:%S"))
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def two(tmp_path: Path) -> tuple[list[Series], Path]:
    series = [_series("cat/one", "2020-01-01"), _series("cat/two", "2021-06-01")]
    for s in series:
        _write(tmp_path, f"cat/det_{s.name[4:]}.csv", s, np.linspace(0, 1, len(s)))
    return series, tmp_path


def test_matching_timestamps_are_read(two: tuple[list[Series], Path]) -> None:
    series, root = two
    scores, det = read_score_dir(root, series)
    assert det == "det"
    np.testing.assert_array_equal(scores["cat/one"], np.linspace(0, 1, 6))


def test_shuffled_rows_are_refused_naming_file_and_first_row(two: tuple[list[Series], Path]) -> None:
    series, root = two
    path = _write(root, "cat/det_one.csv", series[0], np.linspace(0, 1, 6), order=np.array([0, 1, 3, 2, 4, 5]))
    with pytest.raises(DataError) as info:
        read_score_dir(root, series)
    msg = str(info.value)
    assert str(path) in msg
    assert "data row 3 (line 4) has timestamp 2020-01-01 00:15:00" in msg
    assert "row 3 of series 'cat/one' is at 2020-01-01 00:10:00 (2 of 6 rows differ)" in msg


def test_files_swapped_between_series_are_refused(two: tuple[list[Series], Path]) -> None:
    series, root = two
    one, two_ = root / "cat" / "det_one.csv", root / "cat" / "det_two.csv"
    tmp = root / "swap.tmp"
    shutil.move(one, tmp)
    shutil.move(two_, one)
    shutil.move(tmp, two_)
    with pytest.raises(DataError, match=r"det_one.csv: data row 1 \(line 2\) has timestamp 2021-06-01 00:00:00"):
        read_score_dir(root, series)


def test_unreadable_timestamp_is_named(two: tuple[list[Series], Path]) -> None:
    series, root = two
    path = root / "cat" / "det_two.csv"
    frame = pd.read_csv(path, dtype=str)
    frame.loc[4, "timestamp"] = "soon"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"det_two.csv, column 'timestamp', line 6 \(data row 4\): 'soon' is not"):
        read_score_dir(root, series)


def test_files_without_timestamps_keep_todays_behaviour(tmp_path: Path) -> None:
    """No timestamp column: matched by row count and order only, so a shuffle goes unnoticed (documented)."""
    series = [_series("cat/one", "2020-01-01")]
    scores = np.arange(6.0)
    (tmp_path / "cat").mkdir()
    pd.DataFrame({"anomaly_score": scores[::-1]}).to_csv(tmp_path / "cat" / "one.csv", index=False)
    got, _ = read_score_dir(tmp_path, series)
    np.testing.assert_array_equal(got["cat/one"], scores[::-1])


def test_series_without_timestamps_are_not_checked(tmp_path: Path) -> None:
    """A timestamp column (here row numbers, as some tools write) is not compared when the series has none."""
    series = [_series("cat/one", "2020-01-01", timestamps=False)]
    (tmp_path / "cat").mkdir()
    pd.DataFrame({"timestamp": [5, 4, 3, 2, 1, 0], "anomaly_score": np.arange(6.0)}).to_csv(
        tmp_path / "cat" / "one.csv", index=False
    )
    got, _ = read_score_dir(tmp_path, series)
    np.testing.assert_array_equal(got["cat/one"], np.arange(6.0))


def test_nab_reference_outputs_pass_and_a_shuffled_one_fails(
    tmp_path: Path, nab_mirror: Path, nab_reference: Path
) -> None:
    """NAB's own result files carry timestamps: they match the NAB series; one shuffled file is refused."""
    from bench.datasets import nab

    series = nab.parse(nab_mirror)
    root = tmp_path / "numenta"
    shutil.copytree(nab_reference / "numenta", root)
    scores, detector = read_score_dir(root, series)
    assert detector == "numenta" and len(scores) == 58
    path = root / "realKnownCause" / "numenta_nyc_taxi.csv.gz"
    frame = pd.read_csv(path)
    frame.iloc[[10, 11]] = frame.iloc[[11, 10]].to_numpy()
    frame.to_csv(path, index=False, compression="gzip")
    with pytest.raises(DataError, match=r"numenta_nyc_taxi.csv.gz: data row 11 \(line 12\) has timestamp"):
        read_score_dir(root, series)
