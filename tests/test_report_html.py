"""report.html: self-contained, and what a real browser (headless Chromium) renders from it.

The browser test needs Debian's ``chromium`` (``apt-get install -y chromium``).
Locally it skips without one; under ``CI=true`` a missing browser fails the
test, since a CI run that skips its browser check proves nothing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
from conftest import require_program
from PIL import Image

from bench.report import frames, html, paper, plots, runplots, stats
from tests._report_data import DETECTORS, make_run

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


def _browser() -> str:
    return require_program(BROWSERS, "apt-get install -y chromium")


def _build(tmp_path: Path, fmt: str = "png") -> Path:
    series, traces, m = make_run()
    groups = paper.series_groups(series)
    tables = paper.paper_tables(m, ["auc_pr", "f1", "alarms"], groups=groups)
    ranks = stats.compare_ranks(frames.per_series(m, "toy", "auc_pr"), metric="auc_pr")
    figs = [
        html.Figure(runplots.plot_distributions(m, "toy", tmp_path / "fig" / "dist", fmt=fmt), "Distributions."),
        html.Figure(runplots.plot_cd_diagram(ranks, tmp_path / "fig" / "cd", fmt=fmt), ranks.summary()),
    ]
    chosen = plots.select_series(m, "toy", n=2)
    sections = [
        html.SeriesSection(
            "toy",
            s.name,
            plots.plot_series(s, traces[(s.name, 0)], tmp_path / "fig" / s.name.replace("/", "__"), fmt=fmt),
            frames.one_series(m, "toy", s.name, ["auc_pr", "f1", "alarms"]),
        )
        for s in series
        if s.name in chosen
    ]
    failures = [{"detector": "lstm", "seed": 0, "dataset": "toy", "series": "x/y", "error": "boom <b>&</b>"}]
    return html.write_html(
        tmp_path / "report.html",
        title="bench run <toy>",
        tables=tables,
        run_figures=figs,
        series=sections,
        config={"detectors": list(DETECTORS), "seeds": [0, 1]},
        versions={"python": "3.11", "packages": {"numpy": np.__version__}},
        failures=failures,
    )


def test_page_is_self_contained(tmp_path: Path) -> None:
    page = _build(tmp_path)
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "<script" not in text and "http://" not in text and "https://" not in text
    assert len(re.findall(r'<img src="data:image/png;base64,', text)) == 4  # 2 run figures, 2 series
    for det in DETECTORS:
        assert f'data-detector="{det}"' in text
    assert "bench run &lt;toy&gt;" in text and "boom &lt;b&gt;&amp;&lt;/b&gt;" in text  # escaped
    assert '"seeds": [' in text and "1 task(s) failed" in text
    shutil.rmtree(tmp_path / "fig")  # the page does not need its figure files
    assert page.read_text(encoding="utf-8") == text
    assert html.render_html(tmp_path, title="bench run <toy>") == html.render_html(tmp_path, title="bench run <toy>")


def test_pdf_figures_are_linked_relative_to_the_page(tmp_path: Path) -> None:
    text = _build(tmp_path, fmt="pdf").read_text(encoding="utf-8")
    assert '<a href="fig/dist.pdf">' in text and "data:image" not in text


def _chromium(browser: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",  # root in a container has no user namespace for the sandbox
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_chromium_renders_the_report(tmp_path: Path) -> None:
    browser = _browser()
    page = _build(tmp_path)
    url = page.resolve().as_uri()
    dom = _chromium(browser, tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    main_table = dom.stdout.split('<table class="paper"', 2)[1]
    for det in DETECTORS:
        assert f'<tr data-detector="{det}">' in main_table
    assert dom.stdout.count("<details") >= 4 and "No task failed" not in dom.stdout

    shot = tmp_path / "shot.png"
    done = _chromium(browser, tmp_path, f"--screenshot={shot}", "--window-size=1280,2400", url)
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    img = np.asarray(Image.open(shot).convert("RGB"))
    assert img.shape[:2] == (2400, 1280)
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 200  # text, table rules, figure colours
    dark = img.min(axis=2) < 128
    assert dark[:400].mean() > 0.005  # the title and the first table are drawn at the top
    assert 0.01 < dark.mean() < 0.6
