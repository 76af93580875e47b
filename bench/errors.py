"""The exception hierarchy: every error the suite raises on purpose is a BenchError.

Each subclass also derives from the matching builtin, so callers can catch
``ValueError`` or ``LookupError`` without knowing about this module. Messages say
what went wrong, the value received, and what to do next.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


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


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`` Did you mean 'nab'?`` for the choices close to a mistyped ``name`` ('' when none is): one helper for
    every "unknown name" message (detectors, datasets, post-processors, metric families, command-line flags).

    >>> did_you_mean("nabb", ["nab", "smd", "yahoo-synth"])
    " Did you mean 'nab'?"
    >>> did_you_mean("--datset", ["--dataset", "--detector"])
    " Did you mean '--dataset'?"
    >>> did_you_mean("xyz", ["nab"])
    ''
    """
    close = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"
