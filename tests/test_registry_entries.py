"""Detector entries in the registry: metadata known without imports, plug-ins' entries from documented attributes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from bench import registry
from bench.config import DatasetSpec, DetectorSpec, RunConfig
from bench.detectors.base import Detector
from bench.errors import ParameterError, UnknownNameError
from bench.pipeline import preflight
from bench.report.build import chance_baselines
from bench.runner import _WARMED, execute, make_task
from bench.series import Series
from bench.testing import sine_with_spikes

REPO_ROOT = Path(__file__).resolve().parent.parent
HERE = __name__  # plug-ins below are named f"{HERE}:Class"


class RngDetector(Detector):
    """Declares where the seed goes, under a name the plug-in convention would not find."""

    seed_param: ClassVar[str | None] = "rng"

    def __init__(self, *, rng: int = 0, seed: int = 0) -> None:
        self.rng = rng
        self.seed = seed

    def _fit(self, X: Any) -> None:
        self.n_warmup_ = 0

    def _score(self, X: Any) -> Any:
        return np.random.default_rng(self.rng).random(X.shape[0])


class DeclinesSeed(RngDetector):
    """Has a ``seed`` parameter that is not the run's seed."""

    seed_param: ClassVar[str | None] = None


class WrongSeedParam(RngDetector):
    seed_param: ClassVar[str | None] = "nope"


class EpochsDetector(RngDetector):
    """Reports its training epochs, and counts its fits (warm-up included)."""

    reports_epochs: ClassVar[bool] = True
    chance_level: ClassVar[bool] = True
    fits: ClassVar[int] = 0

    def _fit(self, X: Any) -> None:
        type(self).fits += 1
        self.epochs_run_ = 7
        self.n_warmup_ = 0


class SilentEpochs(RngDetector):
    """Sets ``epochs_run_`` without declaring ``reports_epochs``: the runner does not read it."""

    def _fit(self, X: Any) -> None:
        self.epochs_run_ = 7
        self.n_warmup_ = 0


class Strict(Detector):
    """Deterministic; ``k`` must be >= 0."""

    def __init__(self, *, k: int = 0) -> None:
        self.k = k

    def _validate_params(self) -> None:
        if self.k < 0:
            raise ParameterError(f"Strict: k must be >= 0; got {self.k}.")

    def _fit(self, X: Any) -> None:
        self.n_warmup_ = 0

    def _score(self, X: Any) -> Any:
        return X[:, 0] * self.k


@pytest.mark.parametrize("name", registry.detector_names())
def test_written_entry_agrees_with_the_class(name: str) -> None:
    """The registry's entry of each detector equals the one its class's documented attributes give."""
    entry = registry.DETECTOR_ENTRIES[name]
    cls = registry.get_detector_class(name)
    assert registry.DetectorEntry.from_class(name, entry.target, cls) == entry
    assert f"{cls.__module__}:{cls.__qualname__}" == entry.target == registry.DETECTORS[name]


