"""What a side of a comparison measured, beyond its metric records: its data, threshold, metrics, rows and code.

Two sides compare only when the same data was scored the same way: the
series' fingerprints, the threshold strategy, the metric families, each
row's resolved parameters (with its post-processors) and its detector's
code version. A run folder records them in ``config.json`` (its ``RunConfig``
and the ``resolved`` and ``data`` sections :mod:`bench.prepare` writes), an
evaluation folder in ``evaluation.json`` beside its run's, and a baseline file
copies them from its run (format 3). :func:`gate` refuses sides that differ
in a category the caller did not allow, and returns the header lines that say
what was allowed and what could not be checked.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.config import FORMAT as CONFIG_FORMAT
from bench.config import DetectorSpec, RunConfig
from bench.errors import DataError, ParameterError
from bench.results import RunStore

CATEGORIES = ("data", "threshold", "metrics", "params", "code")
"""What two sides may differ in, in the order errors name them (``--allow-different`` takes these)."""
_WORDS = {
    "data": "data",
    "threshold": "threshold",
    "metrics": "metric families",
    "params": "row parameters",
    "code": "code versions",
}


@dataclass(frozen=True)
class Row:
    """One row as it was computed: the detector, its full parameters, its post-processors, its code version."""

    detector: str
    params: Mapping[str, Any]
    post: tuple[Mapping[str, Any], ...]
    code_version: str

    def describe(self) -> str:
        return f"{self.detector}{_canonical(dict(self.params))}{self._post()}"

    def _post(self) -> str:
        return "".join(f"+{p.get('name')}{_canonical(p.get('params') or {})}" for p in self.post)

    def changes(self, other: Row) -> str:
        """What differs from ``other``, parameter by parameter: ``window_size 100 vs 30``.

        >>> Row("zscore", {"window_size": 100, "k": 3}, (), "v1").changes(Row("zscore", {"window_size": 30}, (), "v1"))
        'window_size 100 vs 30, k 3 vs unset'
        """
        parts = [] if self.detector == other.detector else [f"detector {self.detector} vs {other.detector}"]
        for key in dict.fromkeys([*self.params, *other.params]):
            mine, theirs = (_shown(row.params, key) for row in (self, other))
            if mine != theirs:
                parts.append(f"{key} {mine} vs {theirs}")
        if self._post() != other._post():
            parts.append(f"post-processors {self._post() or 'none'} vs {other._post() or 'none'}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Provenance:
    """A side's record of what it measured; ``None`` for what it has no record of (older files)."""

    source: str
    threshold: str | None = None
    metrics: tuple[str, ...] | None = None
    rows: Mapping[str, Row] | None = None
    data: Mapping[str, str] | None = None

    def unrecorded(self) -> list[str]:
        """The categories this side has no record of."""
        have = {"data": self.data, "threshold": self.threshold, "metrics": self.metrics}
        have.update(params=self.rows, code=self.rows)
        return [c for c in CATEGORIES if have[c] is None]


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, default=repr, separators=(",", ":"))


def _shown(params: Mapping[str, Any], key: str) -> str:
    return _canonical(params[key]) if key in params else "unset"


def from_saved(
    source: str, config: RunConfig, saved: Mapping[str, Any], run: Mapping[str, Any] | None = None
) -> Provenance:
    """The provenance a ``config.json``-shaped record gives (a run's, or a baseline's copy of it).

    ``config`` is the side's config; ``saved`` holds the ``resolved`` rows and the ``data`` fingerprints
    (absent in files of older releases). For an evaluation folder, ``saved`` is its run's ``config.json`` and
    ``run`` that run's config, whose rows ``resolved`` lists (an evaluation may add post-processed rows).
    """
    resolved, data = saved.get("resolved"), saved.get("data")
    fingerprinted = isinstance(data, Mapping) and all(
        isinstance(v, Mapping) and isinstance(v.get("fingerprint"), str) for v in data.values()
    )
    if data is not None and not fingerprinted:
        raise DataError(f"{source}: 'data' must map each series to its fingerprint; got {str(data)[:60]!r}.")
    rowlike = isinstance(resolved, list) and all(
        isinstance(r, Mapping) and isinstance(r.get("params"), Mapping) and isinstance(r.get("code_version"), str)
        for r in resolved
    )
    if resolved is not None and not rowlike:
        raise DataError(
            f"{source}: 'resolved' must be a list of rows, each with its params and code_version; "
            f"got {str(resolved)[:60]!r}."
        )
    rows: dict[str, Row] | None = None
    if resolved is not None:
        computed = RunConfig.from_dict(run) if run is not None else config
        entries = {str(r.get("alias")): r for r in resolved}
        by_raw = {_raw(row): entries[row.alias] for row in computed.rows if row.alias in entries}
        rows = {}
        for row in config.rows:
            entry = by_raw.get(_raw(row))
            if entry is not None:
                post = tuple(p.to_dict() for p in row.post)
                rows[row.alias] = Row(row.name, dict(entry["params"]), post, entry["code_version"])
    return Provenance(
        source,
        config.threshold.spec(),
        config.metrics,
        rows,
        None if data is None else {str(k): v["fingerprint"] for k, v in data.items()},
    )


