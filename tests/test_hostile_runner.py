"""Issue 17, the runner's hostile-input findings: scheduler addresses, worker counts, timeouts, crashes, retries, CI."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO_ROOT, require_extra

from bench import backends
from bench.backends import TaskTimeout, WorkerPool, make_executor
from bench.cli import main
from bench.errors import ParameterError

TESTS = Path(__file__).resolve().parent
SMALL = ["--dataset", "yahoo-synth", "--param", "yahoo-synth.n_series=2", "--param", "yahoo-synth.length=700"]


def bench_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench", *args]


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]), **extra}


# --------------------------------------------------------------------------- 13: --scheduler is checked first
@pytest.mark.parametrize("address", ["garbage", "tcp://[::1", "inproc://x", "tcp://host", "tcp://host:99999", ""])
def test_17_13_a_malformed_scheduler_address_is_one_line_and_exit_2(tmp_path: Path, address: str, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r"
    argv = ["run", "--detector", "zscore", *SMALL, "--out", str(out), "-q", "--no-baselines", "--scheduler", address]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert repr(address) in err[0] and "tcp://HOST:PORT" in err[0], err[0]
    assert not (out / "tasks").exists()


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:8786", "tls://sched.example.org:8786", "tcp://[::1]:8786"])
def test_17_13_well_formed_scheduler_addresses_pass_the_check(address: str) -> None:
    backends.check_scheduler(address)


def test_17_13_tls_without_tls_settings_is_one_line_and_exit_2(tmp_path: Path, dask_installed, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r"
    argv = ["run", "--detector", "zscore", *SMALL, "--out", str(out), "-q", "--no-baselines"]
    assert main([*argv, "--scheduler", "tls://127.0.0.1:1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Cannot reach the Dask scheduler at tls://127.0.0.1:1" in err[0], err


# --------------------------------------------------------------------------- 17: no more workers than tasks
def test_17_17_never_more_workers_than_tasks_and_none_before_a_task_needs_one() -> None:
    before = len(multiprocessing.active_children())
    context, width, where = make_executor(16, 2)
    with context as pool:
        assert (width, where) == (2, "2 worker processes")
        assert len(multiprocessing.active_children()) == before, "no worker starts before a task is submitted"
        assert pool.submit(pow, 2, 10).result(timeout=120) == 1024
        assert len(multiprocessing.active_children()) == before + 1, "one task, one worker"


def test_17_17_a_pool_of_no_workers_is_refused_rather_than_waiting_forever() -> None:
    with pytest.raises(ParameterError, match="at least one worker"):
        WorkerPool(0)


def test_17_17_jobs_far_beyond_the_cores_are_capped_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends.os, "cpu_count", lambda: 2)
    with pytest.warns(UserWarning, match=r"--jobs 1000 .*\(2 cores here\); using 8 worker processes"):
        context, width, _ = make_executor(1000, 20)
    with context:
        assert width == 8
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        context, width, _ = make_executor(8, 20)  # 4 per core: no warning
    with context:
        assert width == 8


# --------------------------------------------------------------------------- 19: the clock starts with the task
def _slowly(value: int) -> int:  # pragma: no cover - runs in a worker, while the task is unpickled
    time.sleep(2.0)  # stands for a slow import (a respawned worker importing torch on a busy machine)
    return value


class SlowToUnpickle:
    """An argument whose unpickling takes two seconds in the worker, as a first import would."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (_slowly, (self.value,))


def test_17_19_the_task_timeout_starts_when_the_worker_starts_the_task() -> None:
    with WorkerPool(1, task_timeout=1.0) as pool:
        assert pool.submit(abs, SlowToUnpickle(-3)).result(timeout=120) == 3
        assert pool.submit(abs, -4).result(timeout=120) == 4


def test_17_19_a_task_past_the_timeout_still_fails() -> None:
    with WorkerPool(1, task_timeout=1.0) as pool:
        with pytest.raises(TaskTimeout, match="timed out after 1 s"):
            pool.submit(time.sleep, 30).result(timeout=120)


# --------------------------------------------------------------------------- 28: optional extras skip or fail
def test_17_28_a_missing_extra_skips_locally_and_fails_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now raises ImportError
    with pytest.raises(pytest.skip.Exception, match=r"pip install -e '\.\[dask\]'"):
        require_extra("distributed", "dask", required=False)
    with pytest.raises(pytest.fail.Exception, match=r"pip install -e '\.\[dask\]'"):
        require_extra("distributed", "dask", required=True)
    monkeypatch.delitem(sys.modules, "distributed")
    require_extra("json", "none", required=True)  # installed: nothing happens


