"""Hostile input to ``bench report`` (issue 17): nothing outside the run is touched, exit 2 changes nothing,
an interrupted report keeps the previous one, and no number comes from a missing series or a subset.

Each test names the finding it pins (``17_<n>``).
"""

from __future__ import annotations

import re
import shutil
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench import registry
from bench.cli import main
from bench.report import build
from bench.report.build import build_report
from bench.results import RunStore, read_metrics


@pytest.fixture(autouse=True)
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.DATASETS, "tiny", registry.DatasetEntry("tiny", "_plugins:tiny"))


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """zscore on the three ``tiny`` series, one seed, with its report (no figures: fast)."""
    out = tmp_path_factory.mktemp("run") / "r"
    argv = ["run", "--detector", "zscore", "--dataset", "tiny", "--no-baselines", "--jobs", "1"]
    with pytest.MonkeyPatch.context() as mp:  # module scope: the autouse fixture is not active yet
        mp.setitem(registry.DATASETS, "tiny", registry.DatasetEntry("tiny", "_plugins:tiny"))
        assert main([*argv, "--plots", "none", "--out", str(out), "-q"]) == 0
    return out


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes), the folder's own entries included."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _entries(folder: Path) -> list[str]:
    """Every file and folder under ``folder``, empty ones included."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def _copy(run: Path, dest: Path) -> Path:
    shutil.copytree(run, dest)
    return dest


@pytest.mark.parametrize("form", ["absolute", "relative"])
def test_17_1_report_refuses_an_evaluation_outside_the_run(tiny_run: Path, tmp_path: Path, form: str, capsys) -> None:  # type: ignore[no-untyped-def]
    run = _copy(tiny_run, tmp_path / "a" / "run")
    victim = tmp_path / "victim"
    victim.mkdir()
    shutil.copy(run / "metrics.csv", victim / "metrics.csv")  # looks like an evaluation
    (victim / "report").mkdir()
    (victim / "report" / "keep.txt").write_text("precious")
    (victim / "report.html").write_text("precious page")
    before = _snapshot(victim)
    (run / "evaluations").mkdir()  # the folder exists once the run has an evaluation
    name = str(victim) if form == "absolute" else "../../../victim"  # run/evaluations/../../../victim
    assert (run / "evaluations" / name).resolve() == victim.resolve()
    assert main(["report", str(run), "--evaluation", name, "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--evaluation" in err[0] and name in err[0], err
    assert _snapshot(victim) == before


def test_17_1_an_unknown_evaluation_names_the_ones_there(tiny_run: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    run = _copy(tiny_run, tmp_path / "run")
    (run / "evaluations" / "mad-only").mkdir(parents=True)
    assert main(["report", str(run), "--evaluation", "nope", "-q"]) == 2
    err = capsys.readouterr().err
    assert "'nope'" in err and "mad-only" in err


def test_17_1_an_evaluation_of_the_run_is_reported_in_its_folder(tiny_run: Path, tmp_path: Path) -> None:
    run = _copy(tiny_run, tmp_path / "run")
    assert main(["evaluate", "--run", str(run), "--name", "again", "--threshold", "quantile:0.9", "-q"]) == 0
    assert main(["report", str(run), "--evaluation", "again", "--plots", "none", "-q"]) == 0
    assert (run / "evaluations" / "again" / "report" / "tables.md").exists()
    assert (run / "evaluations" / "again" / "report.html").exists()


def test_17_24_an_interrupted_report_keeps_the_previous_one(
    tiny_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _copy(tiny_run, tmp_path / "run")
    before, entries = _snapshot(run), _entries(run)
    assert "report/tables.md" in before and "report.html" in before
    real = build.write_text
    written: list[Path] = []

    def interrupt_on_the_second_file(path: Path, text: str) -> None:
        if written:
            raise KeyboardInterrupt
        written.append(path)
        real(path, text)

    monkeypatch.setattr(build, "write_text", interrupt_on_the_second_file)
    with pytest.raises(KeyboardInterrupt):
        build_report(RunStore(run), plots="none")
    assert written, "the report was interrupted midway, after writing a file"
    assert _snapshot(run) == before  # report/ and report.html as they were
    assert _entries(run) == entries  # no temporary folder left behind


def test_17_24_a_rebuilt_report_replaces_the_old_one_whole(tiny_run: Path, tmp_path: Path) -> None:
    run = _copy(tiny_run, tmp_path / "run")
    (run / "report" / "stale.png").write_bytes(b"from an earlier selection")
    result = build_report(RunStore(run), plots="none")
    assert not (run / "report" / "stale.png").exists()
    assert result.html == run / "report.html" and (run / "report" / "tables.md") in result.files
    assert all(p.exists() for p in result.files), result.files  # the paths after the swap
    assert not [p for p in run.iterdir() if p.name.startswith(".report")]


def test_17_30_an_unknown_column_changes_nothing(tiny_run: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    run = _copy(tiny_run, tmp_path / "run")
    before, entries = _snapshot(run), _entries(run)
    assert main(["report", str(run), "--columns", "auc_prr", "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "auc_prr" in err[0], err
    assert _snapshot(run) == before
    assert _entries(run) == entries


def _csv(path: Path, seed: int, n: int = 240) -> None:
    rng = np.random.default_rng(seed)
    values = np.sin(np.arange(n) / 5) + 0.1 * rng.standard_normal(n)
    labels = np.zeros(n, int)
    labels[180 + seed : 186 + seed] = 1
    values[180 + seed : 186 + seed] += 4
    ts = pd.date_range("2020-01-01", periods=n, freq="min")
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame({"timestamp": ts.strftime("%Y-%m-%d %H:%M:%S"), "value": values, "label": labels})
    frame.to_csv(path, index=False)


def test_17_3_series_named_like_aggregates_or_alike_when_sanitised_stay_apart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    names = ["(mean)", "a_b", "a:b", "a/b"]
    for i, name in enumerate(names):
        _csv(data / f"{name}.csv", seed=i)
    run = tmp_path / "run"
    argv = ["run", "--detector", "zscore", "--dataset", f"csv:{data}", "--no-baselines", "--jobs", "1"]
    assert main([*argv, "--plots", "all", "--out", str(run), "-q"]) == 0
    m = read_metrics(run / "metrics.csv")
    per_series = m[(m["aggregate"] == "") & (m.metric == "auc_pr")]
    assert sorted(per_series.series) == sorted(names)
    summary = pd.read_csv(run / "summary.csv", keep_default_na=False)
    assert summary["AUC-PR"].item() == pytest.approx(per_series.value.mean())  # (mean) is one series of four
    figures = sorted((run / "report").glob("series_*.png"))
    assert len(figures) == len(names)  # one figure each: a/b, a_b and a:b do not share one
    html = (run / "report.html").read_text()
    assert all(f"<summary>csv: {escape(name)}</summary>" in html for name in names)
    ids = re.findall(r'<details id="(series-[^"]*)"', html)
    assert len(ids) == len(names) and len(set(ids)) == len(ids), ids  # one link target each


def test_17_27_a_failed_seed_gives_no_spread_over_seeds(tmp_path: Path) -> None:
    run = tmp_path / "run"
    argv = ["run", "--detector", "_plugins:FailOnSeedOne", "--dataset", "tiny", "--seeds", "0,1,2"]
    assert main([*argv, "--no-baselines", "--jobs", "1", "--plots", "none", "--out", str(run), "-q"]) == 3
    m = read_metrics(run / "metrics.csv")
    per_series = m[(m["aggregate"] == "") & (m.metric == "auc_pr")]
    assert len(per_series) == 8  # 3 series x 3 seeds, less the failed one
    whole = per_series[per_series.seed == 0].value.mean()  # deterministic: every complete seed gives this
    assert per_series[per_series.seed == 1].value.mean() != pytest.approx(whole)  # the series differ
    tables = pd.read_csv(run / "report" / "tables.csv", keep_default_na=False, na_values=[""])
    row = tables[tables.group.isna()].iloc[0]
    assert row.auc_pr == pytest.approx(whole)
    assert row.auc_pr_std == pytest.approx(0.0)  # no spread from the missing series
    assert row.seeds == 2
    assert (row.series_ok, row.series_total) == (8, 9)
    md = (run / "report" / "tables.md").read_text()
    assert "seed 1" in md and "left out" in md
    summary = pd.read_csv(run / "summary.csv", keep_default_na=False)
    assert summary["AUC-PR"].item() == pytest.approx(whole) and summary.seeds.item() == 2
    assert "left out" in (run / "summary.md").read_text()


def test_17_27_a_row_without_a_complete_seed_shows_no_spread() -> None:
    from bench.report.paper import build_table

    rows = []
    for seed, failed in ((0, "s2"), (1, "s1")):
        for s in ("s1", "s2"):
            if s != failed:
                rows.append(("d", s, "", "x", seed, "auc_pr", 0.2 if s == "s1" else 0.8))
        rows += [("d", "", "count", "x", seed, "series_ok", 1.0), ("d", "", "count", "x", seed, "series_failed", 1.0)]
    metrics = pd.DataFrame(rows, columns=["dataset", "series", "aggregate", "detector", "seed", "metric", "value"])
    t = build_table(metrics, "d", ["auc_pr"], rank_metric=None)
    assert t.mean.loc["x", "auc_pr"] == pytest.approx(0.5)
    assert np.isnan(t.std.loc["x", "auc_pr"])  # 0.2 and 0.8 differ by series, not by seed
    assert "no seed has every series" in t.caption.lower() and "no spread" in t.caption


def test_17_31_a_series_subset_of_nab_is_not_set_beside_the_published_scoreboard(
    tmp_path: Path, nab_mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BENCH_NAB_SOURCE", str(nab_mirror))
    run = tmp_path / "run"
    argv = ["run", "--dataset", "nab", "--data-dir", str(tmp_path / "d"), "--detector", "zscore", "--no-baselines"]
    argv += ["--series", "artificialWithAnomaly/art_daily_jumpsup", "--plots", "none", "--jobs", "1"]
    assert main([*argv, "--out", str(run), "-q"]) == 0
    m = read_metrics(run / "metrics.csv")
    assert (m["aggregate"] == "corpus").any()  # the run's own NAB score is there, over its one series
    summary = pd.read_csv(run / "summary.csv", keep_default_na=False)
    assert set(summary.source) == {"run"}, "no published row beside a score over 1 of 58 series"
    assert "NAB std." in summary.columns or any("NAB" in c for c in summary.columns)
    text = (run / "summary.md").read_text()
    assert "published scoreboard is left out" in text and "--series" in text and "(published)" not in text
    tables = pd.read_csv(run / "report" / "tables.csv", keep_default_na=False)
    assert set(tables.source) == {"run"}
    md = (run / "report" / "tables.md").read_text()
    assert "published scoreboard is left out" in md and "(published)" not in md


def test_17_31_a_whole_nab_run_keeps_the_published_rows(tiny_run: Path) -> None:
    from dataclasses import replace

    from bench.config import DatasetSpec
    from bench.runfolder import published_rows, read_config

    config = replace(read_config(RunStore(tiny_run)), datasets=(DatasetSpec("nab"),), metrics=("nab",))
    assert published_rows(config) is not None and len(published_rows(config))
    assert published_rows(replace(config, series="realKnownCause/*")) is None


def test_17_14_a_symlinked_report_folder_is_replaced_never_written_through(tiny_run: Path, tmp_path: Path) -> None:
    """``RUN/report`` a link to a folder elsewhere (an OSError at 1a30033): the report is built beside it and
    swapped in as a real folder; the link's target is left exactly as it was."""
    run = _copy(tiny_run, tmp_path / "run")
    shutil.rmtree(run / "report", ignore_errors=True)
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.txt").write_text("precious")
    (run / "report").symlink_to(target, target_is_directory=True)
    before = _snapshot(target)
    assert main(["report", str(run), "--plots", "none", "-q"]) == 0
    assert not (run / "report").is_symlink() and (run / "report" / "tables.md").is_file()
    assert _snapshot(target) == before and sorted(p.name for p in target.iterdir()) == ["keep.txt"]


def test_17_30_run_refuses_an_unknown_column_before_any_task(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """``run --columns auc_prr`` ran every detector and only then exited 2 at the report; now nothing is written."""
    out = tmp_path / "run"
    argv = ["run", "--detector", "zscore", "--dataset", "tiny", "--no-baselines", "--columns", "auc_pr,auc_prr"]
    assert main([*argv, "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'auc_prr'" in err[0] and "auc_pr," in err[0], err
    assert not out.exists()
