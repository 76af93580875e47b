"""Issue 17, hostile input to the dataset loaders: changed downloads, an empty training part, Excel dates.

Each test names the finding it pins (17.8, 17.22, 17.26).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from _fixtures import make_smd

from bench import cli
from bench.datasets import download, nab, smd
from bench.errors import ChecksumError

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
