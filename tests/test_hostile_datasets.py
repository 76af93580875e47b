"""Issue 17, hostile input to the dataset loaders: changed downloads, an empty training part, Excel dates.

Each test names the finding it pins (17.8, 17.22, 17.26).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from _fixtures import make_smd

from bench import cli
from bench.datasets import download, nab, smd
from bench.datasets.csv import load as load_csv
from bench.datasets.csv_time import parse_timestamps
from bench.errors import ChecksumError, DataError, ParameterError

NYC = "data/realKnownCause/nyc_taxi.csv"


def _flip_one_byte(path: Path) -> None:
    """Change one digit of the file's last value (same size), as a hand edit would."""
    data = bytearray(path.read_bytes())
    i = max(data.rindex(c) for c in b"0123456789")
    data[i] = ord("1") if data[i] != ord("1") else ord("2")
    path.write_bytes(bytes(data))


def _age(folder: Path, seconds: float = 3600.0) -> None:
    """Set every file's mtime ``seconds`` into the past (a download made earlier)."""
    then = os.stat(folder).st_mtime - seconds
    for p in folder.rglob("*"):
        if p.is_file():
            os.utime(p, (then, then))


def _hash_counter(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every file hashed from now on (sha256 and git blob ids alike)."""
    hashed: list[str] = []
    real = download.file_digest

    def counting(path: str | os.PathLike[str], digest: str = "sha256") -> str:
        hashed.append(Path(path).as_posix())
        return real(path, digest)

    monkeypatch.setattr(download, "file_digest", counting)
    return hashed


# --------------------------------------------------------------------------- 17.8: changed downloads


def test_17_8_a_modified_nab_file_is_refused(nab_mirror: Path, tmp_path: Path) -> None:
    nab.fetch(tmp_path, source=nab_mirror)
    target = tmp_path / "nab" / NYC
    _flip_one_byte(target)
    changed = target.read_bytes()
    with pytest.raises(ChecksumError) as info:
        nab.load(tmp_path, source=nab_mirror)
    msg = str(info.value)
    assert NYC in msg and str(tmp_path / "nab") in msg
    assert nab.manifest()[NYC] in msg and download.sha256_file(target) in msg
    assert "python -m bench datasets fetch nab" in msg and "python -m bench datasets verify nab" in msg
    assert target.read_bytes() == changed, "loading must neither use nor silently replace the changed file"


def test_17_8_the_cli_run_exits_2_naming_the_changed_file(
    nab_mirror: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_NAB_SOURCE", str(nab_mirror))  # a source that could silently replace the file
    nab.fetch(tmp_path / "data")
    _flip_one_byte(tmp_path / "data" / "nab" / NYC)
    capsys.readouterr()
    argv = ["run", "--detector", "zscore", "--dataset", "nab", "--series", "realKnownCause/nyc_taxi"]
    code = cli.main([*argv, "--data-dir", str(tmp_path / "data"), "--out", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and NYC in err and "differs from its pinned sha256" in err
    assert not (tmp_path / "out" / "config.json").exists(), "no config.json claims the pinned revision"


def test_17_8_fetch_restores_a_changed_file_and_the_load_then_passes(nab_mirror: Path, tmp_path: Path) -> None:
    nab.fetch(tmp_path, source=nab_mirror)
    _flip_one_byte(tmp_path / "nab" / NYC)
    report = nab.fetch_report(tmp_path, source=nab_mirror)
    assert report.downloaded == [NYC]
    assert len(nab.load(tmp_path, source=nab_mirror)) == 58


def test_17_8_the_hash_cache_rehashes_only_files_whose_size_or_mtime_changed(
    nab_mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nab.fetch(tmp_path, source=nab_mirror)
    dest = tmp_path / "nab"
    _age(dest)  # downloaded an hour ago: old enough for the cache to trust the recorded stat
    hashed = _hash_counter(monkeypatch)
    nab.fetch(tmp_path, source=nab_mirror)
    assert len(hashed) == 60, "mtimes changed since they were recorded: every file is hashed again"
    cache = json.loads((dest / download.DIGEST_CACHE).read_text())
    assert cache["files"][NYC]["sha256"] == nab.manifest()[NYC]
    assert not list(dest.glob(".*.part")), "the cache is written atomically"

    hashed.clear()
    nab.fetch(tmp_path, source=nab_mirror)
    assert hashed == [], "a warm cache hashes nothing"

    target = dest / NYC
    target.write_bytes(target.read_bytes() + b"\n")  # a new size
    with pytest.raises(ChecksumError, match="nyc_taxi"):
        nab.load(tmp_path, source=nab_mirror)
    assert [Path(p).name for p in hashed] == ["nyc_taxi.csv"]


def test_17_8_a_same_size_edit_with_mtime_restored_is_the_caches_blind_spot_and_verify_sees_it(
    nab_mirror: Path, tmp_path: Path
) -> None:
    nab.fetch(tmp_path, source=nab_mirror)
    dest = tmp_path / "nab"
    _age(dest)
    nab.fetch(tmp_path, source=nab_mirror)  # records every file's stat in the cache
    target = dest / NYC
    st = os.stat(target)
    _flip_one_byte(target)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert len(nab.fetch_report(tmp_path, source=nab_mirror).skipped) == 60  # the documented blind spot
    report = nab.verify(tmp_path)  # `bench datasets verify nab` re-hashes everything
    assert list(report.mismatched) == [NYC]


def test_17_8_a_file_changed_right_after_it_was_hashed_is_not_trusted(tmp_path: Path) -> None:
    # An mtime within 2 s of the hashing can be shared by a later edit (a coarse clock), so such
    # an entry is hashed again next time, as git does for "racily clean" files.
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(b"abc\n")
    pins = {"a.txt": download.sha256_file(src / "a.txt")}
    dest = tmp_path / "dest"
    download.fetch_files(["a.txt"], pins, dest, src)
    assert download.fetch_files(["a.txt"], pins, dest, src).skipped == ["a.txt"]  # hashed and cached
    st = os.stat(dest / "a.txt")
    (dest / "a.txt").write_bytes(b"abd\n")
    os.utime(dest / "a.txt", ns=(st.st_atime_ns, st.st_mtime_ns))  # the edit landed in the same clock tick
    with pytest.raises(ChecksumError, match=r"file a.txt in .* differs .* Restore it\.$"):
        download.fetch_files(["a.txt"], pins, dest, src, refuse_changed="Restore it.")


def test_17_8_a_modified_smd_file_is_refused(tmp_path: Path) -> None:
    root, manifest = make_smd(tmp_path / "src", ["machine-1-1"], n_train=50, n_test=100, n_metrics=6)
    smd.fetch_report(tmp_path / "data", source=root, manifest_file=manifest)
    target = tmp_path / "data" / "smd" / "ServerMachineDataset" / "test" / "machine-1-1.txt"
    _flip_one_byte(target)
    with pytest.raises(ChecksumError) as info:
        smd.load(str(tmp_path / "data"), source=str(root), manifest_file=str(manifest))
    msg = str(info.value)
    assert "ServerMachineDataset/test/machine-1-1.txt" in msg and download.git_blob_id(target) in msg
    assert "python -m bench datasets fetch smd" in msg


def test_17_8_an_unreadable_cache_is_rebuilt(nab_mirror: Path, tmp_path: Path) -> None:
    nab.fetch(tmp_path, source=nab_mirror, paths=[NYC])
    (tmp_path / "nab" / download.DIGEST_CACHE).write_text("{not json")
    assert nab.fetch_report(tmp_path, source=nab_mirror, paths=[NYC]).skipped == [NYC]
    assert json.loads((tmp_path / "nab" / download.DIGEST_CACHE).read_text())["files"][NYC]


# --------------------------------------------------------------------------- 17.22: an empty training part


def _write(path: Path, labels: list[int]) -> Path:
    rows = "".join(f"2024-01-01 00:{i:02d}:00,{np.sin(i / 3):.4f},{y}\n" for i, y in enumerate(labels))
    path.write_text("timestamp,value,label\n" + rows)
    return path


def test_17_22_a_csv_whose_first_row_is_labelled_is_refused_at_load(tmp_path: Path) -> None:
    f = _write(tmp_path / "first.csv", [1, 1] + [0] * 28 + [1] + [0] * 19)
    with pytest.raises(DataError) as info:
        load_csv(path=str(f))
    msg = str(info.value)
    assert str(f) in msg and "row 0" in msg and "training part is empty" in msg
    assert "csv.train_file" in msg and "csv.train_end" in msg and "csv.train_before_anomaly=false" in msg
    # the escape the message offers works
    (s,) = load_csv(path=str(f), train_before_anomaly=False)
    assert s.train_end == 15


def test_17_22_the_cli_exits_2_before_any_task(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _write(tmp_path / "first.csv", [1] + [0] * 49)
    code = cli.main(["run", "--detector", "zscore", "--dataset", f"csv:{f}", "--out", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "first.csv" in err and "training part is empty" in err
    assert not (tmp_path / "out" / "tasks").exists()


def test_17_22_a_training_time_before_the_first_row_is_refused(tmp_path: Path) -> None:
    f = _write(tmp_path / "a.csv", [0] * 10)
    with pytest.raises(DataError, match=r"empty \(points before 2023-12-31; the first row is at 2024-01-01 00:00:00\)"):
        load_csv(path=str(f), train_end="2023-12-31")


def test_17_22_a_tiny_file_still_gets_one_training_point(tmp_path: Path) -> None:
    (s,) = load_csv(path=str(_write(tmp_path / "a.csv", [0, 0, 1])))  # floor(0.3 * 3) = 0
    assert s.train_end == 1


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"train_fraction": 0.0}, r"csv.train_fraction must be a number in \(0, 1\); got 0.0"),
        ({"train_end": "0"}, r"csv.train_end must be a row count >= 1 or a timestamp; got '0'"),
    ],
)
def test_17_22_options_asking_for_no_training_part_are_parameter_errors(
    tmp_path: Path, options: dict[str, object], match: str
) -> None:
    with pytest.raises(ParameterError, match=match):
        load_csv(path=str(_write(tmp_path / "a.csv", [0] * 10)), **options)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- 17.26: Excel serial dates


EXCEL_ROWS = "".join(f"{45292 + i / 24:.10f},{i % 5},0\n" for i in range(48))  # 2024-01-01 00:00, hourly


def test_17_26_excel_serial_dates_are_refused_with_how_to_read_them(tmp_path: Path) -> None:
    f = tmp_path / "excel.csv"
    f.write_text("date,value,label\n" + EXCEL_ROWS)
    with pytest.raises(DataError) as info:
        load_csv(path=str(f))
    msg = str(info.value)
    assert str(f) in msg and "column 'date'" in msg and "Excel serial dates" in msg
    assert "1970-01-01" in msg and "2024-01-01" in msg
    assert "csv.timestamp_format=excel" in msg and "csv.timestamp_format=unix" in msg


def test_17_26_timestamp_format_excel_converts_and_unix_keeps_seconds(tmp_path: Path) -> None:
    f = tmp_path / "excel.csv"
    f.write_text("date,value,label\n" + EXCEL_ROWS)
    (s,) = load_csv(path=str(f), timestamp_format="excel")
    assert s.timestamps is not None
    assert str(s.timestamps[0]) == "2024-01-01T00:00:00.000000000"
    assert str(s.timestamps[25]) == "2024-01-02T01:00:00.000000000"  # rounded to the millisecond
    (u,) = load_csv(path=str(f), timestamp_format="unix")
    assert u.timestamps is not None and str(u.timestamps[0]) == "1970-01-01T12:34:52.000000000"


def test_17_26_unix_seconds_and_small_counts_are_not_taken_for_excel() -> None:
    ts, _ = parse_timestamps(["1704067200", "1704070800"], where="f.csv")
    assert str(ts[0]) == "2024-01-01T00:00:00.000000000"
    ts, _ = parse_timestamps(["5", "6", "20000"], where="f.csv")
    assert str(ts[2]) == "1970-01-01T05:33:20.000000000"
    ts, _ = parse_timestamps(["61", "25569.5"], where="f.csv", fmt="excel")  # 1900-03-01 and the Unix epoch
    assert ts.astype(str).tolist() == ["1900-03-01T00:00:00.000000000", "1970-01-01T12:00:00.000000000"]
    with pytest.raises(DataError, match=r"'2024-01-01' is not a number of days \(timestamp format 'excel'\)"):
        parse_timestamps(["2024-01-01"], where="f.csv", fmt="excel")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parse_timestamps(["45292", "45293"], where="f.csv", fmt="unix")
