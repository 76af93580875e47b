"""Post-processors in runs: named with the detector, their own rows, parameters, stored raw scores reused."""

from __future__ import annotations

import json
from pathlib import Path

import _plugins
import numpy as np
import pytest

from bench import experiment, registry
from bench.cli import main
from bench.results import read_metrics
from bench.runfolder import post_scores


@pytest.fixture(autouse=True)
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.DATASETS, "tiny", registry.DatasetEntry("tiny", "_plugins:tiny"))


def test_a_post_processed_row_beside_the_raw_one_shares_its_raw_scores(tmp_path: Path) -> None:
    out = tmp_path / "r"
    _plugins.CALLS.clear()
    argv = ["run", "--dataset", "tiny", "--out", str(out), "-q", "--no-baselines", "--plots", "none"]
    argv += ["--detector", "_plugins:AbsDetector+likelihood,_plugins:AbsDetector"]
    assert main([*argv, "--param", "likelihood.averaging_window=5"]) == 0
    assert len(_plugins.CALLS) == 3, "the raw detector ran once per series, for both rows"
    assert len(list((out / "scores").iterdir())) == 1, "only raw scores are stored"
    m = read_metrics(out / "metrics.csv")
    assert set(m.detector) == {"_plugins:AbsDetector+likelihood", "_plugins:AbsDetector"}
    config = json.loads((out / "config.json").read_text())
    assert config["detectors"][0]["post"] == [{"name": "likelihood", "params": {"averaging_window": 5}}]
    raw = m[(m.detector == "_plugins:AbsDetector") & (m.metric == "auc_roc") & (m.series == "s0")].value.item()
    post = m[(m.detector == "_plugins:AbsDetector+likelihood") & (m.metric == "auc_roc") & (m.series == "s0")]
    assert post.value.item() != raw


def test_post_processor_parameters_are_checked_like_detector_parameters() -> None:
    with pytest.raises(Exception, match="no parameter 'window'"):
        experiment.from_flags(detector="zscore+likelihood", dataset="tiny", params=["likelihood.window=3"])
    with pytest.raises(Exception, match="Unknown post-processor 'likelyhood'"):
        experiment.from_flags(detector="zscore+likelyhood", dataset="tiny")


def test_a_spatial_row_brings_null_plus_spatial_beside_it() -> None:
    config = experiment.from_flags(detector="zscore+likelihood+spatial", dataset="tiny")
    assert [r.alias for r in config.rows] == ["zscore+likelihood+spatial", "random", "null", "null+spatial"]
    plain = experiment.from_flags(detector="zscore+likelihood", dataset="tiny")
    assert "null+spatial" not in [r.alias for r in plain.rows], "never in a row set that does not use the rule"


def test_post_processors_applied_to_an_existing_run_without_running_detectors(tmp_path: Path) -> None:
    out = tmp_path / "r"
    base = ["--dataset", "tiny", "--out", str(out), "-q", "--no-baselines", "--plots", "none"]
    assert main(["run", "--detector", "_plugins:AbsDetector", *base]) == 0
    _plugins.CALLS.clear()
    assert main(["evaluate", "--run", str(out), "--post", "likelihood", "-q"]) == 0
    assert _plugins.CALLS == [], "no detector ran"
    m = read_metrics(out / "evaluations" / "train_mean_std-3_post-likelihood" / "metrics.csv")
    assert set(m.detector) == {"_plugins:AbsDetector", "_plugins:AbsDetector+likelihood"}
    # the same numbers as naming the row in the run itself
    again = tmp_path / "again"
    argv = ["run", "--detector", "_plugins:AbsDetector,_plugins:AbsDetector+likelihood", "--dataset", "tiny"]
    assert main([*argv, "--out", str(again), "-q", "--no-baselines", "--plots", "none"]) == 0
    direct = read_metrics(again / "metrics.csv")
    key = ["dataset", "series", "detector", "seed", "metric"]
    cost = ("fit_seconds", "score_seconds", "us_per_point")
    a = m[~m.metric.isin(cost)].sort_values(key).reset_index(drop=True)
    b = direct[~direct.metric.isin(cost)].sort_values(key).reset_index(drop=True)
    assert a.equals(b)


def test_the_warm_up_of_every_stage_is_left_out_of_the_threshold_reference() -> None:
    from bench.config import DetectorSpec, PostSpec
    from bench.series import Series

    rng = np.random.default_rng(0)
    x = rng.normal(size=1000)
    s = Series("d", "s", x, np.zeros(1000), train_end=400)
    row = DetectorSpec("zscore", {}, "zscore+likelihood", (PostSpec("likelihood"),))
    scores, n_warmup = post_scores(row, np.abs(x), s, 30)
    assert scores.shape == (1000,) and np.isfinite(scores).all()
    assert n_warmup > 30, "the likelihood's learning period is warm-up too"


def test_telemanom_threshold_in_a_run(tmp_path: Path) -> None:
    out = tmp_path / "r"
    argv = ["run", "--dataset", "tiny", "--out", str(out), "-q", "--no-baselines", "--plots", "none"]
    assert main([*argv, "--detector", "zscore+telemanom", "--threshold", "telemanom:error_buffer=5"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["threshold"] == "telemanom:window=2100,batch=70,error_buffer=5,p=0.13,inverse=true"
    assert "telemanom's dynamic threshold" in (out / "summary.md").read_text()
