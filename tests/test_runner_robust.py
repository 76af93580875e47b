"""The runner under stress: concurrent writers, SIGKILL and resume, misbehaving detectors, stale code, bad input."""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bench import registry
from bench.cli import main
from bench.report.textable import markdown_escape
from bench.results import new_run_id, read_metrics

TESTS = Path(__file__).resolve().parent
COST = ("fit_seconds", "score_seconds", "us_per_point")
SMALL = ["--dataset", "yahoo-synth", "--param", "yahoo-synth.n_series=4", "--param", "yahoo-synth.length=400"]


@pytest.fixture(autouse=True)
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.DATASETS, "tiny", registry.DatasetEntry("tiny", "_plugins:tiny"))


def run(out: Path, *extra: str) -> int:
    return main(["run", "--dataset", "tiny", "--out", str(out), "-q", "--no-baselines", *extra])


def records(out: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(p.read_text()) for p in sorted((out / "tasks").rglob("*.json"))]


def bench_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench", *args]


def env(**extra: str) -> dict[str, str]:
    e = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]), **extra}
    return e


def comparable(out: Path) -> pd.DataFrame:
    m = read_metrics(out / "metrics.csv")
    return m[~m.metric.isin(COST)].reset_index(drop=True)


# --------------------------------------------------------------------------- one run, one folder, one writer
HOLD_LOCK = (
    "import sys; from bench.results import RunLock; lock = RunLock(sys.argv[1]).acquire(); "
    "print('locked', flush=True); sys.stdin.read()"
)


