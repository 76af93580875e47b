"""Issue 17, the run store and score files under hostile input: nothing lost, nothing wrong with exit 0.

Swapped external score files (17.5), stored score files replaced after the run
and truncated ``metrics.csv`` (17.6), writes through a symlinked folder inside
a run folder (17.14), errors that name the stored file (17.20), and NAB's
row-by-position matching for re-scoring its scoreboard (``--match rows``).
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.cli import main
from bench.errors import DataError, UnsafePathError
from bench.results import atomic_open, read_metrics
from bench.scorefiles import read_score_dir
from bench.series import Series

TINY = ["--dataset", "yahoo-synth", "--param", "yahoo-synth.n_series=2", "--param", "yahoo-synth.length=300"]


def _run(out: Path, *extra: str) -> int:
    return main(["run", *TINY, "--detector", "zscore", "--no-baselines", "--out", str(out), "-q", *extra])


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    assert _run(out) == 0
    return out


def _score_files(run: Path) -> list[Path]:
    return sorted((run / "scores").rglob("*.npy"))


def _task_of(run: Path, score_file: Path) -> Path:
    return run / "tasks" / score_file.relative_to(run / "scores").with_suffix(".json")


def _replace_by_labels(path: Path) -> None:
    """The attack of 17.6: the scores become the labels (a perfect detector), from the run's series file."""
    run = next(p for p in path.parents if p.name == "scores").parent
    dataset_and_series = path.relative_to(run / "scores").parts[2:]  # after <detector>-<hash>/seed<k>/
    stored = np.load(run / "series" / Path(*dataset_and_series).with_suffix(".npz"))
    np.save(path, np.repeat(stored["label_values"], stored["label_lengths"]).astype(np.float64))


def _auc_pr_mean(metrics: pd.DataFrame) -> float:
    rows = metrics[(metrics.metric == "auc_pr") & (metrics["aggregate"] == "mean")]
    return float(rows.value.item())


# --- 17.5: swapped external score files --------------------------------------------------------------


def _art(nab_mirror: Path) -> list[Series]:
    from bench.datasets import nab

    return nab.parse(nab_mirror, names=["artificialNoAnomaly/art_daily_no_noise", "artificialNoAnomaly/art_noisy"])


def test_17_5_files_swapped_between_series_with_identical_timestamps_are_refused(
    tmp_path: Path, nab_mirror: Path, nab_reference: Path
) -> None:
    """NAB's artificial series share their timestamps: the ``value`` column tells the files apart."""
    series = _art(nab_mirror)
    root = tmp_path / "numenta"
    for s in series:
        cat, stem = s.name.split("/")
        (root / cat).mkdir(parents=True, exist_ok=True)
        shutil.copy(nab_reference / "numenta" / cat / f"numenta_{stem}.csv.gz", root / cat)
    scores, _ = read_score_dir(root, series)  # as NAB wrote them: accepted
    assert set(scores) == {s.name for s in series}
    one = root / "artificialNoAnomaly" / "numenta_art_daily_no_noise.csv.gz"
    two = root / "artificialNoAnomaly" / "numenta_art_noisy.csv.gz"
    one.rename(tmp_path / "tmp.csv.gz")
    two.rename(one)
    (tmp_path / "tmp.csv.gz").rename(two)
    with pytest.raises(DataError) as info:
        read_score_dir(root, series)
    msg = str(info.value)
    assert "numenta_art_daily_no_noise.csv.gz" in msg and "'value'" in msg
    assert "series 'artificialNoAnomaly/art_daily_no_noise'" in msg


def _same_times(name: str, labels: list[int]) -> Series:
    n = len(labels)
    ts = pd.date_range("2020-01-01", periods=n, freq="5min").to_numpy(dtype="datetime64[ns]")
    return Series("nab", name, np.zeros(n), np.array(labels, dtype=np.int8), timestamps=ts, train_end=1)


def test_17_5_label_column_refuses_a_swap_when_no_values_are_given(tmp_path: Path) -> None:
    series = [_same_times("cat/one", [0, 0, 1, 1, 0, 0]), _same_times("cat/two", [0, 0, 0, 0, 1, 0])]
    (tmp_path / "cat").mkdir()
    for s, other in zip(series, series[::-1], strict=True):  # each file holds the other series' rows
        frame = pd.DataFrame(
            {"timestamp": pd.to_datetime(s.timestamps), "anomaly_score": np.arange(6.0), "label": other.labels}
        )
        frame.to_csv(tmp_path / "cat" / f"det_{s.name[4:]}.csv", index=False)
    with pytest.raises(DataError, match=r"det_one.csv: column 'label' differs from series 'cat/one' in 3 of 6 rows"):
        read_score_dir(tmp_path, series)


