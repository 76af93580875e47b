"""Every post-processor passes the shared battery (bench.testing.POSTPROCESSOR_CHECKS), and the battery can fail."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from _plugins import CentredPostProcessor

from bench.registry import POSTPROCESSORS
from bench.testing import POSTPROCESSOR_CHECKS, check_postprocessor, run_check
from bench.testing.postprocessors import check_causal, check_streaming
from tests._battery import assert_check


def _cls(name: str):  # type: ignore[no-untyped-def]
    module, _, attr = POSTPROCESSORS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


@pytest.mark.parametrize("check", POSTPROCESSOR_CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
@pytest.mark.parametrize("name", sorted(POSTPROCESSORS))
def test_battery(name: str, check) -> None:  # type: ignore[no-untyped-def]
    cls = _cls(name)
    params = cls._test_params()
    assert_check(name, run_check(check, lambda: cls(**params)))


def _peeking(cls):  # type: ignore[no-untyped-def]
    """A deliberately non-causal variant: the output at t is computed from the input at t + 1."""

    class Peeking(cls):  # type: ignore[misc, valid-type]
        def _transform(self, scores, values):  # type: ignore[no-untyped-def]
            ahead = None if values is None else np.roll(values, -1, axis=0)
            return super()._transform(np.roll(scores, -1), ahead)

    return Peeking


@pytest.mark.parametrize("name", sorted(POSTPROCESSORS))
def test_causality_check_catches_a_peeking_variant(name: str) -> None:
    cls = _peeking(_cls(name))
    params = cls._test_params()
    assert cls.causal  # it claims to be causal ...
    with pytest.raises(AssertionError, match="depends on scores"):  # ... and the battery proves it is not
        check_causal(lambda: cls(**params))
    with pytest.raises(AssertionError, match="update"):
        check_streaming(lambda: cls(**params))
    failed = {r.name for r in check_postprocessor(cls, params) if r.failed}
    assert {"causal", "streaming"} <= failed


def test_check_postprocessor_reports_every_check_passed() -> None:
    results = check_postprocessor(_cls("telemanom"))
    assert [r.name for r in results] == [c.__name__.removeprefix("check_") for c in POSTPROCESSOR_CHECKS]
    assert all(r.passed for r in results), [(r.name, r.status, r.reason) for r in results if not r.passed]


def test_non_causal_postprocessor_is_skipped_with_the_reason_not_passed() -> None:
    """Bug (issue 16, item 6): check_causal returned silently when causal = False, so the check 'passed'."""
    status = {r.name: (r.status, r.reason) for r in check_postprocessor(CentredPostProcessor)}
    for name in ("causal", "streaming"):
        assert status[name][0] == "skipped", status[name]
        assert "CentredPostProcessor is not causal (causal = False)" in status[name][1]
    others = {name: s for name, (s, _) in status.items() if name not in ("causal", "streaming")}
    assert set(others.values()) == {"passed"}, others
