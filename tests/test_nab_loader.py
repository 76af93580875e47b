"""The NAB loader on the real corpus: fetched once over HTTP from 127.0.0.1, then checked against NAB's own files.

Expected values come from the mirror's files themselves (row counts, the two
combined label files) or are hand-computed from NAB's probationary rule,
``min(floor(0.15 * n), 750)``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _http import serving

from bench.datasets import nab
from bench.errors import UnknownNameError
from bench.series import Series


class _CountingHandler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        with self.server.lock:  # type: ignore[attr-defined]
            self.server.paths.append(self.path)  # type: ignore[attr-defined]
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def http_mirror(nab_mirror: Path) -> Iterator[ThreadingHTTPServer]:
    """The mirror served by a plain threaded HTTP server; ``.paths`` lists every request."""
    srv = ThreadingHTTPServer(("127.0.0.1", 0), partial(_CountingHandler, directory=str(nab_mirror)))
    srv.daemon_threads = True
    srv.paths = []  # type: ignore[attr-defined]
    srv.lock = threading.Lock()  # type: ignore[attr-defined]
    with serving(srv):
        yield srv


def _url(srv: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}"


@pytest.fixture(scope="module")
def fetched(http_mirror: ThreadingHTTPServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Series]]:
    """The whole corpus loaded once over HTTP into a fresh data root: (data root, series)."""
    root = tmp_path_factory.mktemp("data")
    series = nab.load(root, source=_url(http_mirror))
    return root, series


@pytest.fixture(scope="module")
def by_name(fetched: tuple[Path, list[Series]]) -> dict[str, Series]:
    return {s.name: s for s in fetched[1]}


@pytest.fixture(scope="module")
def windows_json(nab_mirror: Path) -> dict[str, list[list[str]]]:
    return json.loads((nab_mirror / nab.WINDOWS_FILE).read_text())


def test_manifest_pins_the_58_csvs_and_two_label_files_as_in_the_mirror(nab_mirror: Path) -> None:
    mirror_sums = {
        line.split()[1]: line.split()[0] for line in (nab_mirror / "SHA256SUMS").read_text().splitlines() if line
    }
    manifest = nab.manifest()
    assert len(manifest) == 60 and len(nab.data_files()) == 58
    assert {nab.WINDOWS_FILE, nab.LABELS_FILE} <= set(manifest)
    assert all(mirror_sums[path] == digest for path, digest in manifest.items())
    assert len({name.split("/")[0] for name in nab.series_names()}) == 7


def test_all_58_series_are_downloaded_over_http_and_load(
    fetched: tuple[Path, list[Series]], http_mirror: ThreadingHTTPServer
) -> None:
    root, series = fetched
    assert [s.name for s in series] == nab.series_names() == sorted(s.name for s in series)
    assert all(s.dataset == "nab" for s in series)
    assert sorted(p.relative_to(root / "nab").as_posix() for p in (root / "nab").rglob("*") if p.is_file()) == sorted(
        nab.manifest()
    )
    assert len(http_mirror.paths) >= 60  # type: ignore[attr-defined]


def test_lengths_values_and_timestamps_match_the_csv_files(by_name: dict[str, Series], nab_mirror: Path) -> None:
    assert len(by_name["realKnownCause/nyc_taxi"]) == 10320
    for name, s in by_name.items():
        frame = pd.read_csv(nab_mirror / "data" / f"{name}.csv")
        assert len(s) == len(frame), name
        assert s.values.shape == (len(frame), 1) and s.values.dtype == np.float64
        np.testing.assert_array_equal(s.values[:, 0], frame["value"].to_numpy(dtype=float))
        assert s.timestamps is not None and s.timestamps.dtype == np.dtype("datetime64[ns]")
        assert str(s.timestamps[0])[:19].replace("T", " ") == frame["timestamp"].iloc[0]
        assert s.labels.dtype == np.int8
    # nyc_taxi: first row of the CSV is 2014-07-01 00:00:00, value 10844 (hand-read from the file).
    taxi = by_name["realKnownCause/nyc_taxi"]
    assert taxi.values[0, 0] == 10844.0 and taxi.timestamps is not None
    assert taxi.timestamps[0] == np.datetime64("2014-07-01T00:00:00")


def test_windows_become_inclusive_events_and_labels(
    by_name: dict[str, Series], windows_json: dict[str, list[list[str]]]
) -> None:
    assert sum(len(w) for w in windows_json.values()) == sum(len(s.events) for s in by_name.values())
    for name, s in by_name.items():
        windows = windows_json[f"{name}.csv"]
        assert len(s.events) == len(windows), name
        assert s.metadata["windows"] == windows
        assert s.timestamps is not None
        for (start, end), (t1, t2) in zip(s.events, windows, strict=True):
            assert s.timestamps[start] == np.datetime64(pd.Timestamp(t1))
            assert s.timestamps[end - 1] == np.datetime64(pd.Timestamp(t2)), "the window end is labelled too"
        # Windows do not overlap, so the labels count exactly the events' points.
        assert int(s.labels.sum()) == sum(e - b for b, e in s.events), name
    # nyc_taxi's first window is 2014-10-30 15:30 .. 2014-11-03 22:30 at half-hour steps:
    # CSV lines 5841..6047 (header on line 1), i.e. rows 5839..6045 -> [5839, 6046).
    assert by_name["realKnownCause/nyc_taxi"].events[0] == (5839, 6046)


def test_anomaly_points_are_the_combined_labels(by_name: dict[str, Series], nab_mirror: Path) -> None:
    points = json.loads((nab_mirror / nab.LABELS_FILE).read_text())
    assert sum(len(v) for v in points.values()) == sum(len(s.anomaly_points) for s in by_name.values())
    for name, s in by_name.items():
        expected = [np.datetime64(pd.Timestamp(t)) for t in points[f"{name}.csv"]]
        assert s.timestamps is not None
        assert list(s.timestamps[s.anomaly_points]) == expected, name
    # 2014-11-01 19:00:00 is on CSV line 5944 of nyc_taxi -> row 5942.
    assert by_name["realKnownCause/nyc_taxi"].anomaly_points[0] == 5942


def test_train_end_is_nabs_probationary_period(by_name: dict[str, Series]) -> None:
    # min(floor(0.15 * n), 750): 10320 -> 750 (1548 is capped); 4032 -> floor(604.8) = 604;
    # 1624 -> floor(243.6) = 243; 5000 -> 750 exactly at the cap.
    assert by_name["realKnownCause/nyc_taxi"].train_end == 750
    assert by_name["artificialNoAnomaly/art_daily_no_noise"].train_end == 604
    assert by_name["realAdExchange/exchange-2_cpc_results"].train_end == 243
    assert nab.probationary_period(5000) == 750 and nab.probationary_period(20) == 3
    for s in by_name.values():
        assert s.train_end == min(int(0.15 * len(s)), 750)


def test_metadata_names_category_and_file(by_name: dict[str, Series]) -> None:
    s = by_name["realTweets/Twitter_volume_AAPL"]
    assert s.metadata["category"] == "realTweets"
    assert s.metadata["file"] == "data/realTweets/Twitter_volume_AAPL.csv"
    assert s.metadata["revision"] == nab.REVISION


def test_a_second_load_downloads_nothing(fetched: tuple[Path, list[Series]], http_mirror: ThreadingHTTPServer) -> None:
    root, first = fetched
    before = len(http_mirror.paths)  # type: ignore[attr-defined]
    again = nab.load(root, source=_url(http_mirror))
    assert len(http_mirror.paths) == before  # type: ignore[attr-defined]
    assert [s.name for s in again] == [s.name for s in first]
    report = nab.fetch_report(root, source=_url(http_mirror))
    assert report.downloaded == [] and len(report.skipped) == 60


def test_env_source_as_a_folder(nab_mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_NAB_SOURCE", str(nab_mirror))
    series = nab.load(tmp_path)
    assert len(series) == 58 and (tmp_path / "nab" / nab.WINDOWS_FILE).is_file()


def test_env_source_as_an_http_url_and_env_data_root(
    http_mirror: ThreadingHTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_NAB_SOURCE", _url(http_mirror))
    monkeypatch.setenv("BENCH_DATA_DIR", str(tmp_path / "root"))
    wanted = ["data/realKnownCause/nyc_taxi.csv", nab.LABELS_FILE]
    before = len(http_mirror.paths)  # type: ignore[attr-defined]
    folder = nab.fetch(paths=wanted)
    assert folder == tmp_path / "root" / "nab"
    assert sorted(http_mirror.paths[before:]) == sorted(f"/{p}" for p in wanted)  # type: ignore[attr-defined]
    assert (folder / wanted[0]).stat().st_size > 0


def test_parse_refuses_unknown_series_with_suggestions(fetched: tuple[Path, list[Series]]) -> None:
    root, _ = fetched
    [taxi] = nab.parse(root / "nab", ["realKnownCause/nyc_taxi"])
    assert len(taxi) == 10320
    with pytest.raises(UnknownNameError, match="Did you mean realKnownCause/nyc_taxi"):
        nab.parse(root / "nab", ["realKnownCause/nyc_taxy"])
