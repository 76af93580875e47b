"""download.py's digest kinds (sha256 and git blob ids) and verify_files, on small files made here."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from bench.datasets.download import (
    fetch_files,
    file_digest,
    git_blob_id,
    parse_manifest,
    verify_files,
)
from bench.errors import ChecksumError, DownloadError, ParameterError


def _blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@pytest.mark.parametrize("data", [b"", b"hello\n", bytes(range(256)) * 1000])
def test_git_blob_id_is_sha1_of_header_and_content(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "f"
    path.write_bytes(data)
    assert git_blob_id(path) == file_digest(path, "git-blob") == _blob(data)
    assert file_digest(path) == hashlib.sha256(data).hexdigest()


def test_git_blob_id_agrees_with_git_when_git_is_there(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"0.1,0.2\n0.3,0.4\n")
    try:
        out = subprocess.run(["git", "hash-object", str(path)], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("git is not installed")
    assert git_blob_id(path) == out.strip()


def test_parse_manifest_reads_tab_separated_blob_ids_and_checks_their_length() -> None:
    blob = "a" * 40
    text = f"# pinned\n{blob}\tServerMachineDataset/test/machine-1-1.txt\n{blob.upper()}\tdir with space/x.txt\n"
    assert parse_manifest(text, digest="git-blob") == {
        "ServerMachineDataset/test/machine-1-1.txt": blob,
        "dir with space/x.txt": blob,
    }
    with pytest.raises(DownloadError, match="expected '<git blob id>  <path>'"):
        parse_manifest(f"{'a' * 64}\tx.txt\n", digest="git-blob")
    with pytest.raises(DownloadError, match="expected '<sha256>  <path>'"):
        parse_manifest(f"{blob}  x.txt\n")
    with pytest.raises(DownloadError, match="Malformed line 1"):
        parse_manifest(f"{'g' * 40}\tx.txt\n", digest="git-blob")
    with pytest.raises(ParameterError, match="Unknown digest kind 'md5'"):
        parse_manifest("", digest="md5")


def test_fetch_with_blob_ids_accepts_right_bytes_and_rejects_wrong_ones(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "d").mkdir(parents=True)
    (src / "d" / "a.txt").write_bytes(b"right\n")
    manifest = {"d/a.txt": _blob(b"right\n")}
    report = fetch_files(["d/a.txt"], manifest, tmp_path / "ok", src, digest="git-blob")
    assert report.downloaded == ["d/a.txt"] and (tmp_path / "ok" / "d" / "a.txt").read_bytes() == b"right\n"
    assert fetch_files(["d/a.txt"], manifest, tmp_path / "ok", src, digest="git-blob").skipped == ["d/a.txt"]
    (src / "d" / "a.txt").write_bytes(b"wrong\n")
    wrong = _blob(b"wrong\n")
    with pytest.raises(ChecksumError, match=f"expected git blob id {manifest['d/a.txt']}, got {wrong}"):
        fetch_files(["d/a.txt"], manifest, tmp_path / "bad", src, digest="git-blob", label="SMD")
    assert not (tmp_path / "bad" / "d" / "a.txt").exists()


def test_verify_files_reports_without_changing_anything(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"A")
    (tmp_path / "b").write_bytes(b"B")
    manifest = {"a": hashlib.sha256(b"A").hexdigest(), "b": hashlib.sha256(b"X").hexdigest(), "c": "0" * 64}
    report = verify_files(["a", "b", "c"], manifest, tmp_path)
    assert report.ok == ["a"] and report.missing == ["c"]
    assert report.mismatched == {"b": (manifest["b"], hashlib.sha256(b"B").hexdigest())}
    assert not report.passed and report.summary().startswith("1 of 3 files verified (sha256)")
    assert (tmp_path / "b").read_bytes() == b"B" and not (tmp_path / "c").exists()
    with pytest.raises(DownloadError, match="No pinned checksum for z"):
        verify_files(["z"], manifest, tmp_path)
