"""Before a run's first task: check its parameters, check the run folder may hold it, write its ``config.json``."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import registry
from bench.config import PostSpec, RunConfig
from bench.errors import OutputError, ParameterError
from bench.results import RunStore, environment, write_json
from bench.runner import code_version, resolved_params
from bench.series import Series

DATA_FILE_KEYS = ("sha256", "git_blob", "file", "revision", "path", "repairs", "train")
"""Series metadata recorded in ``config.json``: the files a series was read from, their hashes, the repairs."""


def preflight(config: RunConfig, series: Sequence[Series] = ()) -> None:
    """Catch bad parameters before any task runs: build every detector and check its hyperparameters.

    A ``window_size=-5`` would otherwise fail every task one by one. Checks
    are :meth:`bench.estimator.Estimator.check_params`; a duck-typed plug-in
    (not an :class:`~bench.estimator.Estimator`) has none and is checked by its own ``fit``.
    A detector whose :meth:`~bench.detectors.base.Detector.min_length` with these
    parameters is more than the shortest training part of ``series`` is refused
    too: it would fail on, or learn nothing from, that series; so is one whose
    ``min_series_length`` (a rolling window's warm-up) is more than the shortest
    series: every score of that series would be the warm-up floor.
    """
    from bench.detectors.base import Detector
    from bench.estimator import Estimator

    shortest = min(series, key=lambda s: s.train_end, default=None)
    smallest = min(series, key=len, default=None)
    for row in config.rows:
        det = registry.make_detector(row.name, resolved_params(row.raw), seed=config.seeds[0])
        if isinstance(det, Estimator):
            try:
                det.check_params()
            except ParameterError as exc:
                raise ParameterError(f"{row.alias}: {exc}") from None
        if isinstance(det, Detector) and shortest is not None and shortest.train_end < det.min_length():
            why = det._min_length_why()
            raise ParameterError(
                f"{row.alias}: {type(det).__name__} needs at least {det.min_length()} points of training data"
                f"{f' ({why})' if why else ''}; the shortest training part is {shortest.train_end} points "
                f"({shortest.key}). Lower the parameter, or use longer series."
            )
        if isinstance(det, Detector) and smallest is not None and len(smallest) < det.min_series_length():
            why = det._min_series_length_why()
            raise ParameterError(
                f"{row.alias}: {type(det).__name__} needs series of at least {det.min_series_length()} points"
                f"{f' ({why})' if why else ''}; {smallest.key} has {len(smallest)}, so its scores would be "
                "constant. Lower the parameter, or use longer series."
            )
        for p in row.post:
            pp = registry.get_postprocessor_class(p.name)(**p.params)
            if isinstance(pp, Estimator):
                pp.check_params()


def check_out(store: RunStore) -> None:
    """Refuse a folder that exists, is not empty and is not a run folder (a run never overwrites your files)."""
    root = store.root
    ours = {".lock"}  # a run's lock file alone (a run starting, or killed before writing) is not the user's
    if (
        root.exists()
        and store.config() is None
        and (not root.is_dir() or any(p.name not in ours for p in root.iterdir()))
    ):
        raise OutputError(
            f"{root} exists and is not a bench run folder (no config.json); choose a new or empty folder with --out."
        )


def prepare_folder(store: RunStore, config: RunConfig, *, update: bool = False) -> dict[str, Any] | None:
    """Check that ``store`` may hold this run; return its previous ``config.json`` (None for a new folder).

    A run folder of another config is refused unless ``update`` (then
    finished tasks whose key is unchanged are kept and only the rest runs).
    Call :func:`check_out` before taking the folder's lock.
    """
    previous = store.config()
    if previous is None:
        return None
    try:
        old = RunConfig.from_dict(previous)
    except ParameterError as exc:
        raise OutputError(f"{store.root} holds a run this version cannot resume: {exc}") from None
    if old != config and not update:
        diff = "; ".join(config.differences(old))
        raise OutputError(
            f"{store.root} already holds a different run ({diff}). Choose another --out, repeat that run's "
            "exact options to resume it, or pass --update to change its config (unchanged tasks are kept)."
        )
    return previous


def _resolved(config: RunConfig) -> list[dict[str, Any]]:
    out = []
    for row in config.rows:
        cls = registry.get_detector_class(row.name)
        out.append(
            {
                "alias": row.alias,
                "name": row.name,
                "params": resolved_params(row),
                "seed_param": registry.detector_entry(row.name).seed_param,
                "code_version": code_version(cls),
                "post": [_resolved_post(p) for p in row.post],
            }
        )
    return out


def _resolved_post(post: PostSpec) -> dict[str, Any]:
    """A post-processor stage with every parameter: its defaults updated with the ones the user set."""
    cls = registry.get_postprocessor_class(post.name)
    defaults = {k: p.default for k, p in registry.parameters(cls).items() if p.default is not inspect.Parameter.empty}
    return {"name": post.name, "params": {**defaults, **post.params}, "code_version": code_version(cls)}


def data_record(series: list[Series]) -> dict[str, Any]:
    """Per series: its fingerprint and, where the loader recorded them, the files it read, their hashes, repairs.

    A user's file (``metadata["path"]``) without a recorded hash is hashed here,
    so a run says exactly which bytes it read.
    """
    from bench.datasets.download import sha256_file

    out: dict[str, Any] = {}
    for s in series:
        entry: dict[str, Any] = {"fingerprint": s.fingerprint(), "n": len(s), "channels": s.n_channels}
        entry.update({k: s.metadata[k] for k in DATA_FILE_KEYS if k in s.metadata})
        path = s.metadata.get("path")
        if path and "sha256" not in entry and Path(str(path)).is_file():
            entry["sha256"] = sha256_file(str(path))
        out[s.key] = entry
    return out


def write_config(
    store: RunStore, config: RunConfig, series: list[Series], execution: dict[str, Any], previous: dict[str, Any] | None
) -> None:
    """``config.json``: the RunConfig, resolved parameters, the data read, and one entry per writing session."""
    env = environment()
    sessions = list((previous or {}).get("sessions", []))
    sessions.append({"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), **execution, **env})
    write_json(
        store.root / "config.json",
        {
            **config.to_dict(),
            "n_series": len(series),
            "resolved": _resolved(config),
            "data": data_record(series),
            "sessions": sessions,
        },
    )
