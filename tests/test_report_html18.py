"""Issue 18.4: report.html explains itself (seed of each series table, selection rule, glossary, files, provenance).

One tiny run (four CSV series, zscore with and without the likelihood post-processor, three seeds, run twice
so the folder has two sessions) is read back as its report.html; the page is parsed with the standard library.
"""

from __future__ import annotations

import hashlib
import json
import re
from html import unescape
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from bench.cli import main
from bench.metrics import catalog
from bench.report import plots
from bench.report.build import build_report
from bench.results import RunStore, read_metrics

SEEDS = (0, 1, 2)


def _csv(path: Path, seed: int, n: int = 240) -> None:
    rng = np.random.default_rng(seed)
    values = np.sin(np.arange(n) / 5) + 0.1 * rng.standard_normal(n)
    labels = np.zeros(n, int)
    labels[150 + 7 * seed : 158 + 7 * seed] = 1
    values[150 + 7 * seed : 158 + 7 * seed] += 1.0 + seed
    ts = pd.date_range("2020-01-01", periods=n, freq="min")
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"timestamp": ts.strftime("%Y-%m-%d %H:%M:%S"), "value": values, "label": labels}).to_csv(
        path, index=False
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("html18")
    for i in range(4):
        _csv(root / "data" / f"s{i}.csv", seed=i)
    out = root / "run"
    argv = ["run", "--detector", "zscore,zscore+likelihood", "--dataset", f"csv:{root / 'data'}"]
    argv += ["--seeds", ",".join(map(str, SEEDS)), "--plots", "none", "--jobs", "1", "--out", str(out), "-q"]
    assert main(argv) == 0
    assert main(argv) == 0  # resumed: a second session, every task already done
    build_report(RunStore(out), n_plots=2)  # 2 of the 4 series plotted
    return out


def _page(run: Path) -> str:
    return (run / "report.html").read_text(encoding="utf-8")


def _table(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """Headers and {detector: cell texts} of one ``<table>`` as html.py and textable.py write it."""
    head = [unescape(h) for h in re.findall(r"<th>(.*?)</th>", text.split("</thead>")[0])]
    rows = {
        unescape(det): [unescape(c) for c in re.findall(r"<td>(?:<\w+>)?(.*?)(?:</\w+>)?</td>", cells)]
        for det, cells in re.findall(r'<tr data-detector="([^"]*)"><th scope="row">.*?</th>(.*?)</tr>', text, re.S)
    }
    return head, rows


def _sections(page: str) -> dict[str, str]:
    """Series name -> its ``<details>`` section."""
    out = {}
    for block in page.split('<details id="series-')[1:]:
        name = unescape(re.search(r"<summary>csv: (.*?)</summary>", block).group(1))
        out[name] = block.split("</figure>")[0]
    return out


def test_18_4_each_series_table_is_the_seed_of_its_figure(run: Path) -> None:
    """Before: the table beside a seed-0 figure held the mean over seeds, unstated."""
    m = read_metrics(run / "metrics.csv")
    per_series = m[m["aggregate"] == ""]
    sections = _sections(_page(run))
    assert len(sections) == 2
    differs = 0
    for name, block in sections.items():
        assert "Figure and first table: seed 0." in block
        seeded = re.search(
            r'<table class="series" data-seed="0"><caption>Seed 0: the run the figure below shows', block
        )
        assert seeded, block[:500]
        head, rows = _table(block[seeded.start() :].split("</table>")[0])
        names = {catalog.header(c): c for c in catalog.default_columns()}
        metrics = [names[h] for h in head[1:]]
        assert "auc_pr" in metrics and "f1" in metrics
        for det, cells in rows.items():
            for metric, cell in zip(metrics, cells, strict=True):
                values = per_series[(per_series.series == name) & (per_series.detector == det)]
                values = values[values.metric == metric].set_index("seed").value
                if cell == "–":
                    assert np.isnan(values[0])
                    continue
                assert float(cell) == pytest.approx(values[0], abs=5e-4), (name, det, metric)
                differs += abs(float(cell) - values.mean()) > 1e-3
        assert "Mean over seeds 0, 1, 2 (not the run the figure shows)" in block  # the mean is there, labelled
    assert differs > 0  # random's values change with the seed: a table of means would have failed above


def test_18_4_the_page_states_why_these_series_were_plotted(run: Path) -> None:
    """Before: nothing said the plotted series were those with the largest AUC-PR spread."""
    page = _page(run)
    rule = re.findall(r'<p class="rule">(.*?)</p>', page)
    assert len(rule) == 1
    assert "2 of 4 series are plotted: those where the detectors disagree most" in rule[0]
    assert "standard deviation across detectors (random, null left out) of the per-series AUC-PR" in rule[0]
    chosen = plots.select_series(read_metrics(run / "metrics.csv"), "csv", n=2, baselines=("random", "null"))
    assert list(_sections(page)) == chosen
    assert "Spread of AUC-PR across detectors:" in _sections(page)[chosen[0]] and "the 1st largest of 4" in page


def test_18_4_every_column_shown_has_a_glossary_entry(run: Path) -> None:
    page = _page(run)
    glossary = dict(
        (unescape(k), unescape(v))
        for k, v in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page.split('id="glossary"')[1])
    )
    shown = set()
    for table in re.findall(r'<table class="(?:paper|series)".*?</table>', page, re.S):
        shown.update(_table(table)[0][1:])
    assert {"AUC-PR", "F1", "VUS-PR", "best F1†"} <= shown
    assert shown <= set(glossary), shown - set(glossary)
    assert "average precision" in glossary["AUC-PR"]
    assert "buffers of 0 to 100 points" in glossary["VUS-PR"]
    assert "upper bound" in glossary["best F1†"] and "upper bound" in glossary["†"]


def test_18_4_every_metric_of_the_catalogue_has_a_glossary_text() -> None:
    missing = [name for name, m in catalog.all_metrics().items() if not m.glossary]
    assert missing == []
    nab = catalog.glossary("nab_reward_low_FP_rate")
    assert "reward_low_FP_rate profile" in nab and "false positives cost twice" in nab and "corpus" in nab
    assert catalog.glossary("delay_points").endswith("Lower is better, in points; mean over series.")


def test_18_4_the_page_links_every_report_file(run: Path) -> None:
    page = _page(run)
    files = sorted(p.relative_to(run).as_posix() for p in (run / "report").rglob("*") if p.is_file())
    assert {"report/tables.tex", "report/tables.csv", "report/stats.md"} <= set(files)
    for rel in files:
        assert f'<a href="{rel}">' in page, rel


def test_18_4_resolved_parameters_of_every_stage_are_recorded_and_shown(run: Path) -> None:
    """Before: config.json stored likelihood's resolved parameters as {}."""
    config = json.loads((run / "config.json").read_text())
    row = next(r for r in config["resolved"] if r["alias"] == "zscore+likelihood")
    post = row["post"][0]
    assert post["name"] == "likelihood" and post["params"]["averaging_window"] == 10  # its default, filled in
    assert set(post["params"]) >= {"averaging_window", "historic_window_size", "reestimation_period"}
    stages = _page(run).split('id="stages"')[1].split('id="data"')[0]
    assert "post-processor likelihood" in stages and "<code>averaging_window=10</code>" in stages
    assert f"<code>window_size={row['params']['window_size']}</code>" in stages  # the detector's too


def test_18_4_provenance_lists_every_session_the_data_files_and_matplotlib(run: Path) -> None:
    config = json.loads((run / "config.json").read_text())
    page = _page(run)
    assert len(config["sessions"]) == 2
    sessions = page.split('id="sessions"')[1].split('id="stages"')[0]
    assert "<th>session 1</th><th>session 2</th>" in sessions
    for s in config["sessions"]:
        assert s["packages"]["matplotlib"] == matplotlib.__version__
        assert f"<code>{s['started']}</code>" in sessions
    assert f"<td>matplotlib</td><td><code>{matplotlib.__version__}</code>" in sessions
    assert f"matplotlib {matplotlib.__version__}" in page.split('id="report-versions"')[1]  # the report's own
    data = page.split('id="data"')[1]
    for i in range(4):
        digest = hashlib.sha256((run.parent / "data" / f"s{i}.csv").read_bytes()).hexdigest()
        assert f"<code>{digest}</code>" in data
        assert f"<code>{config['data'][f'csv/s{i}']['fingerprint']}</code>" in data
