"""NAB's score: hand-computed tiny cases, the sweep against brute force, NAB's own outputs, score files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.datasets import nab as nab_dataset
from bench.errors import DataError
from bench.metrics.nab import (
    PROFILE_NAMES,
    NabSeries,
    Profile,
    load_profiles,
    nab_corpus,
    nab_corpus_scores,
    nab_normalise,
    nab_null_raw,
    nab_optimise_threshold,
    nab_perfect_raw,
    nab_probationary_length,
    nab_row_weights,
    nab_series_score,
    nab_sweep,
    published_scores,
    scaled_sigmoid,
)
from bench.scorefiles import evaluate_nab_dir, read_score_dir
from bench.series import Series, events_to_labels

STD = Profile(tp=1.0, fp=0.11, fn=1.0)
# NAB's scaled sigmoid 2 / (1 + exp(5x)) - 1 equals tanh(-5x / 2): hand values below use tanh.
MAX_TP = math.tanh(2.5)


def _one_hot(n: int, *rows: int, value: float = 1.0) -> np.ndarray:
    s = np.zeros(n)
    s[list(rows)] = value
    return s


# --- hand-computed tiny cases -------------------------------------------------------------
# One series of 10 rows, one window [4, 8) (rows 4..7, width 4, last row 7), probationary 2,
# threshold 0.5, standard profile (tp 1, fp 0.11, fn 1). Scored rows: 2..9 (8 rows),
# 4 inside the window, 4 outside (2, 3, 8, 9).
WIN = [(4, 8)]


def test_scaled_sigmoid_hand_values() -> None:
    # left edge of a window (x = -1): tanh(2.5); right edge (x = 0): 0; beyond 3: -1 exactly.
    got = scaled_sigmoid([-1.0, -0.5, 0.0, 1.0, 3.0, 3.5])
    want = [math.tanh(2.5), math.tanh(1.25), 0.0, -math.tanh(2.5), -math.tanh(7.5), -1.0]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)


def test_detection_at_window_start_scores_full_tp_weight() -> None:
    # row 4: position -(7 - 4 + 1) / 4 = -1, weight tanh(2.5) / tanh(2.5) = 1.
    r = nab_series_score(_one_hot(10, 4), WIN, 2, 0.5, STD)
    assert r.score == pytest.approx(1.0, abs=1e-12)
    assert (r.tp, r.fp, r.fn, r.tn) == (1, 0, 3, 4)


def test_detection_at_window_end_scores_less() -> None:
    # row 7: position -(7 - 7 + 1) / 4 = -0.25, weight tanh(0.625) / tanh(2.5).
    r = nab_series_score(_one_hot(10, 7), WIN, 2, 0.5, STD)
    assert r.score == pytest.approx(math.tanh(0.625) / MAX_TP, abs=1e-12)


def test_earliest_detection_in_window_counts_once() -> None:
    # rows 5 and 7 detected: the window is worth row 5's weight, position -3/4 -> tanh(1.875).
    r = nab_series_score(_one_hot(10, 5, 7), WIN, 2, 0.5, STD)
    assert r.score == pytest.approx(math.tanh(1.875) / MAX_TP, abs=1e-12)
    assert r.tp == 2


def test_late_false_positive_is_weighted_by_distance_after_window() -> None:
    # row 9 detected: 2 rows after the window's last row, divided by width - 1 = 3 -> x = 2/3,
    # weight 0.11 * tanh(-5/3); the window is missed: -1.
    r = nab_series_score(_one_hot(10, 9), WIN, 2, 0.5, STD)
    assert r.score == pytest.approx(-1.0 + 0.11 * math.tanh(-5.0 / 3.0), abs=1e-12)
    assert (r.tp, r.fp, r.fn, r.tn) == (0, 1, 4, 3)


def test_false_positive_before_any_window_costs_full_fp_weight() -> None:
    # row 3 (scored, before the window): -0.11; missed window: -1.
    r = nab_series_score(_one_hot(10, 3), WIN, 2, 0.5, STD)
    assert r.score == pytest.approx(-1.11, abs=1e-12)


def test_probationary_rows_are_not_scored() -> None:
    # row 1 lies in the probationary period: ignored, so only the missed window counts.
    r = nab_series_score(_one_hot(10, 1), WIN, 2, 0.5, STD)
    assert r.score == -1.0
    assert (r.tp, r.fp, r.fn, r.tn) == (0, 0, 4, 4)


def test_no_detection_costs_fn_weight_per_window() -> None:
    r = nab_series_score(np.zeros(10), [(2, 4), (6, 8)], 0, 0.5, Profile(1.0, 0.11, 2.0))
    assert r.score == -4.0


def test_threshold_is_inclusive() -> None:
    # score exactly at the threshold is a detection (NAB: rows with score >= threshold).
    r = nab_series_score(_one_hot(10, 4, value=0.5), WIN, 2, 0.5, STD)
    assert r.score == pytest.approx(1.0, abs=1e-12)


def test_window_inside_probationary_counts_for_nothing() -> None:
    # window [0, 2) entirely before row 3: neither TP nor FN; row 5 is 4 rows after its last
    # row, width - 1 = 1 -> x = 4 > 3 -> weight -1 * 0.11.
    assert nab_series_score(np.zeros(10), [(0, 2)], 3, 0.5, STD).score == 0.0
    assert nab_series_score(_one_hot(10, 5), [(0, 2)], 3, 0.5, STD).score == pytest.approx(-0.11)


def test_window_straddling_probationary_keeps_full_window_geometry() -> None:
    # window [1, 5) (width 4, last row 4), probationary 3: row 3 is the earliest scorable,
    # position -(4 - 3 + 1) / 4 = -0.5 -> tanh(1.25) / tanh(2.5).
    r = nab_series_score(_one_hot(10, 3), [(1, 5)], 3, 0.5, STD)
    assert r.score == pytest.approx(math.tanh(1.25) / MAX_TP, abs=1e-12)


def test_row_weights_hand_values() -> None:
    # n=6, window [1, 3): row 0 before any window -0.11; rows 1, 2 at positions -1, -1/2;
    # rows 3..5 at 1, 2, 3 window-widths-minus-one after row 2 (width 2 -> divide by 1).
    w = nab_row_weights(6, [(1, 3)], STD)
    want = [
        -0.11,
        1.0,
        math.tanh(1.25) / MAX_TP,
        0.11 * math.tanh(-2.5),
        0.11 * math.tanh(-5.0),
        0.11 * math.tanh(-7.5),
    ]
    np.testing.assert_allclose(w, want, rtol=0, atol=1e-12)


def test_probationary_length_matches_nab() -> None:
    # min(floor(0.15 n), 750): 100 -> 15, 4032 -> 604, 22695 -> 750.
    assert [nab_probationary_length(n) for n in (100, 4032, 22695)] == [15, 604, 750]


def test_invalid_windows_and_profiles_are_rejected() -> None:
    with pytest.raises(DataError, match="non-overlapping"):
        nab_series_score(np.zeros(10), [(4, 8), (6, 9)], 0, 0.5, STD)
    with pytest.raises(DataError, match="within"):
        nab_series_score(np.zeros(10), [(4, 11)], 0, 0.5, STD)
    with pytest.raises(DataError, match="non-finite"):
        nab_series_score(_one_hot(10, 3, value=np.nan), WIN, 0, 0.5, STD)
    with pytest.raises(ValueError, match="fp"):
        nab_series_score(np.zeros(10), WIN, 0, 0.5, Profile(1.0, -0.1, 1.0))


# --- the sweep and optimiser --------------------------------------------------------------


def _random_corpus(seed: int) -> list[NabSeries]:
    rng = np.random.default_rng(seed)
    corpus = []
    for _ in range(4):
        n = int(rng.integers(30, 80))
        cuts = np.sort(rng.choice(np.arange(1, n), size=4, replace=False))
        windows = [(int(cuts[0]), int(cuts[1])), (int(cuts[2]), int(cuts[3]))]
        scores = np.round(rng.random(n), 1)  # many ties
        corpus.append(NabSeries(scores, windows, int(rng.integers(0, 10))))
    return corpus


@pytest.mark.parametrize("seed", range(5))
def test_sweep_equals_brute_force_over_every_threshold(seed: int) -> None:
    corpus = _random_corpus(seed)
    for prof in load_profiles().values():
        thresholds, values = nab_sweep(corpus, prof)
        candidates = np.unique(np.concatenate([np.asarray(c.scores)[c.probationary :] for c in corpus]))
        brute = {t: sum(r.score for r in nab_corpus_scores(corpus, t, prof)) for t in [1.1, *candidates]}
        for t, v in zip(thresholds, values, strict=True):
            assert v == pytest.approx(brute[t], abs=1e-9)
        best_t, best_v = nab_optimise_threshold(corpus, prof)
        top = max(brute.values())
        assert best_v == pytest.approx(top, abs=1e-9)
        # ties go to the highest threshold reaching the maximum
        assert best_t == max(t for t, v in brute.items() if v > top - 1e-9)


def test_tie_goes_to_highest_threshold() -> None:
    # window [0, 4), scores 0.9 at row 0, 0.8 at row 2: at 0.8 the window is still worth row 0,
    # so 0.9 and 0.8 tie with score 1; the optimiser reports 0.9.
    s = np.array([0.9, 0.0, 0.8, 0.0, 0.0, 0.0])
    assert nab_optimise_threshold([NabSeries(s, [(0, 4)], 0)], STD) == (0.9, pytest.approx(1.0))


def test_null_and_perfect_detectors_normalise_to_0_and_100() -> None:
    base = _random_corpus(7)
    null = [NabSeries(np.full(len(c.scores), 0.5), c.windows, c.probationary) for c in base]
    perfect = []
    for c in base:
        s = np.zeros(len(c.scores))
        for a, _ in c.windows:
            s[a] = 1.0
        perfect.append(NabSeries(s, c.windows, 0))
    for r in nab_corpus(null).values():
        # a constant score detects nothing (1.1) or everything (0.5): whichever NAB's optimiser
        # prefers, the null detector is the baseline itself
        assert r.threshold in (1.1, 0.5)
        assert r.normalised_score == 0.0
    for r in nab_corpus(perfect).values():
        assert r.normalised_score == pytest.approx(100.0, abs=1e-9)
    fn2 = Profile(1.0, 0.11, 2.0)
    assert nab_perfect_raw(perfect, fn2) == 8.0  # 8 windows, tp weight 1
    # Null detector = the better of "nothing" and "everything" detected.
    # 100 rows, window [10, 12): nothing -> -2; everything -> +1, minus 0.11 for each of 10 rows
    # before the window and about 0.11 for each of 88 rows after it -> far below -2.
    assert nab_null_raw([NabSeries(np.zeros(100), [(10, 12)], 0)], fn2) == -2.0
    # 3 rows, window [0, 2): everything -> +1 for row 0, row 2 is 1 row after the window's last
    # row over width - 1 = 1 -> 0.11 * tanh(-2.5); beats nothing (-2).
    got = nab_null_raw([NabSeries(np.zeros(3), [(0, 2)], 0)], fn2)
    assert got == pytest.approx(1.0 + 0.11 * math.tanh(-2.5), abs=1e-12)


def test_normalise_formula_and_undefined_case() -> None:
    # 100 * (raw - null) / (perfect - null): (-50 + 116) / (116 + 116) * 100.
    assert nab_normalise(-50.0, -116.0, 116.0) == pytest.approx(100 * 66 / 232)
    with pytest.raises(DataError, match="no scored anomaly window"):
        nab_normalise(0.0, 0.0, 0.0)


def test_shipped_profiles_and_scoreboard() -> None:
    profiles = load_profiles()
    assert tuple(sorted(profiles)) == tuple(sorted(PROFILE_NAMES))
    assert profiles["reward_low_FP_rate"].fp == 0.22
    assert profiles["reward_low_FN_rate"].fn == 2.0
    pub = published_scores()
    assert pub["null"]["standard"] == 0.0
    assert pub["numenta"]["reward_low_FP_rate"] == pytest.approx(63.1168416)


# --- NAB's own outputs ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def nab_series(nab_mirror: Path) -> list[Series]:
    # the NAB loader's parser: windows as [first row at t1, first row at t2 + 1), train_end =
    # NAB's probationary length, name <category>/<file stem>
    return nab_dataset.parse(nab_mirror)


@pytest.mark.parametrize("detector", ["null", "random", "numenta", "windowedGaussian"])
def test_reproduces_nab_scores_exactly(nab_reference: Path, nab_series: list[Series], detector: str) -> None:
    expected = json.loads((nab_reference / "expected.json").read_text())[detector]
    got = evaluate_nab_dir(nab_reference / detector, nab_series)
    assert got["detector"] == detector
    scores, _ = read_score_dir(nab_reference / detector, nab_series)
    corpus = [NabSeries(scores[s.name], s.events, s.train_end) for s in nab_series]
    profiles = load_profiles()
    for prof_name in PROFILE_NAMES:
        want, have = expected[prof_name], got[prof_name]
        assert have["raw_score"] == pytest.approx(want["raw_score"], abs=1e-6)
        assert have["normalised_score"] == pytest.approx(want["normalised_score"], abs=1e-6)
        # same threshold as NAB's optimiser, and it achieves NAB's raw score on the sweep too
        assert have["threshold"] == want["threshold"]
        thresholds, values = nab_sweep(corpus, profiles[prof_name])
        assert values[thresholds == have["threshold"]][0] == pytest.approx(want["raw_score"], abs=1e-6)
        # the published scoreboard is carried alongside (it may differ: older optimiser)
        assert "published_normalised_score" in have

        # per-file scores at NAB's threshold equal NAB's per-file table
        table = pd.read_csv(nab_reference / detector / f"{detector}_{prof_name}_scores.csv.gz")
        rows = table[table["Detector"] != "Totals"].set_index("File")
        threshold = float(rows["Threshold"].iloc[0])
        per_file = nab_corpus_scores(corpus, threshold, profiles[prof_name])
        for s, r in zip(nab_series, per_file, strict=True):
            ref = rows.loc[s.name + ".csv"]
            assert r.score == pytest.approx(ref["Score"], abs=1e-9), s.name
            assert (r.tp, r.tn, r.fp, r.fn) == (ref["TP"], ref["TN"], ref["FP"], ref["FN"]), s.name
            assert r.tp + r.tn + r.fp + r.fn == ref["Total_Count"]


def test_row_weights_equal_nab_result_columns(nab_reference: Path, nab_series: list[Series]) -> None:
    profiles = load_profiles()
    for s in nab_series[::6]:
        cat, stem = s.name.split("/")
        frame = pd.read_csv(nab_reference / "numenta" / cat / f"numenta_{stem}.csv.gz")
        for name, prof in profiles.items():
            np.testing.assert_allclose(
                nab_row_weights(len(s), s.events, prof), frame[f"S(t)_{name}"], rtol=0, atol=1e-12
            )


# --- score files ----------------------------------------------------------------------------


def _tiny_series() -> list[Series]:
    out = []
    for cat, stem, n, events in [("catA", "one", 10, [(4, 8)]), ("catB", "two_x", 12, [(2, 5)])]:
        out.append(
            Series(
                dataset="nab",
                name=f"{cat}/{stem}",
                values=np.zeros(n),
                labels=events_to_labels(events, n),
                events=tuple(events),
                train_end=1,
                metadata={"category": cat},
            )
        )
    return out


def _write(root: Path, rel: str, scores: list[object]) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"timestamp": range(len(scores)), "anomaly_score": scores}).to_csv(
        path, index=False, compression="gzip" if rel.endswith(".gz") else None
    )
    return path


def _good_dir(root: Path, prefix: str = "det_") -> Path:
    _write(root, f"catA/{prefix}one.csv", [0.0] * 4 + [1.0] + [0.0] * 5)
    _write(root, f"catB/{prefix}two_x.csv.gz", [0.0] * 12)
    return root


def test_score_dir_reads_prefixed_and_plain_layouts(tmp_path: Path) -> None:
    series = _tiny_series()
    scores, det = read_score_dir(_good_dir(tmp_path / "a"), series)
    assert det == "det"
    assert scores["catA/one"][4] == 1.0 and scores["catB/two_x"].shape == (12,)
    _, det = read_score_dir(_good_dir(tmp_path / "b", prefix=""), series)
    assert det is None
    out = evaluate_nab_dir(tmp_path / "a", series)
    assert out["detector"] == "det"
    assert set(out) == {"detector", *PROFILE_NAMES}
    direct = nab_corpus([NabSeries(scores[s.name], s.events, s.train_end) for s in series])
    for name, r in direct.items():
        assert out[name] == {"normalised_score": r.normalised_score, "raw_score": r.raw_score, "threshold": r.threshold}
    # hand check at threshold 1.0: catA's window found at its first row (+1), catB's missed (-1)
    at_one = nab_corpus_scores([NabSeries(scores[s.name], s.events, 1) for s in series], 1.0, STD)
    assert sum(r.score for r in at_one) == pytest.approx(0.0, abs=1e-12)


def test_score_dir_ignores_nab_tables_at_top_level(tmp_path: Path) -> None:
    root = _good_dir(tmp_path)
    _write(root, "det_standard_scores.csv", [1.0])
    assert set(read_score_dir(root, _tiny_series())[0]) == {"catA/one", "catB/two_x"}


def test_score_dir_missing_file_is_named(tmp_path: Path) -> None:
    root = _good_dir(tmp_path)
    (root / "catB" / "det_two_x.csv.gz").unlink()
    with pytest.raises(DataError, match="catB/two_x"):
        read_score_dir(root, _tiny_series())


def test_score_dir_extra_file_is_named(tmp_path: Path) -> None:
    root = _good_dir(tmp_path)
    _write(root, "catC/det_three.csv", [0.0])
    with pytest.raises(DataError, match="det_three.csv"):
        read_score_dir(root, _tiny_series())


def test_score_dir_duplicate_file_is_named(tmp_path: Path) -> None:
    root = _good_dir(tmp_path)
    _write(root, "catA/one.csv", [0.0] * 10)
    with pytest.raises(DataError, match="Two scores files"):
        read_score_dir(root, _tiny_series())


def test_score_dir_wrong_length_is_named(tmp_path: Path) -> None:
    root = _good_dir(tmp_path)
    _write(root, "catA/det_one.csv", [0.0] * 9)
    with pytest.raises(DataError, match=r"det_one.csv has 9 rows; the series has 10"):
        read_score_dir(root, _tiny_series())


def test_score_dir_non_numeric_is_named(tmp_path: Path) -> None:
    root = _good_dir(tmp_path)
    _write(root, "catA/det_one.csv", [0.0] * 3 + ["high"] + [0.0] * 6)
    with pytest.raises(DataError, match=r"det_one.csv.*data row 4.*'high'"):
        read_score_dir(root, _tiny_series())


def test_score_dir_missing_column_is_named(tmp_path: Path) -> None:
    root = _good_dir(tmp_path)
    pd.DataFrame({"score": np.zeros(10)}).to_csv(root / "catA" / "det_one.csv", index=False)
    with pytest.raises(DataError, match=r"det_one.csv has no 'anomaly_score' column"):
        read_score_dir(root, _tiny_series())
