"""Hand-computed tiny cases and edge cases for every metric family, and the catalogue entries."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.errors import DataError, ParameterError, UnknownNameError
from bench.metrics import (
    affiliation_curve,
    affiliation_pr,
    auc_pr,
    auc_roc,
    best_f1_threshold,
    catalog,
    event_prf,
    pa_k_auc,
    pa_k_curve,
    pa_k_prf,
    point_adjusted_prf,
    prf_curve,
    range_prf,
    vus,
    vus_pr,
    vus_roc,
)


def test_pa_k_hand_case():
    # one event of 5 points, 1 of them flagged (20%), plus one false alarm at index 9
    y = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    p = [1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    # K=20: 20% is not more than 20% -> no adjustment: TP 1, FP 1, FN 4 -> P .5, R .2, F1 2/7
    assert tuple(pa_k_prf(y, p, 20)) == pytest.approx((0.5, 0.2, 2 / 7))
    # K=19: adjusted -> TP 5, FP 1 -> P 5/6, R 1, F1 10/11
    assert tuple(pa_k_prf(y, p, 19)) == pytest.approx((5 / 6, 1.0, 10 / 11))
    # K=0 is classic point adjustment, K=100 is point-wise
    assert pa_k_prf(y, p, 0) == point_adjusted_prf(y, p)
    assert pa_k_prf(y, p, 100).f1 == pytest.approx(2 / 7)
    # F1(K) = 10/11 for K = 0..19, 2/7 for K = 20..100; trapezoid over K/100:
    # 0.19 * 10/11 + 0.01 * (10/11 + 2/7) / 2 + 0.80 * 2/7
    expected = 0.19 * 10 / 11 + 0.01 * (10 / 11 + 2 / 7) / 2 + 0.80 * 2 / 7
    assert pa_k_auc(y, p) == pytest.approx(expected)
    ks, f1 = pa_k_curve(y, p, step=10)
    assert ks.tolist() == list(range(0, 101, 10))
    assert f1[1] == pytest.approx(10 / 11) and f1[2] == pytest.approx(2 / 7)


def test_pa_k_curve_agrees_with_pa_k_prf_at_every_k():
    rng = np.random.default_rng(0)
    y = (rng.random(300) < 0.3).astype(int)
    p = (rng.random(300) < 0.4).astype(int)
    ks, f1 = pa_k_curve(y, p)
    assert f1 == pytest.approx([pa_k_prf(y, p, k).f1 for k in ks])


def test_pa_k_without_events_or_alarms_is_zero():
    # regression: an empty event histogram came back as integers and np.divide refused it
    assert pa_k_auc([0, 0, 0], [0, 1, 0]) == 0.0
    assert pa_k_auc([0, 1, 1], [0, 0, 0]) == 0.0
    assert tuple(pa_k_prf([0, 0, 0], [0, 1, 0])) == (0.0, 0.0, 0.0)


def test_pa_k_rejects_bad_k_and_step():
    with pytest.raises(ParameterError, match="0 <= k <= 100"):
        pa_k_prf([0, 1], [0, 1], 150)
    with pytest.raises(ParameterError, match="dividing 100"):
        pa_k_curve([0, 1], [0, 1], step=7)


def test_event_prf_hand_case():
    # events {0,1} and {4}; alarms at 1 (inside event 1) and 3 (false): 1 of 2 events found,
    # 1 of 2 alarms true -> P .5, R .5, F1 .5
    assert tuple(event_prf([1, 1, 0, 0, 1, 0], [0, 1, 0, 1, 0, 0])) == (0.5, 0.5, 0.5)
    assert tuple(event_prf([0, 0, 0], [0, 1, 0])) == (0.0, 0.0, 0.0)
    assert tuple(event_prf([0, 1, 0], [0, 0, 0])) == (0.0, 0.0, 0.0)


def test_range_prf_hand_cases():
    y = [0, 1, 1, 1, 1, 0, 0, 0]
    p = [0, 1, 1, 0, 0, 0, 0, 0]  # covers positions t = 1, 2 of the real range (length 4)
    # precision: the predicted range lies inside the real one -> 1
    assert range_prf(y, p).precision == 1.0
    assert range_prf(y, p).recall == 0.5  # flat: 2 of 4
    assert range_prf(y, p, bias="front").recall == pytest.approx((4 + 3) / 10)  # weights 4,3,2,1
    assert range_prf(y, p, bias="back").recall == pytest.approx((1 + 2) / 10)  # weights 1,2,3,4
    assert range_prf(y, p, bias="middle").recall == pytest.approx((1 + 2) / 6)  # weights 1,2,2,1
    # alpha 0.5: 0.5 * existence 1 + 0.5 * 0.5
    assert range_prf(y, p, alpha=0.5).recall == 0.75
    # two predicted ranges in one real range: omega 2/4, reciprocal cardinality halves it
    assert range_prf([1, 1, 1, 1], [1, 0, 1, 0], cardinality="reciprocal").recall == 0.25
    assert range_prf([1, 1, 1, 1], [1, 0, 1, 0]).recall == 0.5
    assert range_prf(y, p).f1 == pytest.approx(2 / 3)


def test_range_prf_rejects_bad_parameters():
    with pytest.raises(ParameterError, match="Available: flat"):
        range_prf([0, 1], [0, 1], bias="centre")
    with pytest.raises(ParameterError, match="Available: one"):
        range_prf([0, 1], [0, 1], cardinality="udf_gamma")
    with pytest.raises(ParameterError, match="alpha"):
        range_prf([0, 1], [0, 1], alpha=2)


def test_auc_hand_case_and_edges():
    y, s = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]
    # pairs (pos, neg): 0.8 beats both negatives, 0.35 beats 0.1 only -> 3/4
    assert auc_roc(y, s) == 0.75
    # descending: 0.8 (pos) P=1 R=.5; 0.4 (neg); 0.35 (pos) P=2/3 R=1 -> AP = .5*1 + .5*2/3
    assert auc_pr(y, s) == pytest.approx(0.5 + 1 / 3)
    assert auc_roc([1, 0, 1, 0], [1, 1, 1, 1]) == 0.5  # constant scores
    assert auc_pr([1, 0, 0, 0], [2, 2, 2, 2]) == 0.25  # constant scores: the anomaly rate
    assert math.isnan(auc_roc([0, 0], [0.1, 0.2])) and math.isnan(auc_pr([0, 0], [0.1, 0.2]))
    assert auc_pr([1, 1], [0.1, 0.2]) == 1.0


def test_vus_without_buffer_is_range_auc_of_one_point_event():
    # window 0: no buffer. y = [0,1,0,0], scores [.9,.5,.2,.3], 4 thresholds = each score.
    # t=.9: {0} TPR 0 FPR 1/3 P 0; t=.5: {0,1} TPR 1 FPR 1/3 P 1/2; t=.3: FPR 2/3; t=.2: FPR 1.
    # ROC (0,0),(1/3,0),(1/3,1),(2/3,1),(1,1),(1,1) -> 2/3; PR step sum 1 * 1/2 -> 1/2
    v = vus([0, 1, 0, 0], [0.9, 0.5, 0.2, 0.3], window=0, n_thresholds=4)
    assert v.roc == pytest.approx(2 / 3) and v.pr == pytest.approx(0.5)
    assert vus_roc([0, 1, 0, 0], [0.1, 0.9, 0.2, 0.3], window=0, n_thresholds=4) == pytest.approx(1.0)
    assert vus_pr([0, 1, 0, 0], [0.1, 0.9, 0.2, 0.3], window=0, n_thresholds=4) == pytest.approx(1.0)


def test_vus_edges():
    v = vus([0, 0, 0], [0.1, 0.2, 0.3])
    assert math.isnan(v.roc) and math.isnan(v.pr)
    with pytest.raises(ParameterError, match="window"):
        vus([0, 1], [0.1, 0.2], window=-1)
    # a buffer can only help a detector that fires just before the event
    y = np.zeros(100, int)
    y[50:55] = 1
    s = np.zeros(100)
    s[47] = 1.0
    assert vus_pr(y, s, window=10) > vus_pr(y, s, window=0)


def test_affiliation_hand_case():
    # n=6, event J=[2,4), zone E=[0,6]; one alarm at 5, i.e. [5,6), 1 to 2 away from J.
    # precision: survival = (max(0,2-d) + max(0,2-d)) / 6 over d in [1,2] -> (2 * 1/2) / 6 = 1/6
    # recall: for y in [2,4), D = 5 - y; survival = (max(0, 2y-5) + 1) / 6;
    # integral = (2.25 + 2) / 6, divided by |J| = 2 -> 4.25 / 12
    a = affiliation_pr([0, 0, 1, 1, 0, 0], [0, 0, 0, 0, 0, 1])
    assert a.precision == pytest.approx(1 / 6)
    assert a.recall == pytest.approx(4.25 / 12)
    perfect = affiliation_pr([0, 0, 1, 1, 0, 0], [0, 0, 1, 1, 0, 0])
    assert perfect == (1.0, 1.0)


def test_affiliation_edges():
    assert affiliation_pr([0, 1, 0], [0, 0, 0]) == (0.0, 0.0)  # no alarms: defined as 0 (reference: NaN)
    nan = affiliation_pr([0, 0, 0], [0, 1, 0])
    assert math.isnan(nan.precision) and math.isnan(nan.recall)
    curve = affiliation_curve([0, 0, 1, 1, 0, 0], [0, 0, 0.9, 0.8, 0, 0.5], [0.85, 0.5])
    assert curve.recall[0] < curve.recall[1] == 1.0


def test_prf_curve_strict_and_inclusive_thresholds():
    y = [0, 1, 1, 0]
    s = [0.1, 0.5, 0.9, 0.5]
    # t = 0.5 inclusive: alarms {1, 2, 3}: TP 2 FP 1; strict: alarms {2}: TP 1 FP 0
    inc = prf_curve(y, s, [0.5])
    strict = prf_curve(y, s, [0.5], strict=True)
    assert (inc.precision[0], inc.recall[0]) == pytest.approx((2 / 3, 1.0))
    assert (strict.precision[0], strict.recall[0]) == (1.0, 0.5)
    # adjusted, strict: event max 0.9 > 0.5 -> whole event: TP 2, FP 0
    assert prf_curve(y, s, [0.5], adjusted=True, strict=True).f1[0] == 1.0
    # oracle over >= thresholds 0.9 (F1 2/3) and 0.5 (P 2/3, R 1, F1 0.8) and 0.1 (P 1/2, F1 2/3)
    assert best_f1_threshold(y, s) == pytest.approx((0.5, 2 / 3, 1.0, 0.8))


def test_metrics_reject_bad_input():
    with pytest.raises(DataError, match="0/1"):
        event_prf([0, 2], [0, 1])
    with pytest.raises(DataError, match="points"):
        auc_roc([0, 1, 0], [0.1, 0.2])
    with pytest.raises(DataError, match="non-finite"):
        vus([0, 1], [0.1, np.nan])


def test_catalogue_families_and_defaults():
    assert catalog.default_families() == (
        "point",
        "pa",
        "pa_k",
        "oracle_f1",
        "oracle_pa_f1",
        "auc",
        "vus",
        "delay",
        "alarms",
    )
    rng = np.random.default_rng(1)
    y = np.zeros(500, np.int8)
    y[100:120] = 1
    y[300] = 1
    s = rng.random(500)
    e = catalog.SeriesEval(y, s, s > 0.95)
    names: dict[str, float] = {}
    for fam in catalog.resolve(list(catalog.FAMILIES)):
        if fam.compute is None:  # corpus-level (NAB's score): needs a whole dataset, tested in test_nab_run
            assert fam.corpus is not None and fam.dataset_specific
            continue
        out = fam.compute(e)
        assert all(not k.startswith("oracle_") for k in out) or fam.oracle
        names.update(out)
    expected = {
        "auc_roc",
        "auc_pr",
        "vus_roc",
        "vus_pr",
        "pa_k_auc",
        "pa_k_f1",
        "range_precision",
        "range_recall",
        "range_f1",
        "event_precision",
        "event_recall",
        "event_f1",
        "affiliation_precision",
        "affiliation_recall",
        "oracle_best_pa_f1",
    }
    assert expected <= set(names)
    assert names["oracle_best_pa_f1"] >= names["oracle_best_f1"]
    assert catalog.FAMILIES["oracle_pa_f1"].oracle
    with pytest.raises(UnknownNameError, match="Available"):
        catalog.resolve(["vus_typo"])
