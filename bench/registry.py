"""Names to entries: detectors, post-processors and datasets by short name, plug-ins by ``module:Class``.

Lookups are lazy (a module is imported only when its name is used), so
``--detector zscore`` never imports torch. A detector entry carries what the
runner and the reports need to know (seed parameter, chance level,
streaming, multivariate, torch, trained epochs) without importing the
detector's module. A dataset entry carries its metadata (how it is loaded, fetched, verified and described, which extra
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

from bench.errors import ParameterError, UnknownNameError, did_you_mean


@dataclass(frozen=True)
class DetectorEntry:
    """A detector's registration: where its class lives and what the runner and reports need to know about it.

    Registered detectors' entries are written out below, so a question such
    as "is ``lstm`` a chance-level baseline?" imports nothing (no torch). A
    plug-in's entry is built from its class's documented attributes
    (:meth:`from_class`); for every registered detector a test checks that
    the written entry equals the one built from its class, so the two cannot
    drift.

    Parameters
    ----------
    name
        What ``--detector`` accepts.
    target
        ``"module:Class"``.
    seed_param
        The ``__init__`` parameter through which the run's seed reaches the
        detector; None for a deterministic detector (class attribute ``seed_param``).
    chance_level
        Its scores carry no information by design (``random``, ``null``): never
        marked best, skipped by skill checks (class attribute ``chance_level``).
    streaming
        Offers ``update(x)`` (``supports_update()`` on the class).
    multivariate
        Accepts ``(n, d)`` input with ``d > 1`` (class attribute ``multivariate``).
    needs_torch
        Imports torch when fitted (class attribute ``needs_torch``).
    raw_error
        Its score is a raw prediction or reconstruction error on each series' own scale: a dataset scored
        with one threshold for all its series (NAB's corpus sweep) cannot threshold it, so such a run adds
        its :data:`RAW_ERROR_POST` row (class attribute ``raw_error``).
    reports_epochs
        Sets ``epochs_run_`` in ``fit``, recorded by the runner as
        ``epochs_run`` (class attribute ``reports_epochs``).
    """

    name: str
    target: str
    seed_param: str | None = None
    chance_level: bool = False
    streaming: bool = False
    multivariate: bool = True
    needs_torch: bool = False
    raw_error: bool = False
    reports_epochs: bool = False

    def load(self) -> type[Any]:
        """The detector class (imports its module)."""
        return _import(self.target, "detector")

    @classmethod
    def from_class(cls, name: str, target: str, klass: type[Any]) -> DetectorEntry:
        """The entry a class describes through its documented attributes (see :class:`bench.detectors.base.Detector`).

        A duck-typed plug-in may lack them all: it is then univariate-agnostic
        (``multivariate=True``, as the base class), not streaming unless it has
        ``update``, and its seed goes to a ``seed`` or ``random_state``
        parameter, the plug-in convention ``docs/detectors.md`` documents.

        Raises
        ------
        UnknownNameError
            When the class declares a ``seed_param`` that is not one of its parameters.
        """
        params = parameters(klass)
        if hasattr(klass, "seed_param"):
            seed = klass.seed_param
            if seed is not None and seed not in params:
                raise UnknownNameError(
                    f"{klass.__name__}.seed_param = {seed!r} is not one of its parameters "
                    f"({', '.join(params) or 'none'}); name the parameter that takes the seed, or None."
                )
        else:
            seed = next((p for p in PLUGIN_SEED_PARAMS if p in params), None)
        supports = getattr(klass, "supports_update", None)
        streaming = bool(supports()) if callable(supports) else callable(getattr(klass, "update", None))
        return cls(
            name=name,
            target=target,
            seed_param=seed,
            chance_level=bool(getattr(klass, "chance_level", False)),
            streaming=streaming,
            multivariate=bool(getattr(klass, "multivariate", True)),
            needs_torch=bool(getattr(klass, "needs_torch", False)),
            raw_error=bool(getattr(klass, "raw_error", False)),
            reports_epochs=bool(getattr(klass, "reports_epochs", False)),
        )


DETECTOR_ENTRIES: dict[str, DetectorEntry] = {
    e.name: e
    for e in (
        DetectorEntry(
            "lstm",
            "bench.detectors.lstm:LSTMDetector",
            seed_param="seed",
            streaming=True,
            needs_torch=True,
            raw_error=True,
            reports_epochs=True,
        ),
        DetectorEntry("zscore", "bench.detectors.statistical:ZScoreDetector", streaming=True),
        DetectorEntry("gaussian", "bench.detectors.statistical:GaussianDetector", streaming=True, multivariate=False),
        DetectorEntry("mad", "bench.detectors.statistical:MADDetector", streaming=True),
        DetectorEntry("iforest", "bench.detectors.iforest:IsolationForestDetector", seed_param="seed", streaming=True),
        DetectorEntry(
            "autoencoder",
            "bench.detectors.autoencoder:AutoencoderDetector",
            seed_param="seed",
            streaming=True,
            needs_torch=True,
            raw_error=True,
        ),
        DetectorEntry("random", "bench.detectors.trivial:RandomDetector", seed_param="seed", chance_level=True),
        DetectorEntry("null", "bench.detectors.trivial:NullDetector", chance_level=True),
    )
}

DETECTORS: dict[str, str] = {name: e.target for name, e in DETECTOR_ENTRIES.items()}
"""Short name -> ``"module:Class"`` (the targets of :data:`DETECTOR_ENTRIES`)."""

# short name -> "module:attribute"; named after a detector with '+' (``lstm+likelihood``)
POSTPROCESSORS: dict[str, str] = {
    "likelihood": "bench.postprocess.likelihood:LikelihoodPostProcessor",
    "telemanom": "bench.postprocess.telemanom:TelemanomPostProcessor",
    "spatial": "bench.postprocess.spatial:SpatialPostProcessor",
}

FINDINGS: dict[str, str] = {"spatial": "null"}
"""Post-processors that are benchmark findings, not detection skill: a run that uses one also shows it on
this detector (``null+spatial``), so its rows can be read against what the rule alone scores."""

RAW_ERROR_POST = "likelihood"
"""The post-processor that turns a raw error (:attr:`DetectorEntry.raw_error`) into a score one threshold can
serve across series; a run scored by such a threshold shows it beside the raw row (``--no-auto-post``: not)."""

SANITY_BASELINES = ("random", "null")
"""Added to every run unless it says otherwise: a metric under which these look good says so about the metric."""

PLUGIN_SEED_PARAMS = ("seed", "random_state")
"""Where the run's seed goes in a plug-in class that does not declare ``seed_param`` (the first it has)."""


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
    count
        ``"module:function"``: the number of series for the given options, without loading them
        (``count(**options) -> int``; generated datasets), so a run can be sized before it is built.
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
    count: str | None = None

    def load_function(self) -> Callable[..., Any]:
        return _import(self.loader, "dataset loader")

    def count_function(self) -> Callable[..., int] | None:
        """``count(**options) -> int`` (see ``count``), or None when the series must be loaded to be counted."""
        return None if self.count is None else _import(self.count, "series counter")

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
        DatasetEntry(
            "yahoo-synth",
            "bench.datasets.synthetic:load_synthetic",
            "bench.datasets.synthetic:INFO",
            count="bench.datasets.synthetic:count_series",
        ),
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
    if name in DETECTOR_ENTRIES:
        return DETECTOR_ENTRIES[name].load()
    if ":" not in name:
        raise UnknownNameError(
            f"Unknown detector {name!r}.{did_you_mean(name, detector_names())} "
            f"Available: {', '.join(detector_names())} (or a plug-in as module:Class)."
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


def detector_entry(name: str) -> DetectorEntry:
    """The entry of a registered detector (nothing imported) or of a ``module:Class`` plug-in (its class imported).

    Raises
    ------
    UnknownNameError
        For a name that is neither, or a plug-in that cannot be imported or is not a detector.
    """
    if name in DETECTOR_ENTRIES:
        return DETECTOR_ENTRIES[name]
    return DetectorEntry.from_class(name, name, get_detector_class(name))


def is_chance_level(name: str, *, unknown: bool | None = None) -> bool:
    """Whether detector ``name`` is a chance-level sanity baseline (``random``, ``null``, a plug-in that says so).

    Parameters
    ----------
    name
        A registered name (answered from its entry, nothing imported) or a
        ``module:Class`` plug-in (imported, its ``chance_level`` attribute read).
    unknown
        The answer for a name that is neither, or a plug-in that no longer
        imports (a report of an old run folder, a row alias); None raises.

    Raises
    ------
    UnknownNameError
        For such a name when ``unknown`` is None.

    Examples
    --------
    >>> is_chance_level("random"), is_chance_level("lstm")  # neither imports its module
    (True, False)
    >>> is_chance_level("no-such-detector", unknown=False)
    False
    """
    try:
        return detector_entry(name).chance_level
    except UnknownNameError:
        if unknown is None:
            raise
        return unknown


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
        f"Unknown post-processor {name!r}.{did_you_mean(name, postprocessor_names())} "
        f"Available: {', '.join(postprocessor_names()) or '(none)'}."
    )


def seed_param(detector: str | type[Any]) -> str | None:
    """The parameter through which the run's seed reaches a detector (a name, or its class), if any.

    Read from the detector's entry (:class:`DetectorEntry`); for a class,
    from its documented ``seed_param`` attribute (or the plug-in convention).
    """
    if isinstance(detector, str):
        return detector_entry(detector).seed_param
    target = f"{detector.__module__}:{detector.__qualname__}"
    return DetectorEntry.from_class(target, target, detector).seed_param


def make_detector(name: str, params: dict[str, Any] | None = None, seed: int | None = None) -> Any:
    """Instantiate a detector by name with keyword hyperparameters (unknown ones refused) and the run's seed.

    The seed goes to the parameter the detector's entry names
    (:attr:`DetectorEntry.seed_param`) at construction; a detector without
    one is deterministic or ignores seeds.
    """
    cls = get_detector_class(name)
    params = dict(params or {})
    valid = parameters(cls)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ParameterError(
            f"{cls.__name__} has no parameter {', '.join(map(repr, unknown))}. Valid: {', '.join(valid) or '(none)'}."
        )
    sp = detector_entry(name).seed_param
    if seed is not None and sp is not None:
        params[sp] = seed
    return cls(**params)


def get_dataset(name: str) -> DatasetEntry:
    if name not in DATASETS:
        raise UnknownNameError(
            f"Unknown dataset {name!r}.{did_you_mean(name, dataset_names())} Available: {', '.join(dataset_names())}."
        )
    return DATASETS[name]


def family_applies(key: str, dataset_specific: bool, dataset: str) -> bool:
    """Whether a metric family gives values on ``dataset``: any general family; a dataset-specific one (NAB's
    score) only on a dataset whose entry lists it. The one rule; ``config.resolve_metrics`` and ``finish`` read it."""
    return not dataset_specific or key in get_dataset(dataset).metric_families


def get_dataset_loader(name: str) -> Callable[..., Any]:
    return get_dataset(name).load_function()


def fetchable_dataset_names() -> list[str]:
    return sorted(n for n, e in DATASETS.items() if e.fetch)


def resolve(target: str, what: str) -> Any:
    """Import a ``"module:attribute"`` target of a registry entry."""
    return _import(target, what)
