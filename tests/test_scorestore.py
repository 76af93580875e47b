"""Issue 19.2: the binary score store (``.npy`` scores, one series file per series), folders of the previous
release read back unchanged, and ``bench export scores``."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.cli import main
from bench.datasets.synthetic import generate
from bench.errors import DataError
from bench.results import RunStore, read_metrics
from bench.scorestore import decode_scores, decode_series, encode_scores, encode_series
from bench.series import Series

LEGACY = Path(__file__).parent / "data" / "run-44b59e3-format"
"""Written by bench at 44b59e3 (the previous release, CSV score files), from its source tree:
``bench run -q --detector zscore,null --param zscore.window_size=10 --no-baselines --dataset yahoo-synth
--param yahoo-synth.n_series=2 --param yahoo-synth.length=60 --metrics auc,point`` (report files removed)."""
LEGACY_ARGS = [
    "--detector", "zscore,null", "--param", "zscore.window_size=10", "--no-baselines", "--dataset", "yahoo-synth",
    "--param", "yahoo-synth.n_series=2", "--param", "yahoo-synth.length=60", "--metrics", "auc,point",
]  # fmt: skip
TINY = ["--dataset", "yahoo-synth", "--param", "yahoo-synth.n_series=2", "--param", "yahoo-synth.length=300", "-q"]


def _metric_values(path: Path) -> pd.DataFrame:
    frame = read_metrics(path)
    return frame.sort_values(["dataset", "series", "detector", "seed", "metric"]).reset_index(drop=True)


# --- the format --------------------------------------------------------------------------------------------


def test_scores_are_stored_exactly_in_8_bytes_a_point() -> None:
    scores = np.array([0.1, -0.0, 5e-324, 1.7976931348623157e308, 1 / 3, -2.5])
    data = encode_scores(scores)
    assert len(data) == 128 + 8 * len(scores)  # the .npy header, then the float64s
    back = decode_scores(data, Path("s.npy"), n_points=len(scores))
    assert back.tobytes() == scores.tobytes()  # bit for bit, -0.0 and the subnormal included
    with pytest.raises(DataError, match=r"s.npy have 6 rows; the series has 7 points"):
        decode_scores(data, Path("s.npy"), n_points=7)
    ints = io.BytesIO()
    np.save(ints, np.arange(6))
    with pytest.raises(DataError, match="not float64"):
        decode_scores(ints.getvalue(), Path("s.npy"))


def test_series_file_is_exact_deterministic_and_small() -> None:
    (s,) = generate(n_series=1, length=20_000)
    stamps = np.asarray(s.timestamps).copy()
    stamps[5000:] += np.timedelta64(17, "m")  # a gap: timestamps are not one regular grid
    gappy = Series(s.dataset, s.name, s.values, s.labels, stamps, train_end=s.train_end)
    data = encode_series(gappy)
    assert data == encode_series(gappy), "same series, same bytes (racing writers write identical files)"
    assert len(data) < 2_000, "runs of timestamp steps and labels, not 9 bytes a point"
    back = decode_series(data, Path("x.npz"))
    np.testing.assert_array_equal(back.timestamps, gappy.timestamps)
    np.testing.assert_array_equal(back.labels, gappy.labels)
    assert back.fingerprint == gappy.fingerprint()
    plain = Series("d", "p", np.arange(5.0), np.array([0, 1, 1, 0, 1], dtype=np.int8))
    back = decode_series(encode_series(plain), Path("p.npz"))
    assert back.timestamps is None and back.labels.tolist() == [0, 1, 1, 0, 1]
    with pytest.raises(DataError, match="Cannot read stored series p.npz"):
        decode_series(b"not a zip", Path("p.npz"))


def test_racing_writers_of_one_series_leave_one_correct_file(tmp_path: Path) -> None:
    (s,) = generate(n_series=1, length=3000)
    stores = [RunStore(tmp_path) for _ in range(4)]
    digests: list[str] = []
    threads = [threading.Thread(target=lambda st=st: digests.append(st.write_series(s))) for st in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    path = stores[0].series_path(s.dataset, s.name)
    assert set(digests) == {hashlib.sha256(path.read_bytes()).hexdigest()}
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary file left"
    inode = path.stat().st_ino
    assert RunStore(tmp_path).write_series(s) == digests[0] and path.stat().st_ino == inode, "kept, not rewritten"
    path.write_bytes(b"edited")
    assert RunStore(tmp_path).write_series(s) == digests[0]  # a stale or edited file is replaced
    assert decode_series(path.read_bytes(), path).fingerprint == s.fingerprint()


def test_a_run_stores_each_series_once_for_every_row_and_seed(tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert main(["run", *TINY, "--detector", "zscore", "--seeds", "0,1", "--out", str(out)]) == 0
    series_files = sorted((out / "series").rglob("*.npz"))
    assert [p.name for p in series_files] == ["synth_000.npz", "synth_001.npz"]
    records = [json.loads(p.read_text()) for p in (out / "tasks").rglob("*.json")]
    assert len(records) == 12  # 3 rows x 2 seeds x 2 series
    by_series = {r["series"]: r["series_sha256"] for r in records}
    assert all(r["series_sha256"] == by_series[r["series"]] for r in records)
    for p in series_files:
        assert hashlib.sha256(p.read_bytes()).hexdigest() == by_series[p.stem]
    assert {p.stat().st_size for p in (out / "scores").rglob("*.npy")} == {128 + 8 * 300}
    assert not list((out / "scores").rglob("*.csv"))


def test_a_replaced_series_file_is_refused_and_rewritten_on_resume(tmp_path: Path) -> None:
    out = tmp_path / "r"
    argv = ["run", *TINY, "--detector", "zscore", "--no-baselines", "--out", str(out)]
    assert main(argv) == 0
    path = next((out / "series").rglob("synth_000.npz"))
    original = path.read_bytes()
    path.write_bytes(encode_series(generate(n_series=1, length=300, seed=7)[0]))  # another series' file
    store = RunStore(out)
    task = next((out / "tasks").rglob("synth_000.json"))
    record = store.read_task(task)
    assert record is not None and record.series_sha256 != hashlib.sha256(path.read_bytes()).hexdigest()
    assert main(argv) == 0
    assert path.read_bytes() == original


# --- folders of the previous release ------------------------------------------------------------------------


def test_previous_release_folder_evaluates_reports_resumes_and_compares(
    tmp_path: Path,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    old = tmp_path / "old"
    shutil.copytree(LEGACY, old)
    stored = _metric_values(old / "metrics.csv")
    assert main(["evaluate", "--run", str(old), "-q", "--name", "again"]) == 0
    again = _metric_values(old / "evaluations" / "again" / "metrics.csv")
    pd.testing.assert_frame_equal(again, stored, check_exact=False, rtol=1e-12)
    assert main(["report", str(old), "--plots", "none", "-q"]) == 0
    assert (old / "report" / "tables.md").exists()
    before = {p: p.read_bytes() for p in (old / "scores").rglob("*.csv")}
    assert main(["run", *LEGACY_ARGS, "-q", "--out", str(old)]) == 0  # a resume: every task is done
    assert {p: p.read_bytes() for p in (old / "scores").rglob("*.csv")} == before
    assert not list((old / "scores").rglob("*.npy")) and not (old / "series").exists()
    new = tmp_path / "new"
    assert main(["run", *LEGACY_ARGS, "-q", "--out", str(new)]) == 0
    pd.testing.assert_frame_equal(
        _metric_values(new / "metrics.csv").drop(columns="value"), stored.drop(columns="value")
    )
    assert main(["compare", str(old), str(new)]) == 0  # the previous release's folder against this one's
    assert main(["export", "scores", str(old), "--format", "csv", "--out", str(tmp_path / "csv"), "-q"]) == 0
    assert len(list((tmp_path / "csv").rglob("*.csv"))) == 4


def test_a_replaced_csv_score_file_of_the_previous_release_is_still_refused(
    tmp_path: Path,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    old = tmp_path / "old"
    shutil.copytree(LEGACY, old)
    path = next((old / "scores").rglob("synth_001.csv"))
    frame = pd.read_csv(path)
    frame["anomaly_score"] = frame["label"].astype(float)
    frame.to_csv(path, index=False)
    assert main(["evaluate", "--run", str(old), "-q"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "sha256" in err


# --- bench export scores ------------------------------------------------------------------------------------


def test_export_csv_writes_each_rows_scores_beside_the_series(tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert main(["run", *TINY, "--detector", "zscore", "--seeds", "0,1", "--out", str(out)]) == 0
    assert main(["export", "scores", str(out), "--format", "csv", "--detector", "zscore", "--seed", "1", "-q"]) == 0
    files = sorted((out / "exports" / "csv").rglob("*.csv"))
    assert [p.relative_to(out / "exports" / "csv").as_posix() for p in files] == [
        "zscore/seed1/yahoo-synth/synth_000.csv",
        "zscore/seed1/yahoo-synth/synth_001.csv",
    ]
    frame = pd.read_csv(files[0])
    assert list(frame.columns) == ["timestamp", "value", "label", "anomaly_score"]
    (s,) = [x for x in generate(n_series=2, length=300) if x.name == "synth_000"]
    store = RunStore(out)
    (score_file,) = (out / "scores").glob("zscore-*/seed1/yahoo-synth/synth_000.npy")
    np.testing.assert_array_equal(frame["anomaly_score"].to_numpy(), np.load(score_file))  # exact through CSV
    np.testing.assert_array_equal(frame["value"].to_numpy(), s.values.ravel())
    np.testing.assert_array_equal(frame["label"].to_numpy(), s.labels)
    np.testing.assert_array_equal(pd.to_datetime(frame["timestamp"]).to_numpy(), s.timestamps)
    assert store.root == out


def test_export_refuses_an_unknown_row_seed_or_format_naming_what_the_run_has(
    tmp_path: Path,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    out = tmp_path / "r"
    assert main(["run", *TINY, "--detector", "zscore", "--out", str(out)]) == 0
    capsys.readouterr()
    for extra, message in (
        (["--format", "csv", "--detector", "zscor"], "no row 'zscor'. Did you mean 'zscore'? Rows: zscore, random"),
        (["--format", "csv", "--seed", "3"], "no seed 3; its seeds: 0"),
        (["--format", "nabb"], "Unknown export format 'nabb'. Did you mean 'nab'?"),
    ):
        assert main(["export", "scores", str(out), *extra]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1
    assert not (out / "exports").exists()


def test_export_nab_round_trip_gives_the_runs_own_nab_score(
    tmp_path: Path,
    nab_mirror: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("BENCH_NAB_SOURCE", str(nab_mirror))
    data = ["--data-dir", str(tmp_path / "data")]
    out = tmp_path / "r"
    argv = ["run", "--dataset", "nab", "--detector", "zscore", "--no-baselines", "--metrics", "nab", "-q"]
    assert main([*argv, *data, "--out", str(out)]) == 0
    assert main(["export", "scores", str(out), "--format", "nab", "--out", str(tmp_path / "results"), "-q"]) == 0
    folder = tmp_path / "results" / "nab" / "zscore"
    assert (folder / "realKnownCause" / "zscore_nyc_taxi.csv").exists()
    capsys.readouterr()
    assert main(["evaluate", "--dataset", "nab", "--scores", str(folder), "--format", "json", *data, "-q"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["detector"] == "zscore"
    metrics = read_metrics(out / "metrics.csv")
    corpus = metrics[(metrics["aggregate"] == "corpus") & (metrics.detector == "zscore")]
    for profile in ("standard", "reward_low_FP_rate", "reward_low_FN_rate"):
        run_value = corpus[corpus.metric == f"nab_{profile}"].value.item()
        assert got[profile]["normalised_score"] == pytest.approx(run_value, abs=1e-9)
