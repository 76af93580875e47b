"""Plug-in detectors and a tiny dataset used by the runner and CLI tests (importable as ``_plugins:...``)."""

from __future__ import annotations

import atexit
import os
import tempfile
from pathlib import Path

import numpy as np

from bench.detectors.base import Detector
from bench.detectors.statistical import ZScoreDetector
from bench.postprocess.base import PostProcessor
from bench.series import Series
from bench.testing import sine_with_spikes


class _Calls:
    """A list of calls that worker processes append to too: one line each in the file ``$BENCH_TEST_CALLS``.

    Tasks run in worker processes, so a module-level list would count only
    this process's calls. The first process to import this module names the
    file; the workers it spawns inherit the variable.
    """

    def __init__(self) -> None:
        if "BENCH_TEST_CALLS" not in os.environ:
            path = Path(tempfile.gettempdir()) / f"bench-test-calls-{os.getpid()}.txt"
            os.environ["BENCH_TEST_CALLS"] = str(path)
            atexit.register(path.unlink, missing_ok=True)
        self.path = Path(os.environ["BENCH_TEST_CALLS"])

    def append(self, call: str) -> None:
        with open(self.path, "a") as fh:
            fh.write(call + "\n")

    def clear(self) -> None:
        self.path.write_text("")

    def _calls(self) -> list[str]:
        return self.path.read_text().split() if self.path.exists() else []

    def __len__(self) -> int:
        return len(self._calls())

    def __eq__(self, other: object) -> bool:
        return self._calls() == other

    def __repr__(self) -> str:
        return repr(self._calls())


CALLS = _Calls()


class AbsDetector(Detector):
    """Score = |x - mean of the training part| (first channel); counts its fits in CALLS."""

    def __init__(self, *, offset: float = 0.0, seed: int = 0) -> None:
        self.offset = offset
        self.seed = seed

    def warm_up(self, X):  # type: ignore[no-untyped-def]
        """Nothing to warm up; and tests count this class's fits, to which a warm-up fit would add one."""

    def _fit(self, X):  # type: ignore[no-untyped-def]
        CALLS.append("fit")
        self.mean_ = X.mean(axis=0)

    def _score(self, X):  # type: ignore[no-untyped-def]
        return np.abs(X - self.mean_).max(axis=1) + self.offset


class CrashOnLongDetector(AbsDetector):
    """Raises an ordinary bug-like exception on series longer than 600 points."""

    def _score(self, X):  # type: ignore[no-untyped-def]
        if X.shape[0] > 600:
            raise ZeroDivisionError("simulated detector bug")
        return super()._score(X)


class NotADetector:
    pass


def tiny(data_dir=None, *, progress: bool = False, n_series: int = 3):  # type: ignore[no-untyped-def]
    """Three sines with spikes; the third is longer (700 points)."""
    out = []
    for i in range(n_series):
        n = 700 if i == 2 else 600
        x, y = sine_with_spikes(n=n, seed=i)
        ts = (np.datetime64("2020-01-01T00:00") + np.arange(n) * np.timedelta64(5, "m")).astype("datetime64[ns]")
        out.append(Series("tiny", f"s{i}", x, y, timestamps=ts, train_end=300))
    return out


def mixed(data_dir=None, *, progress: bool = False):  # type: ignore[no-untyped-def]
    """One series with spikes and one without any labelled anomaly."""
    x, y = sine_with_spikes(seed=0)
    return [
        Series("mixed", "spiky", x, y, train_end=300),
        Series("mixed", "clean", x[:300].copy().repeat(2)[:600], np.zeros(600, np.int8), train_end=300),
    ]


class DuckDetector:
    """A plug-in that only duck-types the interface (fit, score, get_params), as the README allows."""

    def __init__(self, scale: float = 1.0, seed: int = 0) -> None:
        self.scale = scale
        self.seed = seed

    def get_params(self) -> dict[str, float]:
        return {"scale": self.scale, "seed": self.seed}

    def fit(self, X):  # type: ignore[no-untyped-def]
        self.mean_ = np.asarray(X, dtype=float).mean(axis=0)
        return self

    def score(self, X):  # type: ignore[no-untyped-def]
        return self.scale * np.abs(np.asarray(X, dtype=float) - self.mean_).max(axis=1)


def weird(data_dir=None, *, progress: bool = False):  # type: ignore[no-untyped-def]
    """Two series whose names are unsafe as paths: a parent reference and characters files cannot hold."""
    x, y = sine_with_spikes(seed=0)
    return [
        Series("we:ird", "../../escape", x, y, train_end=300),
        Series("we:ird", 'a<b>|c?"*', x, y, train_end=300),
    ]


