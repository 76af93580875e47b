"""Typed task records and execution options: the on-disk JSON round trip, old records, and the pipeline's API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import experiment, registry
from bench.cli import main
from bench.errors import ParameterError
from bench.pipeline import RunOptions, run
from bench.records import TaskRecord
from bench.results import RunStore

PREVIOUS_RELEASE_OK = {  # a task record as the previous release wrote it (keys in its order)
    "key": "3f2a",
    "detector": "zscore",
    "params": {"window_size": 30},
    "seed": 0,
    "seed_param": None,
    "code_version": "9a1b",
    "dataset": "tiny",
    "series": "s0",
    "series_fingerprint": "ab12",
    "n_points": 100,
    "train_end": 40,
    "status": "ok",
    "fit_seconds": 0.5,
    "score_seconds": 0.25,
    "us_per_point": 2500.0,
    "n_warmup": 29,
    "epochs_run": None,
}


@pytest.fixture(autouse=True)
def tiny_dataset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.DATASETS, "tiny", registry.DatasetEntry("tiny", "_plugins:tiny"))


def test_a_previous_release_record_reads_back_and_writes_the_same_json() -> None:
    rec = TaskRecord.from_dict(PREVIOUS_RELEASE_OK)
    assert rec.ok and rec.n_warmup == 29 and rec.fit_seconds == 0.5 and rec.params == {"window_size": 30}
    assert rec.failure is None and rec.extra == {}
    assert list(rec.to_dict().items()) == list(PREVIOUS_RELEASE_OK.items()), "same keys, same order, same values"


def test_unknown_keys_are_kept_and_a_failed_record_has_no_cost_keys() -> None:
    saved = {**PREVIOUS_RELEASE_OK, "warmup_seconds": 0.1}
    assert TaskRecord.from_dict(saved).extra == {"warmup_seconds": 0.1}
    assert TaskRecord.from_dict(saved).to_dict() == saved
    failed = dict(list(PREVIOUS_RELEASE_OK.items())[:11])  # the identity keys
    failed.update(status="failed", failure="timeout", error="TaskTimeout: timed out after 3 s (--task-timeout)")
    rec = TaskRecord.from_dict(failed)
    assert not rec.ok and rec.failure == "timeout" and rec.fit_seconds is None
    assert rec.to_dict() == failed and "traceback" not in rec.to_dict()
    assert not TaskRecord.missing().ok


def test_records_a_run_writes_round_trip_exactly(tmp_path: Path) -> None:
    out = tmp_path / "r"
    argv = ["run", "--dataset", "tiny", "--out", str(out), "-q", "--no-baselines"]
    assert main([*argv, "--detector", "_plugins:CrashOnLongDetector"]) == 3
    saved = [json.loads(p.read_text()) for p in sorted((out / "tasks").rglob("*.json"))]
    records = [RunStore(out).read_task(p) for p in sorted((out / "tasks").rglob("*.json"))]
    assert [r.status for r in records if r is not None] == ["ok", "ok", "failed"]
    assert records[2] is not None and records[2].traceback and "ZeroDivisionError" in records[2].error
    for d, r in zip(saved, records, strict=True):
        assert r is not None and list(r.to_dict().items()) == list(d.items())


def test_a_json_file_that_is_not_a_record_reads_as_none(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text("[1, 2]")
    assert RunStore(tmp_path).read_task(path) is None
    path.write_text('{"key": "k"}')
    assert RunStore(tmp_path).read_task(path) is None


def test_pipeline_run_takes_a_config_a_store_and_options(tmp_path: Path) -> None:
    config = experiment.from_flags(detector="zscore", dataset="tiny", baselines=False)
    result = run(config, RunStore(tmp_path / "r"), RunOptions(jobs=1, in_flight=1))
    assert len(result.records) == 3 and all(isinstance(r, TaskRecord) and r.ok for r in result.records)
    assert [s.name for s in result.series] == ["s0", "s1", "s2"] and not result.failed
    session = json.loads((tmp_path / "r" / "config.json").read_text())["sessions"][-1]
    assert (session["command"], session["jobs"], session["backend"]) == ("run", 1, "1 worker process")


@pytest.mark.parametrize(
    "bad", [{"jobs": -1}, {"jobs": True}, {"task_timeout": -1.0}, {"in_flight": 0}], ids=["jobs", "bool", "tmo", "fly"]
)
def test_run_options_refuse_bad_values(bad: dict[str, object]) -> None:
    with pytest.raises(ParameterError):
        RunOptions(**bad)  # type: ignore[arg-type]


def test_in_flight_defaults_to_twice_the_workers_except_on_dask() -> None:
    assert RunOptions().in_flight_for(3) == 6
    assert RunOptions(backend="dask").in_flight_for(3) == 3
    assert RunOptions(scheduler="tcp://127.0.0.1:8786").in_flight_for(3) == 3
    assert RunOptions(in_flight=5).in_flight_for(3) == 5
