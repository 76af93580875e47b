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
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench import registry
from bench.errors import BenchError, ParameterError
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
    def from_dict(cls, d: Mapping[str, Any], source: str = "config.json") -> RunConfig:
        """Read a saved config (a run folder's ``config.json`` has more sections; they are ignored here).

        Every field is checked for its type, so a hand-edited or damaged file is
        refused with ``source`` and the field named, never read as something else.
        """
        if not isinstance(d, Mapping) or d.get("format") != FORMAT:
            found = d.get("format") if isinstance(d, Mapping) else d
            raise ParameterError(
                f"This config has format {found!r}; this version of bench reads format {FORMAT}. "
                "Re-run the experiment with this version (results folders from older versions cannot be resumed)."
            )
        saved = _Saved(d, source)
        try:
            return cls(
                detectors=tuple(
                    DetectorSpec(
                        saved.text(x, "name", "detectors"),
                        saved.table(x, "params", "detectors"),
                        saved.text(x, "alias", "detectors"),
                        tuple(
                            PostSpec(saved.text(p, "name", "post"), saved.table(p, "params", "post"))
                            for p in saved.tables(x, "post", "detectors")
                        ),
                    )
                    for x in saved.tables(d, "detectors", nonempty=True)
                ),
                datasets=tuple(
                    DatasetSpec(saved.text(x, "name", "datasets"), saved.table(x, "options", "datasets"))
                    for x in saved.tables(d, "datasets", nonempty=True)
                ),
                seeds=check_seeds(saved.get(d, "seeds", list, "a list of seeds"), f"{source}: field 'seeds'"),
                threshold=saved.checked("threshold", lambda: thresholds.from_spec(saved.text(d, "threshold"))),
                metrics=saved.checked("metrics", lambda: _saved_metrics(saved.get(d, "metrics", list, "a list"))),
                series=saved.get(d, "series", (str, type(None)), "a glob or null"),
                baselines=saved.get(d, "baselines", bool, "true or false"),
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


class _Saved:
    """Typed reads of a saved config's fields, each failure naming the file and the field."""

    def __init__(self, doc: Mapping[str, Any], source: str) -> None:
        self.doc, self.source = doc, source

    def fail(self, field: str, what: str, value: Any) -> ParameterError:
        return ParameterError(
            f"{self.source}: field {field!r} must be {what}; got {value!r}. The file was edited or damaged: "
            "restore it, or re-run the experiment into a new folder."
        )

    def get(self, table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str, field: str = "") -> Any:
        field = field or key
        if not isinstance(table, Mapping) or key not in table:
            raise self.fail(field, f"present ({what})", table.get(key) if isinstance(table, Mapping) else table)
        value = table[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(field, what, value)
        return value

    def text(self, table: Mapping[str, Any], key: str, field: str = "") -> str:
        return str(self.get(table, key, str, "text", f"{field}.{key}" if field else key))

    def table(self, table: Mapping[str, Any], key: str, field: str) -> dict[str, Any]:
        return dict(self.get(table, key, dict, "a table", f"{field}.{key}"))

    def tables(self, table: Mapping[str, Any], key: str, field: str = "", *, nonempty: bool = False) -> list[Any]:
        name = f"{field}.{key}" if field else key
        items = self.get(table, key, list, "a list of tables", name)
        if nonempty and not items:
            raise self.fail(name, "a non-empty list", items)
        for item in items:
            if not isinstance(item, dict):
                raise self.fail(name, "a list of tables", items)
        return list(items)

    def checked(self, field: str, read: Callable[[], Any]) -> Any:
        """``read()``, its error prefixed with the file and the field."""
        try:
            return read()
        except BenchError as exc:
            if str(exc).startswith(self.source):
                raise
            raise ParameterError(f"{self.source}: field {field!r}: {exc}") from None


def _saved_metrics(keys: list[Any]) -> tuple[str, ...]:
    from bench.metrics import catalog

    if not all(isinstance(k, str) for k in keys):
        raise ParameterError(f"metric families are names; got {keys!r}.")
    catalog.resolve(keys)
    return tuple(keys)


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
    max_points: int | None = None,
) -> list[DetectorSpec]:
    """One spec per point of the parameter grid (``{"window_size": [20, 30]}`` gives two), validated and typed.

    The seed is not a parameter here: the run's seeds reach every detector
    through its seed parameter (:func:`bench.registry.seed_param`), and setting
    it explicitly is refused with a pointer to ``--seed``. ``from_text``: the
    values are command-line strings to parse (else typed values to check).
    ``max_points``: refuse a grid of more points before building it (each
    point is at least one task, so ``--max-tasks`` bounds it).
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
    n_points = math.prod(len(typed[k]) for k in order)
    if max_points is not None and n_points > max_points:
        sizes = " x ".join(f"{len(typed[k]):,} {k}" for k in order)
        raise ParameterError(
            f"{name}: a grid of {sizes} values is {n_points:,} parameter sets, so at least {n_points:,} tasks, "
            f"above --max-tasks {max_points:,}. Narrow the grid, or raise --max-tasks."
        )
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
    """The run's seeds, each an integer every detector accepts (0 to :data:`~bench.detectors.base.MAX_SEED`)."""
    from bench.detectors.base import MAX_SEED

    out = []
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s <= MAX_SEED:
            raise ParameterError(f"{where}: seeds are integers from 0 to {MAX_SEED} (2**32 - 1); got {s!r}.")
        out.append(int(s))
    if not out:
        raise ParameterError(f"{where}: no seed given; e.g. --seeds 0,1,2.")
    if len(set(out)) != len(out):
        raise ParameterError(f"{where}: seed listed twice in {out}.")
    return tuple(out)


def resolve_metrics(keys: Sequence[str] | None, datasets: Sequence[DatasetSpec]) -> tuple[str, ...]:
    """The metric families of a run: those given, else the defaults plus each dataset's own families.

    A dataset-specific family none of ``datasets`` lists (``--metrics nab`` on
    yahoo-synth) is refused: it would give no value at all.
    """
    from bench.metrics import catalog

    if keys is None:
        extra = [f for d in datasets for f in registry.get_dataset(d.name).metric_families]
        keys = [*catalog.default_families(), *dict.fromkeys(extra)]
    families = catalog.resolve(list(keys))  # unknown names fail here, with the list
    if not keys:
        raise ParameterError("--metrics is empty; name at least one family (see 'bench list').")
    names = [d.name for d in datasets]
    for fam in families:  # a dataset-specific family (NAB's score) needs a dataset that lists it
        if not any(registry.family_applies(fam.key, fam.dataset_specific, n) for n in names):
            has = [n for n in registry.dataset_names() if registry.family_applies(fam.key, True, n)]
            where = f"add --dataset {has[0]}" if has else "no registered dataset lists it"
            raise ParameterError(
                f"--metrics {fam.key!r} applies only to datasets that list it ({', '.join(has) or 'none'}); "
                f"this run's {', '.join(names)} would get no {fam.key} value. Drop it, or {where}."
            )
    return tuple(dict.fromkeys(keys))


def one_threshold_datasets(metrics: Sequence[str], datasets: Sequence[DatasetSpec]) -> list[str]:
    """The datasets a family of ``metrics`` scores with one threshold for all their series (NAB's score).

    Read from the facts: :attr:`~bench.metrics.catalog.MetricFamily.one_threshold` and the families a
    dataset's entry lists (:func:`bench.registry.family_applies`).
    """
    from bench.metrics import catalog

    fams = [f for f in catalog.resolve(list(metrics)) if f.one_threshold]
    names = dict.fromkeys(d.name for d in datasets)
    return [n for n in names if any(registry.family_applies(f.key, f.dataset_specific, n) for f in fams)]


def raw_error_rows(rows: Sequence[DetectorSpec]) -> list[DetectorSpec]:
    """The rows whose score is a detector's raw error, not post-processed (:attr:`registry.DetectorEntry.raw_error`)."""
    out = []
    for d in rows:
        try:
            raw = registry.detector_entry(d.name).raw_error
        except BenchError:  # a plug-in that no longer imports (an old run folder): nothing known about it
            raw = False
        if raw and not d.post:
            out.append(d)
    return out


def with_auto_post(
    detectors: Sequence[DetectorSpec], metrics: Sequence[str], datasets: Sequence[DatasetSpec]
) -> tuple[DetectorSpec, ...]:
    """``detectors`` with each raw-error row followed by its :data:`registry.RAW_ERROR_POST` row, where a dataset
    of the run is scored with one threshold for all its series (NAB); rows already there are not repeated.

    The raw scores are computed once and shared (the two rows have one raw spec, :attr:`DetectorSpec.raw`).
    """
    if not one_threshold_datasets(metrics, datasets):
        return tuple(detectors)
    post = registry.RAW_ERROR_POST
    out: list[DetectorSpec] = []
    for d in detectors:
        out.append(d)
        if d in raw_error_rows([d]) and not any(
            o.raw == d.raw and [p.name for p in o.post] == [post] for o in detectors
        ):
            out.append(DetectorSpec(d.name, d.params, f"{d.alias}+{post}", (PostSpec(post),)))
    return tuple(out)


def build(
    detectors: Sequence[DetectorSpec],
    datasets: Sequence[DatasetSpec],
    *,
    seeds: Sequence[Any] = (0,),
    threshold: str | ThresholdStrategy = thresholds.DEFAULT_SPEC,
    metrics: Sequence[str] | None = None,
    series: str | None = None,
    baselines: bool = True,
    auto_post: bool = True,
) -> RunConfig:
    """A validated :class:`RunConfig` (the one constructor the flag and file readers share).

    ``auto_post``: add each raw-error row's post-processed row where one threshold scores a whole dataset
    (:func:`with_auto_post`); the rows are then written in the config, so a saved run reads back as it ran.
    """
    if not detectors:
        raise ParameterError("No detector given; name at least one, e.g. --detector lstm.")
    if not datasets:
        raise ParameterError("No dataset given; e.g. --dataset yahoo-synth.")
    strategy = threshold if isinstance(threshold, ThresholdStrategy) else thresholds.from_spec(threshold)
    if strategy.oracle:
        raise ParameterError(f"--threshold {strategy.spec()!r} reads the labels; oracle thresholds are metrics.")
    if series is not None and not str(series).strip():
        raise ParameterError("--series is empty; give a glob such as 'realKnownCause/*'.")
    families = resolve_metrics(metrics, datasets)
    if auto_post:
        detectors = with_auto_post(detectors, families, datasets)
    config = RunConfig(
        detectors=disambiguate(detectors),
        datasets=tuple(datasets),
        seeds=check_seeds(seeds),
        threshold=strategy,
        metrics=families,
        series=series,
        baselines=bool(baselines),
    )
    disambiguate(config.rows)
    return config