def _raw(row: DetectorSpec) -> str:
    return _canonical({"name": row.name, "params": dict(row.params)})


def of_folder(path: Path, label: str | None = None) -> Provenance:
    """The provenance of a run folder, an evaluation folder (``<run>/evaluations/NAME``) or a ``metrics.csv`` in one.

    A file or folder that is neither has no record (every category unrecorded).
    """
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    source = label or str(path)
    evaluation = folder / "evaluation.json"
    try:
        if evaluation.is_file():
            settings = json.loads(evaluation.read_text(encoding="utf-8"))
            run = RunStore(folder.parent.parent).config() or {}
            config = RunConfig.from_dict(settings["config"], source=str(evaluation))
            prov = from_saved(source, config, run, run if run else None)
            return Provenance(source, str(settings["threshold"]), tuple(settings["metrics"]), prov.rows, prov.data)
        saved = RunStore(folder).config()
        if saved is None or saved.get("format") != CONFIG_FORMAT:  # not a run folder, or one of an older release
            return Provenance(source)
        return from_saved(source, RunConfig.from_dict(saved), saved)
    except DataError:
        raise
    except (KeyError, TypeError, ValueError, OSError) as exc:
        raise DataError(f"{source}: cannot read what it measured ({type(exc).__name__}: {exc}).") from None


def differences(base: Provenance, new: Provenance, detectors: Iterable[str]) -> dict[str, list[str]]:
    """Per category, what differs between the two sides (only where both have a record), for ``detectors``."""
    out: dict[str, list[str]] = {}
    if base.data is not None and new.data is not None:
        common = [k for k in base.data if k in new.data]
        changed = [k for k in common if base.data[k] != new.data[k]]
        if changed:
            eg = ", ".join(f"{k} {base.data[k][:12]} vs {new.data[k][:12]}" for k in changed[:3])
            out["data"] = [f"{len(changed)} of {len(common)} series' fingerprints, e.g. {eg}"]
    if base.threshold is not None and new.threshold is not None and base.threshold != new.threshold:
        out["threshold"] = [f"{base.threshold} vs {new.threshold}"]
    if base.metrics is not None and new.metrics is not None and set(base.metrics) != set(new.metrics):
        out["metrics"] = [f"{','.join(base.metrics)} vs {','.join(new.metrics)}"]
    if base.rows is not None and new.rows is not None:
        for d in detectors:
            b, n = base.rows.get(d), new.rows.get(d)
            if b is None or n is None:
                continue
            if b.describe() != n.describe():
                out.setdefault("params", []).append(f"row {d}: {b.changes(n)}")
            if b.code_version != n.code_version:
                out.setdefault("code", []).append(f"row {d} {b.code_version} vs {n.code_version}")
    return {c: out[c] for c in CATEGORIES if c in out}


def gate(
    base: Provenance,
    new: Provenance,
    detectors: Iterable[str],
    *,
    allow: Collection[str] = (),
    expected: Mapping[str, str] | None = None,
) -> list[str]:
    """Refuse sides that differ in a category not in ``allow``; return the header lines of the comparison.

    ``expected`` maps categories that are the point of the comparison (``check`` tests the current code:
    ``{"code": "what check tests"}``) to why; their differences are said, never refused.
    """
    expected = dict(expected or {})
    found = differences(base, new, list(detectors))
    refused = [c for c in found if c not in allow and c not in expected]
    if refused:
        raise DataError(
            f"{base.source} and {new.source} differ in {_details(found, refused)}. Compare results of the same "
            f"data, threshold, metrics, parameters and code, or add --allow-different {','.join(refused)} "
            "to compare anyway."
        )
    lines = []
    allowed = [c for c in found if c in allow and c not in expected]
    if allowed:
        flag = f"--allow-different {','.join(allowed)}"
        lines.append(f"Compared although they differ ({flag}): {_details(found, allowed)}.")
    for c in (c for c in found if c in expected):
        lines.append(f"Different {_WORDS[c]} ({expected[c]}): {'; '.join(found[c])}.")
    for side in (base, new):
        missing = [_WORDS[c] for c in side.unrecorded()]
        if missing:
            words = ", ".join(missing[:-1]) + (" or " if len(missing) > 1 else "") + missing[-1]
            lines.append(f"{side.source} has no record of its {words}: those were not checked.")
    return lines


def _details(found: Mapping[str, list[str]], categories: Iterable[str]) -> str:
    return ", ".join(f"{c} ({'; '.join(found[c])})" for c in categories)


def parse_allowed(text: str | None) -> tuple[str, ...]:
    """``--allow-different data,threshold``: the categories, each one of :data:`CATEGORIES`."""
    if not text:
        return ()
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in CATEGORIES]
    if unknown or not names:
        raise ParameterError(
            f"--allow-different: unknown categor{'ies' if len(unknown) > 1 else 'y'} "
            f"{', '.join(map(repr, unknown)) or repr(text)}. Choose from {', '.join(CATEGORIES)} (comma-separated)."
        )
    return tuple(dict.fromkeys(names))
