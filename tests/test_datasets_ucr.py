"""The UCR anomaly archive reader: the index convention pinned with TimeEval's own conversion, on test-made files."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pytest

from bench.datasets import ucr
from bench.errors import DataError, DataWarning, UnknownNameError

NAME_135 = "135_UCR_Anomaly_InternalBleeding16_1200_4187_4199.txt"


def _write(path: Path, n: int, *, one_line: bool = False, seed: int = 0) -> np.ndarray:
    values = np.round(np.random.default_rng(seed).standard_normal(n), 6)
    path.parent.mkdir(parents=True, exist_ok=True)
    sep = "  " if one_line else "\n"
    path.write_text(sep.join(f"{v:.6f}" for v in values) + "\n")
    return values


def test_ucr_indices_follow_timeeval(tmp_path: Path) -> None:
    """Expected rows from TimeEval's conversion of this file, as aeon ships it
    (aeon/datasets/data/KDD-TSAD_135/135_UCR_Anomaly_InternalBleeding16_{TRAIN,TEST}.csv):
    TRAIN has 1200 rows, TEST 7501 rows with is_anomaly = 1 exactly on rows 4187..4198."""
    values = _write(tmp_path / "ucr" / NAME_135, 7501)
    (s,) = ucr.load(tmp_path)
    assert s.name == "135_UCR_Anomaly_InternalBleeding16" and s.key == "ucr/135_UCR_Anomaly_InternalBleeding16"
    assert s.train_end == 1200 and len(s) == 7501
    assert np.flatnonzero(s.labels).tolist() == list(range(4187, 4199))
    assert s.events == ((4187, 4199),)
    np.testing.assert_array_equal(s.values[:, 0], values)
    assert s.metadata["sha256"] == {NAME_135: hashlib.sha256((tmp_path / "ucr" / NAME_135).read_bytes()).hexdigest()}


def test_one_line_files_read_like_one_value_per_line(tmp_path: Path) -> None:
    a = _write(tmp_path / "a" / "001_UCR_Anomaly_X_100_150_160.txt", 300)
    _write(tmp_path / "b" / "001_UCR_Anomaly_X_100_150_160.txt", 300, one_line=True)
    (sa,), (sb,) = ucr.load(tmp_path / "a"), ucr.load(tmp_path / "b")
    assert sa.fingerprint() == sb.fingerprint()
    np.testing.assert_array_equal(sb.values[:, 0], a)


def test_nested_zip_ids_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "UCR_TimeSeriesAnomalyDatasets2021.zip"
    inner = "UCR_TimeSeriesAnomalyDatasets2021/FilesAreInHere/UCR_Anomaly_FullData"
    with zipfile.ZipFile(archive, "w") as zf:
        for i, name in enumerate(["002_UCR_Anomaly_B_100_200_210.txt", "010_UCR_Anomaly_C_50_60_61.txt", NAME_135]):
            n = 7501 if name == NAME_135 else 400
            zf.writestr(f"{inner}/{name}", "\n".join(str(float(k % 7 + i)) for k in range(n)))
        zf.writestr("UCR_TimeSeriesAnomalyDatasets2021/readme.txt", "not a series")
    assert [s.metadata["ucr_id"] for s in ucr.load(tmp_path)] == [2, 10, 135]  # found under the data root
    monkeypatch.setenv(ucr.DIR_ENV, str(archive))
    picked = ucr.load(ids="2,10")
    assert [s.name for s in picked] == ["002_UCR_Anomaly_B", "010_UCR_Anomaly_C"]
    assert picked[1].events == ((60, 61),) and picked[1].train_end == 50
    with pytest.raises(UnknownNameError, match=r"id\(s\) 11 not found .*3 files found, ids 2-135"):
        ucr.load(ids="10-11")


def test_bad_names_and_impossible_positions_are_clear(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a UCR anomaly archive file name"):
        ucr.parse_name("135_UCR_Anomaly_InternalBleeding16.txt")
    with pytest.raises(DataError, match=r"anomaly \[290, 310\) do not fit its 300 values"):
        ucr.read_txt(b"1.0\n" * 300, "003_UCR_Anomaly_Y_100_290_310.txt")
    with pytest.warns(DataWarning, match="inside the training part"):
        s = ucr.read_txt(b"1.0\n" * 300, "004_UCR_Anomaly_Z_100_90_95.txt")
    assert s.events == ((90, 95),)
    with pytest.raises(DataError, match="UCR anomaly archive not found .*BENCH_UCR_DIR"):
        ucr.load(tmp_path / "nowhere")


def test_verify_lists_the_ids_found_and_missing(tmp_path: Path) -> None:
    _write(tmp_path / "ucr" / NAME_135, 7501)
    _write(tmp_path / "ucr" / "sub" / "002_UCR_Anomaly_B_100_200_210.txt", 400)
    report = ucr.verify(tmp_path)
    assert report.ok == ["002_UCR_Anomaly_B_100_200_210.txt", NAME_135]
    assert len(report.missing) == 248 and "001_UCR_Anomaly_*.txt" in report.missing
    assert not report.passed
