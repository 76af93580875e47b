"""Our metrics against the reference implementations on many random label / score arrays.

References (installed by the test extra): prts (range-based), vus (VUS), TSB-AD's evaluation
code (affiliation, PA-F1 and event F1 sweeps) and scikit-learn (AUC-ROC, average precision).
Known reference edge bugs are pinned separately below, each naming the bug.
"""

from __future__ import annotations

import warnings

import numpy as np
import prts
import pytest
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score
from TSB_AD.evaluation.affiliation.generics import convert_vector_to_events
from TSB_AD.evaluation.affiliation.metrics import pr_from_events
from TSB_AD.evaluation.basic_metrics import basic_metricor
from TSB_AD.evaluation.basic_metrics import generate_curve as tsb_generate_curve
from vus.metrics import get_metrics as vus_get_metrics

from bench.metrics import (
    affiliation_curve,
    affiliation_pr,
    auc_pr,
    auc_roc,
    best_f1_threshold,
    event_prf,
    prf_curve,
    range_prf,
    vus,
)

TOL = 1e-9


def random_labels(rng: np.random.Generator, n: int, *, head: bool, tail: bool) -> np.ndarray:
    """Labels with a few events of length 1..30; optionally events touching index 0 / the end."""
    y = np.zeros(n, dtype=np.int64)
    for _ in range(int(rng.integers(1, 6))):
        a = int(rng.integers(0, n))
        y[a : a + int(rng.integers(1, 30))] = 1
    if rng.random() < 0.3:  # a single-point event
        y[int(rng.integers(0, n))] = 1
    if head:
        y[: int(rng.integers(1, 4))] = 1
    if tail:
        y[-int(rng.integers(1, 4)) :] = 1
    return y


def cases(seed: int, count: int, n_max: int = 300, *, head_tail: bool = True):
    rng = np.random.default_rng(seed)
    for i in range(count):
        n = int(rng.integers(8, n_max))
        y = random_labels(rng, n, head=head_tail and i % 4 == 1, tail=head_tail and i % 4 == 2)
        if i % 4 == 3:  # ties: coarse scores
            s = np.round(rng.random(n), 1)
        else:
            s = rng.random(n) + 0.3 * y * rng.random()
        yield rng, y, s


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_range_prf_matches_prts_on_random_arrays():
    for rng, y, s in cases(1, 80):
        p = (s > rng.uniform(0.2, 0.95)).astype(np.int64)
        if p.sum() == 0:
            continue
        for bias in ("flat", "front", "back", "middle"):
            for card in ("one", "reciprocal"):
                alpha = float(rng.choice([0.0, 0.2, 1.0]))
                ours = range_prf(y, p, alpha=alpha, cardinality=card, bias=bias)
                assert ours.recall == pytest.approx(
                    prts.ts_recall(y, p, alpha=alpha, cardinality=card, bias=bias), abs=TOL
                )
                assert ours.precision == pytest.approx(
                    prts.ts_precision(y, p, alpha=0.0, cardinality=card, bias=bias), abs=TOL
                )


def test_range_prf_defaults_are_prts_defaults():
    for _, y, s in cases(2, 20):
        p = (s > 0.6).astype(np.int64)
        if p.sum() == 0:
            continue
        ours = range_prf(y, p)
        assert ours.recall == pytest.approx(prts.ts_recall(y, p), abs=TOL)
        assert ours.precision == pytest.approx(prts.ts_precision(y, p), abs=TOL)


def test_range_prf_all_zero_prediction_is_defined_where_prts_raises():
    y = np.array([0, 1, 1, 0])
    p = np.zeros(4, dtype=np.int64)
    with pytest.raises((AssertionError, IndexError)):
        prts.ts_precision(y, p)
    assert tuple(range_prf(y, p)) == (0.0, 0.0, 0.0)


def test_vus_matches_vus_package_and_tsb_ad():
    for i, (rng, y, s) in enumerate(cases(3, 24, n_max=250)):
        window = int(rng.choice([0, 1, 2, 7, 20, 41]))
        ref = vus_get_metrics(s, y, metric="vus", slidingWindow=window)
        ours = vus(y, s, window)
        # all-anomalous labels: VUS-ROC is NaN in both (FPR divides by zero normal points)
        assert ours.roc == pytest.approx(ref["VUS_ROC"], abs=TOL, nan_ok=True)
        assert ours.pr == pytest.approx(ref["VUS_PR"], abs=TOL)
        if i % 6 == 0:
            tsb = tsb_generate_curve(y, s, window)
            assert ours.roc == pytest.approx(tsb[6], abs=TOL)
            assert ours.pr == pytest.approx(tsb[7], abs=TOL)


