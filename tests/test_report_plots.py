"""Report figures: produced, non-empty, in every format; the envelope, PR interpolation and series selection by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from bench.errors import DataError, ParameterError
from bench.metrics.auc import auc_pr
from bench.report import frames, plots, runplots, stats
from tests._frames import metric_frame
from tests._report_data import make_run, make_series, make_traces


def _looks_drawn(path: Path, min_colors: int = 8) -> None:
    """A PNG with content: several distinct colours and a good share of non-white pixels."""
    img = np.asarray(Image.open(path).convert("RGB"))
    assert img.shape[0] > 200 and img.shape[1] > 300
    assert len(np.unique(img.reshape(-1, 3), axis=0)) >= min_colors
    assert (img.min(axis=2) < 200).mean() > 0.01


def test_series_figure_png(tmp_path: Path) -> None:
    s = make_series(0)
    out = plots.plot_series(s, make_traces(s), tmp_path / "s0", max_points=200)
    assert out == tmp_path / "s0.png"
    _looks_drawn(out, min_colors=20)


@pytest.mark.parametrize(("fmt", "magic"), [("pdf", b"%PDF"), ("svg", b"<?xml")])
def test_series_figure_vector_formats(tmp_path: Path, fmt: str, magic: bytes) -> None:
    s = make_series(1, timestamps=False)
    out = plots.plot_series(s, make_traces(s), tmp_path / "s1", fmt=fmt)
    assert out.suffix == "." + fmt and out.read_bytes().startswith(magic) and out.stat().st_size > 5000


@pytest.mark.parametrize("channels", [3, 12])
def test_series_figure_multivariate(tmp_path: Path, channels: int) -> None:
    s = make_series(2, channels=channels)
    out = plots.plot_series(s, {k: v for k, v in make_traces(s).items() if k != "null"}, tmp_path / "mv")
    _looks_drawn(out)


def test_series_figure_rejects_misaligned_scores_and_bad_format(tmp_path: Path) -> None:
    s = make_series(0)
    with pytest.raises(DataError, match="scores on group0/s0 have shape"):
        plots.plot_series(s, {"x": plots.Trace(np.zeros(10))}, tmp_path / "bad")
    with pytest.raises(ParameterError, match="choose one of png, pdf, svg"):
        plots.plot_series(s, make_traces(s), tmp_path / "bad", fmt="jpg")


def test_envelope_keeps_every_extreme() -> None:
    y = np.random.default_rng(0).standard_normal(10_001)
    y[5000] = 50.0
    y[7777] = -40.0
    idx, v = plots.envelope(y, 500)
    assert len(idx) <= 502 and np.all(np.diff(idx) > 0)
    assert v.max() == 50.0 and v.min() == -40.0 and np.array_equal(v, y[idx])
    idx_small, _ = plots.envelope(y[:100], 500)
    assert np.array_equal(idx_small, np.arange(100))


def test_select_series_where_detectors_disagree() -> None:
    def value(s: str, d: str, k: int, m: str) -> float:
        spread = {"a/s1": 0.0, "a/s2": 0.4, "b/s3": 0.2, "b/s4": 0.1}[s]
        return 0.5 + (spread if d == "det1" else -spread if d == "det2" else 0.9)

    m = metric_frame(value, metrics=("auc_pr",))
    # the baselines' 1.4 would make every series disagree equally: only contenders count
    assert plots.select_series(m, "toy", n=2) == ["a/s2", "b/s3"]
    assert plots.select_series(m, "toy", "all") == ["a/s1", "a/s2", "b/s3", "b/s4"]
    assert plots.select_series(m, "toy", "none") == []
    with pytest.raises(ParameterError, match="disagree, all or none"):
        plots.select_series(m, "toy", "some")


def test_interpolated_pr_by_hand_and_mean_ap_equals_table() -> None:
    # scores 0.9 (pos), 0.8 (neg), 0.2 (pos), 0.1 (neg): PR points (P, R) = (1, .5), (.5, .5), (2/3, 1), (.5, 1)
    got = runplots.interpolated_pr([0, 1, 0, 1], [0.1, 0.9, 0.8, 0.2], np.array([0.0, 0.5, 0.75, 1.0]))
    assert got.tolist() == pytest.approx([1.0, 1.0, 2 / 3, 2 / 3])
    assert np.isnan(runplots.interpolated_pr([0, 0], [0.1, 0.2])).all()
    series, traces, _ = make_run(n_series=3, seeds=(0,))
    items = {
        d: [(s.labels[s.train_end :], traces[(s.name, 0)][d].scores[s.train_end :]) for s in series]
        for d in ("spike", "random")
    }
    curves = runplots.pr_curves(items)
    for d, c in curves.items():
        assert c.mean_ap == pytest.approx(np.mean([auc_pr(y, sc) for y, sc in items[d]]))
        assert c.n_series == 3 and np.all(np.diff(c.precision) <= 1e-12)  # interpolated precision never rises


def test_run_figures(tmp_path: Path) -> None:
    series, traces, m = make_run()
    dist = runplots.plot_distributions(m, "toy", tmp_path / "dist", columns=("auc_pr", "f1", "vus_pr"))
    _looks_drawn(dist)
    ranks = stats.compare_ranks(frames.per_series(m, "toy", "auc_pr"), metric="auc_pr")
    _looks_drawn(runplots.plot_cd_diagram(ranks, tmp_path / "cd"))
    items: dict[str, list] = {}
    for s in series:
        for d, t in traces[(s.name, 0)].items():
            items.setdefault(d, []).append((s.labels[s.train_end :], t.scores[s.train_end :]))
    _looks_drawn(runplots.plot_pr_curves(runplots.pr_curves(items), tmp_path / "pr", title="toy"))
    assert runplots.plot_cd_diagram(ranks, tmp_path / "cd", fmt="svg").read_bytes().startswith(b"<?xml")


def test_distributions_need_per_series_values(tmp_path: Path) -> None:
    m = metric_frame(lambda *a: 0.5, metrics=("auc_pr",))
    with pytest.raises(DataError, match="nothing to plot"):
        runplots.plot_distributions(m[m["aggregate"] == "mean"], "toy", tmp_path / "d")
    assert isinstance(m, pd.DataFrame)
