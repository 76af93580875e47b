"""TSB-AD: the real TSB-AD-U file against its name, the shipped official lists, and reading folders and zips."""

from __future__ import annotations

import hashlib
import shutil
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.datasets import tsb_ad
from bench.errors import DataError, DataWarning, ParameterError, UnknownNameError

REAL = "001_NAB_id_1_Facility_tr_1007_1st_2014.csv"
M_NAME = "002_MSL_id_1_Sensor_tr_500_1st_900.csv"  # in TSB-AD-M's list; the file here is test-made


def test_the_real_file_matches_its_name(tsb_ad_dir: Path) -> None:
    path = tsb_ad_dir / "TSB-AD-U" / REAL
    frame = pd.read_csv(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # no repair, no name mismatch
        s = tsb_ad.read_csv(path.read_bytes(), REAL)
    assert s.name == REAL[:-4] and s.values.shape == (len(frame), 1) == (4031, 1)
    assert s.train_end == 1007
    assert int(np.flatnonzero(s.labels)[0]) == 2014
    np.testing.assert_array_equal(s.values[:, 0], frame["Data"].to_numpy())
    np.testing.assert_array_equal(s.labels, frame["Label"].to_numpy())
    assert s.metadata["source"] == "NAB" and s.metadata["domain"] == "Facility"
    assert not s.metadata["train_has_anomalies"]


def test_shipped_lists_are_the_official_lists(tsb_ad_dir: Path) -> None:
    counts = {}
    for variant in ("TSB-AD-U", "TSB-AD-M"):
        for subset, suffix in tsb_ad.SUBSETS.items():
            official = pd.read_csv(tsb_ad_dir / "File_List" / f"{variant}{suffix}.csv")["file_name"].tolist()
            assert tsb_ad.file_list(variant, subset) == official
            counts[variant, subset] = len(official)
        full = set(tsb_ad.file_list(variant))
        assert set(tsb_ad.file_list(variant, "eva")) <= full and set(tsb_ad.file_list(variant, "tuning")) <= full
    assert counts == {
        ("TSB-AD-U", "all"): 870,
        ("TSB-AD-U", "eva"): 350,
        ("TSB-AD-U", "tuning"): 48,
        ("TSB-AD-M", "all"): 200,
        ("TSB-AD-M", "eva"): 180,
        ("TSB-AD-M", "tuning"): 20,
    }
    with pytest.raises(ParameterError, match="Unknown TSB-AD subset 'test'"):
        tsb_ad.file_list("TSB-AD-U", "test")


def test_every_listed_name_parses_and_the_docstring_counts_hold() -> None:
    early = {}
    for variant in ("TSB-AD-U", "TSB-AD-M"):
        fields = [tsb_ad.parse_name(n) for n in tsb_ad.file_list(variant)]
        early[variant] = sum(f["first_anomaly"] < f["train_end"] for f in fields)
    assert early == {"TSB-AD-U": 176, "TSB-AD-M": 22}
    with pytest.raises(DataError, match="not a TSB-AD file name"):
        tsb_ad.parse_name("001_NAB_data_Traffic_4_624_2087.csv")  # an older naming scheme


def _m_file(path: Path, n: int = 1200, d: int = 3, nan_row: int | None = None) -> bytes:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.standard_normal((n, d)), columns=[str(i) for i in range(d)])
    frame["Label"] = 0
    frame.loc[900:949, "Label"] = 1
    if nan_row is not None:
        frame.loc[nan_row, "1"] = np.nan
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path.read_bytes()


def test_load_from_a_folder_and_from_the_zip(tsb_ad_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "data"
    (root / "tsb-ad" / "TSB-AD-U").mkdir(parents=True)
    shutil.copy(tsb_ad_dir / "TSB-AD-U" / REAL, root / "tsb-ad" / "TSB-AD-U")
    (s,) = tsb_ad.load_u(root, files=REAL[:-4])
    assert s.key == f"tsb-ad-u/{REAL[:-4]}" and s.train_end == 1007
    assert s.metadata["sha256"] == {REAL: hashlib.sha256((tsb_ad_dir / "TSB-AD-U" / REAL).read_bytes()).hexdigest()}

    data = _m_file(tmp_path / "m" / M_NAME)
    archive = tmp_path / "TSB-AD-M.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"TSB-AD-M/{M_NAME}", data)
    monkeypatch.setenv(tsb_ad.DIR_ENV, str(archive))
    (m,) = tsb_ad.load_m(files=M_NAME)
    assert m.key == f"tsb-ad-m/{M_NAME[:-4]}" and m.values.shape == (1200, 3) and m.train_end == 500
    assert list(m.events) == [(900, 950)] and m.metadata["location"].endswith(f"!TSB-AD-M/{M_NAME}")


def test_missing_rows_are_dropped_with_a_warning_and_a_wrong_name_warns(tmp_path: Path) -> None:
    data = _m_file(tmp_path / M_NAME, nan_row=1000)
    with pytest.warns(DataWarning, match="dropped 1 of 1200 rows"):
        s = tsb_ad.read_csv(data, M_NAME, dataset="tsb-ad-m")
    assert len(s) == 1199 and s.events == ((900, 950),) and s.train_end == 500
    with pytest.warns(DataWarning, match="first labelled row is 900, the name says 901"):
        tsb_ad.read_csv(_m_file(tmp_path / "x.csv"), M_NAME.replace("1st_900", "1st_901"))


def test_subsets_need_every_file_and_unknown_names_are_refused(tsb_ad_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"349 of the 350 TSB-AD-U files of subset 'eva' are not in"):
        tsb_ad.load_u(tsb_ad_dir / "TSB-AD-U", subset="eva")
    with pytest.raises(UnknownNameError, match="not in the TSB-AD-U list of subset 'tuning'"):
        tsb_ad.load_u(tsb_ad_dir, subset="tuning", files=REAL)
    report = tsb_ad.verify_u(tsb_ad_dir)
    assert report.ok == [REAL] and len(report.missing) == 869


def test_no_download_says_where_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"TSB-AD-M data not found .*TSB-AD-M\.zip.*BENCH_TSB_AD_DIR"):
        tsb_ad.load_m(tmp_path / "nothing")
