"""Names to entries: detectors, post-processors and datasets by short name, plug-ins by ``module:Class``.

Lookups are lazy (a module is imported only when its name is used), so
``--detector zscore`` never imports torch. A dataset entry carries its
metadata (how it is loaded, fetched, verified and described, which extra
metric families apply, where its published results are), so no module
branches on a dataset's name.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.errors import ParameterError, UnknownNameError

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

# short name -> "module:attribute"; named after a detector with '+' (``lstm+likelihood``)
POSTPROCESSORS: dict[str, str] = {
    "likelihood": "bench.postprocess.likelihood:LikelihoodPostProcessor",
    "telemanom": "bench.postprocess.telemanom:TelemanomPostProcessor",
    "spatial": "bench.postprocess.spatial:SpatialPostProcessor",
}

FINDINGS: dict[str, str] = {"spatial": "null"}
"""Post-processors that are benchmark findings, not detection skill: a run that uses one also shows it on
this detector (``null+spatial``), so its rows can be read against what the rule alone scores."""

SANITY_BASELINES = ("random", "null")
"""Added to every run unless it says otherwise: a metric under which these look good says so about the metric."""

SEED_PARAMS = ("seed", "random_state")
"""The parameter names through which a run's seed reaches a detector (the first one it has)."""


@dataclass(frozen=True)
class DatasetEntry:
    """A dataset's registration: its loader and what the rest of the suite needs to know about it.

    Parameters
    ----------
    name
        What ``--dataset`` accepts.
    loader
        ``"module:function"``; called as ``load(data_dir, *, progress, **options) -> list[Series]``.
        Its keyword-only parameters (with annotations and defaults) are the
        dataset's options, set with ``--param NAME.OPTION=VALUE``.
    info
        ``"module:INFO"``, a dict whose ``[name]`` is the dataset's
        :class:`bench.datasets.info.DatasetInfo` (description, size, licence,
        source, access), for ``bench list`` and ``bench datasets list``.
    fetch, verify
        ``"module:function"`` downloading (``fetch(data_dir, *, progress) -> Path``)
        and re-hashing what is on disk (``verify(data_dir) -> VerifyReport``);
        ``None`` where there is nothing to download or check.
    how_to_get
        ``"module:ATTRIBUTE"``: what ``datasets fetch`` tells a user about data they must download themselves.
    metric_families
        Dataset-specific metric families (e.g. NAB's score) that apply to it
        and are added to the default families of a run that uses it.
    published
        ``"module:function"`` returning published results as
        ``(dataset, detector, metric, value)`` rows shown beside a run's own.
    path_option
        The option that ``--dataset NAME:ARG`` sets to ``ARG`` (e.g. ``path``).
    """

    name: str
    loader: str
    info: str | None = None
    fetch: str | None = None
    verify: str | None = None
    how_to_get: str | None = None
    metric_families: tuple[str, ...] = ()
    published: str | None = None
    path_option: str | None = None

    def load_function(self) -> Callable[..., Any]:
        return _import(self.loader, "dataset loader")

    def about(self) -> Any:
        """The dataset's :class:`~bench.datasets.info.DatasetInfo` (a blank one for a plug-in without ``info``)."""
        if self.info is None:
            from bench.datasets.info import DatasetInfo

            return DatasetInfo(self.name, f"(loaded by {self.loader})", "", "", "", "plug-in")
        return _import(self.info, "dataset information")[self.name]

    def how_to_get_text(self) -> str | None:
        """How a user obtains data bench cannot download (None for fetched or generated datasets)."""
        if self.how_to_get is None:
            return None
        text = _import(self.how_to_get, "download instructions")
        if isinstance(text, dict):
            text = text.get(self.name) or text.get(self.name.upper()) or " ".join(text.values())
        return str(text)

    def options(self) -> dict[str, Parameter]:
        """The loader's options (keyword parameters except ``data_dir`` and ``progress``)."""
        fn = self.load_function()
        target = getattr(fn, "options_signature", fn)  # a loader forwarding **options names its real signature
        return {k: v for k, v in parameters(target).items() if k not in ("data_dir", "progress")}


