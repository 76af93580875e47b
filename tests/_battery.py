"""One way for the pytest batteries to report a :class:`bench.testing.CheckResult`: skip with its reason, or
re-raise its error (traceback kept), or pass."""

from __future__ import annotations

import pytest

from bench.testing import CheckResult


def assert_check(name: str, result: CheckResult) -> None:
    """Skip with the reason when the check does not apply; re-raise the failure; else the check passed."""
    if result.skipped:
        pytest.skip(f"{name}: {result.reason}")
    if result.failed:
        assert result.error is not None
        raise result.error
    assert result.passed