def test_asking_about_registered_detectors_imports_no_detector_module() -> None:
    code = (
        "import sys\n"
        "from bench import registry\n"
        "from bench.config import DetectorSpec as D\n"
        "from bench.report.build import chance_baselines\n"
        "assert not registry.is_chance_level('lstm') and registry.is_chance_level('random')\n"
        "rows = [D('lstm', alias='lstm+likelihood'), D('random'), D('null', alias='null+spatial'), D('autoencoder')]\n"
        "assert chance_baselines(rows) == ('random', 'null+spatial')\n"
        "assert registry.detector_entry('lstm').needs_torch and registry.detector_entry('lstm').seed_param == 'seed'\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('bench.detectors.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"


def test_plugin_entry_comes_from_its_documented_attributes() -> None:
    e = registry.detector_entry(f"{HERE}:EpochsDetector")
    assert (e.seed_param, e.chance_level, e.reports_epochs) == ("rng", True, True)
    assert not e.streaming and not e.needs_torch and e.multivariate
    assert registry.is_chance_level(f"{HERE}:EpochsDetector") and not registry.is_chance_level(f"{HERE}:RngDetector")
    assert registry.detector_entry("_plugins:DuckDetector").seed_param == "seed"  # the plug-in convention
    assert registry.detector_entry("_plugins:AbsDetector").seed_param == "seed"


def test_the_seed_goes_where_the_entry_says() -> None:
    det = registry.make_detector(f"{HERE}:RngDetector", seed=5)
    assert (det.rng, det.seed) == (5, 0)
    det = registry.make_detector(f"{HERE}:DeclinesSeed", seed=5)
    assert (det.rng, det.seed) == (0, 0)
    assert registry.seed_param(f"{HERE}:DeclinesSeed") is None and registry.seed_param(RngDetector) == "rng"
    with pytest.raises(UnknownNameError, match="seed_param = 'nope' is not one of its parameters"):
        registry.detector_entry(f"{HERE}:WrongSeedParam")


def test_unknown_names_are_refused_unless_an_answer_is_given() -> None:
    with pytest.raises(UnknownNameError, match="Unknown detector 'lstn'"):
        registry.is_chance_level("lstn")
    assert registry.is_chance_level("lstn", unknown=False) is False
    assert registry.is_chance_level("no_such_module_xyz:Det", unknown=True) is True
    rows = [
        DetectorSpec("random", alias="random+likelihood"),
        DetectorSpec("lstm", alias="lstm[window_size=20]"),
        DetectorSpec("no_such_module_xyz:Det"),
        DetectorSpec("zscore", alias="random"),  # an alias is a name, not a registry entry
        DetectorSpec(f"{HERE}:EpochsDetector"),
    ]
    assert chance_baselines(rows) == ("random+likelihood", f"{HERE}:EpochsDetector")


def _series() -> Series:
    x, y = sine_with_spikes(n=400, seed=0)
    return Series("t", "s", x, y, train_end=200)


def test_runner_records_epochs_only_for_detectors_that_report_them() -> None:
    s = _series()
    rec, _ = execute(make_task(DetectorSpec(f"{HERE}:EpochsDetector"), 0, s))
    assert rec.ok and rec.epochs_run == 7
    rec, _ = execute(make_task(DetectorSpec(f"{HERE}:SilentEpochs"), 0, s))
    assert rec.ok and rec.epochs_run is None
    rec, _ = execute(make_task(DetectorSpec("zscore", {"window_size": 10}), 0, s))
    assert rec.ok and rec.epochs_run is None


def test_runner_warms_each_class_up_once_per_process_without_changing_scores() -> None:
    _WARMED.discard(EpochsDetector)
    EpochsDetector.fits = 0
    s = _series()
    first, scores_first = execute(make_task(DetectorSpec(f"{HERE}:EpochsDetector"), 3, s))
    assert EpochsDetector.fits == 2, "one untimed warm-up fit, then the task's own"
    second, scores_second = execute(make_task(DetectorSpec(f"{HERE}:EpochsDetector"), 3, s))
    assert EpochsDetector.fits == 3, "the class is warm: no second warm-up in this process"
    assert scores_first is not None and scores_second is not None
    np.testing.assert_array_equal(scores_first, scores_second)


def test_warm_up_leaves_the_detector_and_global_random_state_alone() -> None:
    det = registry.make_detector("iforest", {"n_estimators": 5}, seed=1)
    x, _ = sine_with_spikes(n=300, train=150, seed=0)
    state = np.random.get_state()[1].copy()
    det.warm_up(x)
    assert not hasattr(det, "is_fitted_") and det.get_params()["seed"] == 1
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    det.warm_up(x[:5])  # shorter than one window: nothing to warm, fit will refuse it


def test_preflight_uses_the_public_check_params() -> None:
    assert Strict(k=-1).get_params()["k"] == -1  # construction checks nothing
    with pytest.raises(ParameterError, match="k must be >= 0"):
        Strict(k=-1).check_params()
    nab = (DatasetSpec("nab"),)
    bad = RunConfig((DetectorSpec(f"{HERE}:Strict", {"k": -1}, "strict"),), nab, baselines=False)
    with pytest.raises(ParameterError, match="^strict: Strict: k must be >= 0"):
        preflight(bad)
    preflight(RunConfig((DetectorSpec(f"{HERE}:Strict", {"k": 1}), DetectorSpec("_plugins:DuckDetector")), nab))