# --- 17.6: stored score files replaced, metrics.csv truncated -----------------------------------------


def test_17_6_a_task_record_holds_its_score_files_sha256(run_dir: Path) -> None:
    import hashlib

    for path in _score_files(run_dir):
        record = json.loads(_task_of(run_dir, path).read_text())
        assert record["scores_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        series_file = run_dir / "series" / Path(*path.relative_to(run_dir / "scores").parts[2:]).with_suffix(".npz")
        assert record["series_sha256"] == hashlib.sha256(series_file.read_bytes()).hexdigest()


def test_17_6_b_resume_recomputes_a_replaced_score_file(run_dir: Path) -> None:
    before = read_metrics(run_dir / "metrics.csv")
    path = _score_files(run_dir)[0]
    original = path.read_bytes()
    _replace_by_labels(path)
    assert _run(run_dir) == 0
    assert path.read_bytes() == original, "the replaced file was recomputed"
    after = read_metrics(run_dir / "metrics.csv")
    assert _auc_pr_mean(after) == pytest.approx(_auc_pr_mean(before)) and _auc_pr_mean(after) < 0.99


def test_17_6_c_evaluate_and_report_refuse_a_replaced_score_file_naming_it(
    run_dir: Path,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    path = _score_files(run_dir)[1]
    _replace_by_labels(path)
    assert main(["evaluate", "--run", str(run_dir), "-q"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "sha256" in err and err.count("\n") == 1
    assert not (run_dir / "evaluations").exists() or not any((run_dir / "evaluations").rglob("metrics.csv"))
    assert main(["report", str(run_dir), "-q"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "sha256" in err


def test_17_6_d_records_without_sha256_are_read_as_unverified(run_dir: Path) -> None:
    """Records written before the field existed: still used, on resume and by evaluate (not failures)."""
    stamps = {}
    for task in sorted((run_dir / "tasks").rglob("*.json")):
        record = json.loads(task.read_text())
        del record["scores_sha256"]
        task.write_text(json.dumps(record))
        stamps[task] = record["fit_seconds"]
    assert _run(run_dir) == 0
    for task, fit in stamps.items():  # not recomputed (same record, still without the field)
        record = json.loads(task.read_text())
        assert record["fit_seconds"] == fit and "scores_sha256" not in record
    assert main(["evaluate", "--run", str(run_dir), "-q"]) == 0


def test_17_6_e_a_truncated_metrics_csv_is_refused_not_reported(
    run_dir: Path,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    metrics = run_dir / "metrics.csv"
    whole = metrics.read_bytes()
    for cut in (whole[: len(whole) // 2], whole[: whole.rindex(b"\n", 0, len(whole) - 1) + 1]):  # mid-line, at a line
        metrics.write_bytes(cut)
        with pytest.raises(DataError, match="cut short"):
            read_metrics(metrics)
        assert main(["report", str(run_dir), "-q", "--plots", "none"]) == 2
        err = capsys.readouterr().err
        assert str(metrics) in err and "cut short" in err and f"run --out {run_dir}" in err
    assert _run(run_dir) == 0  # a resume rebuilds it from the stored results
    assert metrics.read_bytes() == whole


def test_17_6_f_the_previous_release_folder_still_reports(tmp_path: Path) -> None:
    run = tmp_path / "old"
    shutil.copytree(Path(__file__).parent / "data" / "run-0.1-format", run)
    assert read_metrics(run / "metrics.csv").shape[0] > 0
    assert main(["report", str(run), "--plots", "none", "-q"]) == 0


# --- 17.14: writes through a symlinked folder inside the run ----------------------------------------


def test_17_14_a_resume_refuses_to_write_through_a_symlinked_folder(
    run_dir: Path,
    tmp_path: Path,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(run_dir / "tasks", elsewhere)
    (run_dir / "tasks").symlink_to(elsewhere, target_is_directory=True)
    victim = sorted(elsewhere.rglob("*.json"))[0]
    victim.unlink()  # one task to redo: the resume would write its record into the link's target
    assert _run(run_dir) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "symbolic link" in err and str(run_dir / "tasks") in err
    assert not victim.exists(), "nothing was written through the link"


def test_17_14_b_atomic_open_refuses_a_symlinked_folder_below_the_root(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "evaluations").mkdir(parents=True)
    (tmp_path / "target").mkdir()
    (run / "report").symlink_to(tmp_path / "target", target_is_directory=True)
    with pytest.raises(UnsafePathError, match=r"report is a symbolic link"):
        with atomic_open(run / "report" / "tables.md", root=run) as fh:
            fh.write("x")
    assert not any((tmp_path / "target").iterdir())
    with atomic_open(run / "evaluations" / "x" / "metrics.csv", root=run) as fh:  # real folders: written
        fh.write("ok")
    assert (run / "evaluations" / "x" / "metrics.csv").read_text() == "ok"
    link_root = tmp_path / "link"  # the run folder itself may be a link (the user's --out)
    link_root.symlink_to(run, target_is_directory=True)
    with atomic_open(link_root / "metrics.csv", root=link_root) as fh:
        fh.write("ok")


def test_17_14_c_a_symlinked_lock_file_is_not_written_through(
    run_dir: Path,
    tmp_path: Path,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (run_dir / ".lock").unlink()
    (run_dir / ".lock").symlink_to(victim)
    assert _run(run_dir) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert victim.read_text() == "keep me\n"


# --- 17.20: errors about stored score files name the file ----------------------------------------------


def test_17_20_a_short_stored_score_file_is_named(run_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _score_files(run_dir)[0]
    task = _task_of(run_dir, path)
    record = json.loads(task.read_text())
    del record["scores_sha256"]  # a record of the previous release: unverified, so the length check must catch it
    task.write_text(json.dumps(record))
    np.save(path, np.load(path)[:100])
    assert main(["evaluate", "--run", str(run_dir), "-q"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "100 rows" in err and "300 points" in err
    assert _run(run_dir) == 0  # a resume recomputes it (one score per point is checked without a sha256)
    assert len(np.load(path)) == 300
    assert main(["evaluate", "--run", str(run_dir), "-q"]) == 0


# --- --match rows: NAB's row-by-position matching ---------------------------------------------------


def test_17_extra_match_rows_scores_by_position_and_warns_once_per_file(tmp_path: Path) -> None:
    series = [_same_times("cat/one", [0, 0, 1, 1, 0, 0])]
    (tmp_path / "cat").mkdir()
    ts = pd.to_datetime(series[0].timestamps).to_series().reset_index(drop=True)
    ts[[2, 4]] = ts[[2, 4]] + pd.Timedelta("1h")  # rows interleaved from another version of the data
    pd.DataFrame({"timestamp": ts, "anomaly_score": np.arange(6.0)}).to_csv(tmp_path / "cat" / "one.csv", index=False)
    with pytest.raises(DataError, match="2 of 6 rows differ"):
        read_score_dir(tmp_path, series)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scores, _ = read_score_dir(tmp_path, series, match="rows")
    np.testing.assert_array_equal(scores["cat/one"], np.arange(6.0))
    assert len(caught) == 1
    assert "one.csv" in str(caught[0].message) and "2 of 6 rows" in str(caught[0].message)
    with pytest.raises(ValueError, match="--match"):
        read_score_dir(tmp_path, series, match="nearest")


def test_17_extra_match_rows_rescores_a_nab_folder_exactly(
    tmp_path: Path,
    nab_mirror: Path,
    nab_reference: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    """A stored NAB output with rows from another version of the data: refused by default; with ``--match rows``
    NAB's own number, as NAB's scorer reads rows by position."""
    monkeypatch.setenv("BENCH_NAB_SOURCE", str(nab_mirror))
    root = tmp_path / "numenta"
    shutil.copytree(nab_reference / "numenta", root)
    path = root / "realKnownCause" / "numenta_machine_temperature_system_failure.csv.gz"
    frame = pd.read_csv(path)
    frame.loc[100:121, "timestamp"] = "2013-12-31 00:00:00"  # 22 rows whose timestamps differ
    frame.to_csv(path, index=False, compression="gzip")
    argv = ["evaluate", "--dataset", "nab", "--scores", str(root), "--format", "json", "--data-dir", str(tmp_path)]
    assert main([*argv, "-q"]) == 2
    assert "22 of 22695 rows differ" in capsys.readouterr().err
    assert main([*argv, "-q", "--match", "rows"]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("warning:") == 1 and "22 of 22695 rows" in captured.err and path.name in captured.err
    expected = json.loads((nab_reference / "expected.json").read_text())["numenta"]
    got = json.loads(captured.out)
    for profile, want in expected.items():
        assert got[profile]["normalised_score"] == pytest.approx(want["normalised_score"], abs=1e-9)


def test_17_20_b_a_non_finite_stored_score_is_named(run_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _score_files(run_dir)[1]
    task = _task_of(run_dir, path)
    record = json.loads(task.read_text())
    del record["scores_sha256"]
    task.write_text(json.dumps(record))
    scores = np.load(path)
    scores[7] = np.nan
    np.save(path, scores)
    assert main(["evaluate", "--run", str(run_dir), "-q"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "not a finite number at data row 8" in err and "Delete the file" in err
    path.unlink()  # as the message says
    assert _run(run_dir) == 0
    assert main(["evaluate", "--run", str(run_dir), "-q", "--name", "again"]) == 0
