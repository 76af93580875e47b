"""The exception hierarchy: every error the suite raises on purpose is a BenchError.

Each subclass also derives from the matching builtin, so callers can catch
``ValueError`` or ``LookupError`` without knowing about this module. Messages say
what went wrong, the value received, and what to do next.
"""

from __future__ import annotations


class BenchError(Exception):
    """Root of every error raised on purpose by bench."""


class DataError(BenchError, ValueError):
    """Input data is malformed: NaN, wrong shape, too short, wrong length."""


class ParameterError(BenchError, ValueError):
    """A parameter (hyperparameter, CLI option, metric argument) is invalid."""


class UnknownNameError(BenchError, LookupError):
    """A detector, dataset, metric or series name matched nothing."""


class MissingDependencyError(BenchError, ImportError):
    """An optional dependency needed for this feature is not installed."""


class NotFittedError(BenchError, RuntimeError):
    """A detector was asked to score before it was fitted."""


class DownloadError(BenchError, OSError):
    """A dataset file could not be fetched (network, missing source, server error)."""


class ChecksumError(DownloadError):
    """A fetched file's sha256 does not match the pinned manifest."""


class OutputError(BenchError, OSError):
    """A results or data folder cannot be created or written."""


class UnsafePathError(BenchError, ValueError):
    """A write would go through a symbolic link to a folder inside a run folder, so land outside it."""


class FailFastError(BenchError):
    """``--fail-fast``: a run stopped at its first failed task (exit code 3, not 2: the input was fine)."""


class DataWarning(UserWarning):
    """Input data was repaired (a documented, visible repair: sorted, de-duplicated, filled); says what and where."""
