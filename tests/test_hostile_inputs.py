"""Hostile input is refused before any work, with one line and exit 2 (issue 17's input findings).

Each test names the finding it pins (17.N). A refusal must come before any
task runs, say what was wrong and the value received, and never show a
traceback; a reader that goes away (``| head``) must not turn into one either.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli import main
from bench.errors import BenchError

TINY = ["--param", "yahoo-synth.n_series=2", "--param", "yahoo-synth.length=100", "--plots", "none"]
"""Two series of 100 points (training parts of 30 points): a run of a few tasks."""

REPO_ROOT = Path(__file__).resolve().parent.parent


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error: ")
    return err


def _tiny_run(tmp_path: Path, *extra: str) -> Path:
    out = tmp_path / "run"
    assert main(["run", "--detector", "null", "--no-baselines", *TINY, "--out", str(out), "-q", *extra]) == 0
    return out


# --------------------------------------------------------------------------- 17.9 window longer than the data
def test_17_9_window_longer_than_the_series_is_refused_before_any_task(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    argv = ["run", "--detector", "zscore", "--param", "zscore.window_size=100000", *TINY, "--out", str(out), "-q"]
    assert main(argv) == 2
    err = _one_line_error(capsys)
    for part in ("zscore", "window_size=100000", "100001 points", "has 100", "constant"):
        assert part in err, err
    assert not (out / "scores").exists()  # refused before the first task


def test_17_9_rolling_detectors_need_one_scored_point_per_series() -> None:
    import numpy as np

    from bench.detectors.statistical import MADDetector, ZScoreDetector
    from bench.prepare import preflight

    for cls in (ZScoreDetector, MADDetector):
        det = cls(window_size=50)
        assert det.min_series_length() == 51 and det.min_length() == 1
        assert np.all(det.fit(np.arange(20.0)).score(np.arange(50.0)) == 0.0)  # 50 points: constant, hence refused
        assert np.ptp(det.fit(np.arange(20.0)).score(np.sin(np.arange(51.0)))) > 0  # a training part under w is fine
    from bench.config import DetectorSpec, build, dataset_spec
    from bench.series import Series

    config = build([DetectorSpec("zscore", {"window_size": 50})], [dataset_spec("yahoo-synth")])
    x = np.sin(np.arange(51.0))
    preflight(config, [Series("d", "ok", x, np.zeros(51, dtype=np.int8), train_end=10)])  # passes
    with pytest.raises(Exception, match="at least 51 points"):
        preflight(config, [Series("d", "short", x[:50], np.zeros(50, dtype=np.int8), train_end=10)])


def test_17_9_a_window_that_fits_still_runs(tmp_path: Path) -> None:
    out = tmp_path / "run"
    argv = ["run", "--detector", "zscore", "--param", "zscore.window_size=30", "--no-baselines", *TINY]
    assert main([*argv, "--out", str(out), "-q"]) == 0


# --------------------------------------------------------------------------- 17.10 hostile TOML
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[[dataset]]\nname = "yahoo-synth"\n[[detector]]\nname = "zscore"\npost = [1]\n', "post"),
        (
            '[[dataset]]\nname = "yahoo-synth"\n[[detector]]\nname = "zscore"\npost = ["likelihood"]\n'
            "post_params = { likelihood = 5 }\n",
            "post_params",
        ),
        ("a = " + "[" * 5000 + "]" * 5000 + "\n", "nested"),
        (b'seeds = [0]\n# caf\xe9 in latin-1\n[[dataset]]\nname = "yahoo-synth"\n', "UTF-8"),
    ],
    ids=["post-not-text", "post-params-not-a-table", "deep-nesting", "not-utf8"],
)
def test_17_10_toml_of_wrong_type_is_one_line(tmp_path: Path, capsys, body: str | bytes, expected: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "exp.toml"
    if isinstance(body, bytes):
        path.write_bytes(body)
    else:
        path.write_text(body, encoding="utf-8")
    assert main(["run", "--config", str(path), "--out", str(tmp_path / "run"), "-q"]) == 2
    err = _one_line_error(capsys)
    assert str(path) in err and expected in err, err


# --------------------------------------------------------------------------- 17.11 tampered config.json
@pytest.mark.parametrize(
    ("field", "value"),
    [("seeds", ["x"]), ("seeds", [0.5]), ("series", ["a"]), ("datasets", []), ("detectors", {}), ("metrics", "auc")],
)
def test_17_11_tampered_config_json_is_refused_naming_the_field(tmp_path: Path, capsys, field: str, value) -> None:  # type: ignore[no-untyped-def]
    out = _tiny_run(tmp_path)
    saved = json.loads((out / "config.json").read_text())
    saved[field] = value
    (out / "config.json").write_text(json.dumps(saved))
    capsys.readouterr()
    assert main(["evaluate", "--run", str(out), "-q"]) == 2
    err = _one_line_error(capsys)
    assert "config.json" in err and repr(field) in err, err


def test_17_11_from_dict_reads_back_what_to_dict_wrote() -> None:
    from bench.config import RunConfig
    from bench.experiment import from_flags

    config = from_flags(detector="zscore", dataset="yahoo-synth", seeds="0,4294967295", series="synth-00*")
    assert RunConfig.from_dict(config.to_dict()) == config


# --------------------------------------------------------------------------- 17.15 generator sizes
@pytest.mark.parametrize(
    ("param", "bound"),
    [("yahoo-synth.length=1000000000000", "10000000"), ("yahoo-synth.n_series=1000000000", "100000000")],
)
def test_17_15_generator_sizes_are_bounded(tmp_path: Path, capsys, param: str, bound: str) -> None:  # type: ignore[no-untyped-def]
    argv = ["run", "--detector", "null", "--no-baselines", "--param", param, "--out", str(tmp_path / "r"), "-q"]
    assert main(argv) == 2
    err = _one_line_error(capsys)
    assert f"{int(bound):,}" in err, err


# --------------------------------------------------------------------------- 17.16 a reader that leaves early
def _closed_reader(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m bench ARGV`` with its stdout pipe closed before it writes (``| head -0``)."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    return subprocess.CompletedProcess(argv, proc.wait(timeout=120), b"", err)


def test_17_16_list_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    done = _closed_reader(["list"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""


def test_17_16_run_into_a_closed_pipe_loses_nothing(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = _closed_reader(["run", "--detector", "null", "--no-baselines", *TINY, "--out", str(out), "-q"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr and b"BrokenPipe" not in done.stderr
    assert (out / "metrics.csv").is_file() and (out / "report.html").is_file()  # the work after printing happened


# --------------------------------------------------------------------------- 17.18 too many tasks
def test_17_18_a_huge_grid_is_refused_with_its_count_before_it_is_built(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    values = ",".join(str(v) for v in range(1, 1001))
    grid = ["--param", f"iforest.window_size={values}", "--param", f"iforest.n_estimators={values}"]
    assert main(["run", "--detector", "iforest", *grid, *TINY, "--out", str(tmp_path / "r"), "-q"]) == 2
    err = _one_line_error(capsys)
    assert "1,000,000" in err and "--max-tasks" in err and "100,000" in err, err


def test_17_18_many_series_are_counted_before_they_are_generated(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    argv = ["run", "--detector", "null", "--param", "yahoo-synth.n_series=60000", "--param", "yahoo-synth.length=100"]
    assert main([*argv, "--out", str(tmp_path / "r"), "-q"]) == 2  # null, random: 2 rows x 1 seed x 60,000 series
    err = _one_line_error(capsys)
    assert "120,000 tasks" in err and "60,000 series" in err and "--max-tasks" in err, err


def test_17_18_max_tasks_is_a_flag(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    argv = ["run", "--detector", "null", "--no-baselines", "--seeds", "0,1", *TINY, "--out", str(tmp_path / "r")]
    assert main([*argv, "-q", "--max-tasks", "3"]) == 2  # 1 row x 2 seeds x 2 series
    assert "4 tasks" in _one_line_error(capsys)
    assert main([*argv, "-q", "--max-tasks", "4"]) == 0


def test_17_18_max_tasks_must_be_positive(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["run", "--max-tasks", "0", "--out", str(tmp_path / "r"), "-q"]) == 2
    assert "--max-tasks" in _one_line_error(capsys)


# --------------------------------------------------------------------------- 17.21 seeds out of range
def test_17_21_seed_beyond_the_detectors_range_is_refused_before_running(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    argv = ["run", "--detector", "iforest", "--seeds", "4294967296", *TINY, "--out", str(tmp_path / "r"), "-q"]
    assert main(argv) == 2
    err = _one_line_error(capsys)
    assert "4294967296" in err and "4294967295" in err, err
    assert not (tmp_path / "r").exists()


def test_17_21_one_home_for_the_seed_range() -> None:
    from bench.config import check_seeds
    from bench.detectors.base import MAX_SEED
    from bench.detectors.iforest import IsolationForestDetector
    from bench.errors import ParameterError

    assert MAX_SEED == 2**32 - 1
    assert check_seeds([MAX_SEED]) == (MAX_SEED,)
    with pytest.raises(ParameterError, match=str(MAX_SEED)):
        check_seeds([MAX_SEED + 1])
    with pytest.raises(ParameterError, match=str(MAX_SEED)):
        IsolationForestDetector(seed=MAX_SEED + 1).check_params()


# --------------------------------------------------------------------------- 17.23 global options first
def test_17_23_global_options_work_before_the_command(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["-q", "list"]) == 0
    assert main(["--data-dir", str(tmp_path), "list"]) == 0
    assert main(["--data-dir", str(tmp_path), "datasets", "list"]) == 0
    capsys.readouterr()
    out = tmp_path / "run"
    assert main(["-q", "run", "--detector", "null", "--no-baselines", *TINY, "--out", str(out)]) == 0
    assert capsys.readouterr().err == ""  # -q before the command is honoured (no progress, no notes)


def test_17_23_global_options_keep_their_value_in_either_position() -> None:
    from bench.cli import parse

    for argv in (["-q", "--debug", "--data-dir", "D", "list"], ["list", "-q", "--debug", "--data-dir=D"]):
        args = parse(argv)
        assert (args.handler, args.quiet, args.debug, args.data_dir) == ("list", True, True, "D"), argv
    args = parse(["list"])
    assert (args.quiet, args.debug, args.data_dir) == (False, False, None)
    assert parse(["-q", "--seeds", "0,1"]).handler == "run"  # no command: the default run, as before
    assert parse(["--data-dir", "D", "datasets", "fetch", "nab"]).data_dir == "D"


def test_17_23_debug_before_the_command_shows_the_traceback(tmp_path: Path) -> None:
    with pytest.raises(BenchError):
        main(["--debug", "run", "--detector", "nope", "--out", str(tmp_path / "r")])


# --------------------------------------------------------------------------- 17.25 metrics that cannot apply
def test_17_25_run_with_a_dataset_specific_family_on_another_dataset_is_refused(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    argv = ["run", "--detector", "null", "--metrics", "nab", *TINY, "--out", str(tmp_path / "r"), "-q"]
    assert main(argv) == 2
    err = _one_line_error(capsys)
    assert "'nab'" in err and "yahoo-synth" in err and "--dataset nab" in err, err


def test_17_25_evaluate_with_a_family_that_applies_to_none_is_refused(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = _tiny_run(tmp_path)
    capsys.readouterr()
    assert main(["evaluate", "--run", str(out), "--metrics", "nab", "-q"]) == 2
    err = _one_line_error(capsys)
    assert "'nab'" in err and "yahoo-synth" in err, err
    assert not (out / "evaluations").exists()