class _OnLong:
    """Duck-typed plug-in base: |x - training mean|, misbehaving only on series longer than 600 points."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def get_params(self) -> dict[str, int]:
        return {"seed": self.seed}

    def fit(self, X):  # type: ignore[no-untyped-def]
        self.mean_ = np.asarray(X).mean(axis=0)
        return self

    def score(self, X):  # type: ignore[no-untyped-def]
        s = np.abs(np.asarray(X) - self.mean_).max(axis=1)
        return self.misbehave(s) if len(s) > 600 else s

    def misbehave(self, s):  # type: ignore[no-untyped-def]
        return s


class NaNOnLong(_OnLong):
    def misbehave(self, s):  # type: ignore[no-untyped-def]
        s[10] = np.nan
        return s


class FailOnSeedOne(_OnLong):
    """Deterministic (the seed changes no score) except that seed 1 fails on the long series (issue 17, item 27)."""

    def misbehave(self, s):  # type: ignore[no-untyped-def]
        if self.seed == 1:
            raise RuntimeError("seed 1 fails on the long series")
        return np.random.default_rng(0).random(len(s))


class WrongLengthOnLong(_OnLong):
    def misbehave(self, s):  # type: ignore[no-untyped-def]
        return s[:-1]


class HangOnLong(_OnLong):
    def misbehave(self, s):  # type: ignore[no-untyped-def]
        import threading

        threading.Event().wait()  # blocks forever: only the task timeout ends it


class SegfaultOnLong(_OnLong):
    def misbehave(self, s):  # type: ignore[no-untyped-def]
        import os
        import signal

        os.kill(os.getpid(), signal.SIGSEGV)


class ExitOnLong(_OnLong):
    def misbehave(self, s):  # type: ignore[no-untyped-def]
        import os

        os._exit(7)


class FailWhenAsked(_OnLong):
    """Raises on every series while the environment variable BENCH_TEST_FAIL is set."""

    def fit(self, X):  # type: ignore[no-untyped-def]
        import os

        if os.environ.get("BENCH_TEST_FAIL"):
            raise RuntimeError("asked to fail")
        return super().fit(X)


FITS: list[int] = []


class Barrier(_OnLong):
    """In its k-th fit in a process (k = $BENCH_TEST_BARRIER_AT), blocks until the FIFO $BENCH_TEST_BARRIER is read.

    Lets a test stop a real run at a known point without sleeping: once the
    test's ``open(fifo)`` returns, the run is inside that task, with the
    tasks before it finished.
    """

    def fit(self, X):  # type: ignore[no-untyped-def]
        import os

        FITS.append(1)
        fifo = os.environ.get("BENCH_TEST_BARRIER")
        if fifo and len(FITS) == int(os.environ.get("BENCH_TEST_BARRIER_AT", "-1")):
            with open(fifo, "w") as fh:  # blocks until the test opens the other end
                fh.write("inside\n")
            import threading

            threading.Event().wait()  # stay here until killed
        return super().fit(X)


# --------------------------------------------------------------- plug-ins the conformance battery must judge
class DoublingFrozenZScore(ZScoreDetector):
    """Wrong on purpose: ``update`` returns twice the rolling z-score and never learns the point.

    Issue 16, item 6: this variant passed every check of the old detector battery.
    """

    def _update(self, v):  # type: ignore[no-untyped-def]
        history = self._history
        score = super()._update(v)
        self._history = history  # forget the point: the window never slides
        return 2.0 * score


class FrozenZScore(ZScoreDetector):
    """Wrong on purpose: ``update`` scores each point right but never learns it (the window never slides)."""

    def _update(self, v):  # type: ignore[no-untyped-def]
        history = self._history
        score = super()._update(v)
        self._history = history
        return score


class CentredPostProcessor(PostProcessor):
    """``scale * |s - mean of the transformed scores|``: reads the whole series, and says so (causal = False)."""

    causal = False

    def __init__(self, *, scale: float = 1.0) -> None:
        self.scale = scale

    def _fit(self, train, values):  # type: ignore[no-untyped-def]
        self.mean_ = float(train.mean()) if train.size else 0.0

    def _transform(self, scores, values):  # type: ignore[no-untyped-def]
        centre = scores.mean() if scores.size else 0.0
        return self.scale * np.abs(scores - centre)

    def _update(self, score, value):  # type: ignore[no-untyped-def]
        return self.scale * abs(score - self.mean_)
