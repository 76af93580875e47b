"""The conformance battery itself: checks that do not apply are skipped with a reason, and checks can fail."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _plugins import DoublingFrozenZScore, FrozenZScore

from bench.detectors.base import Detector
from bench.detectors.statistical import ZScoreDetector
from bench.detectors.trivial import NullDetector
from bench.errors import NotFittedError
from bench.testing import DETECTOR_CHECKS, CheckNotApplicable, CheckResult, check_detector, run_check
from bench.testing.detectors import (
    UPDATE_TOLERANCE,
    check_causal,
    check_multivariate,
    check_streaming,
    check_streaming_capability,
    check_update_matches_score,
    check_update_validates,
)


class CentredDetector(Detector):
    """|x - mean of the scored series|: uses the future, and says so (causal = False)."""

    causal = False

    def _fit(self, X: Any) -> None:
        self.n_warmup_ = 0

    def _score(self, X: Any) -> Any:
        return np.abs(X - X.mean(axis=0)).max(axis=1)


class ClaimsCausalDetector(CentredDetector):
    causal = True


class RawUpdateZScore(ZScoreDetector):
    """Streams the old way: overrides update() itself, checks fitting, but validates no point."""

    def update(self, x: Any) -> float:  # type: ignore[override]
        if not getattr(self, "is_fitted_", False):
            raise NotFittedError("RawUpdateZScore is not fitted; call fit first.")
        return self._update(np.asarray(x, dtype=np.float64).reshape(-1))


class CentredStreamingDetector(CentredDetector):
    """Non-causal and streaming: update scores against the training mean."""

    def _fit(self, X: Any) -> None:
        self.n_warmup_ = 0
        self.mean_ = X.mean(axis=0)

    def _update(self, x: Any) -> float:
        return float(np.abs(x - self.mean_).max())


class NudgedZScore(ZScoreDetector):
    """update = score * (1 + f): within the tolerance for f = 0.5e-6, outside it for f = 2e-6."""

    factor = 0.0

    def _update(self, v: Any) -> float:
        return super()._update(v) * (1.0 + self.factor)


def test_causal_check_is_skipped_not_passed_on_a_non_causal_detector() -> None:
    """Bug (issue 8, item 7): check_causal returned silently, so a non-causal detector 'passed' it."""
    with pytest.raises(CheckNotApplicable, match="CentredDetector is not causal"):
        check_causal(CentredDetector)
    result = run_check(check_causal, CentredDetector)
    assert result.skipped and not result.passed and not result.failed and "not causal" in result.reason


def test_causal_check_fails_on_a_false_claim() -> None:
    with pytest.raises(AssertionError, match="depends on X"):
        check_causal(ClaimsCausalDetector)
    result = run_check(check_causal, ClaimsCausalDetector)
    assert result.failed and "depends on X" in result.reason and isinstance(result.error, AssertionError)


def test_streaming_checks_are_skipped_without_update() -> None:
    """Bug (issue 8, item 7): check_streaming returned silently on a detector without update."""
    for check in (check_streaming, check_update_matches_score, check_update_validates):
        result = run_check(check, NullDetector)
        assert result.status == "skipped" and "does not stream" in result.reason


def test_update_validation_check_fails_on_an_update_that_skips_the_template() -> None:
    with pytest.raises(AssertionError, match="overrides update"):
        check_streaming_capability(lambda: RawUpdateZScore(window_size=30))
    with pytest.raises(AssertionError, match=r"update\(nan\) must raise DataError"):
        check_update_validates(lambda: RawUpdateZScore(window_size=30))


def test_battery_fails_a_variant_whose_update_doubles_the_score_and_never_learns() -> None:
    """Bug (issue 16, item 6): no check compared update with score, so this variant passed the whole battery."""
    results = check_detector(DoublingFrozenZScore)
    failed = {r.name: r for r in results if r.failed}
    assert list(failed) == ["update_matches_score"], [(r.name, r.reason) for r in results if r.failed]
    assert "update(X[t]) != score(X)[t]" in failed["update_matches_score"].reason
    assert isinstance(failed["update_matches_score"].error, AssertionError)


def test_update_check_fails_a_variant_that_scores_right_but_never_learns() -> None:
    with pytest.raises(AssertionError, match=r"after fit\(X\[:300\]\), update\(X\[t\]\) != score"):
        check_update_matches_score(lambda: FrozenZScore(window_size=30))


@pytest.mark.parametrize(("factor", "passes"), [(0.5 * UPDATE_TOLERANCE, True), (2.0 * UPDATE_TOLERANCE, False)])
def test_update_check_tolerance_is_the_documented_fraction_of_the_largest_score(factor: float, passes: bool) -> None:
    """A relative error of f on every point (so f x the largest score at the largest) fails exactly when f > 1e-6."""

    class Nudged(NudgedZScore):
        pass

    Nudged.factor = factor
    result = run_check(check_update_matches_score, lambda: Nudged(window_size=30))
    assert result.passed is passes, result.reason


def test_update_check_is_skipped_on_a_non_causal_streaming_detector() -> None:
    assert CentredStreamingDetector.supports_update()
    result = run_check(check_update_matches_score, CentredStreamingDetector)
    assert result.skipped and "not causal" in result.reason and "future" in result.reason


def test_check_detector_reports_every_check_passed_or_skipped_with_its_reason() -> None:
    results = check_detector(NullDetector)
    assert [r.name for r in results] == [c.__name__.removeprefix("check_") for c in DETECTOR_CHECKS]
    status = {r.name: (r.status, r.reason) for r in results}
    assert status["causal"] == ("passed", "")
    assert status["streaming"][0] == "skipped" and "NullDetector does not stream" in status["streaming"][1]
    assert status["detects_spikes"][0] == "skipped" and "chance-level" in status["detects_spikes"][1]
    assert status["multivariate"] == ("passed", "")
    assert status["univariate_refuses_channels"][0] == "skipped"


def test_check_detector_reports_a_crash_as_a_failure_of_that_check() -> None:
    class CrashingScore(CentredDetector):
        def _score(self, X: Any) -> Any:
            raise ZeroDivisionError("simulated detector bug")

    results = {r.name: r for r in check_detector(CrashingScore)}
    assert results["output_contract"].failed
    assert results["output_contract"].reason == "ZeroDivisionError: simulated detector bug"
    assert isinstance(results["output_contract"].error, ZeroDivisionError)
    assert results["init_stores_params"].passed


def test_check_result_equality_ignores_the_exception_object() -> None:
    a = CheckResult("x", "failed", "boom", error=AssertionError("boom"))
    b = CheckResult("x", "failed", "boom", error=AssertionError("boom"))
    assert a == b and a != CheckResult("x", "passed")


def test_multivariate_check_is_skipped_on_a_univariate_detector() -> None:
    class Univariate(CentredDetector):
        multivariate = False

    result = run_check(check_multivariate, Univariate)
    assert result.skipped and "univariate" in result.reason
