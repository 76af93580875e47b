"""The task record: what one finished (or failed) task stored, typed, with its exact on-disk JSON form.

A run folder keeps one record per task (``tasks/.../<series>.json``,
:mod:`bench.results`); the runner writes it, every later command reads it
back. On disk it is a flat JSON object whose keys are the field names below;
records written by earlier releases read back unchanged, and keys this
version does not know are kept in :attr:`TaskRecord.extra` and written back.

>>> r = TaskRecord.from_dict({"status": "failed", "key": "k", "failure": "timeout", "error": "TaskTimeout: 3 s"})
>>> r.ok, r.failure, TaskRecord.from_dict(r.to_dict()) == r
(False, 'timeout', True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

Status = Literal["ok", "failed", "missing"]
"""``ok``: scores stored; ``failed``: the task failed (see ``failure``); ``missing``: no record (reports only)."""
FailureKind = Literal["exception", "invalid_output", "timeout", "crash"]

_IDENTITY = (
    "key",
    "detector",
    "params",
    "seed",
    "seed_param",
    "code_version",
    "dataset",
    "series",
    "series_fingerprint",
    "n_points",
    "train_end",
)
_OK = ("fit_seconds", "score_seconds", "us_per_point", "n_warmup", "epochs_run")


@dataclass(frozen=True)
class TaskRecord:
    """One task's stored record: which task it was (its key and identity), then its outcome.

    Parameters
    ----------
    status
        ``ok``, ``failed``, or ``missing`` (a placeholder for a task with no record).
    key
        The task's key (:func:`bench.runner.make_task`); a stored record is reused only for the same key.
    detector, params, seed, seed_param, code_version
        The raw detector's name, its full parameters, the run's seed, the detector's seed parameter and the
        code version its key covers.
    dataset, series, series_fingerprint, n_points, train_end
        The series the task ran on.
    fit_seconds, score_seconds, us_per_point, n_warmup, epochs_run
        Of a task that succeeded: its costs, the points it could not score yet, the epochs it trained.
    scores_sha256
        Of a task that succeeded: the sha256 of its stored score file, checked on every read
        (:class:`bench.results.RunStore`); None in a record written before the field existed (unverified).
    series_sha256
        Of a task that succeeded: the sha256 of its series' file of timestamps and labels
        (``series/<dataset>/<series>.npz``); None in a record of the previous release, whose score file is a CSV
        holding them (:func:`bench.scorestore.scores_suffix`).
    metrics
        Of a task that succeeded, when its worker evaluated it: ``{"settings": ..., "values": {...}}``, its raw
        scores' per-series metric values and the settings they were computed with
        (:class:`bench.evaluate.PerSeries`); the last stage reuses them when its settings are the same.
    failure, error, traceback
        Of a failed task: the kind of failure, ``"Type: message"`` and a detector bug's traceback.
    extra
        Keys of the on-disk form this version does not know, kept so a rewrite loses nothing.
    """

    status: Status
    key: str = ""
    detector: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0
    seed_param: str | None = None
    code_version: str = ""
    dataset: str = ""
    series: str = ""
    series_fingerprint: str = ""
    n_points: int = 0
    train_end: int = 0
    fit_seconds: float | None = None
    score_seconds: float | None = None
    us_per_point: float | None = None
    n_warmup: int = 0
    epochs_run: int | None = None
    scores_sha256: str | None = None
    series_sha256: str | None = None
    metrics: Mapping[str, Any] | None = None
    failure: FailureKind | None = None
    error: str = ""
    traceback: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the task succeeded (its scores are stored)."""
        return self.status == "ok"

    @classmethod
    def missing(cls) -> TaskRecord:
        """The placeholder for a task that has no stored record."""
        return cls("missing")

    def to_dict(self) -> dict[str, Any]:
        """The on-disk form: the identity keys, ``status``, then the outcome keys of that status, then ``extra``.

        A successful task's record has ``fit_seconds`` to ``epochs_run`` (``epochs_run`` null for a detector
        that does not train in epochs), ``scores_sha256`` and ``series_sha256`` (absent from records of earlier
        releases);
        a failed one has ``failure``, ``error`` and, for a detector bug, ``traceback``.
        """
        out: dict[str, Any] = {k: getattr(self, k) for k in _IDENTITY}
        out["params"] = dict(self.params)
        out["status"] = self.status
        if self.ok:
            out.update({k: getattr(self, k) for k in _OK})
            if self.scores_sha256 is not None:
                out["scores_sha256"] = self.scores_sha256
            if self.series_sha256 is not None:
                out["series_sha256"] = self.series_sha256
            if self.metrics is not None:
                out["metrics"] = dict(self.metrics)
        elif self.status == "failed":
            out.update(failure=self.failure, error=self.error)
            if self.traceback:
                out["traceback"] = self.traceback
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TaskRecord:
        """Read the on-disk form (:meth:`to_dict`, or a record of an earlier release); unknown keys go to ``extra``."""
        known = {f.name for f in fields(cls)} - {"extra"}
        values = {k: v for k, v in d.items() if k in known}
        values["status"] = str(d.get("status", "missing"))
        if values.get("params") is not None:
            values["params"] = dict(values["params"])
        return cls(**values, extra={k: v for k, v in d.items() if k not in known})