DATASETS: dict[str, DatasetEntry] = {
    e.name: e
    for e in (
        DatasetEntry("yahoo-synth", "bench.datasets.synthetic:load_synthetic", "bench.datasets.synthetic:INFO"),
        DatasetEntry(
            "nab",
            "bench.datasets.nab:load",
            "bench.datasets.nab:INFO",
            fetch="bench.datasets.nab:fetch",
            verify="bench.datasets.nab:verify",
            metric_families=("nab",),
            published="bench.metrics.nab_run:published_rows",
        ),
        DatasetEntry(
            "yahoo-s5",
            "bench.datasets.yahoo_s5:load",
            "bench.datasets.yahoo_s5:INFO",
            how_to_get="bench.datasets.yahoo_s5:HOW_TO_GET",
            path_option="path",
        ),
        DatasetEntry(
            "smd",
            "bench.datasets.smd:load",
            "bench.datasets.smd:INFO",
            fetch="bench.datasets.smd:fetch",
            verify="bench.datasets.smd:verify",
        ),
        DatasetEntry(
            "smap",
            "bench.datasets.telemanom:load_smap",
            "bench.datasets.telemanom:INFO",
            verify="bench.datasets.telemanom:verify",
            how_to_get="bench.datasets.telemanom:HOW_TO_GET",
        ),
        DatasetEntry(
            "msl",
            "bench.datasets.telemanom:load_msl",
            "bench.datasets.telemanom:INFO",
            verify="bench.datasets.telemanom:verify",
            how_to_get="bench.datasets.telemanom:HOW_TO_GET",
        ),
        DatasetEntry(
            "tsb-ad-u",
            "bench.datasets.tsb_ad:load_u",
            "bench.datasets.tsb_ad:INFO",
            verify="bench.datasets.tsb_ad:verify_u",
            how_to_get="bench.datasets.tsb_ad:HOW_TO_GET",
        ),
        DatasetEntry(
            "tsb-ad-m",
            "bench.datasets.tsb_ad:load_m",
            "bench.datasets.tsb_ad:INFO",
            verify="bench.datasets.tsb_ad:verify_m",
            how_to_get="bench.datasets.tsb_ad:HOW_TO_GET",
        ),
        DatasetEntry(
            "ucr",
            "bench.datasets.ucr:load",
            "bench.datasets.ucr:INFO",
            verify="bench.datasets.ucr:verify",
            how_to_get="bench.datasets.ucr:HOW_TO_GET",
        ),
        DatasetEntry("gutentag", "bench.datasets.gutentag:load", "bench.datasets.gutentag:INFO"),
        DatasetEntry("csv", "bench.datasets.csv:load", "bench.datasets.csv:INFO", path_option="path"),
    )
}


@dataclass(frozen=True)
class Parameter:
    """One keyword parameter of a detector, post-processor or dataset loader."""

    name: str
    default: Any
    annotation: Any  # a resolved type (``int``, ``int | float | str``) or ``inspect.Parameter.empty``


def parameters(obj: Any) -> dict[str, Parameter]:
    """Keyword parameters of a class's ``__init__`` or a function, with defaults and resolved annotations."""
    fn = obj.__init__ if isinstance(obj, type) else obj  # type: ignore[misc]
    sig = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # unresolvable annotations in a plug-in: fall back to the defaults' types
        hints = {}
    out = {}
    for p in sig.parameters.values():
        if p.name == "self" or p.kind not in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD):
            continue
        out[p.name] = Parameter(p.name, p.default, hints.get(p.name, inspect.Parameter.empty))
    return out


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


def postprocessor_names() -> list[str]:
    return sorted(POSTPROCESSORS)


def dataset_names() -> list[str]:
    return sorted(DATASETS)


def get_detector_class(name: str) -> type[Any]:
    """The class for a short name or a ``module:Class`` plug-in, checked against the interface.

    A plug-in needs ``fit``, ``score`` and ``get_params`` (duck typing is
    enough); subclassing :class:`bench.detectors.base.Detector` adds input
    validation and the conformance battery's expectations for free.
    """
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
            "subclass bench.detectors.base.Detector."
        )
    return cls


def get_postprocessor_class(name: str) -> type[Any]:
    if name in POSTPROCESSORS:
        return _import(POSTPROCESSORS[name], "post-processor")
    if ":" in name:
        cls = _import(name, "post-processor class")
        if isinstance(cls, type) and all(callable(getattr(cls, m, None)) for m in ("fit", "transform", "get_params")):
            return cls
        raise UnknownNameError(
            f"Plug-in {name!r} is not a post-processor class (needs fit, transform and get_params; "
            "subclass bench.postprocess.base.PostProcessor)."
        )
    raise UnknownNameError(
        f"Unknown post-processor {name!r}. Available: {', '.join(postprocessor_names()) or '(none)'}."
    )


def seed_param(cls: type[Any]) -> str | None:
    """The parameter through which the run's seed reaches ``cls`` (``seed`` or ``random_state``), if any."""
    names = parameters(cls)
    return next((p for p in SEED_PARAMS if p in names), None)


def make_detector(name: str, params: dict[str, Any] | None = None, seed: int | None = None) -> Any:
    """Instantiate a detector by name with keyword hyperparameters (unknown ones refused) and the run's seed.

    The seed goes to the detector's seed parameter (:func:`seed_param`) at
    construction; a detector without one is deterministic or ignores seeds.
    """
    cls = get_detector_class(name)
    params = dict(params or {})
    valid = parameters(cls)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ParameterError(
            f"{cls.__name__} has no parameter {', '.join(map(repr, unknown))}. Valid: {', '.join(valid) or '(none)'}."
        )
    sp = seed_param(cls)
    if seed is not None and sp is not None:
        params[sp] = seed
    return cls(**params)


def get_dataset(name: str) -> DatasetEntry:
    if name not in DATASETS:
        raise UnknownNameError(f"Unknown dataset {name!r}. Available: {', '.join(dataset_names())}.")
    return DATASETS[name]


def get_dataset_loader(name: str) -> Callable[..., Any]:
    return get_dataset(name).load_function()


def fetchable_dataset_names() -> list[str]:
    return sorted(n for n, e in DATASETS.items() if e.fetch)


def resolve(target: str, what: str) -> Any:
    """Import a ``"module:attribute"`` target of a registry entry."""
    return _import(target, what)
