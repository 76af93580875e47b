"""Every registered detector passes the shared conformance battery (bench.testing.DETECTOR_CHECKS).

A check that does not apply to a detector (e.g. streaming on one without
``update``) is reported by pytest as skipped, with the battery's reason; a
failing check re-raises the check's own exception, traceback included.
"""

from __future__ import annotations

import pytest
import torch

from bench import registry
from bench.testing import DETECTOR_CHECKS, run_check
from tests._battery import assert_check

torch.set_num_threads(1)  # small models: one thread is fastest and keeps runs comparable


@pytest.mark.parametrize("check", DETECTOR_CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
@pytest.mark.parametrize("name", registry.detector_names())
def test_conformance(name: str, check) -> None:  # type: ignore[no-untyped-def]
    cls = registry.get_detector_class(name)
    params = cls._test_params()
    assert_check(name, run_check(check, lambda: cls(**params)))
