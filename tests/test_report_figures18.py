"""Figures a paper can take as they are (issue 18): TrueType fonts, column/page widths, text >= 7 pt, PNG beside PDF.

The size checks read the written files themselves: the PDF page's width and
the size of every ``Tf`` (set font) operator in its content streams, the PNG's
pixel width at the requested dpi. The font check lists a PDF's fonts with
``pdffonts`` (poppler-utils), which skips locally without it and fails under
``CI=true``.
"""

from __future__ import annotations

import re
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import require_program
from matplotlib.colors import to_rgb
from matplotlib.text import Text
from PIL import Image

from bench.cli import main
from bench.errors import ParameterError
from bench.report import plots, runplots
from bench.report.plots import FigureStyle
from tests._report_data import make_run, make_series, make_traces

COLUMN_PT = 3.5 * 72
DPI = 200


def _pdf_streams(pdf: Path) -> Iterator[bytes]:
    """The decompressed content of every stream of ``pdf`` (matplotlib writes them Flate-compressed)."""
    data = pdf.read_bytes()
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            yield zlib.decompress(m.group(1))
        except zlib.error:
            yield m.group(1)


def _font_sizes(pdf: Path) -> list[float]:
    """The size of every ``/F.. size Tf`` in ``pdf``: every text run matplotlib draws sets its font so."""
    return [float(x) for s in _pdf_streams(pdf) for x in re.findall(rb"/F\d+ ([\d.]+) Tf", s)]


def _page_width(pdf: Path) -> float:
    m = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf.read_bytes())
    assert m is not None, pdf
    return float(m.group(1))


def _font_types(pdf: Path) -> list[str]:
    """The ``type`` column of ``pdffonts pdf``: one entry per embedded font."""
    exe = require_program(("pdffonts",), "apt-get install -y poppler-utils")
    out = subprocess.run([exe, str(pdf)], capture_output=True, text=True, check=True, timeout=60).stdout
    lines = out.splitlines()[2:]  # a header and a ---- rule
    return [re.split(r"\s{2,}", line.strip())[1] for line in lines if line.strip()]


@pytest.fixture(scope="module")
def paper_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """zscore (and the random and null baselines) on 2 yahoo-synth series, the report for a paper column."""
    out = tmp_path_factory.mktemp("run") / "r"
    argv = ["run", "--detector", "zscore", "--dataset", "yahoo-synth", "--param", "yahoo-synth.n_series=2"]
    argv += ["--out", str(out), "-q", "--plot-format", "png,pdf", "--figure-size", "column", "--dpi", str(DPI)]
    assert main(argv) == 0
    return out


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every matplotlib figure the report's plot functions save, after it is drawn."""
    figs: list[Any] = []
    real = plots.save

    def save(fig: Any, *args: Any, **kwargs: Any) -> Path:
        out = real(fig, *args, **kwargs)
        figs.append(fig)
        return out

    monkeypatch.setattr(plots, "save", save)
    monkeypatch.setattr(runplots, "save", save)
    return figs


def test_pdf_figures_embed_truetype_never_type3(tmp_path: Path) -> None:
    """Regression (issue 18): matplotlib's default PDF fonts are Type 3, which IEEE and ACM reject."""
    s = make_series(0)
    series_pdf = plots.plot_series(s, make_traces(s), tmp_path / "s", fmt="pdf")
    series, traces, m = make_run(n_series=3, seeds=(0,))
    items = {d: [(x.labels[150:], traces[(x.name, 0)][d].scores[150:]) for x in series] for d in traces[(s.name, 0)]}
    pr_pdf = runplots.plot_pr_curves(runplots.pr_curves(items), tmp_path / "pr", fmt="pdf")
    dist_pdf = runplots.plot_distributions(m, "toy", tmp_path / "d", columns=("auc_pr", "f1"), fmt="pdf")
    for pdf in (series_pdf, pr_pdf, dist_pdf):
        types = _font_types(pdf)
        assert types and not [t for t in types if "Type 3" in t], (pdf.name, types)
        assert all("TrueType" in t for t in types), (pdf.name, types)
    plain = plots.new_figure(figsize=(2, 1))  # the check itself can fail: matplotlib's default is Type 3
    plain.text(0.5, 0.5, "x")
    plain.savefig(tmp_path / "plain.pdf")
    assert any("Type 3" in t for t in _font_types(tmp_path / "plain.pdf"))


