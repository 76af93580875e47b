"""Batches of small tasks (issue 19, item 3): the same results as one task at a time, failures still per task."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench import dispatch, evaluate, pipeline, registry
from bench.backends import WorkerPool
from bench.cli import main
from bench.config import DetectorSpec
from bench.detectors.base import Detector
from bench.dispatch import batches, run_tasks
from bench.evaluate import PerSeries
from bench.metrics.thresholds import DEFAULT, from_spec
from bench.results import RunStore, read_metrics
from bench.runfolder import read_config
from bench.runner import execute, execute_batch, make_task
from bench.series import Series

HERE = __name__  # plug-ins below are named f"{HERE}:Class"
COST = ("fit_seconds", "score_seconds", "us_per_point")


@pytest.fixture(autouse=True)
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.DATASETS, "tiny", registry.DatasetEntry("tiny", "_plugins:tiny"))


def tiny_series() -> list[Series]:
    from _plugins import tiny as make

    return list(make())  # s0, s1 of 600 points; s2 of 700 (the "long" one the _OnLong plug-ins misbehave on)


def comparable(out: Path) -> pd.DataFrame:
    m = read_metrics(out / "metrics.csv")
    return m[~m.metric.isin(COST)].reset_index(drop=True)


def records(out: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(p.read_text()) for p in sorted((out / "tasks").rglob("*.json"))]


def without_costs(record: dict) -> dict:  # type: ignore[type-arg]
    return {k: v for k, v in record.items() if k not in COST and not k.endswith("_sha256")}


# --------------------------------------------------------------------------- cutting the work into batches
def test_batches_keep_order_and_respect_both_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dispatch, "BATCH_POINTS", 1300)
    s = tiny_series()
    tasks = [make_task(DetectorSpec("zscore"), seed, x) for seed in range(4) for x in s]  # 600, 600, 700 points
    todo = list(range(len(tasks)))
    cut = batches(tasks, todo, in_flight=1)
    assert [i for b in cut for i in b] == todo  # every task once, in order
    assert all(sum(len(tasks[i].series) for i in b) <= 1300 or len(b) == 1 for b in cut)
    assert max(len(b) for b in cut) == 2  # 600 + 600 fit, 600 + 700 do not
    monkeypatch.setattr(dispatch, "BATCH_POINTS", 100)  # every series longer than a batch: each goes alone
    assert batches(tasks, todo, in_flight=1) == [[i] for i in todo]


def test_batches_leave_work_for_every_submission_slot() -> None:
    s = tiny_series()[:2]
    tasks = [make_task(DetectorSpec("zscore"), seed, x) for seed in range(20) for x in s]  # 40 small tasks
    cut = batches(tasks, list(range(40)), in_flight=4)
    assert len(cut) == 8 and {len(b) for b in cut} == {5}  # two batches per slot, not one big batch
    assert len(batches(tasks, list(range(40)), in_flight=100)) == 40


# --------------------------------------------------------------------------- same results, batched or not
def test_batched_run_equals_one_task_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["run", "--dataset", "tiny", "-q", "--no-baselines", "--detector", "zscore,iforest", "--seeds", "0,1"]
    assert main([*args, "--out", str(tmp_path / "batched"), "--jobs", "1"]) == 0
    monkeypatch.setattr(dispatch, "BATCH_TASKS", 1)
    assert main([*args, "--out", str(tmp_path / "single"), "--jobs", "1"]) == 0
    assert main([*args, "--out", str(tmp_path / "here"), "--jobs", "0"]) == 0
    batched, single, here = (records(tmp_path / n) for n in ("batched", "single", "here"))
    assert len(batched) == 12
    assert [without_costs(r) for r in batched] == [without_costs(r) for r in single] == [without_costs(r) for r in here]
    pd.testing.assert_frame_equal(comparable(tmp_path / "batched"), comparable(tmp_path / "single"))
    pd.testing.assert_frame_equal(comparable(tmp_path / "batched"), comparable(tmp_path / "here"))


def test_a_crash_inside_a_batch_fails_only_its_own_task(tmp_path: Path) -> None:
    s0, s1, s2 = tiny_series()
    spec = DetectorSpec("_plugins:SegfaultOnLong")
    tasks = [make_task(spec, 0, x) for x in (s0, s2, s1)]
    assert batches(tasks, [0, 1, 2], in_flight=1)[0] == [0, 1]  # the crash shares a batch with s0
    store = RunStore(tmp_path / "run")
    with WorkerPool(1, task_timeout=60.0) as pool:
        got = run_tasks(store, tasks, pool, in_flight=1)
    assert [r.status for r in got] == ["ok", "failed", "ok"]
    assert got[1].failure == "crash" and "SIGSEGV" in got[1].error
    alone, _ = execute(tasks[0])  # the same record as when it runs alone (its files' digests aside)
    assert without_costs(got[0].to_dict()) == without_costs(alone.to_dict())


def test_a_hung_task_inside_a_batch_times_out_alone(tmp_path: Path) -> None:
    s0, s1, s2 = tiny_series()
    tasks = [make_task(DetectorSpec("_plugins:HangOnLong"), 0, x) for x in (s0, s2, s1)]
    store = RunStore(tmp_path / "run")
    with WorkerPool(1, task_timeout=3.0) as pool:
        got = run_tasks(store, tasks, pool, in_flight=1, timeout=3.0)
    assert [(r.status, r.error) for r in got] == [
        ("ok", ""),
        ("failed", "TaskTimeout: timed out after 3 s (--task-timeout)"),  # the message of a task alone
        ("ok", ""),
    ]
    assert got[1].failure == "timeout"


# --------------------------------------------------------------------------- evaluation in the workers
def test_worker_evaluation_equals_the_last_stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["run", "--dataset", "tiny", "-q", "--no-baselines", "--detector", "zscore,zscore+likelihood"]
    assert main([*args, "--metrics", "auc,vus,point,pa,alarms", "--out", str(tmp_path / "workers"), "--jobs", "1"]) == 0
    monkeypatch.setattr(pipeline, "_raw_rows", lambda config: False)  # no worker evaluates: the last stage does
    assert main([*args, "--metrics", "auc,vus,point,pa,alarms", "--out", str(tmp_path / "parent"), "--jobs", "0"]) == 0
    assert all("metrics" in r for r in records(tmp_path / "workers"))
    assert not any("metrics" in r for r in records(tmp_path / "parent"))
    pd.testing.assert_frame_equal(comparable(tmp_path / "workers"), comparable(tmp_path / "parent"))


def test_worker_values_are_small_and_reused_only_for_the_same_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "run"
    assert main(["run", "--dataset", "tiny", "-q", "--no-baselines", "--detector", "zscore", "--out", str(out)]) == 0
    expected = PerSeries(DEFAULT, read_config(RunStore(out)).metrics).settings()
    for r in records(out):
        assert r["metrics"]["settings"] == expected
        assert len(json.dumps(r["metrics"])) < 2000  # values, not curves
    first = read_metrics(out / "metrics.csv")
    # a stored value is what the last stage reports for the same settings ...
    path = sorted((out / "tasks").rglob("s0.json"))[0]
    saved = json.loads(path.read_text())
    saved["metrics"]["values"]["vus_pr"] = 0.123
    path.write_text(json.dumps(saved))
    vus_s0 = lambda m: m[(m.metric == "vus_pr") & (m.series == "s0")].value.item()  # noqa: E731
    assert vus_s0(pipeline.evaluate_run(RunStore(out), name="same").metrics) == 0.123
    # ... and is computed again for another threshold, or by other metric code
    other = pipeline.evaluate_run(RunStore(out), threshold=from_spec("quantile:0.99"), name="other").metrics
    assert vus_s0(other) == vus_s0(first) != 0.123
    f1 = lambda m: m[(m.metric == "f1") & (m.series != "")].value.to_numpy()  # noqa: E731
    assert not np.array_equal(f1(first), f1(other))
    monkeypatch.setattr(evaluate, "metrics_code_version", lambda: "edited")
    assert vus_s0(pipeline.evaluate_run(RunStore(out), name="edited").metrics) == vus_s0(first)


# --------------------------------------------------------------------------- detectors that fit many series at once
class ManyMean(Detector):
    """|x - training mean|; ``fit_many`` fits a whole group in one call and says so."""

    calls: list[int] = []

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed

    def _fit(self, X):  # type: ignore[no-untyped-def]
        self.mean_ = X.mean(axis=0)

    def _score(self, X):  # type: ignore[no-untyped-def]
        return np.abs(X - self.mean_).max(axis=1)

    @classmethod
    def fit_many(cls, detectors, trains):  # type: ignore[no-untyped-def]
        cls.calls.append(len(detectors))
        for det, train in zip(detectors, trains, strict=True):
            det.fit(train)


class BrokenMany(ManyMean):
    @classmethod
    def fit_many(cls, detectors, trains):  # type: ignore[no-untyped-def]
        raise RuntimeError("no batched training today")


def test_fit_many_fits_a_batch_together_with_the_same_scores() -> None:
    ManyMean.calls.clear()
    tasks = [make_task(DetectorSpec(f"{HERE}:ManyMean"), 0, x) for x in tiny_series()]
    together = execute_batch(tasks)
    assert ManyMean.calls == [3]
    for t, (rec, scores) in zip(tasks, together, strict=True):
        alone_rec, alone = execute(t)
        assert rec.ok and np.array_equal(scores, alone)
    assert ManyMean.calls == [3]  # execute alone fits with fit


def test_a_failing_fit_many_falls_back_to_one_fit_per_task() -> None:
    tasks = [make_task(DetectorSpec(f"{HERE}:BrokenMany"), 0, x) for x in tiny_series()]
    got = execute_batch(tasks)
    assert all(rec.ok for rec, _ in got)
    assert [s.tolist() for _, s in got] == [execute(t)[1].tolist() for t in tasks]


# --------------------------------------------------------------------------- VUS, the costliest default metric
@pytest.mark.parametrize("seed", range(5))
def test_vus_in_chunks_of_buffer_lengths_equals_all_at_once(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    vus_module = importlib.import_module("bench.metrics.vus")  # the package exports the function under this name
    rng = np.random.default_rng(seed)
    y = np.zeros(500, np.int8)
    for start in rng.integers(0, 480, 4):
        y[start : start + rng.integers(1, 20)] = 1
    s = rng.random(500)
    whole = vus_module.vus(y, s)
    monkeypatch.setattr(vus_module, "CHUNK_ENTRIES", 1)  # one buffer length at a time, as the loop it replaced
    assert vus_module.vus(y, s) == whole