# --------------------------------------------------------------------------- 29: a crash never loses the run
@pytest.mark.parametrize("jobs", [["--jobs", "1"], []], ids=["jobs-1", "default-jobs"])
def test_17_29_a_crashing_detector_never_loses_the_run_with_one_job(tmp_path: Path, jobs: list[str]) -> None:
    out = tmp_path / "r"
    cmd = bench_cmd("run", "--detector", "_plugins:ExitOnLong,zscore", *SMALL, *jobs, "--out", str(out), "-q")
    proc = subprocess.run([*cmd, "--no-baselines"], env=env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 3, proc.stderr
    failures = pd.read_csv(out / "failures.csv")
    assert failures[["series", "failure"]].values.tolist() == [["synth_000", "crash"], ["synth_001", "crash"]]
    assert "exited with code 7" in failures.error.iloc[0]
    assert (out / "summary.md").exists()
    ok = [json.loads(p.read_text()) for p in (out / "tasks").rglob("*.json")]
    assert sorted(r["detector"] for r in ok if r["status"] == "ok") == ["zscore", "zscore"]


# --------------------------------------------------------------------------- 32: what --retry-failed reruns
FLAKY = """
import os
import numpy as np
VERSION = {version}

class _Counted:
    def __init__(self, seed=0):
        self.seed = seed
    def get_params(self):
        return {{"seed": self.seed}}
    def fit(self, X):
        with open({counter!r}, "a") as fh:
            fh.write(type(self).__name__ + "\\n")
        return self
    def score(self, X):
        return np.abs(np.asarray(X)).max(axis=1)

class Steady(_Counted):
    pass

class Flaky(_Counted):
    def fit(self, X):
        super().fit(X)
        if os.environ.get("BENCH_TEST_FAIL"):
            raise RuntimeError("asked to fail")
        return self
"""


def test_17_32_retry_failed_reruns_the_failed_tasks_and_those_whose_key_changed(tmp_path: Path) -> None:
    counter, module, out = tmp_path / "fits.txt", tmp_path / "flaky.py", tmp_path / "r"
    e = env(PYTHONPATH=os.pathsep.join([str(tmp_path), str(TESTS)]))
    first = bench_cmd("run", "--detector", "flaky:Flaky,flaky:Steady", *SMALL, "--out", str(out), "-q")

    def fits(cmd: list[str], code: int, **extra: str) -> list[str]:
        counter.write_text("")
        proc = subprocess.run(cmd, env={**e, **extra}, capture_output=True, text=True, timeout=300)
        assert proc.returncode == code, proc.stderr
        return sorted(counter.read_text().split())

    module.write_text(FLAKY.format(version=1, counter=str(counter)))
    assert fits([*first, "--no-baselines"], 3, BENCH_TEST_FAIL="1") == ["Flaky", "Flaky", "Steady", "Steady"]
    retry = bench_cmd("run", "--retry-failed", str(out), "-q")
    assert fits(retry, 0) == ["Flaky", "Flaky"], "same code: exactly the failed tasks"
    assert fits(retry, 0) == [], "nothing failed: nothing reruns"
    module.write_text(FLAKY.format(version=2, counter=str(counter)))
    assert fits(retry, 0) == ["Flaky", "Flaky", "Steady", "Steady"], "changed code: new keys, as on any resume"


# --------------------------------------------------------------------------- 33: README's test set-up is CI's
QUIET = {"--quiet", "-q", "-qq", "-y", "-p", "no:cacheprovider", ">/dev/null"}


def _ci_commands(script: str) -> list[str]:
    """Every install and test command of ``.ci/run``, without quotes and the flags that only quieten it."""
    commands = []
    for line in script.splitlines():
        for part in line.split("&&"):
            words = [w.strip("'\"") for w in part.split() if w not in QUIET]
            if words and words[0] != "#" and ("install" in part or "pytest" in part) and "--upgrade" not in words:
                commands.append(" ".join(words))
    return commands


def test_17_33_the_readme_test_setup_is_what_ci_runs() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    tests_section = re.search(r"^## Tests\n(.*?)^## ", readme, re.S | re.M)
    assert tests_section is not None
    text = " ".join(tests_section.group(1).replace("\\\n", " ").replace("'", "").split())
    commands = _ci_commands((REPO_ROOT / ".ci" / "run").read_text())
    assert len(commands) >= 7, commands
    missing = [c for c in commands if c not in text]
    assert not missing, f"README 'Tests' lacks what .ci/run does: {missing}"


def _forever(value: int) -> int:  # pragma: no cover - runs in a worker, while the task is unpickled
    import threading

    threading.Event().wait()  # an import that never finishes
    return value


class NeverUnpickles:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (_forever, (0,))


def test_17_19_a_task_that_never_finishes_loading_still_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "LOAD_SECONDS", 1.0)
    with WorkerPool(1, task_timeout=1.0) as pool:
        with pytest.raises(TaskTimeout, match="did not finish loading the task"):
            pool.submit(abs, NeverUnpickles()).result(timeout=120)
        assert pool.submit(abs, -5).result(timeout=120) == 5, "a fresh worker takes the next task"