def test_a_second_writer_is_refused_and_a_dead_writers_lock_is_taken_over(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    assert run(out, "--detector", "zscore") == 2
    err = capsys.readouterr().err
    assert "is being written by another bench process" in err and f"pid {holder.pid}" in err
    holder.kill()  # killed, not released: the OS drops its lock, the file stays
    holder.wait()
    assert (out / ".lock").exists()
    assert run(out, "--detector", "zscore") == 0


def test_concurrent_runs_without_out_get_their_own_folders(tmp_path: Path) -> None:
    results = tmp_path / "results"
    procs = [
        subprocess.Popen(
            bench_cmd("run", "--detector", "zscore", "--param", f"zscore.window_size={w}", *SMALL, "-q")
            + ["--results-dir", str(results), "--no-baselines"],
            env=env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in (10, 20, 40)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0], [p.stderr.read() for p in procs if p.stderr]
    folders = sorted(results.iterdir())
    assert len(folders) == 3
    windows = {json.loads((f / "config.json").read_text())["detectors"][0]["params"]["window_size"] for f in folders}
    assert windows == {10, 20, 40}
    aucs = {
        read_metrics(f / "metrics.csv").query("aggregate == 'mean' and metric == 'auc_pr'").value.item()
        for f in folders
    }
    assert len(aucs) == 3, "each run reports its own numbers"


def test_run_ids_are_unique() -> None:
    ids = {new_run_id(["lstm"], ["nab"]) for _ in range(2000)}
    assert len(ids) == 2000


def test_out_on_a_folder_that_is_not_a_run_is_refused_and_left_alone(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "summary.md").write_text("my notes")
    assert run(mine, "--detector", "zscore") == 2
    assert "is not a bench run folder" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["summary.md"] and (mine / "summary.md").read_text() == "my notes"


def test_files_get_the_users_umask(tmp_path: Path) -> None:
    out = tmp_path / "r"
    cmd = " ".join(bench_cmd("run", "--detector", "zscore", *SMALL, "--out", str(out), "-q", "--no-baselines"))
    subprocess.run(["sh", "-c", f"umask 027 && {cmd}"], env=env(), check=True, timeout=300)
    modes = {stat.S_IMODE(p.stat().st_mode) for p in out.rglob("*") if p.is_file() and p.name != ".lock"}
    assert modes == {0o640}


# --------------------------------------------------------------------------- nothing lost, nothing stale
@pytest.mark.parametrize("kill_at", [1, 3, 6])
def test_sigkill_at_any_task_then_resume_equals_an_uninterrupted_run(tmp_path: Path, kill_at: int) -> None:
    args = ["run", "--detector", "_plugins:Barrier,zscore", *SMALL, "--seeds", "0,1", "-q", "--jobs", "1"]
    full = tmp_path / "full"
    subprocess.run(bench_cmd(*args[1:], "--out", str(full)), env=env(), check=True, timeout=300)
    out, fifo = tmp_path / "killed", tmp_path / "fifo"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        bench_cmd(*args[1:], "--out", str(out)),
        env=env(BENCH_TEST_BARRIER=str(fifo), BENCH_TEST_BARRIER_AT=str(kill_at)),
    )
    with open(fifo) as fh:  # returns once the run is inside its kill_at-th Barrier task
        assert fh.read() == "inside\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # no task after it is stored; the tasks before it that share its batch (issue 19: small tasks travel and are
    # stored in batches) or whose batch the runner was still writing are not either, and the resume runs them
    assert len(list((out / "tasks").rglob("*.json"))) <= kill_at - 1
    (out / ".metrics.csv.123.part").write_text("half")  # as a write cut by SIGKILL leaves it
    subprocess.run(bench_cmd(*args[1:], "--out", str(out)), env=env(), check=True, timeout=300)
    assert not list(out.rglob("*.part")), "partial files are cleaned"
    pd.testing.assert_frame_equal(comparable(out), comparable(full))
    for p in (full / "scores").rglob("*.npy"):
        assert (out / p.relative_to(full)).read_bytes() == p.read_bytes()


PLUGIN = """
import numpy as np
OFFSET = {offset}
with open({counter!r}, "a") as fh:
    pass

class Det:
    def __init__(self, seed=0):
        self.seed = seed
    def get_params(self):
        return {{"seed": self.seed}}
    def fit(self, X):
        with open({counter!r}, "a") as fh:
            fh.write("fit\\n")
        return self
    def score(self, X):
        return np.abs(np.asarray(X)).max(axis=1) + OFFSET
"""


def test_changed_detector_code_invalidates_its_cached_tasks(tmp_path: Path) -> None:
    counter = tmp_path / "fits.txt"
    module = tmp_path / "mydet.py"
    out = tmp_path / "r"
    cmd = bench_cmd("run", "--detector", "mydet:Det", *SMALL, "--out", str(out), "-q", "--no-baselines")
    e = env(PYTHONPATH=os.pathsep.join([str(tmp_path), str(TESTS)]))

    def fits_after_run() -> int:
        counter.write_text("")
        subprocess.run(cmd, env=e, check=True, timeout=300)
        return counter.read_text().count("fit")

    module.write_text(PLUGIN.format(offset=0.0, counter=str(counter)))
    assert fits_after_run() == 4
    assert fits_after_run() == 0, "same code: everything reused"
    module.write_text(PLUGIN.format(offset=1.0, counter=str(counter)))
    assert fits_after_run() == 4, "changed code: nothing stale is served"
    sessions = json.loads((out / "config.json").read_text())["sessions"]
    assert len(sessions) == 3 and all("git_commit" in s for s in sessions)  # every session kept, none rewritten


def test_force_recomputes_and_retry_failed_reruns_only_failures(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import _plugins

    out = tmp_path / "r"
    monkeypatch.setenv("BENCH_TEST_FAIL", "1")
    assert run(out, "--detector", "_plugins:FailWhenAsked,_plugins:AbsDetector") == 3
    assert len(pd.read_csv(out / "failures.csv")) == 3
    assert run(out, "--detector", "_plugins:FailWhenAsked,_plugins:AbsDetector") == 3  # failures are final per key
    monkeypatch.delenv("BENCH_TEST_FAIL")
    _plugins.CALLS.clear()
    assert main(["run", "--retry-failed", str(out), "-q"]) == 0
    assert _plugins.CALLS == [], "only the failed tasks ran again"
    assert pd.read_csv(out / "failures.csv").empty
    assert run(out, "--detector", "_plugins:FailWhenAsked,_plugins:AbsDetector", "--force") == 0
    assert len(_plugins.CALLS) == 3, "--force recomputes everything"
    assert "--retry-failed" in capsys.readouterr().err  # the failed run said how to retry


def test_evaluate_run_refuses_a_run_with_a_missing_task_record(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r"
    assert run(out, "--detector", "zscore") == 0
    next((out / "tasks").rglob("s1.json")).unlink()
    assert main(["evaluate", "--run", str(out), "-q"]) == 2
    assert "1 of 3 tasks" in capsys.readouterr().err  # the bug: silently scored 2 of 3 series


# --------------------------------------------------------------------------- failures isolated, visible, counted
@pytest.mark.parametrize(
    ("detector", "jobs", "kind", "message"),
    [
        ("_plugins:CrashOnLongDetector", "1", "exception", "ZeroDivisionError"),
        ("_plugins:NaNOnLong", "1", "invalid_output", "non-finite"),
        ("_plugins:WrongLengthOnLong", "1", "invalid_output", "shape (699,)"),
        ("_plugins:HangOnLong", "1", "timeout", "timed out after 3 s"),
        ("_plugins:HangOnLong", "2", "timeout", "timed out after 3 s"),
        ("_plugins:SegfaultOnLong", "2", "crash", "SIGSEGV"),
        ("_plugins:ExitOnLong", "2", "crash", "exit"),
    ],
)
def test_a_misbehaving_detector_fails_alone(tmp_path: Path, detector: str, jobs: str, kind: str, message: str) -> None:
    out = tmp_path / "r"
    code = run(out, "--detector", f"{detector},zscore", "--jobs", jobs, "--task-timeout", "3", "--seeds", "0,1")
    assert code == 3
    failures = pd.read_csv(out / "failures.csv")
    assert failures[["series", "failure"]].values.tolist() == [["s2", kind], ["s2", kind]]
    assert message in failures.error.iloc[0]
    ok = [r for r in records(out) if r["status"] == "ok"]
    assert len(ok) == 10, "every other task of both detectors finished"
    summary = (out / "summary.md").read_text()
    assert f"| tiny | {markdown_escape(detector)} (4/6) |" in summary and "| tiny | zscore |" in summary
    m = read_metrics(out / "metrics.csv")
    assert set(m[(m.detector == detector) & (m["aggregate"] == "")].series) == {"s0", "s1"}


def test_fail_fast_stops_at_the_first_failure(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r"
    code = run(out, "--detector", "_plugins:CrashOnLongDetector,zscore", "--fail-fast", "--jobs", "1")
    assert code == 3
    assert "--fail-fast" in capsys.readouterr().err
    assert len(records(out)) == 3, "nothing ran after the failed task"


def test_nab_corpus_score_is_not_computed_on_an_incomplete_corpus(
    tmp_path: Path, nab_mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_NAB_SOURCE", str(nab_mirror))
    out = tmp_path / "r"
    code = main(
        ["run", "--dataset", "nab", "--data-dir", str(tmp_path / "d"), "--series", "artificialWithAnomaly/*"]
        + ["--detector", "_plugins:CrashOnLongDetector,zscore", "--out", str(out), "-q", "--no-baselines"]
    )
    assert code == 3  # artificialWithAnomaly series have 4032 points: CrashOnLong fails on all 6
    m = read_metrics(out / "metrics.csv")
    corpus = m[m["aggregate"] == "corpus"]
    assert set(corpus.detector) == {"zscore"}, "no NAB score for a detector that failed on part of the corpus"
    assert "no corpus-level score (nab) on an incomplete corpus" in (out / "summary.md").read_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--detector", "zscore", "--param", "zscore.window_size=-5"], "zscore: ZScoreDetector: window_size must be"),
        (["--detector", "zscore", "--task-timeout", "0"], "--task-timeout must be"),
        (["--detector", "zscore", "--scheduler", "127.0.0.1:8786"], "--scheduler must be a Dask scheduler address"),
    ],
)
def test_bad_parameters_are_caught_before_any_task_runs(tmp_path: Path, argv: list[str], message: str, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r"
    assert run(out, *argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not (out / "tasks").exists()


def test_a_full_disk_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import bench.results

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(bench.results.os, "fsync", full)
    assert run(tmp_path / "r", "--detector", "zscore") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device" in err[0] and "Cannot write" in err[0]


# --------------------------------------------------------------------------- beyond one machine
def test_an_unreachable_dask_scheduler_is_caught_before_any_task_runs(tmp_path: Path, dask_installed, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r"
    assert run(out, "--detector", "zscore", "--backend", "dask", "--scheduler", "tcp://127.0.0.1:1") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Cannot reach" in err[0], err
    assert not (out / "tasks").exists()


def test_a_local_dask_cluster_gives_the_local_results(tmp_path: Path, dask_installed) -> None:  # type: ignore[no-untyped-def]
    args = ("--detector", "zscore,random,_plugins:AbsDetector", "--seeds", "0,1")
    assert run(tmp_path / "local", *args, "--jobs", "1") == 0
    assert run(tmp_path / "dask", *args, "--backend", "dask", "--jobs", "2") == 0
    local = sorted(p.relative_to(tmp_path / "local") for p in (tmp_path / "local" / "scores").rglob("*.npy"))
    remote = sorted(p.relative_to(tmp_path / "dask") for p in (tmp_path / "dask" / "scores").rglob("*.npy"))
    assert local == remote and len(local) == 18
    for rel in local:
        assert (tmp_path / "local" / rel).read_bytes() == (tmp_path / "dask" / rel).read_bytes()
    pd.testing.assert_frame_equal(comparable(tmp_path / "local"), comparable(tmp_path / "dask"))
    sessions = json.loads((tmp_path / "dask" / "config.json").read_text())["sessions"]
    assert sessions[-1]["backend"] == "local dask cluster of 2 workers"
    # resume works the same: nothing left to do
    assert run(tmp_path / "dask", *args, "--backend", "dask", "--jobs", "2") == 0
