"""Issue 18: full rank statistics (stats.md and report.html), one test per CD diagram, sanity baselines out of k.

Checked against scipy (Friedman, Wilcoxon), a Holm correction done by hand
here, Demšar's CD formula with his Table 5(a) value, and the drawn SVG.
"""

from __future__ import annotations

import re
import shutil
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from bench.cli import main
from bench.report import runplots, stats
from bench.results import read_metrics

CONTENDERS = ["zscore[window_size=10]", "zscore[window_size=60]", "iforest"]
BASELINES = ["random", "null"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three contenders and the two sanity baselines on 8 yahoo-synth series, one seed, with the report."""
    out = tmp_path_factory.mktemp("run18") / "r"
    argv = ["run", "--detector", "zscore,iforest", "--param", "zscore.window_size=10,60", "--dataset", "yahoo-synth"]
    argv += ["--param", "yahoo-synth.n_series=8", "--jobs", "0", "--out", str(out), "-q"]
    assert main(argv) == 0
    return out


def _auc_pr(run: Path) -> pd.DataFrame:
    """Series x detector AUC-PR, read straight from metrics.csv (one seed: no averaging)."""
    m = read_metrics(run / "metrics.csv")
    m = m[(m.metric == "auc_pr") & (m["aggregate"] == "")]
    return m.pivot(index="series", columns="detector", values="value")


def _section(text: str, title: str) -> str:
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)]


def _table(md: str, first_header: str) -> dict[str, list[str]]:
    """The Markdown table whose header starts with ``| first_header |``: first cell -> the other cells."""
    lines = md.splitlines()
    i = next(j for j, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = {}
    for line in lines[i + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip().replace("\\", "").strip("*") for c in line.strip("|").split(" | ")]
        rows[cells[0]] = cells[1:]
    return rows


def _holm_by_hand(p: list[float]) -> list[float]:
    """Holm (1979) step-down, written out: the i-th smallest times (m - i), never below the one before, at most 1."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    running = 0.0
    for step, i in enumerate(order):
        running = max(running, min(1.0, (m - step) * p[i]))
        out[i] = running
    return out


def _check_stats(section: str, values: pd.DataFrame) -> None:
    """Every number of one stats.md section against scipy and the hand-computed Holm correction."""
    names = list(values.columns)
    k, n = len(names), len(values)
    ranks = pd.DataFrame([sps.rankdata(-row) for row in values.to_numpy()], columns=names).mean()
    table = _table(section, "Detector")
    for d in names:
        assert float(table[d][1]) == pytest.approx(ranks[d], abs=0.005), d
    ref = sps.friedmanchisquare(*[values[c].to_numpy() for c in names])
    found = re.search(r"χ² = ([\d.]+), df = (\d+), p = ([\d.e+-]+) \(k = (\d+), N = (\d+)\)", section)
    assert found, section
    assert float(found[1]) == pytest.approx(ref.statistic, abs=5e-4)
    assert (int(found[2]), int(found[4]), int(found[5])) == (k - 1, k, n)
    assert float(found[3]) == pytest.approx(ref.pvalue, rel=5e-3)
    pairs = list(combinations(names, 2))
    raw = [sps.wilcoxon(values[a], values[b]).pvalue for a, b in pairs]
    matrix = _table(section, "")
    order = list(matrix)  # the matrix's rows and columns, in rank order
    for (a, b), p in zip(pairs, _holm_by_hand(raw), strict=True):
        assert float(matrix[a][order.index(b)]) == pytest.approx(p, rel=5e-3), (a, b)
        assert float(matrix[b][order.index(a)]) == pytest.approx(p, rel=5e-3), (b, a)


def test_stats_md_matches_scipy_and_a_holm_correction_by_hand(run: Path) -> None:
    text = (run / "report" / "stats.md").read_text()
    section = _section(text, "yahoo-synth: AUC-PR")
    values = _auc_pr(run)[CONTENDERS]
    _check_stats(section, values)
    cd = 2.343 * np.sqrt(3 * 4 / (6 * len(values)))  # Demšar (2006) Table 5(a): q_0.05 = 2.343 for k = 3
    assert float(re.search(r"CD = ([\d.]+)", section)[1]) == pytest.approx(cd, abs=2e-3)  # type: ignore[index]
    assert "Nemenyi groups" in section and "Wilcoxon-Holm groups" in section
    html = (run / "report.html").read_text()
    stats_html = html[html.index('<section id="statistics">') :]
    stats_html = stats_html[: stats_html.index("</section>")]
    assert "yahoo-synth: AUC-PR" in stats_html and "χ² = " in stats_html and "Holm-corrected" in stats_html
    assert "data:image/png;base64," in stats_html  # the CD diagram sits with its statistics


def test_sanity_baselines_are_left_out_of_k_by_default_and_in_with_rank_sanity(run: Path, tmp_path: Path) -> None:
    default = _section((run / "report" / "stats.md").read_text(), "yahoo-synth: AUC-PR")
    assert "(k = 3, N = 8)" in default and "df = 2," in default
    rows = _table(default, "Detector")
    for b in BASELINES:
        assert rows[b][1] == "left out" and b in default.split("Left out of the ranks and tests:")[1].split("\n")[0]
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    assert main(["report", str(copy), "--rank-sanity", "--plots", "none", "-q"]) == 0
    ranked = _section((copy / "report" / "stats.md").read_text(), "yahoo-synth: AUC-PR")
    assert "(k = 5, N = 8)" in ranked and "df = 4," in ranked and "Left out" not in ranked
    _check_stats(ranked, _auc_pr(copy)[CONTENDERS + BASELINES])


def _demsar_like() -> pd.DataFrame:
    """k = 4, N = 14 (CD = 1.25, Demšar's example): a beats b on every series by a hair (ranks 1 and 2 apart by
    1.0 < CD, yet Wilcoxon-Holm separates them), c and d alternate (tied average ranks, 3.5 each)."""
    rng = np.random.default_rng(18)
    a = 0.8 + 0.1 * rng.random(14)
    c = 0.3 + 0.05 * rng.random(14)
    alternate = np.where(np.arange(14) % 2 == 0, 0.02, -0.02)
    return pd.DataFrame({"a": a, "b": a - 0.01, "c": c, "d": c + alternate})


def _drawn_bars(svg: str) -> list[set[str]]:
    return [set(m.split("|")) for m in re.findall(r'id="cd-bar:([^"]*)"', svg)]


def test_cd_diagram_nemenyi_bars_join_exactly_the_pairs_closer_than_cd(tmp_path: Path) -> None:
    values = _demsar_like()
    r = stats.compare_ranks(values, metric="auc_pr")
    ranks = pd.DataFrame([sps.rankdata(-row) for row in values.to_numpy()], columns=values.columns).mean()
    cd = 2.569 * np.sqrt(4 * 5 / (6 * 14))  # Demšar (2006) sec. 3.2.2
    close = {frozenset(p) for p in combinations(values.columns, 2) if abs(ranks[p[0]] - ranks[p[1]]) < cd}
    assert close == {frozenset("ab"), frozenset("cd")}  # the case is what it claims to be
    svg = runplots.plot_cd_diagram(r, tmp_path / "cd", fmt="svg").read_text()
    bars = _drawn_bars(svg)
    joined = {frozenset(p) for bar in bars for p in combinations(sorted(bar), 2)}
    assert joined == close
    assert 'id="cd-scale"' in svg  # Nemenyi bars come with their CD scale
    for members, x0, x1 in runplots.cd_bars(r, "nemenyi"):  # each bar covers its members' ranks and no other
        assert {d for d in ranks.index if x0 <= ranks[d] <= x1} == set(members)
        assert x1 - x0 >= runplots.MIN_BAR  # c and d tie: still a bar, not a dot


def test_cd_diagram_wilcoxon_mode_draws_cliques_without_a_cd_scale(tmp_path: Path) -> None:
    r = stats.compare_ranks(_demsar_like(), metric="auc_pr")
    svg = runplots.plot_cd_diagram(r, tmp_path / "cd", fmt="svg", test="wilcoxon").read_text()
    assert _drawn_bars(svg) == [{"c", "d"}]  # a and b: 1.0 apart in rank (< CD) but Wilcoxon-Holm separates them
    assert 'id="cd-scale"' not in svg


def test_left_out_columns_do_not_cost_a_series() -> None:
    values = _demsar_like().assign(random=0.5)
    values.loc[3, "random"] = np.nan  # a baseline undefined on one series
    r = stats.compare_ranks(values, metric="auc_pr", leave_out=["random"])
    assert (r.k, r.n_series, r.left_out) == (4, 14, ("random",))
    assert r.means["random"] == pytest.approx(0.5)
    assert stats.compare_ranks(values, metric="auc_pr").n_series == 13
