"""The conformance package: the checks every detector and every score post-processor must pass.

Plug-in authors import it. Both batteries share one result type and one skip
convention: a check passes by returning, fails by raising ``AssertionError``,
and raises :class:`CheckNotApplicable` with the reason when it does not apply
(the causality check on a non-causal detector or post-processor, the
streaming checks on a detector without ``update``, ...); such a check is
reported as skipped with that reason, never as passed.

Usage in a test suite::

    import pytest
    from bench.testing import DETECTOR_CHECKS, run_check

    @pytest.mark.parametrize("check", DETECTOR_CHECKS, ids=lambda c: c.__name__)
    def test_my_detector(check):
        result = run_check(check, lambda: MyDetector(**MyDetector._test_params()))
        if result.skipped:
            pytest.skip(result.reason)
        if result.failed:
            raise result.error

(``POSTPROCESSOR_CHECKS`` likewise for a post-processor), or
``check_detector(MyDetector)`` / ``check_postprocessor(MyPostProcessor)`` to
run a whole battery at once and read the list of results.
"""

from __future__ import annotations

from typing import Any

from bench.testing import detectors, postprocessors
from bench.testing._common import CheckNotApplicable, CheckResult, Factory, run_check, run_checks
from bench.testing.data import raw_scores, sine_with_spikes

__all__ = [
    "DETECTOR_CHECKS",
    "POSTPROCESSOR_CHECKS",
    "CheckNotApplicable",
    "CheckResult",
    "Factory",
    "check_detector",
    "check_postprocessor",
    "raw_scores",
    "run_check",
    "sine_with_spikes",
]

DETECTOR_CHECKS = detectors.CHECKS
"""The detector checks (:mod:`bench.testing.detectors`), in :func:`check_detector`'s order."""

POSTPROCESSOR_CHECKS = postprocessors.CHECKS
"""The post-processor checks (:mod:`bench.testing.postprocessors`), in :func:`check_postprocessor`'s order."""


def check_detector(cls: Any, params: dict[str, Any] | None = None) -> list[CheckResult]:
    """Run every detector check on ``cls(**params)``.

    Parameters
    ----------
    cls
        The detector class (a :class:`bench.detectors.base.Detector` subclass,
        or a class with the same interface).
    params
        Keyword arguments for ``cls``; default ``cls._test_params()``, the
        class's cheap settings for tests.

    Returns
    -------
    list of CheckResult
        One per check, in :data:`DETECTOR_CHECKS` order: passed, failed (with
        the message and the exception) or skipped (with the reason). The
        detector is done when none failed.

    Examples
    --------
    >>> from bench.detectors.trivial import NullDetector
    >>> results = check_detector(NullDetector)
    >>> [r.name for r in results if r.failed]
    []
    >>> next(r.reason for r in results if r.name == "streaming")
    'NullDetector does not stream (no _update, so no update)'
    """
    return run_checks(DETECTOR_CHECKS, cls, params)


def check_postprocessor(cls: Any, params: dict[str, Any] | None = None) -> list[CheckResult]:
    """Run every post-processor check on ``cls(**params)``.

    Parameters
    ----------
    cls
        The post-processor class (a :class:`bench.postprocess.base.PostProcessor` subclass).
    params
        Keyword arguments for ``cls``; default ``cls._test_params()``.

    Returns
    -------
    list of CheckResult
        One per check, in :data:`POSTPROCESSOR_CHECKS` order: passed, failed
        (with the message and the exception) or skipped (with the reason).
        The post-processor is done when none failed.
    """
    return run_checks(POSTPROCESSOR_CHECKS, cls, params)
