"""report, compare, baseline save and check from the command line: the two jobs users bring, one command each."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from bench import registry
from bench.cli import main
from bench.results import read_metrics, write_frame


@pytest.fixture(autouse=True)
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.DATASETS, "tiny", registry.DatasetEntry("tiny", "_plugins:tiny"))


@pytest.fixture(scope="module")
def yahoo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """zscore and iforest on 4 yahoo-synth series, two seeds, with the report."""
    out = tmp_path_factory.mktemp("run") / "r"
    argv = ["run", "--detector", "zscore,iforest", "--dataset", "yahoo-synth", "--param", "yahoo-synth.n_series=4"]
    assert main([*argv, "--seeds", "0,1", "--out", str(out), "-q"]) == 0
    return out


def test_run_ends_with_the_report(yahoo_run: Path) -> None:
    report = yahoo_run / "report"
    for name in ("tables.md", "tables.tex", "tables.csv", "stats.md"):
        assert (report / name).stat().st_size > 0
    figures = sorted(p.name for p in report.glob("*.png"))
    assert "distributions_yahoo-synth.png" in figures and "pr_yahoo-synth.png" in figures
    assert "cd_yahoo-synth_auc_pr.png" in figures
    assert sum(name.startswith("series_") for name in figures) == 4  # 4 series: a handful means all of them
    html = (yahoo_run / "report.html").read_text()
    assert "iforest" in html and "data:image/png;base64," in html
    assert 'src="http' not in html and "<script" not in html  # self-contained: no network, no JavaScript
    tex = (report / "tables.tex").read_text()
    assert r"\toprule" in tex and r"\pm" in tex and r"\textbf{" in tex  # booktabs, ± over 2 seeds, a best value


def test_report_rebuilds_identical_tables_from_a_copied_folder(yahoo_run: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(yahoo_run, copy)
    shutil.rmtree(copy / "report")
    (copy / "report.html").unlink()
    assert main(["report", str(copy), "-q"]) == 0
    for name in ("tables.md", "tables.tex", "tables.csv", "stats.md"):
        assert (copy / "report" / name).read_bytes() == (yahoo_run / "report" / name).read_bytes(), name
    assert (copy / "report.html").exists()
    assert main(["report", str(copy), "-q", "--plots", "none", "--standalone"]) == 0
    assert (copy / "report" / "tables.tex").read_text().startswith(r"\documentclass")


def test_report_refuses_what_is_not_a_run(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["report", str(tmp_path), "-q"]) == 2
    assert "not a run folder" in capsys.readouterr().err


def _worsen(run: Path, dest: Path, detector: str, metric: str, by: float) -> Path:
    shutil.copytree(run, dest)
    m = read_metrics(dest / "metrics.csv")
    rows = (m.detector == detector) & (m.metric == metric) & (m["aggregate"] == "")
    m.loc[rows, "value"] = (m.loc[rows, "value"] - by).clip(lower=0)
    write_frame(dest / "metrics.csv", m)
    return dest


def test_compare_exit_codes(yahoo_run: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["compare", str(yahoo_run), str(yahoo_run)]) == 0
    assert "No regression" in capsys.readouterr().out
    worse = _worsen(yahoo_run, tmp_path / "worse", "iforest", "auc_pr", 0.1)
    assert main(["compare", str(yahoo_run), str(worse)]) == 1
    out = capsys.readouterr().out
    assert "REGRESSION" in out and "iforest" in out
    assert main(["compare", str(yahoo_run), str(worse), "--tolerance", "0.2"]) == 0  # within tolerance
    assert main(["compare", str(yahoo_run), str(worse), "--metric", "vus_pr"]) == 0  # not the gated metric
    other = tmp_path / "other"
    assert main(["run", "--detector", "zscore,iforest", "--dataset", "tiny", "--out", str(other), "-q"]) == 0
    capsys.readouterr()
    assert main(["compare", str(yahoo_run), str(other)]) == 2
    assert "different datasets" in capsys.readouterr().err
    assert main(["compare", str(yahoo_run), str(tmp_path / "nothing")]) == 2


def test_baseline_save_then_check_passes_and_fails_after_a_detector_change(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    run = tmp_path / "r"
    assert main(["run", "--detector", "zscore,mad", "--dataset", "tiny", "--out", str(run), "-q"]) == 0
    assert main(["baseline", "save", str(run), "tiny-stats", "--dir", str(tmp_path / "baselines")]) == 0
    path = tmp_path / "baselines" / "tiny-stats.json"
    lines = path.read_text().splitlines()
    assert any(line.strip().startswith('["tiny", "s0", "", "zscore", 0, "auc_pr",') for line in lines)  # one a line
    doc = json.loads(path.read_text())
    assert doc["config"]["detectors"][0]["name"] == "zscore" and doc["format"] == 3
    capsys.readouterr()
    assert main(["check", str(path), "-q"]) == 0
    assert "identical to the committed values" in capsys.readouterr().out

    from bench.detectors.statistical import ZScoreDetector

    original = ZScoreDetector._score
    monkeypatch.setattr(ZScoreDetector, "_score", lambda self, X: -original(self, X))  # a deliberate bug
    assert main(["check", str(path), "-q", "--jobs", "0"]) == 1  # in this process, where the bug is patched in
    out = capsys.readouterr().out
    assert "REGRESSION" in out and "zscore" in out


def test_check_refuses_a_file_that_is_not_a_baseline(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    assert main(["check", str(bad), "-q"]) == 2
    assert "not a bench baseline file" in capsys.readouterr().err


def test_failed_tasks_reach_the_report(tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert (
        main(["run", "--detector", "_plugins:CrashOnLongDetector", "--dataset", "tiny", "--out", str(out), "-q"]) == 3
    )
    html = (out / "report.html").read_text()
    assert "ZeroDivisionError" in html and "Failed tasks (1)" in html
    tables = pd.read_csv(out / "report" / "tables.csv", keep_default_na=False)
    row = tables[(tables.group == "") & (tables.detector == "_plugins:CrashOnLongDetector")].iloc[0]
    assert (row.series_ok, row.series_total, row.source) == (2, 3, "run")  # explicit columns, name unchanged
    assert "_plugins:CrashOnLongDetector (2/3)" in (out / "report" / "tables.md").read_text()  # the mark is rendered