def test_plot_format_png_pdf_keeps_both_and_the_page_shows_the_png(paper_run: Path) -> None:
    report = paper_run / "report"
    pngs = {p.stem for p in report.glob("*.png")}
    pdfs = {p.stem for p in report.glob("*.pdf")}
    assert pngs == pdfs, pngs ^ pdfs
    assert {"pr_yahoo-synth", "distributions_yahoo-synth"} <= pngs
    assert sum(stem.startswith("series_") for stem in pngs) == 2
    html = (paper_run / "report.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) == len(pngs)
    shown = "".join(re.findall(r"<figure>.*?</figure>", html, re.S))
    assert ".pdf" not in shown  # no link instead of a figure
    assert {f"report/{stem}.pdf" for stem in pdfs} <= set(re.findall(r'<a href="(report/[^"]+)"', html))  # Files


def test_column_figures_are_3_5_in_wide_with_text_of_7_pt_or_more(paper_run: Path) -> None:
    pdfs = sorted((paper_run / "report").glob("*.pdf"))
    assert len(pdfs) >= 4
    for pdf in pdfs:
        assert _page_width(pdf) == pytest.approx(COLUMN_PT, abs=0.01), pdf.name
        sizes = _font_sizes(pdf)
        assert len(sizes) > 10 and min(sizes) >= 7.0, (pdf.name, sorted(set(sizes)))
        png = Image.open(pdf.with_suffix(".png"))
        assert png.size[0] == round(3.5 * DPI), pdf.name
        assert png.info["dpi"][0] == pytest.approx(DPI, abs=0.5)


@pytest.mark.parametrize("size", ["column", "page"])
def test_every_text_of_a_series_figure_is_7_pt_or_more(tmp_path: Path, drawn: list[Any], size: str) -> None:
    s = make_series(3)
    plots.plot_series(s, make_traces(s), tmp_path / "s", fmt=FigureStyle(("png",), size))
    (fig,) = drawn
    assert fig.get_figwidth() == plots.SIZES[size]
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
    assert len(texts) > 20 and min(t.get_fontsize() for t in texts) >= 7.0


def test_series_panels_carry_no_text_over_the_traces(tmp_path: Path, drawn: list[Any]) -> None:
    """Regression (issue 18): the name and alarm-count boxes sat inside the panels, over the scores."""
    s = make_series(0)
    traces = make_traces(s)
    plots.plot_series(s, traces, tmp_path / "s", fmt=FigureStyle(("png",), "column"))
    (fig,) = drawn
    panels = fig.axes[1:]
    assert [ax.get_title(loc="left") for ax in panels] == list(traces)  # contenders first, as made
    for ax in fig.axes:
        assert not ax.texts  # no text artist inside a panel
    null = panels[list(traces).index("null")]
    assert "constant score 0.5" in null.get_title(loc="right")
    (score, *_), threshold = null.get_lines(), null.get_lines()[-1]
    assert score.get_zorder() > threshold.get_zorder() and score.get_linewidth() > threshold.get_linewidth()
    lo, hi = null.get_ylim()
    assert lo < 0.5 < hi


def test_baselines_look_distinct_and_contenders_are_never_grey() -> None:
    """Regression (issue 18): random and null were the same grey dots; the 8th contender got tab10's grey."""
    names = [f"c{i}" for i in range(20)]
    styles = plots.detector_styles([*names, "random", "null"])
    for n in names:
        r, g, b = to_rgb(styles[n].color)
        assert not (r == g == b), n
    looks = {(styles[n].color, str(styles[n].ls), styles[n].marker) for n in names}
    assert len(looks) == len(names)  # past the palette, a new dash pattern
    random, null = styles["random"], styles["null"]
    assert random.baseline and null.baseline
    assert random.color != null.color and random.ls != null.ls and random.marker != null.marker


def test_pr_curves_title_and_axis_name_the_same_average(tmp_path: Path, drawn: list[Any]) -> None:
    """Regression (issue 18): the title said "(series, seed) pairs" while the axis said "mean over series"."""
    rng = np.random.default_rng(0)
    y = (rng.random(200) < 0.1).astype(int)
    curves = runplots.pr_curves({"a": [(y, y + rng.random(200))] * 4, "random": [(y, rng.random(200))] * 4})
    runplots.plot_pr_curves(curves, tmp_path / "pr", title="toy", unit="(series, seed) pairs")
    (fig,) = drawn
    (ax,) = fig.axes
    assert "mean over (series, seed) pairs" in ax.get_ylabel().replace("\n", " ")
    assert "mean over 4 (series, seed) pairs" in fig.get_suptitle().replace("\n", " ")
    lines = {line.get_label().split()[0]: line for line in ax.get_lines()}
    assert lines["random"].get_linestyle() != lines["a"].get_linestyle()


def test_figure_options_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ParameterError, match="choose one of png, pdf, svg"):
        FigureStyle(("png", "jpg"))
    with pytest.raises(ParameterError, match="column, page"):
        FigureStyle(size="poster")
    with pytest.raises(ParameterError, match="between 50 and 1200 dpi; got 20"):
        FigureStyle(dpi=20)
    for flags, says in ((["--plot-format", "png,gif"], "gif"), (["--dpi", "many"], "whole number")):
        with pytest.raises(SystemExit) as exc:  # refused while parsing, before any task runs
            main(["run", "--detector", "zscore", *flags])
        assert exc.value.code == 2 and says in capsys.readouterr().err


@pytest.mark.parametrize("size", ["column", "page"])
def test_the_cd_diagram_is_drawn_at_the_figure_width_with_text_of_7_pt_or_more(tmp_path: Path, size: str) -> None:
    """Regression (issue 18): the CD diagram was 8 in wide with 9 pt text, so 3.9 pt in one column."""
    import pandas as pd

    from bench.report.stats import compare_ranks

    rng = np.random.default_rng(0)
    names = ["lstm+likelihood", "iforest", "zscore", "autoencoder", "mad"]
    values = pd.DataFrame(rng.uniform(size=(30, 5)) + np.arange(5)[::-1] * 0.1, columns=names)
    ranks = compare_ranks(values, metric="auc_pr")
    pdf = runplots.plot_cd_diagram(ranks, tmp_path / "cd", fmt=FigureStyle(("pdf",), size))
    assert _page_width(pdf) == pytest.approx(plots.SIZES[size] * 72, abs=0.01)
    sizes = _font_sizes(pdf)
    assert len(sizes) >= 10 and min(sizes) >= 7.0, sorted(set(sizes))
