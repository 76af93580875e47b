"""One home per shared fact: a metric added in one catalogue entry reaches every table, and names are only names.

Regression tests for issue 16: a series file named ``(mean).csv`` was
averaged into the summary's mean; ``x (published)`` and ``y (3/4)`` were
parsed back as marks; ``a/b`` and ``a_b`` shared one figure; an alias
``R&D #1`` wrote a ``summary.tex`` that did not compile.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import require_program

from bench.cli import main
from bench.compare import compare
from bench.metrics import catalog
from bench.metrics.records import upgrade
from bench.report import paper, summary
from bench.report.build import figure_stem
from bench.results import read_metrics

HEADER = "timestamp,value,label\n"


def _csv(path: Path, seed: int, n: int = 400) -> Path:  # a training part (30%) of 120 points: a zscore window fits
    rng = np.random.default_rng(seed)
    values = np.sin(np.arange(n) / 5) + 0.1 * rng.standard_normal(n)
    labels = np.zeros(n, int)
    labels[180:186] = 1
    values[180:186] += 4
    ts = pd.date_range("2020-01-01", periods=n, freq="min")
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"{t:%Y-%m-%d %H:%M:%S},{v},{y}\n" for t, v, y in zip(ts, values, labels, strict=True))
    path.write_text(HEADER + rows)
    return path


def _toy(e: catalog.SeriesEval) -> dict[str, float]:
    """A metric invented at test time: the fraction of labelled points whose score beats the median."""
    return {"toy_hits": float((e.y_score[e.y_true == 1] > np.median(e.y_score)).mean())}


def test_a_metric_added_in_one_catalogue_entry_is_a_default_gated_ranked_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = catalog.MetricFamily(
        "toy",
        _toy,
        "a test metric",
        (catalog.Metric("toy_hits", "TOY", summary=True, order=5, default=True, gated=True, ranked=True),),
        default=True,
    )
    monkeypatch.setitem(catalog.FAMILIES, "toy", entry)
    for i in range(4):
        _csv(tmp_path / "data" / f"s{i}.csv", seed=i)
    run = tmp_path / "run"
    argv = ["run", "--detector", "zscore,mad", "--dataset", f"csv:{tmp_path / 'data'}", "--out", str(run), "-q"]
    assert main([*argv, "--jobs", "1", "--plots", "none"]) == 0
    metrics = read_metrics(run / "metrics.csv")
    assert (metrics.metric == "toy_hits").any()
    assert "TOY" in pd.read_csv(run / "summary.csv").columns  # the summary
    tables = pd.read_csv(run / "report" / "tables.csv", keep_default_na=False)
    assert "toy_hits" in tables.columns and "rank@toy_hits" in tables.columns  # a default column, ranked first
    assert "## csv: TOY" in (run / "report" / "stats.md").read_text()  # rank statistics
    worse = metrics.assign(value=np.where(metrics.metric == "toy_hits", metrics.value - 0.5, metrics.value))
    c = compare(metrics, worse)
    assert "toy_hits" in c.gated and c.exit_code == 1  # gated by compare


def test_series_and_detector_names_that_look_like_marks_are_ordinary_names(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for i, name in enumerate(["(mean)", "x (published)", "y (3", "plain"]):
        _csv(data / f"{name}.csv", seed=i)
    run = tmp_path / "run"
    argv = ["run", "--detector", "zscore", "--dataset", f"csv:{data}", "--out", str(run), "-q", "--no-baselines"]
    assert main([*argv, "--plots", "none"]) == 0
    m = read_metrics(run / "metrics.csv")
    per_series = m[(m["aggregate"] == "") & (m.metric == "auc_pr")]
    assert set(per_series.series) == {"(mean)", "x (published)", "y (3", "plain"}
    mean = m[(m["aggregate"] == "mean") & (m.metric == "auc_pr")].value.item()
    assert mean == pytest.approx(per_series.value.mean())  # the "(mean)" series is one of four, not the mean
    table = pd.read_csv(run / "summary.csv", keep_default_na=False)
    assert table["AUC-PR"].item() == pytest.approx(mean)
    paper_csv = pd.read_csv(run / "report" / "tables.csv", keep_default_na=False)
    assert paper_csv.auc_pr.item() == pytest.approx(mean) and paper_csv.series_total.item() == 4


def test_a_metrics_table_of_the_previous_format_is_still_read() -> None:
    old = pd.DataFrame(
        [
            ("d", "s1", "a", 0, "auc_pr", 0.5),
            ("d", "s2", "a", 0, "auc_pr", 0.7),
            ("d", "(mean)", "a", 0, "auc_pr", 0.6),
            ("d", "(corpus)", "a", 0, "nab_standard", 10.0),
            ("d", "(count)", "a", 0, "series_ok", 2.0),
        ],
        columns=["dataset", "series", "detector", "seed", "metric", "value"],
    )
    new = upgrade(old)
    assert new["aggregate"].tolist() == ["", "", "mean", "corpus", "count"]
    assert new.series.tolist() == ["s1", "s2", "", "", ""]
    t = paper.build_table(old, "d", ["auc_pr", "nab_standard"])
    assert t.mean.loc["a", "auc_pr"] == pytest.approx(0.6) and t.mean.loc["a", "nab_standard"] == 10.0


def test_published_rows_and_incomplete_rows_are_marked_from_data() -> None:
    metrics = upgrade(
        pd.DataFrame(
            [
                ("d", "s1", "y (3/4)", 0, "auc_pr", 0.5),
                ("d", "(count)", "y (3/4)", 0, "series_ok", 1.0),
                ("d", "(count)", "y (3/4)", 0, "series_failed", 1.0),
            ],
            columns=["dataset", "series", "detector", "seed", "metric", "value"],
        )
    )
    published = pd.DataFrame([("d", "x", "auc_pr", 0.9)], columns=["dataset", "detector", "metric", "value"])
    table = summary.summary_table(metrics, published)
    labels = [summary.row_label(summary._Row(r)) for r in table.to_dict("records")]
    assert labels == ["y (3/4) (1/2)", "x (published)"]
    assert table.source.tolist() == ["run", "published"]


def test_figure_names_are_unique_per_series(tmp_path: Path) -> None:
    used: set[str] = set()
    a = figure_stem(tmp_path, "series", "csv", "a/b", used)
    b = figure_stem(tmp_path, "series", "csv", "a_b", used)
    c = figure_stem(tmp_path, "series", "csv", "a:b", used)
    assert len({a, b, c}) == 3 and a.name == "series_csv_a_b"


def test_an_alias_with_special_characters_gives_intact_markdown_and_compiling_latex(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _csv(data / "s.csv", seed=0)
    cfg = tmp_path / "exp.toml"
    cfg.write_text(
        'baselines = false\n\n[[detector]]\nname = "zscore"\nalias = "R&D #1 | x"\n\n'
        f'[[dataset]]\nname = "csv:{data}"\n'
    )
    run = tmp_path / "run"
    assert main(["run", "--config", str(cfg), "--out", str(run), "-q", "--plots", "none"]) == 0
    md = (run / "summary.md").read_text()
    row = next(line for line in md.splitlines() if "R&D" in line)
    assert row.count(" | ") == md.splitlines()[2].count(" | ")  # the pipe is escaped: the table stays intact
    assert not (run / "summary.tex").exists()  # issue 18: 22 columns never fit a page; tables.tex is the LaTeX
    tex = (run / "report" / "tables.tex").read_text()
    assert r"R\&D \#1 \textbar{} x" in tex
    require_program(("pdflatex",), "apt-get install texlive-latex-base texlive-latex-recommended")
    doc = tmp_path / "doc.tex"
    doc.write_text(
        "\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n\\usepackage{booktabs}\n\\usepackage{graphicx}\n"
        "\\begin{document}\n" + tex + "\\end{document}\n"
    )
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:]


def test_every_metric_a_family_returns_is_in_its_catalogue_entry() -> None:
    rng = np.random.default_rng(0)
    y = np.zeros(200, np.int8)
    y[50:60] = 1
    scores = rng.random(200)
    e = catalog.SeriesEval(y, scores, scores > 0.8, pd.date_range("2020", periods=200, freq="min").to_numpy())
    for fam in catalog.FAMILIES.values():
        if fam.compute is None:
            continue
        listed = {m.name for m in fam.metrics}
        assert set(fam.compute(e)) <= listed, fam.key
    assert all(dataclasses.is_dataclass(m) for m in catalog.all_metrics().values())


def test_a_run_folder_of_the_previous_release_is_reported_and_compared(tmp_path: Path) -> None:
    """``tests/data/run-0.1-format``: config.json, metrics.csv, failures.csv written by bench at 1a30033
    (``run --detector zscore --dataset yahoo-synth`` with 2 series of 300 points), aggregates named ``(mean)``."""
    old = Path(__file__).parent / "data" / "run-0.1-format"
    assert "(mean)" in (old / "metrics.csv").read_text()
    run = tmp_path / "old"
    shutil.copytree(old, run)
    assert main(["report", str(run), "--plots", "none"]) == 0
    tables = pd.read_csv(run / "report" / "tables.csv", keep_default_na=False)
    m = read_metrics(run / "metrics.csv")
    mean = m[(m["aggregate"] == "mean") & (m.metric == "auc_pr") & (m.detector == "zscore")].value.item()
    assert tables[(tables.group == "") & (tables.detector == "zscore")].auc_pr.item() == pytest.approx(mean)
    assert main(["compare", str(run), str(old)]) == 0  # a legacy table against itself: no regression
