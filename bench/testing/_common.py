"""What the detector and post-processor batteries share: the result type, the skip convention, running a check.

A check is a function ``check(make) -> None`` of a factory ``make()`` that
builds a fresh, unfitted estimator. It passes by returning, fails by raising
``AssertionError`` saying what is wrong, and declares that it does not apply
by raising :class:`CheckNotApplicable` with the reason. :func:`run_check` turns
each of the three outcomes into one :class:`CheckResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Factory = Callable[[], Any]
Check = Callable[[Factory], None]
Status = Literal["passed", "failed", "skipped"]


class CheckNotApplicable(Exception):
    """Raised by a check that does not apply to the estimator at hand; the message is the reason.

    Examples: the causality check on a detector with ``causal = False``, the
    streaming checks on a detector without ``update``. The check is then
    reported as skipped with this reason, never as passed.
    """


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one estimator.

    Parameters
    ----------
    name
        The check's name without its ``check_`` prefix (``"causal"``).
    status
        ``"passed"``, ``"failed"`` or ``"skipped"``.
    reason
        Empty when passed; why the check does not apply when skipped; the
        failure's message (``"ExceptionType: message"`` for anything but an
        ``AssertionError``) when failed.
    error
        The exception a failed check raised (with its traceback), so a test
        runner can re-raise it; ``None`` otherwise. Not part of equality.
    """

    name: str
    status: Status
    reason: str = ""
    error: BaseException | None = field(default=None, compare=False, repr=False)

    @property
    def passed(self) -> bool:
        """Whether the check passed."""
        return self.status == "passed"

    @property
    def failed(self) -> bool:
        """Whether the check failed."""
        return self.status == "failed"

    @property
    def skipped(self) -> bool:
        """Whether the check did not apply (see :attr:`reason`)."""
        return self.status == "skipped"


def check_name(check: Check) -> str:
    """The name a result carries: the function's name without ``check_``."""
    return check.__name__.removeprefix("check_")


def run_check(check: Check, make: Factory) -> CheckResult:
    """Run one check on the estimators ``make()`` builds and report its outcome.

    Parameters
    ----------
    check
        A check from :data:`bench.testing.DETECTOR_CHECKS` or
        :data:`bench.testing.POSTPROCESSOR_CHECKS`.
    make
        Builds a fresh, unfitted estimator each time it is called.

    Returns
    -------
    CheckResult
        ``"skipped"`` with the reason when the check raised
        :class:`CheckNotApplicable`; ``"failed"`` with the message and the
        exception when it raised anything else (an ``AssertionError`` from the
        check, or the estimator's own exception); ``"passed"`` otherwise.
    """
    name = check_name(check)
    try:
        check(make)
    except CheckNotApplicable as exc:
        return CheckResult(name, "skipped", str(exc))
    except AssertionError as exc:
        return CheckResult(name, "failed", str(exc), error=exc)
    except Exception as exc:  # the estimator's own bug is a failure of this check, reported, not raised
        return CheckResult(name, "failed", f"{type(exc).__name__}: {exc}", error=exc)
    return CheckResult(name, "passed")


def run_checks(checks: Sequence[Check], cls: Any, params: dict[str, Any] | None) -> list[CheckResult]:
    """Run ``checks`` in order on ``cls(**params)`` (default params: ``cls._test_params()``)."""
    kwargs = cls._test_params() if params is None else dict(params)
    return [run_check(check, lambda: cls(**kwargs)) for check in checks]


def expect_error(error: type[Exception], call: Callable[[], Any], *needles: str, what: str) -> None:
    """Assert that ``call()`` raises ``error`` whose message contains every one of ``needles``."""
    try:
        call()
    except error as exc:
        for needle in needles:
            assert needle in str(exc), f"{what}: the {error.__name__} must mention {needle!r}; got: {exc}"
    else:
        raise AssertionError(f"{what} must raise {error.__name__}")
