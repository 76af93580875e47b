"""The two ways to describe a run, command-line flags and a TOML experiment file, both ending in one ``RunConfig``.

An experiment file (read with the standard library's ``tomllib``)::

    seeds = [0, 1, 2]                 # or: seed = 0
    threshold = "train_mean_std:3"    # --threshold
    metrics = ["auc", "vus", "point"] # --metrics (default: the headline set)
    series = "realKnownCause/*"       # --series
    baselines = true                  # false = --no-baselines
    auto_post = true                  # false = --no-auto-post

    [[dataset]]
    name = "yahoo-synth"
    options = { n_series = 5 }        # --param yahoo-synth.n_series=5

    [[detector]]
    name = "lstm"
    params = { window_size = [20, 50], epochs = 10 }   # a list expands to a grid
    post = ["likelihood"]             # lstm+likelihood
    post_params = { likelihood = { window = 10 } }

    [[detector]]
    name = "zscore"
    alias = "z100"                    # the row label (default: the name)

Every key is checked; an unknown or mistyped one is refused with the file,
its line and the valid keys. The same run from flags::

    --detector lstm+likelihood,zscore --param lstm.window_size=20,50 --param lstm.epochs=10
    --param likelihood.window=10 --seeds 0,1,2 --dataset yahoo-synth --param yahoo-synth.n_series=5
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench import registry
from bench.config import DatasetSpec, DetectorSpec, RunConfig, build, dataset_spec, detector_specs
from bench.errors import BenchError, ParameterError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

TOP_KEYS = ("seeds", "seed", "threshold", "metrics", "series", "baselines", "auto_post", "dataset", "detector")
DETECTOR_KEYS = ("name", "alias", "params", "post", "post_params")
DATASET_KEYS = ("name", "options")


def split_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _parse_seeds(text: str) -> list[int]:
    items = split_list(text)
    out = []
    for v in items:
        try:
            out.append(int(v))
        except ValueError:
            raise ParameterError(f"--seeds {text!r}: {v!r} is not an integer; e.g. --seeds 0,1,2.") from None
    return out


def _row(token: str) -> tuple[str, list[str]]:
    """``lstm+likelihood`` -> (``lstm``, [``likelihood``])."""
    name, *post = [t.strip() for t in token.split("+")]
    if not name or any(not p for p in post):
        raise ParameterError(f"--detector {token!r}: expected NAME or NAME+POSTPROCESSOR, e.g. lstm+likelihood.")
    return name, post


def from_flags(
    *,
    detector: str,
    dataset: str,
    params: Sequence[str] = (),
    seed: int = 0,
    seeds: str | None = None,
    threshold: str = "train_mean_std:3",
    metrics: str | None = None,
    series: str | None = None,
    baselines: bool = True,
    auto_post: bool = True,
    max_tasks: int | None = None,
) -> RunConfig:
    """The :class:`RunConfig` that ``bench run``'s flags describe (a grid of more than ``max_tasks`` is refused)."""
    rows = [_row(t) for t in split_list(detector)]
    if not rows:
        raise ParameterError("--detector is empty; name at least one, e.g. --detector lstm.")
    datasets_text = split_list(dataset)
    if not datasets_text:
        raise ParameterError("--dataset is empty; e.g. --dataset yahoo-synth.")
    det_names = {name for name, _ in rows}
    post_names = {p for _, post in rows for p in post}
    ds_names = {t.partition(":")[0] for t in datasets_text}
    for name in det_names:
        registry.get_detector_class(name)  # unknown names fail before their parameters are looked at
    for name in ds_names:
        registry.get_dataset(name)
    grids: dict[str, dict[str, list[str]]] = {}
    options: dict[str, dict[str, str]] = {}
    post_params: dict[str, dict[str, str]] = {}
    for item in params:
        key, eq, raw = item.partition("=")
        owner, dot, name = key.rpartition(".")
        if not eq or not dot or not owner or not name:
            raise ParameterError(f"--param {item!r}: expected OWNER.NAME=VALUE, e.g. lstm.window_size=30.")
        if owner in det_names:
            grids.setdefault(owner, {})[name] = split_list(raw) or [raw]
        elif owner in ds_names:
            options.setdefault(owner, {})[name] = raw
        elif owner in post_names:
            post_params.setdefault(owner, {})[name] = raw
        else:
            known = ", ".join([*sorted(det_names), *sorted(post_names), *sorted(ds_names)])
            raise ParameterError(f"--param {item!r}: {owner!r} is not a detector or dataset of this run ({known}).")
    specs: list[DetectorSpec] = []
    for name, post in rows:
        specs += detector_specs(
            name, grids.get(name), post=post, post_params=post_params, from_text=True, max_points=max_tasks
        )
    datasets = [dataset_spec(t, options.get(t.partition(":")[0]), from_text=True) for t in datasets_text]
    return build(
        specs,
        datasets,
        seeds=_parse_seeds(seeds) if seeds is not None else [seed],
        threshold=threshold,
        metrics=split_list(metrics) if metrics is not None else None,
        series=series,
        baselines=baselines,
        auto_post=auto_post,
    )


# --------------------------------------------------------------------------- TOML
def _line(text: str, key: str) -> str:
    """``:LINE`` of the first line that sets or opens ``key``, or '' when it cannot be found."""
    k = re.escape(key)
    m = re.search(rf"^\s*(\[\[?\s*)?\"?{k}\"?\s*(=|\]|\.)", text, re.M) or re.search(rf"[{{,]\s*\"?{k}\"?\s*=", text)
    return f":{text.count(chr(10), 0, m.start()) + 1}" if m else ""