def test_vus_other_threshold_counts_match_reference():
    rng, y, s = next(cases(4, 1, n_max=200))
    for thre in (3, 50):
        ref = vus_get_metrics(s, y, metric="vus", slidingWindow=10, thre=thre)
        ours = vus(y, s, 10, n_thresholds=thre)
        assert ours.roc == pytest.approx(ref["VUS_ROC"], abs=TOL)
        assert ours.pr == pytest.approx(ref["VUS_PR"], abs=TOL)


def test_auc_matches_sklearn():
    for _, y, s in cases(5, 60, n_max=500):
        if y.all():
            continue
        assert auc_roc(y, s) == pytest.approx(roc_auc_score(y, s), abs=TOL)
        assert auc_pr(y, s) == pytest.approx(average_precision_score(y, s), abs=TOL)


def test_affiliation_matches_reference_on_random_alarms():
    for rng, y, s in cases(6, 150):
        p = (s > rng.choice([0.3, 0.9, 0.99])).astype(np.int64)
        if p.sum() == 0:
            continue
        ref = pr_from_events(convert_vector_to_events(p), convert_vector_to_events(y), (0, len(y)))
        ours = affiliation_pr(y, p)
        assert ours.precision == pytest.approx(ref["Affiliation_Precision"], abs=TOL)
        assert ours.recall == pytest.approx(ref["Affiliation_Recall"], abs=TOL)


def test_affiliation_sweep_matches_tsb_ad_and_the_per_threshold_loop():
    grader = basic_metricor()
    for _, y, s in cases(7, 10, n_max=200):
        curve = affiliation_curve(y, s, 100, strict=True)
        assert np.nanmax(curve.f1) == pytest.approx(grader.metric_Affiliation(y, s), abs=TOL)
        for k in (0, 37, 80):
            p = (s > curve.thresholds[k]).astype(np.int64)
            if p.sum() == 0:
                continue
            ref = pr_from_events(convert_vector_to_events(p), convert_vector_to_events(y), (0, len(y)))
            assert curve.precision[k] == pytest.approx(ref["Affiliation_Precision"], abs=TOL)
            assert curve.recall[k] == pytest.approx(ref["Affiliation_Recall"], abs=TOL)


def test_pa_f1_sweep_matches_tsb_ad_on_its_thresholds():
    grader = basic_metricor()
    for _, y, s in cases(8, 12, n_max=200, head_tail=False):
        if y[0]:  # TSB-AD's index-0 bug is pinned separately
            continue
        thresholds = np.linspace(s.min(), s.max(), 100)
        ours = prf_curve(y, s, thresholds, adjusted=True, strict=True).f1.max()
        theirs = grader.metric_PointF1PA(y, s)
        assert ours == pytest.approx(theirs, abs=TOL)
        # every distinct score is at least as good as their 100 thresholds
        assert best_f1_threshold(y, s, adjusted=True).f1 >= theirs - TOL


def test_tsb_ad_point_adjustment_misses_index_0_we_do_not():
    # bug: TSB-AD's _adjust_predicts walks back with range(i, 0, -1), so it never reaches index 0
    y = np.array([1, 1, 1, 0, 0, 0])
    p = np.array([0, 1, 0, 0, 0, 0])
    theirs = basic_metricor()._adjust_predicts(np.zeros(6), y, pred=p.copy())
    assert not theirs[0]
    from bench.metrics import adjust_predictions

    assert adjust_predictions(y, p)[:3].all()


def test_point_f1_oracle_matches_precision_recall_curve_without_epsilon():
    for _, y, s in cases(9, 30):
        precision, recall, _ = precision_recall_curve(y, s)
        denom = precision + recall
        f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(denom), where=denom > 0)
        assert best_f1_threshold(y, s).f1 == pytest.approx(f1.max(), abs=TOL)


def test_event_f1_matches_tsb_ad_away_from_the_series_end():
    grader = basic_metricor()
    for _, y, s in cases(10, 40, head_tail=False):
        if y[-1]:
            continue
        p = (s > 0.8).astype(np.int64)
        if p.sum() == 0:
            continue
        assert event_prf(y, p).f1 == pytest.approx(grader.metric_EventF1PA(y, s, preds=p), abs=TOL)


def test_tsb_ad_event_f1_drops_the_last_event_point_we_do_not():
    # bug: TSB-AD's _get_events ends an event running to the series end at n - 2, so a one-point
    # event at the last index is never detected there
    y = np.array([0, 1, 0, 0, 1])
    p = np.array([0, 1, 0, 0, 1])
    assert basic_metricor().metric_EventF1PA(y, p.astype(float), preds=p) < 0.99
    assert event_prf(y, p).f1 == 1.0
