"""Names to classes: detectors and datasets by short name, plug-ins by ``module:Class``.

Lookups are lazy (a module is imported only when its name is used), so
``--detector zscore`` never imports torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench.errors import ParameterError, UnknownNameError

if TYPE_CHECKING:
    from bench.detectors.base import Detector

# short name -> "module:attribute"
DETECTORS: dict[str, str] = {
    "lstm": "bench.detectors.lstm:LSTMDetector",
    "zscore": "bench.detectors.statistical:ZScoreDetector",
    "gaussian": "bench.detectors.statistical:GaussianDetector",
    "mad": "bench.detectors.statistical:MADDetector",
    "iforest": "bench.detectors.iforest:IsolationForestDetector",
    "autoencoder": "bench.detectors.autoencoder:AutoencoderDetector",
    "random": "bench.detectors.trivial:RandomDetector",
    "null": "bench.detectors.trivial:NullDetector",
}

# short name -> "module:loader"; a loader is ``load(data_dir=None, **options) -> list[Series]``
DATASETS: dict[str, str] = {
    "yahoo-synth": "bench.datasets.synthetic:load_synthetic",
    "yahoo-s5": "bench.datasets.yahoo_s5:load",
    "nab": "bench.datasets.nab:load",
}

DATASET_DESCRIPTIONS: dict[str, str] = {
    "yahoo-synth": "Yahoo S5 A3/A4-style generated series (default 10 x 1500 points, seeded, no download)",
    "nab": "Numenta Anomaly Benchmark: 58 series in 7 categories (downloaded, pinned, verified)",
}


def _import(target: str, what: str) -> Any:
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UnknownNameError(f"Cannot import {what} module {module_name!r}: {exc}.") from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        raise UnknownNameError(f"Module {module_name!r} has no {what} {attr!r}.") from None


def detector_names() -> list[str]:
    return sorted(DETECTORS)


def dataset_names() -> list[str]:
    return sorted(DATASETS)


def get_detector_class(name: str) -> type[Detector]:
    """The class for a short name or a ``module:Class`` plug-in, checked against the interface."""
    from bench.detectors.base import Detector

    if name in DETECTORS:
        return _import(DETECTORS[name], "detector")
    if ":" not in name:
        raise UnknownNameError(
            f"Unknown detector {name!r}. Available: {', '.join(detector_names())} (or a plug-in as module:Class)."
        )
    cls = _import(name, "detector class")
    if not isinstance(cls, type):
        raise UnknownNameError(f"Plug-in {name!r} is not a class.")
    missing = [m for m in ("fit", "score", "get_params") if not callable(getattr(cls, m, None))]
    if missing:
        raise UnknownNameError(
            f"Plug-in {name!r} does not implement the detector interface (missing {', '.join(missing)}); "
            f"subclass {Detector.__module__}.Detector."
        )
    return cls


def make_detector(name: str, params: dict[str, Any] | None = None) -> Any:
    """Instantiate a detector by name with keyword hyperparameters (unknown ones refused)."""
    cls = get_detector_class(name)
    params = dict(params or {})
    valid = cls._param_names() if hasattr(cls, "_param_names") else list(params)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ParameterError(
            f"{cls.__name__} has no parameter {', '.join(map(repr, unknown))}. Valid: {', '.join(valid) or '(none)'}."
        )
    return cls(**params)


def get_dataset_loader(name: str) -> Callable[..., Any]:
    if name not in DATASETS:
        raise UnknownNameError(f"Unknown dataset {name!r}. Available: {', '.join(dataset_names())}.")
    return _import(DATASETS[name], "dataset loader")
