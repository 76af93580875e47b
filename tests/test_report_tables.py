"""Paper tables: the numbers (means, seed spread, ranks, categories), LaTeX, Markdown and CSV renderings."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import require_program

from bench.errors import DataError
from bench.report import frames, paper, render
from tests._frames import metric_frame, seeded

SERIES = ("a/s1", "a/s2", "b/s3", "b/s4")


def _by_hand(s: str, d: str, k: int, m: str) -> float:
    """det1 best on auc_pr in every series; f1 undefined on b/s4 (no anomalies); seeds shift values by 0.01*k."""
    base = {"det1": 0.8, "det2": 0.6, "random": 0.5, "null": 0.1}[d] + 0.01 * k + 0.02 * SERIES.index(s)
    if m == "f1" and s == "b/s4":
        return float("nan")
    return base if m != "delay_points" else 10 * base


def test_means_std_over_seeds_and_ranks_by_hand() -> None:
    m = metric_frame(_by_hand, seeds=(0, 1, 2))
    t = paper.build_table(m, "toy", ["auc_pr", "f1"])
    # det1 auc_pr per seed k: mean over series of 0.8 + 0.01k + 0.02i (i = 0..3) = 0.83 + 0.01k
    assert t.mean.at["det1", "auc_pr"] == pytest.approx(0.84)
    assert t.std.at["det1", "auc_pr"] == pytest.approx(np.std([0.83, 0.84, 0.85], ddof=1))
    # f1 skips the undefined series: mean over i = 0..2 of 0.02i = 0.02
    assert t.mean.at["det2", "f1"] == pytest.approx(0.6 + 0.01 + 0.02)
    ranks = t.mean["rank@auc_pr"]
    assert ranks.to_dict() == {"det1": 1.0, "det2": 2.0, "random": 3.0, "null": 4.0}
    assert t.seeds.to_dict() == {"det1": 3, "det2": 3, "random": 3, "null": 3}
    assert "3 seeds: mean ± sample standard deviation" in t.caption
    assert "F1 (defined on 3 of 4 series)" in t.caption


def test_lower_is_better_ranks_and_marks() -> None:
    m = metric_frame(_by_hand)
    t = paper.build_table(m, "toy", ["delay_points"], rank_metric="delay_points")
    assert t.mean["rank@delay_points"].to_dict() == {"null": 1.0, "random": 2.0, "det2": 3.0, "det1": 4.0}
    marks = paper.marks(t, paper.decimals(t))
    # issue 18: a delay is never marked; null and random rank better (lower): both detectors are flagged, not bold
    assert marks == {("det2", "rank@delay_points"): "beaten", ("det1", "rank@delay_points"): "beaten"}
    assert "lower is better for avg. rank (delay), higher for the rest; not marked: delay (points)" in t.caption


def test_sanity_baselines_and_published_rows_never_bold() -> None:
    def value(s: str, d: str, k: int, m: str) -> float:
        return {"det1": 0.5, "det2": 0.4, "random": 0.45, "null": 0.1}[d]

    m = metric_frame(value, metrics=("auc_pr",), corpus={"det1": 20.0, "det2": 30.0, "random": 25.0, "null": 0.0})
    published = pd.DataFrame(
        [("toy", "famous", "nab_standard", 99.0), ("toy", "other", "nab_standard", 10.0)],
        columns=["dataset", "detector", "metric", "value"],
    )
    t = paper.build_table(m, "toy", ["auc_pr", "nab_standard"], published=published)
    latex = render.to_latex(t)
    assert r"\textbf{0.500}" in latex and r"0.400$^\circ$" in latex  # issue 18: random beats det2: flagged
    assert r"\textbf{30.0}" in latex and r"20.0$^\circ$" in latex
    for never in ("0.450", "0.100", "99.0", "25.0", "0.400", "20.0"):
        assert not re.search(r"\\(textbf|underline)\{" + re.escape(never), latex)
    assert "famous (published) & -- & 99.0" in latex


def test_latex_structure_booktabs_dagger_and_pm() -> None:
    m = metric_frame(seeded(), seeds=(0, 1), metrics=("auc_pr", "oracle_best_f1"))
    latex = render.to_latex(paper.build_table(m, "toy"))
    lines = latex.splitlines()
    assert lines.count(r"\toprule") == 1 and lines.count(r"\bottomrule") == 1 and r"\midrule" in lines
    assert r"\begin{tabular}{lrrr}" in latex  # detector + auc_pr + best F1 + rank
    assert r"best F1$^\dagger$" in latex and r"$^\dagger$ oracle" in latex
    body = lines[lines.index(r"\toprule") + 1 : lines.index(r"\bottomrule")]
    rows = [r for r in body if r.endswith(r"\\")]
    assert all(r.count("&") == 3 for r in rows)
    assert all(r"\,$\pm$\," in r for r in rows[1:])  # every data row: mean ± std
    assert r"\caption{" in latex and r"\label{tab:toy}" in latex
    assert "documentclass" not in latex


def test_latex_escapes_detector_names() -> None:
    m = metric_frame(seeded(), detectors=("lstm[window_size=20]", "a&b%", "random"), metrics=("auc_pr",))
    latex = render.to_latex(paper.build_table(m, "toy"))
    assert r"lstm[window\_size=20]" in latex and r"a\&b\%" in latex


def test_standalone_latex_compiles(tmp_path: Path) -> None:
    m = metric_frame(
        seeded(),
        seeds=(0, 1),
        detectors=("lstm[window_size=20]", "lstm+likelihood", "random", "null"),
        metrics=("auc_pr", "oracle_best_f1", "delay_points"),
    )
    text = render.to_latex(paper.paper_tables(m, ["auc_pr", "oracle_best_f1", "delay_points"]), standalone=True)
    assert text.startswith(r"\documentclass") and text.rstrip().endswith(r"\end{document}")
    assert r"\usepackage{booktabs}" in text
    require_program(("pdflatex",), "apt-get install texlive-latex-base texlive-latex-recommended")
    (tmp_path / "t.tex").write_text(text, encoding="utf-8")
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "t.pdf").stat().st_size > 1000


def _markdown_tables(text: str) -> list[list[list[str]]]:
    """Split GitHub table blocks into cells (escaped pipes are not separators)."""
    tables, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            current.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
        elif current:
            tables.append(current)
            current = []
    return tables


def test_markdown_is_a_valid_github_table() -> None:
    m = metric_frame(seeded(), seeds=(0, 1), detectors=("det1", "a|b", "random"), metrics=("auc_pr", "f1"))
    md = render.to_markdown(paper.build_table(m, "toy"))
    (table,) = _markdown_tables(md)
    header, sep, *rows = table
    assert header == ["Detector", "AUC-PR", "F1", "avg. rank (AUC-PR)"]
    assert all(re.fullmatch(r":?-{3,}:?", c) for c in sep) and len(sep) == len(header)
    assert all(len(r) == len(header) for r in rows) and len(rows) == 3
    assert rows[1][0] == r"a\|b"
    assert sum(c.startswith("**") for r in rows for c in r) >= 3  # a best per column
    assert all(" ± " in c for c in rows[0][1:3])


def test_csv_round_trips_to_the_same_numbers() -> None:
    m = metric_frame(seeded(), seeds=(0, 1, 2))
    tables = paper.paper_tables(m, groups=frames.path_groups(SERIES))
    assert [t.group for t in tables] == [None, "a", "b"]
    back = pd.read_csv(io.StringIO(render.to_csv(tables)), keep_default_na=False, na_values=[""])
    assert back.detector.tolist().count("null") == 3
    for t in tables:
        part = back[back.group.fillna("") == (t.group or "")].set_index("detector")
        for c in t.columns:
            assert part[c.key].to_numpy() == pytest.approx(t.mean[c.key].to_numpy(), rel=0, abs=0, nan_ok=True)
            assert part[f"{c.key}_std"].to_numpy() == pytest.approx(t.std[c.key].to_numpy(), rel=0, nan_ok=True)


def test_group_tables_use_their_own_series() -> None:
    m = metric_frame(_by_hand)
    t = paper.build_table(m, "toy", ["auc_pr"], group="b", groups=frames.path_groups(SERIES))
    assert t.n_series == 2
    assert t.mean.at["det1", "auc_pr"] == pytest.approx(0.8 + (0.04 + 0.06) / 2)


def test_corpus_columns_only_on_the_whole_dataset() -> None:
    m = metric_frame(seeded(), corpus={"det1": 10.0, "det2": 5.0, "random": 1.0, "null": 0.0})
    tables = paper.paper_tables(m, ["auc_pr", "nab_standard"], groups=frames.path_groups(SERIES))
    assert [c.key for c in tables[0].columns] == ["auc_pr", "nab_standard", "rank@auc_pr"]
    assert [c.key for c in tables[1].columns] == ["auc_pr", "rank@auc_pr"]
    assert "NAB (standard): corpus-level score" in tables[0].caption


def test_unknown_column_is_a_clear_error() -> None:
    m = metric_frame(seeded())
    with pytest.raises(DataError, match="'vus_pr' is not in the toy results.*Available metrics: auc_pr"):
        paper.build_table(m, "toy", ["vus_pr"])
    assert [c.key for c in paper.build_table(m, "toy").columns] == ["auc_pr", "f1", "rank@auc_pr"]  # defaults present


def test_parse_columns_and_pooled_aggregate() -> None:
    m = metric_frame(seeded(), metrics=("f1",))
    pooled = m[m["aggregate"] == "mean"].assign(aggregate="pooled", value=0.123)
    m = pd.concat([m, pooled], ignore_index=True)
    t = paper.build_table(m, "toy", paper.parse_columns("f1,f1@pooled"))
    assert t.mean["f1@pooled"].tolist() == [0.123] * 4
    assert "F1 pooled: computed once over all series" in t.caption


def test_category_table_by_hand() -> None:
    from bench.report.categories import ALL, category_table

    m = metric_frame(_by_hand, seeds=(0, 1))
    t = category_table(m, "toy", "f1", frames.path_groups(SERIES))
    assert [c.header for c in t.columns] == ["a", "b", ALL]
    # det1 f1, seed k: group a = mean(0.8+0.01k, 0.82+0.01k); group b: only b/s3 defined (0.84+0.01k)
    assert t.mean.at["det1", "f1[a]"] == pytest.approx(0.815)
    assert t.mean.at["det1", "f1[b]"] == pytest.approx(0.845)
    assert t.std.at["det1", "f1[b]"] == pytest.approx(np.std([0.84, 0.85], ddof=1))
    assert t.mean.at["det1", f"f1[{ALL}]"] == pytest.approx(0.825)  # s1, s2, s3
    md = render.to_markdown(t)
    assert "| det1 | **0.815 ± 0.007** | **0.845 ± 0.007** | **0.825 ± 0.007** |" in md
    with pytest.raises(DataError, match="fall in any group"):
        category_table(m, "toy", "f1", {})