def _check_keys(table: Mapping[str, Any], valid: Sequence[str], where: str, path: Path, text: str) -> None:
    for key in table:
        if key not in valid:
            raise ParameterError(
                f"{path}{_line(text, key)}: unknown key {key!r} in {where}. Valid: {', '.join(valid)}."
            )


def _expect(value: Any, kind: type | tuple[type, ...], what: str, path: Path, text: str, key: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise ParameterError(f"{path}{_line(text, key)}: {what} must be {names}; got {value!r}.")
    return value


def read(path: str | Path, *, max_tasks: int | None = None) -> RunConfig:
    """The :class:`RunConfig` an experiment file describes (format: this module's docstring).

    Every error names the file (and the line where the key can be found). A
    detector grid of more than ``max_tasks`` points is refused before it is built.
    """
    path = Path(path)
    try:
        return _read(path, max_tasks)
    except BenchError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise type(exc)(f"{path}: {exc}") from None


def _tables(doc: Mapping[str, Any], key: str, valid: Sequence[str], path: Path, text: str) -> list[dict[str, Any]]:
    """The ``[[key]]`` tables of the file, each checked for unknown keys and a ``name``."""
    out = []
    for i, table in enumerate(_expect(doc.get(key, []), list, f"[[{key}]]", path, text, key)):
        _check_keys(_expect(table, dict, f"[[{key}]]", path, text, key), valid, f"{key} {i + 1}", path, text)
        if "name" not in table:
            raise ParameterError(f"{path}: {key} {i + 1} has no name. Valid keys: {', '.join(valid)}.")
        _expect(table["name"], str, f"{key} name", path, text, "name")
        out.append(table)
    return out


def _with_line(exc: ParameterError, keys: Sequence[str], fallback: str, path: Path, text: str) -> ParameterError:
    """``exc`` prefixed with the file and the line of the key it names (else of ``fallback``)."""
    key = next((k for k in keys if f"'{k}'" in str(exc) or f".{k}=" in str(exc)), fallback)
    return ParameterError(f"{path}{_line(text, key)}: {exc}")


def _detector_specs(doc: Mapping[str, Any], path: Path, text: str, max_tasks: int | None) -> list[DetectorSpec]:
    specs: list[DetectorSpec] = []
    for d in _tables(doc, "detector", DETECTOR_KEYS, path, text):
        name, post = _row(d["name"])
        post += [
            _expect(p, str, "each post entry", path, text, "post")
            for p in _expect(d.get("post", []), list, "post", path, text, "post")
        ]
        params = _expect(d.get("params", {}), dict, "params", path, text, "params")
        grid = {k: (v if isinstance(v, list) else [v]) for k, v in params.items()}
        alias = d.get("alias")
        if alias is not None:
            _expect(alias, str, "alias", path, text, "alias")
        post_params = _expect(d.get("post_params", {}), dict, "post_params", path, text, "post_params")
        for owner, table in post_params.items():
            _expect(table, dict, f"post_params.{owner}", path, text, "post_params")
        try:
            specs += detector_specs(name, grid, alias=alias, post=post, post_params=post_params, max_points=max_tasks)
        except ParameterError as exc:
            raise _with_line(exc, list(grid), name, path, text) from None
    return specs


def _dataset_specs(doc: Mapping[str, Any], path: Path, text: str) -> list[DatasetSpec]:
    datasets: list[DatasetSpec] = []
    for d in _tables(doc, "dataset", DATASET_KEYS, path, text):
        opts = _expect(d.get("options", {}), dict, "options", path, text, "options")
        try:
            datasets.append(dataset_spec(d["name"], opts))
        except ParameterError as exc:
            raise _with_line(exc, list(opts), "name", path, text) from None
    return datasets


def _read(path: Path, max_tasks: int | None) -> RunConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ParameterError(f"Cannot read experiment file {path}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError as exc:
        raise ParameterError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
            "TOML files are UTF-8: save it as UTF-8."
        ) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{path}: not valid TOML: {exc}.") from None
    except RecursionError:
        raise ParameterError(f"{path}: arrays or tables nested too deeply to read; flatten the file.") from None
    _check_keys(doc, TOP_KEYS, "the file", path, text)
    if "seed" in doc and "seeds" in doc:
        raise ParameterError(f"{path}{_line(text, 'seed')}: give either seed or seeds, not both.")
    specs = _detector_specs(doc, path, text, max_tasks)
    datasets = _dataset_specs(doc, path, text)
    seeds = doc["seeds"] if "seeds" in doc else [doc.get("seed", 0)]
    _expect(seeds, list, "seeds", path, text, "seeds")
    metrics = doc.get("metrics")
    if metrics is not None:
        _expect(metrics, list, "metrics", path, text, "metrics")
    return build(
        specs,
        datasets,
        seeds=seeds,
        threshold=_expect(doc.get("threshold", "train_mean_std:3"), str, "threshold", path, text, "threshold"),
        metrics=metrics,
        series=_expect(doc["series"], str, "series", path, text, "series") if "series" in doc else None,
        baselines=_expect(doc.get("baselines", True), bool, "baselines", path, text, "baselines"),
        auto_post=_expect(doc.get("auto_post", True), bool, "auto_post", path, text, "auto_post"),
    )
