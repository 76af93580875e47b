"""RunConfig: exact saved form, flags and experiment files meaning the same run, parameter typing, the seed rule."""

from __future__ import annotations

import json
from pathlib import Path

import _plugins
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import experiment, registry
from bench.cli import main
from bench.config import DatasetSpec, DetectorSpec, PostSpec, RunConfig
from bench.errors import BenchError
from bench.metrics import catalog, thresholds
from bench.results import read_metrics

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**62), max_value=2**62),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=6)
params = st.dictionaries(st.text(min_size=1, max_size=10), values, max_size=4)
names = st.text(min_size=1, max_size=15)
strategies = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(thresholds.Fixed),
    st.floats(min_value=0, max_value=1).map(thresholds.Quantile),
    st.floats(allow_nan=False, allow_infinity=False).map(thresholds.TrainMeanStd),
)
configs = st.builds(  # every config `bench run` can save: at least one detector, dataset, seed and family
    RunConfig,
    detectors=st.lists(
        st.builds(
            DetectorSpec,
            name=names,
            params=params,
            alias=st.text(max_size=15),
            post=st.lists(st.builds(PostSpec, name=names, params=params), max_size=2).map(tuple),
        ),
        min_size=1,
        max_size=3,
    ).map(tuple),
    datasets=st.lists(st.builds(DatasetSpec, name=names, options=params), min_size=1, max_size=3).map(tuple),
    seeds=st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=1, max_size=4, unique=True).map(tuple),
    threshold=strategies,
    metrics=st.lists(st.sampled_from(sorted(catalog.FAMILIES)), min_size=1, max_size=4, unique=True).map(tuple),
    series=st.one_of(st.none(), st.text(max_size=20)),
    baselines=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(configs)
def test_run_config_json_round_trip_is_exact(config: RunConfig) -> None:
    again = RunConfig.from_json(config.to_json())
    assert again == config
    assert again.to_json() == config.to_json()


def test_flags_and_experiment_file_build_the_same_config(tmp_path: Path) -> None:
    flags = experiment.from_flags(
        detector="lstm,zscore",
        dataset="yahoo-synth",
        params=["lstm.window_size=20,50", "lstm.epochs=10", "yahoo-synth.n_series=5", "zscore.window_size=30"],
        seeds="0,1,2",
        threshold="quantile:0.99",
        metrics="auc,vus,point",
        series="synth_00*",
    )
    exp = tmp_path / "exp.toml"
    exp.write_text(
        """
seeds = [0, 1, 2]
threshold = "quantile:0.99"
metrics = ["auc", "vus", "point"]
series = "synth_00*"

[[dataset]]
name = "yahoo-synth"
options = { n_series = 5 }

[[detector]]
name = "lstm"
params = { window_size = [20, 50], epochs = 10 }

[[detector]]
name = "zscore"
params = { window_size = 30 }
"""
    )
    from_file = experiment.read(exp)
    assert from_file == flags
    assert [d.alias for d in flags.rows] == [
        "lstm[window_size=20,epochs=10]",
        "lstm[window_size=50,epochs=10]",
        "zscore",
        "random",
        "null",
    ]
    assert flags.detectors[0].params == {"window_size": 20, "epochs": 10}


MINIMAL = '[[detector]]\nname = "zscore"\n[[dataset]]\nname = "yahoo-synth"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('seeds = [0]\n[[detectr]]\nname = "lstm"\n', r"exp.toml:2: unknown key 'detectr' in the file. Valid: seeds"),
        ('[[detector]]\nname = "lstm"\nparam = { epochs = 2 }\n', r"exp.toml:3: unknown key 'param' in detector 1"),
        ('[[detector]]\nname = "lstm"\n\nparams = { epoch = 2 }\n', r"exp.toml:4: .*no parameter 'epoch'. Valid:"),
        (
            '[[detector]]\nname = "lstm"\nparams = { epochs = "2" }\n',
            r"exp.toml:3: lstm.epochs='2': expected an integer",
        ),
        ('[[dataset]]\nname = "yahoo-synth"\noptions = { n_seris = 2 }\n', r":3: .*no parameter 'n_seris'"),
        ('[[detector]]\nname = "random"\nparams = { seed = 4 }\n', r"random.seed is set by the run's seed"),
        ("seeds = [0, 0]\n" + MINIMAL, "seed listed twice"),
        ('threshold = "fixed:nan"\n' + MINIMAL, "finite"),
        ('metrics = ["auc", "f2"]\n' + MINIMAL, "Unknown metric 'f2'"),
        ('baselines = "no"\n' + MINIMAL, "exp.toml:1: baselines must be bool"),
        ("seeds = [\n", "not valid TOML"),
    ],
)
def test_experiment_file_errors_name_file_line_and_valid_keys(tmp_path: Path, text: str, message: str) -> None:
    exp = tmp_path / "exp.toml"
    exp.write_text(text)
    with pytest.raises(BenchError, match=message):
        experiment.read(exp)


