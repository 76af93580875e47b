"""SMAP / MSL: the real label file (all 82 rows) and loading test-made telemanom-format arrays."""

from __future__ import annotations

import ast
import csv
import hashlib
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from _fixtures import make_telemanom

from bench.datasets import telemanom
from bench.datasets.download import git_blob_id
from bench.errors import DataError, DataWarning, UnknownNameError


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_shipped_label_file_is_the_pinned_one(telemanom_dir: Path) -> None:
    shipped = Path(telemanom.__file__).with_name(telemanom.LABELS_FILE)
    assert shipped.read_bytes() == (telemanom_dir / "labeled_anomalies.csv").read_bytes()
    assert git_blob_id(shipped) == telemanom.LABELS_BLOB


def test_all_82_rows_parse_into_events_that_match_the_file(telemanom_dir: Path) -> None:
    raw = _rows(telemanom_dir / "labeled_anomalies.csv")
    labels = telemanom.read_labels()
    assert len(raw) == len(labels) == 82
    assert sum(r.spacecraft == "SMAP" for r in labels) == 55 and sum(r.spacecraft == "MSL" for r in labels) == 27
    for row, parsed in zip(raw, labels, strict=True):
        pairs = ast.literal_eval(row["anomaly_sequences"])
        assert parsed.chan_id == row["chan_id"] and parsed.num_values == int(row["num_values"])
        # inclusive [start, end] pairs become half-open [start, end + 1)
        assert parsed.events == [(a, b + 1) for a, b in pairs]
        assert len(parsed.classes) == len(pairs) and set(parsed.classes) <= {"point", "contextual"}
        assert all(0 <= a < b <= parsed.num_values for a, b in parsed.events)
    assert sum(len(r.events) for r in labels) == 105


def test_default_channel_lists_leave_out_the_duplicated_p2() -> None:
    smap, msl = telemanom.channel_ids("SMAP"), telemanom.channel_ids("MSL")
    assert len(smap) == 53 and "P-2" not in smap and len(msl) == 27
    total = sum(r.num_values for r in telemanom.read_labels() if r.chan_id in smap)
    assert total == 427617, "the SMAP test size the literature reports"


def test_an_altered_shipped_label_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / telemanom.LABELS_FILE
    fake.write_text('chan_id,spacecraft,anomaly_sequences,class,num_values\nA-1,SMAP,"[[1, 2]]",[point],10\n')
    monkeypatch.setattr(telemanom.resources, "files", lambda pkg: tmp_path)
    with pytest.raises(DataError, match="not the pinned f71a13d"):
        telemanom.read_labels()


@pytest.fixture
def arrays(tmp_path: Path) -> Path:
    lengths = {r.chan_id: r.num_values for r in telemanom.read_labels()}
    return make_telemanom(tmp_path / "telemanom", {c: lengths[c] for c in ("A-1", "P-2", "C-1", "T-12")})


def test_load_reads_values_labels_and_hashes(arrays: Path, tmp_path: Path) -> None:
    series = telemanom.load_smap(tmp_path, channels="A-1")  # found as <data root>/telemanom
    (s,) = series
    train, test = np.load(arrays / "train" / "A-1.npy"), np.load(arrays / "test" / "A-1.npy")
    row = next(r for r in telemanom.read_labels() if r.chan_id == "A-1")
    assert s.key == "smap/A-1" and s.train_end == len(train) == 300
    assert s.values.shape == (300 + row.num_values, 1)
    np.testing.assert_array_equal(s.values[:, 0], np.concatenate([train[:, 0], test[:, 0]]))
    assert list(s.events) == [(300 + a, 300 + b + 1) for a, b in row.sequences]
    assert s.labels.sum() == sum(b - a + 1 for a, b in row.sequences)
    assert s.metadata["sha256"] == {
        "train/A-1.npy": hashlib.sha256((arrays / "train" / "A-1.npy").read_bytes()).hexdigest(),
        "test/A-1.npy": hashlib.sha256((arrays / "test" / "A-1.npy").read_bytes()).hexdigest(),
    }
    (full,) = telemanom.load_smap(arrays, channels="A-1", commands=True)  # the folder itself
    assert full.values.shape == (s.values.shape[0], 25)
    np.testing.assert_array_equal(full.values[:, :1], s.values)


def test_load_from_the_zip_and_through_the_environment(
    arrays: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "data.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(arrays.rglob("*.npy")):
            zf.write(path, "data/" + path.relative_to(arrays).as_posix())
    monkeypatch.setenv(telemanom.DIR_ENV, str(archive))
    (from_zip,) = telemanom.load_msl(channels="C-1")
    (from_dir,) = telemanom.load_msl(arrays, channels="C-1")
    assert from_zip.key == "msl/C-1"
    assert from_zip.fingerprint() == from_dir.fingerprint()
    assert from_zip.metadata["sha256"] == from_dir.metadata["sha256"]


def test_p2_by_name_takes_both_label_rows_with_a_warning(arrays: Path) -> None:
    rows = [r for r in telemanom.read_labels() if r.chan_id == "P-2"]
    assert len(rows) == 2
    with pytest.warns(DataWarning, match="P-2 2 times"):
        (s,) = telemanom.load_smap(arrays, channels="P-2")
    expected = np.zeros(len(s), dtype=np.int8)
    for r in rows:
        for a, b in r.sequences:
            expected[300 + a : 300 + b + 1] = 1
    np.testing.assert_array_equal(s.labels, expected)


def test_wrong_lengths_unknown_channels_and_a_missing_folder_are_clear(arrays: Path, tmp_path: Path) -> None:
    np.save(arrays / "test" / "T-12.npy", np.zeros((5, 25)))
    with pytest.raises(DataError, match="T-12: test array has shape \\(5, 25\\)"):
        telemanom.load_msl(arrays, channels="T-12")
    with pytest.raises(UnknownNameError, match="Unknown MSL channel 'A-1'"):
        telemanom.load_msl(arrays, channels="A-1")
    with pytest.raises(DataError, match="No train/E-1.npy"):
        telemanom.load_smap(arrays, channels="E-1")
    with pytest.raises(DataError, match=r"telemanom data not found .*telemanom/data.zip.*BENCH_TELEMANOM_DIR"):
        telemanom.load_smap(tmp_path / "nowhere")


def test_verify_lists_present_missing_and_wrong_length_arrays(arrays: Path) -> None:
    shutil.copy(arrays / "test" / "A-1.npy", arrays / "test" / "E-1.npy")  # wrong length for E-1, no train
    report = telemanom.verify(arrays)
    assert set(report.ok) == {f"{p}/{c}.npy" for p in ("train", "test") for c in ("A-1", "P-2", "C-1", "T-12")}
    assert "test/E-1.npy" in report.mismatched and "train/E-1.npy" in report.missing
    assert len(report.missing) == 2 * 81 - 8 - 1
