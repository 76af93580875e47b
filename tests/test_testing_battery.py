"""The conformance battery itself: checks that do not apply are skipped with a reason, and checks can fail."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from bench.detectors.base import Detector
from bench.detectors.statistical import ZScoreDetector
from bench.detectors.trivial import NullDetector
from bench.errors import NotFittedError
from bench.testing import DETECTOR_CHECKS, CheckNotApplicable, CheckResult, check_detector, run_check
from bench.testing.detectors import (
    check_causal,
    check_multivariate,
    check_streaming,
    check_streaming_capability,
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
    for check in (check_streaming, check_update_validates):
        result = run_check(check, NullDetector)
        assert result.status == "skipped" and "does not stream" in result.reason


def test_update_validation_check_fails_on_an_update_that_skips_the_template() -> None:
    with pytest.raises(AssertionError, match="overrides update"):
        check_streaming_capability(lambda: RawUpdateZScore(window_size=30))
    with pytest.raises(AssertionError, match=r"update\(nan\) must raise DataError"):
        check_update_validates(lambda: RawUpdateZScore(window_size=30))


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
