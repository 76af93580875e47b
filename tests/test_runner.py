"""The runner and results store: crash isolation, resume, atomic files, recorded configuration."""

from __future__ import annotations

import json
from pathlib import Path

import _plugins
import numpy as np
import pandas as pd
import pytest

from bench import registry
from bench.cli import main
from bench.errors import OutputError
from bench.results import atomic_open, read_metrics


@pytest.fixture(autouse=True)
def tiny_dataset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.DATASETS, "tiny", registry.DatasetEntry("tiny", "_plugins:tiny"))


def run(out: Path, *extra: str) -> int:
    return main(["run", "--dataset", "tiny", "--out", str(out), "-q", "--no-baselines", *extra])


def test_crash_on_one_series_is_recorded_and_the_run_goes_on(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(tmp_path / "r", "--detector", "_plugins:CrashOnLongDetector") == 3  # some tasks failed
    tasks = sorted((tmp_path / "r" / "tasks").rglob("*.json"))
    records = [json.loads(p.read_text()) for p in tasks]
    assert [r["status"] for r in records] == ["ok", "ok", "failed"]
    assert "ZeroDivisionError: simulated detector bug" in records[2]["error"]
    assert "Traceback" in records[2]["traceback"]
    summary = (tmp_path / "r" / "summary.md").read_text()
    assert "Failed tasks (1)" in summary and "tiny/s2" in summary
    assert "| tiny | \\_plugins:CrashOnLongDetector (2/3) |" in summary  # the row says it is incomplete (escaped _)
    failures = pd.read_csv(tmp_path / "r" / "failures.csv")
    assert failures[["series", "failure"]].values.tolist() == [["s2", "exception"]]
    assert "ZeroDivisionError" in failures.error.item()
    assert "failed on tiny/s2" in capsys.readouterr().err
    metrics = read_metrics(tmp_path / "r" / "metrics.csv")
    assert set(metrics[metrics.series.str.startswith("s")].series) == {"s0", "s1"}


def test_rerun_resumes_only_missing_tasks(tmp_path: Path) -> None:
    out = tmp_path / "r"
    _plugins.CALLS.clear()
    assert run(out, "--detector", "_plugins:AbsDetector") == 0
    assert len(_plugins.CALLS) == 3
    task = next((out / "tasks").rglob("s1.json"))
    task.unlink()  # as if the run had been killed before s1 finished
    before = {p.name: p.read_bytes() for p in (out / "scores").rglob("*.npy")}
    _plugins.CALLS.clear()
    assert run(out, "--detector", "_plugins:AbsDetector") == 0
    assert len(_plugins.CALLS) == 1, "only the unfinished series runs again"
    after = {p.name: p.read_bytes() for p in (out / "scores").rglob("*.npy")}
    assert before == after


def test_rerun_with_other_options_is_refused(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r"
    assert run(out, "--detector", "_plugins:AbsDetector") == 0
    assert run(out, "--detector", "_plugins:AbsDetector", "--param", "_plugins:AbsDetector.offset=1.5") == 2
    assert "already holds a different run" in capsys.readouterr().err


def test_config_records_parameters_versions_and_commit(tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert (
        run(out, "--detector", "_plugins:AbsDetector", "--seeds", "3,4", "--param", "_plugins:AbsDetector.offset=0.25")
        == 0
    )
    config = json.loads((out / "config.json").read_text())
    assert config["detectors"] == [
        {"name": "_plugins:AbsDetector", "alias": "_plugins:AbsDetector", "params": {"offset": 0.25}, "post": []}
    ]
    assert config["resolved"][0]["params"] == {"offset": 0.25} and config["resolved"][0]["seed_param"] == "seed"
    assert config["seeds"] == [3, 4]
    env = config["sessions"][-1]
    assert env["packages"]["numpy"] and env["packages"]["bench"] and "git_commit" in env
    assert len(list((out / "scores").rglob("*.npy"))) == 6  # 3 series x 2 seeds


def test_same_seed_gives_byte_identical_scores(tmp_path: Path) -> None:
    args = (
        "--detector",
        "lstm",
        "--param",
        "lstm.epochs=2",
        "--param",
        "lstm.window_size=10",
        "--param",
        "lstm.hidden_size=8",
        "--series",
        "s0",
        "--param",
        "lstm.device=cpu",
    )
    assert run(tmp_path / "a", *args) == 0
    assert run(tmp_path / "b", *args) == 0
    a = next((tmp_path / "a" / "scores").rglob("*.npy")).read_bytes()
    b = next((tmp_path / "b" / "scores").rglob("*.npy")).read_bytes()
    assert a == b


def test_atomic_open_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "x.csv"
    with pytest.raises(RuntimeError), atomic_open(target) as fh:
        fh.write("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_unwritable_out_is_one_clear_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert run(blocker / "run", "--detector", "_plugins:AbsDetector") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: Cannot write") and "--out" in err[0]
    with pytest.raises(OutputError):
        main(
            [
                "run",
                "--dataset",
                "tiny",
                "--out",
                str(blocker / "run"),
                "-q",
                "--debug",
                "--detector",
                "_plugins:AbsDetector",
                "--no-baselines",
            ]
        )


def test_plugin_that_is_not_a_detector_is_refused(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(tmp_path / "r", "--detector", "_plugins:NotADetector") == 2
    assert "does not implement the detector interface" in capsys.readouterr().err


def test_series_without_anomalies_are_left_out_of_means_but_count_when_pooled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(registry.DATASETS, "mixed", registry.DatasetEntry("mixed", "_plugins:mixed"))
    out = tmp_path / "r"
    assert (
        main(
            [
                "run",
                "--dataset",
                "mixed",
                "--out",
                str(out),
                "-q",
                "--no-baselines",
                "--detector",
                "_plugins:AbsDetector",
                "--threshold",
                "quantile:0.9",
            ]
        )
        == 0
    )
    m = read_metrics(out / "metrics.csv").set_index(["series", "aggregate", "metric"]).value
    assert np.isnan(m[("clean", "", "f1")]) and np.isnan(m[("clean", "", "recall")])
    assert m[("clean", "", "alarms")] > 0  # the quantile threshold flags 10% of the clean series
    assert m[("", "mean", "f1")] == m[("spiky", "", "f1")]  # mean over the series where F1 is defined
    # pooled precision counts the clean series' alarms as false positives
    assert m[("", "pooled", "precision")] < m[("spiky", "", "precision")]


def test_worker_processes_give_the_same_results_as_one_process(tmp_path: Path) -> None:
    args = ("--detector", "zscore,_plugins:AbsDetector", "--seeds", "0,1")
    assert run(tmp_path / "one", *args, "--jobs", "0") == 0  # in this process
    assert run(tmp_path / "two", *args, "--jobs", "2") == 0
    one = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one" / "scores").rglob("*.npy"))
    two = sorted(p.relative_to(tmp_path / "two") for p in (tmp_path / "two" / "scores").rglob("*.npy"))
    assert one == two and len(one) == 12
    for rel in one:
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes()