def test_param_values_are_typed_by_annotation() -> None:
    config = experiment.from_flags(detector="iforest", dataset="yahoo-synth", params=["iforest.max_samples=256"])
    assert config.detectors[0].params == {"max_samples": 256}  # the bug: the string "256", then refused
    config = experiment.from_flags(detector="iforest", dataset="yahoo-synth", params=["iforest.max_samples=auto"])
    assert config.detectors[0].params == {"max_samples": "auto"}
    config = experiment.from_flags(detector="lstm", dataset="yahoo-synth", params=["lstm.dropout=0"])
    assert config.detectors[0].params["dropout"] == 0.0 and isinstance(config.detectors[0].params["dropout"], float)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--param", "random.seed=42"], "random.seed is set by the run's seed; use --seed"),
        (["--seeds", "1,x"], "'x' is not an integer"),
        (["--seeds", ","], "no seed given"),
        (["--seeds", "-1"], "integers from 0 to 4294967295"),
        (["--jobs", "-1"], "--jobs must be an integer >= 1"),
        (["--threshold", "fixed:nan"], "finite"),
        (["--detector", "lstm+"], "NAME+POSTPROCESSOR"),
        (["--config", "exp.toml", "--detector", "zscore"], "drop --detector"),
    ],
)
def test_bad_run_flags_are_one_line_errors(argv: list[str], message: str, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "exp.toml").write_text('[[detector]]\nname = "zscore"\n[[dataset]]\nname = "yahoo-synth"\n')
    argv = [a if a != "exp.toml" else str(tmp_path / "exp.toml") for a in argv]
    assert main(["run", "--detector", "random", "--out", str(tmp_path / "r"), "-q", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.DATASETS, "tiny", registry.DatasetEntry("tiny", "_plugins:tiny"))


def _tasks(out: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(p.read_text()) for p in sorted((out / "tasks").rglob("*.json"))]


def test_grid_of_one_detector_coexists_and_resume_recomputes_only_changed_tasks(
    tmp_path: Path,
    tiny: None,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    out = tmp_path / "r"
    base = ["run", "--dataset", "tiny", "--out", str(out), "-q", "--no-baselines", "--detector", "_plugins:AbsDetector"]
    _plugins.CALLS.clear()
    assert main([*base, "--param", "_plugins:AbsDetector.offset=0,1"]) == 0
    assert len(_plugins.CALLS) == 6  # 2 parameter sets x 3 series
    assert len(list((out / "scores").iterdir())) == 2  # one folder per parameter set
    summary = (out / "summary.md").read_text()
    assert "| tiny | \\_plugins:AbsDetector[offset=0.0] |" in summary
    assert "| tiny | \\_plugins:AbsDetector[offset=1.0] |" in summary
    # changing one parameter set: refused without --update, then only its 3 tasks run
    assert main([*base, "--param", "_plugins:AbsDetector.offset=0,2"]) == 2
    assert "already holds a different run" in capsys.readouterr().err
    _plugins.CALLS.clear()
    assert main([*base, "--param", "_plugins:AbsDetector.offset=0,2", "--update"]) == 0
    assert len(_plugins.CALLS) == 3, "only the tasks of the changed parameter set are recomputed"
    metrics = read_metrics(out / "metrics.csv")
    assert set(metrics.detector) == {"_plugins:AbsDetector[offset=0.0]", "_plugins:AbsDetector[offset=2.0]"}
    _plugins.CALLS.clear()
    assert main([*base, "--param", "_plugins:AbsDetector.offset=0,2"]) == 0
    assert _plugins.CALLS == [], "a resumed identical run recomputes nothing"


def test_duck_typed_plugin_runs_end_to_end(tmp_path: Path, tiny: None) -> None:
    out = tmp_path / "r"
    argv = ["run", "--dataset", "tiny", "--out", str(out), "-q", "--detector", "_plugins:DuckDetector", "--seed", "7"]
    assert main([*argv, "--param", "_plugins:DuckDetector.scale=2"]) == 0
    records = [r for r in _tasks(out) if r["detector"] == "_plugins:DuckDetector"]
    assert [r["status"] for r in records] == ["ok"] * 3
    assert records[0]["params"] == {"scale": 2.0} and records[0]["seed"] == 7 and records[0]["seed_param"] == "seed"
    assert "| tiny | \\_plugins:DuckDetector |" in (out / "summary.md").read_text()


def test_unsafe_dataset_and_series_names_stay_inside_the_run_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(registry.DATASETS, "weird", registry.DatasetEntry("weird", "_plugins:weird"))
    out = tmp_path / "deep" / "r"
    assert main(["run", "--dataset", "weird", "--out", str(out), "-q", "--detector", "zscore"]) == 0
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(out in p.parents for p in written), "nothing is written outside the run folder"
    scores = list((out / "scores").rglob("*.npy"))
    assert len(scores) == 6  # 3 detectors x 2 series, none overwriting another
    assert not any(part in ("..", ".") for p in scores for part in p.relative_to(out).parts)


def test_evaluate_run_reads_the_saved_threshold_exactly(tmp_path: Path, tiny: None) -> None:
    out = tmp_path / "r"
    argv = ["run", "--dataset", "tiny", "--out", str(out), "-q", "--detector", "zscore", "--no-baselines"]
    assert main([*argv, "--threshold", "fixed:1234567.5"]) == 0
    assert main(["evaluate", "--run", str(out), "-q"]) == 0
    again = out / "evaluations" / "fixed-1234567.5"
    metrics = read_metrics(again / "metrics.csv")
    assert set(metrics[metrics.metric == "threshold"].value) == {1234567.5}  # the bug: 1234570.0
    assert "the fixed score 1234567.5" in (again / "summary.md").read_text()
    assert main(["evaluate", "--run", str(out), "-q", "--threshold", "quantile:0.5"]) == 0
    notes = (out / "evaluations" / "quantile-0.5" / "summary.md").read_text()
    assert "the 0.5 quantile" in notes and "mean + 3 std" not in notes  # the bug: always "mean + 3 std"
