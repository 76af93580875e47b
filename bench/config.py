"""``RunConfig``, the one description of a run, built from flags or a TOML experiment file and saved exactly.

A run is: detectors (name, parameters, post-processors, a display alias),
datasets (name, options), seeds, a threshold strategy, metric families, a
series filter and whether the sanity baselines are added. Every later command
(``evaluate --run``, ``report``, ``compare``, ``check``) reads the saved
config back with :meth:`RunConfig.from_json`, which inverts
:meth:`RunConfig.to_json` exactly; nothing re-parses display strings.

Parameters hold what the user set (typed by the parameter's annotation);
defaults come from the code, and a task's key covers the full, resolved
parameters (:mod:`bench.runner`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench import registry
from bench.errors import ParameterError
from bench.metrics import thresholds
from bench.metrics.thresholds import ThresholdStrategy
from bench.params import coerce

FORMAT = 2
"""Version of the saved form; :meth:`RunConfig.from_dict` refuses others with a clear message."""


@dataclass(frozen=True)
class PostSpec:
    """A score post-processor applied to a detector's raw scores (``lstm+likelihood``)."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "params": dict(self.params)}


@dataclass(frozen=True)
class DetectorSpec:
    """One row of a run: a detector with the parameters the user set, its post-processors and its alias."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    alias: str = ""
    post: tuple[PostSpec, ...] = ()

    def __post_init__(self) -> None:
        if not self.alias:
            object.__setattr__(self, "alias", default_alias(self.name, {}, self.post))

    @property
    def raw(self) -> DetectorSpec:
        """The same detector without post-processing: the spec its raw scores are computed (and cached) with."""
        return DetectorSpec(self.name, self.params, self.name, ())

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "alias": self.alias,
            "params": dict(self.params),
            "post": [p.to_dict() for p in self.post],
        }


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset with the options the user set (``--param yahoo-synth.n_series=5``, ``csv:PATH``)."""

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "options": dict(self.options)}


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides a run's results (not where or how fast it runs: that is not recorded here).

    >>> c = RunConfig((DetectorSpec("zscore", {"window_size": 30}),), (DatasetSpec("yahoo-synth"),))
    >>> RunConfig.from_json(c.to_json()) == c
    True
    >>> [d.alias for d in c.rows]
    ['zscore', 'random', 'null']
    """

    detectors: tuple[DetectorSpec, ...]
    datasets: tuple[DatasetSpec, ...]
    seeds: tuple[int, ...] = (0,)
    threshold: ThresholdStrategy = thresholds.DEFAULT
    metrics: tuple[str, ...] = ()
    series: str | None = None
    baselines: bool = True

    @property
    def rows(self) -> tuple[DetectorSpec, ...]:
        """The detectors, the sanity baselines not already rows (when ``baselines``), and finding rows.

        A row using a post-processor that is a benchmark finding (NAB's spatial
        rule) brings the rule alone on a constant detector (``null+spatial``),
        so the rule's share of that row's score stays visible.
        """
        rows = self.detectors
        if self.baselines:  # the plain baseline rows, unless already there (random+likelihood is not random)
            named = {d.alias for d in self.detectors}
            rows += tuple(DetectorSpec(b) for b in registry.SANITY_BASELINES if b not in named)
        for post, on in registry.FINDINGS.items():
            companion = DetectorSpec(on, {}, f"{on}+{post}", (PostSpec(post),))
            used = any(p.name == post for d in rows for p in d.post)
            if used and all(d.alias != companion.alias for d in rows):
                rows += (companion,)
        return rows

    # ------------------------------------------------------------------ saved form
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "detectors": [d.to_dict() for d in self.detectors],
            "datasets": [d.to_dict() for d in self.datasets],
            "seeds": list(self.seeds),
            "threshold": self.threshold.spec(),
            "metrics": list(self.metrics),
            "series": self.series,
            "baselines": self.baselines,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunConfig:
        """Read a saved config (a run folder's ``config.json`` has more sections; they are ignored here)."""
        if d.get("format") != FORMAT:
            raise ParameterError(
                f"This config has format {d.get('format')!r}; this version of bench reads format {FORMAT}. "
                "Re-run the experiment with this version (results folders from older versions cannot be resumed)."
            )
        try:
            return cls(
                detectors=tuple(
                    DetectorSpec(
                        x["name"],
                        dict(x["params"]),
                        x["alias"],
                        tuple(PostSpec(p["name"], dict(p["params"])) for p in x["post"]),
                    )
                    for x in d["detectors"]
                ),
                datasets=tuple(DatasetSpec(x["name"], dict(x["options"])) for x in d["datasets"]),
                seeds=tuple(int(s) for s in d["seeds"]),
                threshold=thresholds.from_spec(d["threshold"]),
                metrics=tuple(d["metrics"]),
                series=d["series"],
                baselines=bool(d["baselines"]),
            )
        except (KeyError, TypeError) as exc:
            raise ParameterError(f"Saved config is incomplete or malformed ({type(exc).__name__}: {exc}).") from None

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        return cls.from_dict(json.loads(text))

    def differences(self, other: RunConfig) -> list[str]:
        """Human-readable list of what differs from ``other`` (for a refused resume)."""
        a, b = self.to_dict(), other.to_dict()
        return [f"{k}: {json.dumps(b[k])} -> {json.dumps(a[k])}" for k in a if a[k] != b[k]]


# --------------------------------------------------------------------------- building specs
def _fmt(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) and ("," in value or "]" in value) else str(value)


def default_alias(name: str, params: Mapping[str, Any], post: Sequence[PostSpec] = ()) -> str:
    """``lstm``, ``lstm[window_size=20]``, ``lstm+likelihood``: the row label shown in tables."""
    label = name + (f"[{','.join(f'{k}={_fmt(v)}' for k, v in params.items())}]" if params else "")
    return label + "".join(f"+{p.name}" for p in post)


def _post_specs(names: Sequence[str], params: Mapping[str, Mapping[str, Any]], from_text: bool) -> tuple[PostSpec, ...]:
    out = []
    for name in names:
        cls = registry.get_postprocessor_class(name)
        valid = registry.parameters(cls)
        given = dict(params.get(name, {}))
        out.append(PostSpec(name, {k: _typed(v, valid, k, name, from_text) for k, v in given.items()}))
    return tuple(out)


def _typed(value: Any, valid: Mapping[str, registry.Parameter], key: str, owner: str, from_text: bool) -> Any:
    if key not in valid:
        raise ParameterError(f"{owner} has no parameter {key!r}. Valid: {', '.join(valid) or '(none)'}.")
    return coerce(value, valid[key], f"{owner}.{key}", from_text=from_text)


def detector_specs(
    name: str,
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    alias: str | None = None,
    post: Sequence[str] = (),
    post_params: Mapping[str, Mapping[str, Any]] | None = None,
    from_text: bool = False,
) -> list[DetectorSpec]:
    """One spec per point of the parameter grid (``{"window_size": [20, 30]}`` gives two), validated and typed.

    The seed is not a parameter here: the run's seeds reach every detector
    through its seed parameter (:func:`bench.registry.seed_param`), and setting
    it explicitly is refused with a pointer to ``--seed``. ``from_text``: the
    values are command-line strings to parse (else typed values to check).
    """
    cls = registry.get_detector_class(name)
    valid = registry.parameters(cls)
    seed_name = registry.seed_param(cls)
    grid = dict(grid or {})
    if seed_name in grid:
        raise ParameterError(
            f"{name}.{seed_name} is set by the run's seed; use --seed N or --seeds A,B,C "
            f"(experiment files: seeds = [...]) instead of setting {seed_name} directly."
        )
    typed = {k: [_typed(v, valid, k, name, from_text) for v in vs] for k, vs in grid.items()}
    for k, vs in typed.items():
        if not vs:
            raise ParameterError(f"{name}.{k}: an empty list of values.")
    order = [k for k in valid if k in typed]
    posts = _post_specs(post, post_params or {}, from_text)
    points = [dict(zip(order, combo, strict=True)) for combo in itertools.product(*(typed[k] for k in order))]
    if alias and len(points) > 1:
        raise ParameterError(f"Detector alias {alias!r} names {len(points)} parameter sets; give one alias per set.")
    return [DetectorSpec(name, p, alias or default_alias(name, {}, posts), posts) for p in points]


def disambiguate(specs: Sequence[DetectorSpec]) -> tuple[DetectorSpec, ...]:
    """Rows sharing a label get an alias naming their parameters (``lstm[window_size=20]``); true duplicates fail."""
    counts: dict[str, int] = {}
    for s in specs:
        counts[s.alias] = counts.get(s.alias, 0) + 1
    out = []
    for s in specs:
        if counts[s.alias] > 1 and s.alias == default_alias(s.name, {}, s.post):
            s = DetectorSpec(s.name, s.params, default_alias(s.name, s.params, s.post), s.post)
        out.append(s)
    seen: set[str] = set()
    for s in out:
        if s.alias in seen:
            raise ParameterError(f"Two detectors of this run are both named {s.alias!r}; remove one or rename it.")
        seen.add(s.alias)
    return tuple(out)


def dataset_spec(text: str, options: Mapping[str, Any] | None = None, *, from_text: bool = False) -> DatasetSpec:
    """``nab``, ``yahoo-synth`` or ``csv:PATH`` (a dataset whose entry has a ``path_option``) with typed options."""
    name, colon, arg = text.partition(":")
    entry = registry.get_dataset(name)
    valid = entry.options()
    opts = {k: _typed(v, valid, k, name, from_text) for k, v in dict(options or {}).items()}
    if colon:
        if entry.path_option is None:
            raise ParameterError(f"Dataset {name!r} takes no ':ARG' (got {text!r}).")
        opts[entry.path_option] = arg
    return DatasetSpec(name, opts)


def check_seeds(seeds: Sequence[Any], where: str = "--seeds") -> tuple[int, ...]:
    out = []
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            raise ParameterError(f"{where}: seeds are integers >= 0; got {s!r}.")
        out.append(int(s))
    if not out:
        raise ParameterError(f"{where}: no seed given; e.g. --seeds 0,1,2.")
    if len(set(out)) != len(out):
        raise ParameterError(f"{where}: seed listed twice in {out}.")
    return tuple(out)


def resolve_metrics(keys: Sequence[str] | None, datasets: Sequence[DatasetSpec]) -> tuple[str, ...]:
    """The metric families of a run: those given, else the defaults plus each dataset's own families."""
    from bench.metrics import catalog

    if keys is None:
        extra = [f for d in datasets for f in registry.get_dataset(d.name).metric_families]
        keys = [*catalog.default_families(), *dict.fromkeys(extra)]
    catalog.resolve(list(keys))  # unknown names fail here, with the list
    if not keys:
        raise ParameterError("--metrics is empty; name at least one family (see 'bench list').")
    return tuple(dict.fromkeys(keys))


def build(
    detectors: Sequence[DetectorSpec],
    datasets: Sequence[DatasetSpec],
    *,
    seeds: Sequence[Any] = (0,),
    threshold: str | ThresholdStrategy = thresholds.DEFAULT_SPEC,
    metrics: Sequence[str] | None = None,
    series: str | None = None,
    baselines: bool = True,
) -> RunConfig:
    """A validated :class:`RunConfig` (the one constructor the flag and file readers share)."""
    if not detectors:
        raise ParameterError("No detector given; name at least one, e.g. --detector lstm.")
    if not datasets:
        raise ParameterError("No dataset given; e.g. --dataset yahoo-synth.")
    strategy = threshold if isinstance(threshold, ThresholdStrategy) else thresholds.from_spec(threshold)
    if strategy.oracle:
        raise ParameterError(f"--threshold {strategy.spec()!r} reads the labels; oracle thresholds are metrics.")
    if series is not None and not str(series).strip():
        raise ParameterError("--series is empty; give a glob such as 'realKnownCause/*'.")
    config = RunConfig(
        detectors=disambiguate(detectors),
        datasets=tuple(datasets),
        seeds=check_seeds(seeds),
        threshold=strategy,
        metrics=resolve_metrics(metrics, datasets),
        series=series,
        baselines=bool(baselines),
    )
    disambiguate(config.rows)
    return config
