"""Every post-processor passes the shared battery (bench.postprocess.checks), and the battery can fail."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from bench.postprocess.checks import CHECKS, check_causal, check_postprocessor, check_streaming
from bench.registry import POSTPROCESSORS


def _cls(name: str):  # type: ignore[no-untyped-def]
    module, _, attr = POSTPROCESSORS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
@pytest.mark.parametrize("name", sorted(POSTPROCESSORS))
def test_battery(name: str, check) -> None:  # type: ignore[no-untyped-def]
    cls = _cls(name)
    params = cls._test_params()
    check(lambda: cls(**params))


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


def test_check_postprocessor_runs_all_checks() -> None:
    check_postprocessor(_cls("telemanom"))
