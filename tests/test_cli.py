"""The command line end to end: yahoo-synth and a few NAB series, re-evaluation, errors, help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli import main
from bench.results import read_metrics

SMALL_LSTM = [
    "--param",
    "lstm.epochs=2",
    "--param",
    "lstm.window_size=20",
    "--param",
    "lstm.hidden_size=8",
    "--param",
    "lstm.device=cpu",
]
SMALL_YAHOO = ["--param", "yahoo-synth.n_series=3", "--param", "yahoo-synth.length=400"]


def test_run_on_yahoo_synth_writes_the_results_folder(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    assert main(["run", "--dataset", "yahoo-synth", *SMALL_YAHOO, *SMALL_LSTM, "--out", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    assert f"Results: {out}" in printed
    for det in ("lstm", "random", "null"):
        assert det in printed
    config = json.loads((out / "config.json").read_text())
    assert [d["alias"] for d in config["resolved"]] == ["lstm", "random", "null"]
    assert config["detectors"][0]["params"]["window_size"] == 20  # what the user set
    from bench.detectors.lstm import LSTMDetector

    defaults = LSTMDetector.default_params()
    assert config["resolved"][0]["params"]["num_layers"] == defaults["num_layers"]  # with every default filled in
    assert config["resolved"][0]["seed_param"] == "seed" and config["seeds"] == [0]
    assert config["datasets"] == [{"name": "yahoo-synth", "options": {"n_series": 3, "length": 400}}]
    metrics = read_metrics(out / "metrics.csv")
    assert list(metrics.columns) == ["dataset", "series", "aggregate", "detector", "seed", "metric", "value"]
    per_series = metrics[(metrics.detector == "lstm") & (metrics.metric == "f1") & (metrics["aggregate"] == "")]
    assert len(per_series) == 3 and per_series.value.between(0, 1).all()
    assert {"mean", "pooled", "total", "count"} <= set(metrics["aggregate"])
    assert set(metrics[metrics["aggregate"] != ""].series) == {""}
    assert {"fit_seconds", "score_seconds", "us_per_point", "delay_points", "oracle_best_f1"} <= set(metrics.metric)
    summary = (out / "summary.md").read_text()
    assert "| yahoo-synth | lstm |" in summary and "oracle" in summary
    (lstm_dir,) = (out / "scores").glob("lstm-*")  # <detector>-<hash of its full parameters>
    assert len(list((lstm_dir / "seed0" / "yahoo-synth").glob("*.npy"))) == 3


def test_evaluate_rereads_a_run_without_rerunning(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                "--dataset",
                "yahoo-synth",
                *SMALL_YAHOO,
                "--detector",
                "random",
                "--no-baselines",
                "--out",
                str(out),
                "-q",
            ]
        )
        == 0
    )
    first = read_metrics(out / "metrics.csv")
    assert main(["evaluate", "--run", str(out), "--threshold", "quantile:0.5", "-q"]) == 0
    assert read_metrics(out / "metrics.csv").equals(first), "the run's own metrics are never overwritten"
    second = read_metrics(out / "evaluations" / "quantile-0.5" / "metrics.csv")
    settings = json.loads((out / "evaluations" / "quantile-0.5" / "evaluation.json").read_text())
    assert settings["threshold"] == "quantile:0.5" and "auc" in settings["metrics"]
    assert main(["evaluate", "--run", str(out), "--threshold", "quantile:0.5", "-q"]) == 2  # no clobbering
    assert main(["evaluate", "--run", str(out), "--threshold", "quantile:0.5", "-q", "--overwrite"]) == 0
    alarms = lambda m: m[(m.metric == "alarm_rate") & (m["aggregate"] == "mean")].value.item()  # noqa: E731
    assert alarms(second) == pytest.approx(0.5, abs=0.01) and alarms(first) < 0.1
    auc_first = first[first.metric == "oracle_best_f1"].value.to_numpy()
    auc_second = second[second.metric == "oracle_best_f1"].value.to_numpy()
    assert (auc_first == auc_second).all(), "threshold-free results do not depend on the threshold strategy"


def test_run_on_nab_subset_reports_nab_scores_without_published_rows(
    tmp_path: Path,
    nab_mirror: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("BENCH_NAB_SOURCE", str(nab_mirror))
    out = tmp_path / "run"
    code = main(
        [
            "run",
            "--dataset",
            "nab",
            "--data-dir",
            str(tmp_path / "data"),
            "--series",
            "artificialWithAnomaly/*",
            "--detector",
            "lstm",
            *SMALL_LSTM,
            "--out",
            str(out),
            "-q",
        ]
    )
    assert code == 0
    metrics = read_metrics(out / "metrics.csv")
    nab = metrics[(metrics["aggregate"] == "corpus") & (metrics.metric == "nab_standard")]
    assert set(nab.detector) == {"lstm", "lstm+likelihood", "random", "null"}  # a raw error gets its +likelihood
    assert nab[nab.detector == "null"].value.item() == pytest.approx(0.0, abs=1e-9)  # NAB's null detector is 0
    summary = (out / "summary.md").read_text()
    assert "NAB (standard)" in summary and "(published)" not in summary  # 6 of 58 series: not beside the scoreboard
    (lstm_dir,) = (out / "scores").glob("lstm-*")
    scores = sorted(p.relative_to(lstm_dir / "seed0" / "nab") for p in (lstm_dir / "seed0" / "nab").rglob("*.npy"))
    assert len(scores) == 6 and all(p.parts[0] == "artificialWithAnomaly" for p in scores)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--detector", "lstn"], "Unknown detector 'lstn'. Did you mean 'lstm'? Available:"),
        (["run", "--dataset", "nba"], "Unknown dataset 'nba'. Did you mean 'nab'? Available:"),
        (["run", "--detector", "lstm", "--param", "lstm.window=3"], "has no parameter 'window'. Valid: window_size"),
        (["run", "--detector", "lstm", "--param", "lstm.epochs=many"], "lstm.epochs='many': expected an integer"),
        (["run", "--dataset", "yahoo-synth", "--series", "nothing*"], "matches none of the"),
        (["run", "--threshold", "magic"], "Unknown threshold strategy 'magic'"),
        (["run", "--metrics", "f2"], "Unknown metric 'f2'. Available:"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv: list[str], message: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main([*argv, "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]


def test_module_entry_point_lists_detectors_datasets_and_metrics() -> None:
    proc = subprocess.run([sys.executable, "-m", "bench", "list"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for word in ("lstm", "lstm_window=5", "yahoo-synth", "nab", "oracle"):
        assert word in proc.stdout
    helped = subprocess.run(
        [sys.executable, "-m", "bench", "run", "--help"], capture_output=True, text=True, timeout=60
    )
    assert helped.returncode == 0 and "--detector" in helped.stdout and "BENCH" not in helped.stderr


def test_evaluate_external_nab_scores_prints_json_equal_to_nab(
    tmp_path: Path,
    nab_mirror: Path,
    nab_reference: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("BENCH_NAB_SOURCE", str(nab_mirror))
    code = main(
        [
            "evaluate",
            "--dataset",
            "nab",
            "--scores",
            str(nab_reference / "windowedGaussian"),
            "--metrics",
            "nab",
            "--format",
            "json",
            "--data-dir",
            str(tmp_path),
            "-q",
        ]
    )
    assert code == 0
    got = json.loads(capsys.readouterr().out)
    expected = json.loads((nab_reference / "expected.json").read_text())["windowedGaussian"]
    for profile, want in expected.items():
        assert got[profile]["normalised_score"] == pytest.approx(want["normalised_score"], abs=1e-6)
        assert got[profile]["raw_score"] == pytest.approx(want["raw_score"], abs=1e-6)
    missing = tmp_path / "partial"
    (missing / "realKnownCause").mkdir(parents=True)
    (missing / "realKnownCause" / "nyc_taxi.csv").write_text("anomaly_score\n0.5\n")
    assert (
        main(
            [
                "evaluate",
                "--dataset",
                "nab",
                "--scores",
                str(missing),
                "--metrics",
                "nab",
                "--data-dir",
                str(tmp_path),
                "-q",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "No scores file for 57 series" in err and "art_daily_no_noise" in err
