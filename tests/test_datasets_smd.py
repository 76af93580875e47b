"""SMD: the shipped manifest against the real mirror, the label conventions on the real files, and the
download path (git-blob verification, corruption, caching, verify) on test-made SMD-format files served
over HTTP from 127.0.0.1.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from _fixtures import make_smd
from _http import serving

from bench.datasets import smd
from bench.datasets.download import git_blob_id, parse_manifest, verify_files
from bench.errors import ChecksumError, DataError, UnknownNameError
from bench.series import labels_to_events


class _Handler(SimpleHTTPRequestHandler):
    """Serves a folder; under ``/bad/`` the first byte of every file is flipped (same length)."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        with self.server.lock:  # type: ignore[attr-defined]
            self.server.paths.append(self.path)  # type: ignore[attr-defined]
        if not self.path.startswith("/bad/"):
            super().do_GET()
            return
        file = Path(self.directory, self.path[len("/bad/") :])
        if not file.is_file():
            self.send_error(404)
            return
        body = bytearray(file.read_bytes())
        body[0] ^= 0x01
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(bytes(body))

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Test-made SMD-format files (two machines) and their manifest."""
    return make_smd(tmp_path_factory.mktemp("smd-src"), n_train=300, n_test=400)


@pytest.fixture(scope="module")
def server(source: tuple[Path, Path]) -> Iterator[ThreadingHTTPServer]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(source[0])))
    srv.daemon_threads = True
    srv.paths = []  # type: ignore[attr-defined]
    srv.lock = threading.Lock()  # type: ignore[attr-defined]
    with serving(srv):
        yield srv


def _url(srv: ThreadingHTTPServer, prefix: str = "") -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}{prefix}"


# --- the real files -----------------------------------------------------------------------------


def test_shipped_manifest_is_the_mirror_manifest(smd_dir: Path) -> None:
    mirror = parse_manifest((smd_dir / "MANIFEST.gitblob.tsv").read_text(), digest="git-blob")
    assert smd.manifest() == mirror
    assert len(mirror) == 28 * 4 + 1
    assert len(smd.machine_names()) == 28
    assert smd.machine_names()[:2] == ["machine-1-1", "machine-1-2"] and smd.machine_names()[-1] == "machine-3-11"


def test_real_label_files_match_their_pinned_blob_ids(smd_dir: Path) -> None:
    labels = [p for p in smd.manifest() if "/test_label/" in p or "/interpretation_label/" in p]
    assert len(labels) == 56
    report = verify_files(labels + ["ServerMachineDataset/LICENSE"], smd.manifest(), smd_dir, digest="git-blob")
    assert report.passed, report.summary()
    assert len(report.ok) == 57


def _interpretation_labels(text: str, n: int, shift_start: int, shift_end: int) -> np.ndarray:
    y = np.zeros(n, dtype=np.int8)
    for line in text.split():
        a, b = (int(x) for x in line.split(":")[0].split("-"))
        y[a + shift_start : b + shift_end] = 1
    return y


def test_interpretation_ranges_are_0_based_end_exclusive_on_the_real_files(smd_dir: Path) -> None:
    """Pins the module docstring: read as [start, end) they reproduce test_label on 24 of 28 machines."""
    base = smd_dir / "ServerMachineDataset"
    readings = {"0-based, end exclusive": (0, 0), "0-based, end inclusive": (0, 1), "1-based, inclusive": (-1, 0)}
    exact = dict.fromkeys(readings, 0)
    for name in smd.machine_names():
        y = np.loadtxt(base / "test_label" / f"{name}.txt", dtype=np.int8)
        text = (base / "interpretation_label" / f"{name}.txt").read_text()
        for reading, (s0, s1) in readings.items():
            exact[reading] += bool(np.array_equal(_interpretation_labels(text, len(y), s0, s1), y))
        parsed = smd.read_interpretation(text, n_test=len(y), where=name)
        assert all(0 <= d < smd.N_METRICS for e in parsed for d in e["dims"])
    assert exact == {"0-based, end exclusive": 24, "0-based, end inclusive": 0, "1-based, inclusive": 0}


def test_interpretation_dims_are_1_based_in_the_files(smd_dir: Path) -> None:
    dims = set()
    for path in (smd_dir / "ServerMachineDataset" / "interpretation_label").glob("*.txt"):
        for line in path.read_text().split():
            dims.update(int(d) for d in line.split(":")[1].split(","))
    assert min(dims) == 1 and max(dims) == smd.N_METRICS, "0 never occurs and 38 does: 1-based"


# --- parsing by hand --------------------------------------------------------------------------


def test_read_interpretation_by_hand_and_rejects_bad_lines() -> None:
    got = smd.read_interpretation("2-4:3,1\n\n7-8:38\n", n_test=10, offset=5)
    assert got == [{"start": 7, "end": 9, "dims": [0, 2]}, {"start": 12, "end": 13, "dims": [37]}]
    with pytest.raises(DataError, match="outside"):
        smd.read_interpretation("2-11:1", n_test=10)
    with pytest.raises(DataError, match="outside"):
        smd.read_interpretation("2-4:39", n_test=10)
    with pytest.raises(DataError, match="not 'start-end"):
        smd.read_interpretation("2to4:1", n_test=10)


def test_event_dims_joins_overlapping_ranges() -> None:
    events = [(0, 5), (10, 12), (20, 30)]
    interp = [{"start": 4, "end": 11, "dims": [3]}, {"start": 25, "end": 26, "dims": [1, 2]}]
    assert smd.event_dims(events, interp) == [[3], [3], [1, 2]]


# --- download, verification and loading on test-made files -------------------------------------


def test_http_fetch_verifies_blob_ids_then_loads(
    source: tuple[Path, Path], server: ThreadingHTTPServer, tmp_path: Path
) -> None:
    root, manifest = source
    series = smd.load(tmp_path, source=_url(server), manifest_file=str(manifest))
    assert [s.name for s in series] == ["machine-1-1", "machine-2-1"]
    base = root / "ServerMachineDataset"
    for s in series:
        train = np.loadtxt(base / "train" / f"{s.name}.txt", delimiter=",")
        test = np.loadtxt(base / "test" / f"{s.name}.txt", delimiter=",")
        test_labels = np.loadtxt(base / "test_label" / f"{s.name}.txt", dtype=np.int8)
        assert s.values.shape == (700, 38) and s.train_end == 300
        np.testing.assert_array_equal(s.values, np.vstack([train, test]))
        np.testing.assert_array_equal(s.labels[300:], test_labels)
        assert not s.labels[:300].any()
        assert list(s.events) == [(300 + a, 300 + b) for a, b in labels_to_events(test_labels)]
        assert len(s.events) == 3
        # the fixture writes one interpretation line per anomaly, so each event gets exactly its dims
        interp = s.metadata["interpretation"]
        assert [(e["start"], e["end"]) for e in interp] == list(s.events)
        assert s.metadata["event_dims"] == [e["dims"] for e in interp]
        for (a, b), dims in zip(s.events, s.metadata["event_dims"], strict=True):
            shifted = s.values[a:b, dims].mean() - s.values[a - 20 : a, dims].mean()
            assert shifted > 0.2, "the named channels carry the anomaly"
        assert s.metadata["git_blob"][f"ServerMachineDataset/test/{s.name}.txt"] == git_blob_id(
            base / "test" / f"{s.name}.txt"
        )
    assert len(server.paths) == 9  # type: ignore[attr-defined]  # 2 machines x 4 files + LICENSE


def test_a_second_load_downloads_nothing(
    source: tuple[Path, Path], server: ThreadingHTTPServer, tmp_path: Path
) -> None:
    root, manifest = source
    smd.load(tmp_path, source=_url(server), manifest_file=str(manifest), machines="machine-2-1")
    before = len(server.paths)  # type: ignore[attr-defined]
    report = smd.fetch_report(tmp_path, source=_url(server), manifest_file=manifest, machines=["machine-2-1"])
    assert report.downloaded == [] and len(report.skipped) == 5
    assert len(server.paths) == before  # type: ignore[attr-defined]


def test_corrupted_bytes_are_caught_by_the_blob_id_check(
    source: tuple[Path, Path], server: ThreadingHTTPServer, tmp_path: Path
) -> None:
    root, manifest = source
    with pytest.raises(ChecksumError) as info:
        smd.fetch_report(tmp_path, source=_url(server, "/bad"), manifest_file=manifest, backoff=0)
    msg = str(info.value)
    assert "git blob id" in msg and "BENCH_SMD_SOURCE" in msg
    rel = next(p for p in smd.manifest(manifest) if p in msg)
    data = bytearray((root / rel).read_bytes())
    data[0] ^= 0x01
    (tmp_path / "bad.bin").write_bytes(bytes(data))
    assert smd.manifest(manifest)[rel] in msg and git_blob_id(tmp_path / "bad.bin") in msg
    assert not [p for p in (tmp_path / "smd").rglob("*") if p.is_file()], "nothing unverified is left"


def test_verify_reports_ok_corrupt_and_missing_files(
    source: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, manifest = source
    monkeypatch.setenv("BENCH_SMD_SOURCE", str(root))  # a folder source through the environment
    smd.fetch_report(tmp_path, manifest_file=manifest)
    pinned = smd.manifest(manifest)
    assert verify_files(sorted(pinned), pinned, tmp_path / "smd", digest="git-blob").passed
    target = tmp_path / "smd" / "ServerMachineDataset" / "test" / "machine-1-1.txt"
    target.write_text(target.read_text().replace("0", "1", 1))
    (tmp_path / "smd" / "ServerMachineDataset" / "LICENSE").unlink()
    report = verify_files(sorted(pinned), pinned, tmp_path / "smd", digest="git-blob")
    assert not report.passed
    assert list(report.mismatched) == ["ServerMachineDataset/test/machine-1-1.txt"]
    assert report.missing == ["ServerMachineDataset/LICENSE"]
    assert "7 of 9 files verified" in report.summary()
    # the real manifest's verify() on this folder: nothing of the pinned revision is there
    real = smd.verify(tmp_path)
    assert not real.passed and len(real.ok) == 0


def test_unknown_machine_names_the_nearest(source: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="Did you mean machine-1-1"):
        smd.load(tmp_path, source=source[0], manifest_file=str(source[1]), machines="machine-1-l")


def test_missing_file_in_a_parsed_folder_says_how_to_fetch(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="datasets fetch smd"):
        smd.parse(tmp_path, ["machine-1-1"])
