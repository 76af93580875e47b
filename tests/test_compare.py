"""The regression gate's logic: identical runs pass, a worsened run fails, mismatched runs are bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from bench.compare import compare
from bench.compare_text import to_text
from bench.errors import DataError, ParameterError
from bench.metrics import catalog
from tests._frames import metric_frame, seeded

SERIES = tuple(f"s{i}" for i in range(12))


def _run(**kw: object) -> pd.DataFrame:
    return metric_frame(seeded(), series=SERIES, metrics=("auc_pr", "f1", "delay_points"), **kw)  # type: ignore[arg-type]


def _worsen(frame: pd.DataFrame, detector: str, metric: str, by: float) -> pd.DataFrame:
    """Lower every per-series value (and the mean) of one detector's metric by ``by``."""
    out = frame.copy()
    sel = (out.detector == detector) & (out.metric == metric)
    out.loc[sel, "value"] -= by
    return out


def test_identical_runs_have_no_regression() -> None:
    run = _run(seeds=(0, 1))
    c = compare(run, run.copy())
    assert c.exit_code == 0 and c.regressions.empty
    assert set(c.table.metric) == {"auc_pr", "f1"} and c.gated == ("auc_pr", "f1")
    assert (c.table.change == 0).all() and set(c.table.verdict) == {"unchanged"}
    assert "No regression" in to_text(c)


def test_worsened_run_is_a_regression_beyond_noise() -> None:
    base = _run()
    c = compare(base, _worsen(base, "det1", "auc_pr", 0.05))
    assert c.exit_code == 1
    (reg,) = c.regressions.itertuples()
    assert (reg.detector, reg.metric) == ("det1", "auc_pr")
    assert reg.change == pytest.approx(-0.05)
    assert reg.n_series == 12 and reg.p_value < 0.01  # every series got worse: beyond series-to-series noise
    assert "worse; larger than series-to-series noise" in reg.verdict
    text = to_text(c, markdown=True)
    assert "1 regression(s)" in text and "**REGRESSION**" in text


def test_change_within_tolerance_passes_and_improvement_is_not_a_regression() -> None:
    base = _run()
    assert compare(base, _worsen(base, "det1", "auc_pr", 0.005)).exit_code == 0
    assert compare(base, _worsen(base, "det1", "auc_pr", 0.05), tolerance=0.1).exit_code == 0
    assert compare(base, _worsen(base, "det1", "auc_pr", -0.2)).exit_code == 0


def test_lower_is_better_metric_regresses_when_it_rises() -> None:
    base = _run()
    worse = _worsen(base, "det2", "delay_points", -3.0)  # delays up by 3 points
    c = compare(base, worse, metrics=["delay_points"])
    assert c.exit_code == 1 and c.regressions.detector.tolist() == ["det2"]
    assert compare(base, _worsen(base, "det2", "delay_points", 3.0), metrics=["delay_points"]).exit_code == 0


def test_metric_that_became_undefined_is_a_regression() -> None:
    base = _run()
    new = base.copy()
    new.loc[(new.detector == "det1") & (new.metric == "f1"), "value"] = float("nan")
    c = compare(base, new)
    assert c.regressions.metric.tolist() == ["f1"]
    assert c.regressions.verdict.tolist() == ["undefined in the new run"]


def test_seed_spread_is_reported() -> None:
    base = _run(seeds=(0, 1, 2))
    c = compare(base, _worsen(base, "det1", "auc_pr", 0.02))
    row = c.table[(c.table.detector == "det1") & (c.table.metric == "auc_pr")].iloc[0]
    assert row.base_seed_std > 0 and "seed spread" in row.verdict
    assert " ± " in to_text(c)


def test_few_series_cannot_show_a_paired_difference() -> None:
    base = metric_frame(seeded(), series=("a", "b", "c"), metrics=("auc_pr",))
    c = compare(base, _worsen(base, "det1", "auc_pr", 0.05))
    assert "too few series (3)" in c.regressions.verdict.iloc[0]


def test_mismatched_datasets_series_detectors_metrics_are_data_errors() -> None:
    base = _run()
    with pytest.raises(DataError, match="different datasets"):
        compare(base, _run(dataset="other"))
    with pytest.raises(DataError, match="different series"):
        compare(base, metric_frame(seeded(), series=SERIES[:-1], metrics=("auc_pr", "f1", "delay_points")))
    with pytest.raises(DataError, match="det2.*missing from one run"):
        compare(base, base[base.detector != "det2"])
    one_failed = base[~((base.detector == "det1") & (base.series == "s3"))]
    with pytest.raises(DataError, match="det1 on toy has per-series results for different series"):
        compare(base, one_failed)
    with pytest.raises(DataError, match="'f1' is missing from new"):
        compare(base, base[base.metric != "f1"])
    with pytest.raises(DataError, match="missing from either run"):
        compare(base, base, metrics=["vus_pr"])
    with pytest.raises(DataError, match="lacks column"):
        compare(base, base.drop(columns="seed"))
    with pytest.raises(ParameterError, match="cannot gate"):
        compare(base, base, metrics=["threshold"])
    with pytest.raises(ParameterError, match="tolerance"):
        compare(base, base, tolerance=-1)


def test_extra_detectors_in_new_are_noted_not_compared() -> None:
    base = _run()
    new = pd.concat([base, base[base.detector == "det1"].assign(detector="det3")], ignore_index=True)
    c = compare(base, new)
    assert "det3" not in set(c.table.detector) and any("det3" in n for n in c.notes)


def test_headline_defaults_and_all_metrics() -> None:
    assert catalog.gated()[0] == "auc_pr" and "nab_standard" in catalog.gated()
    base = _run()
    c = compare(base, base, all_metrics=True)
    assert set(c.table.metric) == {"auc_pr", "f1", "delay_points"}
    assert not c.table[c.table.metric == "delay_points"].gated.any()


def test_baseline_with_only_per_series_rows_compares_like_the_full_run() -> None:
    base = _run(seeds=(0, 1))
    per_series_only = base[base["aggregate"] != "mean"]
    full, slim = compare(base, base), compare(per_series_only, base)
    assert slim.exit_code == 0
    pd.testing.assert_frame_equal(full.table, slim.table)
