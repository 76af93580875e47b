"""A multivariate run end to end: lstm+likelihood, iforest and zscore on an SMD-format dataset, with the report."""

from __future__ import annotations

import json
from pathlib import Path

from _fixtures import make_smd

from bench.cli import main
from bench.results import read_metrics


def test_multivariate_run_on_smd_format_data(tmp_path: Path) -> None:
    root, manifest = make_smd(tmp_path / "smd-src", n_train=300, n_test=400)
    out = tmp_path / "run"
    argv = ["run", "--dataset", "smd", "--data-dir", str(tmp_path / "data"), "--out", str(out), "-q"]
    argv += ["--param", f"smd.source={root}", "--param", f"smd.manifest_file={manifest}"]
    argv += ["--detector", "lstm+likelihood,iforest,zscore", "--plots", "all"]
    argv += ["--param", "lstm.epochs=2", "--param", "lstm.window_size=20", "--param", "lstm.hidden_size=8"]
    assert main(argv) == 0
    config = json.loads((out / "config.json").read_text())
    assert {s["channels"] for s in config["data"].values()} == {38}
    assert all("git_blob" in s for s in config["data"].values()), "the verified files are recorded"
    m = read_metrics(out / "metrics.csv")
    rows = {"lstm+likelihood", "iforest", "zscore", "random", "null"}
    assert rows <= set(m.detector)
    auc = m[(m["aggregate"] == "mean") & (m.metric == "auc_roc")].set_index("detector").value
    assert auc["iforest"] > 0.6 and auc["zscore"] > 0.6  # the level shifts are found in 38 channels
    summary = (out / "summary.md").read_text()
    assert "| smd | lstm+likelihood |" in summary
    figures = sorted(p.name for p in (out / "report").glob("series_smd_*.png"))
    assert figures == ["series_smd_machine-1-1.png", "series_smd_machine-2-1.png"]
    html = (out / "report.html").read_text()
    assert "machine-1-1" in html and "lstm+likelihood" in html
