"""The generic downloader against a real HTTP server on 127.0.0.1 serving the NAB mirror.

The server misbehaves on request: ``/ok/<path>`` serves the mirror,
``/wrong/`` the same length with one byte changed, ``/wrongonce/`` wrong bytes
on the first request only, ``/drop/`` half the body then a closed connection,
``/flaky/`` a drop on the first request only, ``/gzip/`` a gzip-encoded body
(as raw.githubusercontent.com sends), ``/error500/`` an HTTP 500, and anything
else a 404. Error cases use two small files; no test sleeps
(``backoff=0``).
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from _http import serving

from bench.datasets import download, nab
from bench.datasets.download import FetchReport, fetch_files, parse_manifest, parse_source
from bench.errors import ChecksumError, DownloadError, OutputError

SMALL = ["data/realAdExchange/exchange-2_cpc_results.csv", "labels/combined_windows.json"]


def _corrupt(data: bytes) -> bytes:
    """Same length, first byte changed: what a bad mirror or proxy might serve."""
    return bytes([data[0] ^ 0x01]) + data[1:]


class _Handler(BaseHTTPRequestHandler):
    server: _MirrorServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        mode, _, rel = self.path.lstrip("/").partition("/")
        srv = self.server
        with srv.lock:
            srv.hits[(mode, rel)] += 1
            first = srv.hits[(mode, rel)] == 1
        file = srv.mirror / rel
        if mode == "error500":
            self.send_error(500)
            return
        if mode not in ("ok", "wrong", "wrongonce", "drop", "flaky", "gzip") or not rel or not file.is_file():
            self.send_error(404)
            return
        body = file.read_bytes()
        if mode == "wrong" or (mode == "wrongonce" and first):
            body = _corrupt(body)
        self.send_response(200)
        if mode == "gzip":
            body = gzip.compress(body)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "drop" or (mode == "flaky" and first):
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass


class _MirrorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mirror: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mirror = mirror
        self.hits: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def requests_for(self, mode: str) -> int:
        return sum(n for (m, _), n in self.hits.items() if m == mode)


@pytest.fixture(scope="module")
def _module_server(nab_mirror: Path) -> Iterator[_MirrorServer]:
    with serving(_MirrorServer(nab_mirror)) as srv:
        yield srv


@pytest.fixture
def server(_module_server: _MirrorServer) -> _MirrorServer:
    _module_server.hits.clear()
    return _module_server


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _fetch(server: _MirrorServer, mode: str, dest: Path, **kw: object) -> FetchReport:
    return fetch_files(SMALL, nab.manifest(), dest, f"{server.url}/{mode}", backoff=0, **kw)  # type: ignore[arg-type]


def test_parse_source_tells_urls_from_folders(tmp_path: Path) -> None:
    assert parse_source("http://127.0.0.1:1/x") == download.Source("url", "http://127.0.0.1:1/x")
    assert parse_source("HTTPS://example.org/nab").kind == "url"
    assert parse_source(tmp_path) == download.Source("folder", str(tmp_path))
    assert parse_source(tmp_path.as_uri()) == download.Source("folder", str(tmp_path))
    with pytest.raises(DownloadError, match="neither an http"):
        parse_source(tmp_path / "missing", hint="Set X.")


def test_parse_manifest_reads_sha256sum_format_and_rejects_garbage() -> None:
    digest = "a" * 64
    assert parse_manifest(f"# comment\n\n{digest}  data/x.csv\n{digest.upper()} *labels/y.json\n") == {
        "data/x.csv": digest,
        "labels/y.json": digest,
    }
    with pytest.raises(DownloadError, match="Malformed line 1"):
        parse_manifest("abc  data/x.csv\n")


def test_http_fetch_verifies_and_a_second_fetch_downloads_nothing(server: _MirrorServer, tmp_path: Path) -> None:
    dest = tmp_path / "nab"
    report = _fetch(server, "ok", dest)
    assert report.downloaded == SMALL and report.skipped == []
    for rel in SMALL:
        assert download.sha256_file(dest / rel) == nab.manifest()[rel]
        assert (dest / rel).read_bytes() == (server.mirror / rel).read_bytes()
    assert server.requests_for("ok") == 2
    again = _fetch(server, "ok", dest)
    assert again.downloaded == [] and again.skipped == SMALL
    assert server.requests_for("ok") == 2, "verified files must not be requested again"
    left = [p.relative_to(dest).as_posix() for p in _files_under(dest)]
    assert left == sorted([download.DIGEST_CACHE, *SMALL]), "no temp files left, only the digest cache"


def test_a_corrupted_local_copy_is_fetched_again(server: _MirrorServer, tmp_path: Path) -> None:
    _fetch(server, "ok", tmp_path)
    target = tmp_path / SMALL[0]
    target.write_bytes(b"timestamp,value\n")
    report = _fetch(server, "ok", tmp_path)
    assert report.downloaded == [SMALL[0]] and report.skipped == [SMALL[1]]
    assert download.sha256_file(target) == nab.manifest()[SMALL[0]]


def test_wrong_bytes_are_retried_once_then_reported_with_both_hashes(server: _MirrorServer, tmp_path: Path) -> None:
    rel = SMALL[0]
    with pytest.raises(ChecksumError) as info:
        fetch_files([rel], nab.manifest(), tmp_path, f"{server.url}/wrong", backoff=0)
    got = hashlib.sha256(_corrupt((server.mirror / rel).read_bytes())).hexdigest()
    msg = str(info.value)
    assert rel in msg and nab.manifest()[rel] in msg and got in msg
    assert server.hits[("wrong", rel)] == 2, "a checksum mismatch is retried exactly once"
    assert _files_under(tmp_path) == [], "nothing half-written or unverified is left behind"


def test_wrong_bytes_once_then_right_bytes_succeeds(server: _MirrorServer, tmp_path: Path) -> None:
    report = _fetch(server, "wrongonce", tmp_path)
    assert report.downloaded == SMALL
    assert all(server.hits[("wrongonce", rel)] == 2 for rel in SMALL)
    assert all(download.sha256_file(tmp_path / rel) == nab.manifest()[rel] for rel in SMALL)


def test_dropped_connection_gives_download_error_naming_the_env_var(server: _MirrorServer, tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as info:
        nab.fetch(tmp_path, source=f"{server.url}/drop", paths=SMALL[:1], backoff=0)
    msg = str(info.value)
    assert not isinstance(info.value, ChecksumError)
    assert SMALL[0] in msg and "dropped" in msg and "after 3 tries" in msg and "BENCH_NAB_SOURCE" in msg
    assert server.hits[("drop", SMALL[0])] == 3
    assert _files_under(tmp_path) == []


def test_gzip_encoded_responses_are_decoded_and_verified(server: _MirrorServer, tmp_path: Path) -> None:
    # Regression: Content-Length counts the compressed bytes, so it must not be
    # compared with the decoded length (that read every gzip reply as "dropped").
    report = _fetch(server, "gzip", tmp_path)
    assert report.downloaded == SMALL
    assert all(server.hits[("gzip", rel)] == 1 for rel in SMALL)
    assert all((tmp_path / rel).read_bytes() == (server.mirror / rel).read_bytes() for rel in SMALL)


def test_a_connection_dropped_once_is_retried(server: _MirrorServer, tmp_path: Path) -> None:
    report = _fetch(server, "flaky", tmp_path)
    assert report.downloaded == SMALL
    assert all(server.hits[("flaky", rel)] == 2 for rel in SMALL)


def test_unreachable_address_gives_download_error_and_writes_nothing(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DownloadError) as info:
        nab.fetch(tmp_path / "root", source=f"http://127.0.0.1:{port}", paths=SMALL, backoff=0, retries=2)
    msg = str(info.value)
    assert "connection refused after 2 tries" in msg and "BENCH_NAB_SOURCE" in msg
    assert f"127.0.0.1:{port}" in msg
    assert _files_under(tmp_path) == []


def test_no_network_and_no_source_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Stand-in for the canonical GitHub URL on a machine without network.
    monkeypatch.setattr(nab, "BASE_URL", f"http://127.0.0.1:{port}/numenta/NAB")
    with pytest.raises(DownloadError, match=r"No BENCH_NAB_SOURCE is set; set BENCH_NAB_SOURCE to a local copy"):
        nab.fetch(tmp_path, paths=SMALL[:1], backoff=0, retries=1)


def test_http_404_is_not_retried(server: _MirrorServer, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch_files(SMALL[:1], nab.manifest(), tmp_path, f"{server.url}/nothing-here", backoff=0)
    assert server.requests_for("nothing-here") == 1
    assert _files_under(tmp_path) == []


def test_http_500_is_retried_up_to_the_limit(server: _MirrorServer, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="HTTP 500 .* after 4 tries"):
        fetch_files(SMALL[:1], nab.manifest(), tmp_path, f"{server.url}/error500", backoff=0, retries=4)
    assert server.requests_for("error500") == 4


def test_folder_source_copies_and_reports_missing_files(nab_mirror: Path, tmp_path: Path) -> None:
    report = fetch_files(SMALL, nab.manifest(), tmp_path / "a", nab_mirror)
    assert report.downloaded == SMALL
    assert (tmp_path / "a" / SMALL[0]).read_bytes() == (nab_mirror / SMALL[0]).read_bytes()
    (tmp_path / "partial").mkdir()
    with pytest.raises(DownloadError, match="not found in the source folder"):
        fetch_files(SMALL[:1], nab.manifest(), tmp_path / "b", tmp_path / "partial")
    assert _files_under(tmp_path / "b") == []


def test_paths_without_a_pinned_checksum_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="No pinned checksum .*data/evil.csv"):
        fetch_files(["data/evil.csv"], nab.manifest(), tmp_path, tmp_path)


@pytest.mark.parametrize("kind", ["root_is_a_file", "root_under_a_file"])
def test_unwritable_data_root_gives_output_error(nab_mirror: Path, tmp_path: Path, kind: str) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    root = blocker if kind == "root_is_a_file" else blocker / "sub"
    with pytest.raises(OutputError, match="--data-dir or BENCH_DATA_DIR"):
        nab.fetch(root, source=nab_mirror, paths=SMALL)


def test_read_only_folder_gives_output_error(nab_mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # chmod cannot stop root (and tests may run as root), so simulate what a
    # read-only folder does to the downloader: refusing to create the temp file.
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(download.tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError, match=r"Cannot write NAB file .*Permission denied"):
        nab.fetch(tmp_path, source=nab_mirror, paths=SMALL)


def test_an_interrupted_download_leaves_no_file_behind(
    server: _MirrorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(download.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _fetch(server, "ok", tmp_path, workers=1)
    assert _files_under(tmp_path) == []


def test_progress_bar_only_when_asked(nab_mirror: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fetch_files(SMALL, nab.manifest(), tmp_path / "quiet", nab_mirror)
    assert capsys.readouterr().err == ""
    fetch_files(SMALL, nab.manifest(), tmp_path / "loud", nab_mirror, progress=True, label="NAB")
    assert "Fetching NAB" in capsys.readouterr().err
