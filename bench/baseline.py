"""Baselines a project can commit: a run's config and per-series headline values in one small, diff-friendly file.

``bench baseline save RUN_DIR NAME`` writes ``baselines/NAME.json``;
``bench check baselines/NAME.json`` re-runs exactly the run it describes
(its saved ``RunConfig``) and compares the fresh values with the committed
ones through the regression gate (:mod:`bench.compare`). The file holds one
metric record per line, so a change shows up in a diff as the lines of the
values that moved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from bench.config import RunConfig
from bench.errors import DataError, OutputError, ParameterError
from bench.metrics import catalog
from bench.metrics.records import COLUMNS, LEGACY_COLUMNS, kind, upgrade
from bench.results import RunStore, read_metrics, safe_component, write_text

FORMAT = 2
"""Format 2 has the ``aggregate`` column; format 1 files (aggregates named ``(corpus)`` in ``series``) are read."""


@dataclass(frozen=True)
class Baseline:
    """A committed baseline: the run's config and its metric records (per-series, and corpus-level scores)."""

    name: str
    config: RunConfig
    metrics: pd.DataFrame
    saved: dict[str, Any]


def baseline_records(metrics: pd.DataFrame, wanted: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The records a baseline keeps: per-series values of ``wanted`` metrics (default: the catalogue's gated
    ones), and their corpus-level values."""
    wanted = catalog.gated() if wanted is None else wanted
    agg = kind(metrics)
    keep = metrics.metric.isin(wanted) & agg.isin(["", "corpus"])
    return upgrade(metrics[keep & metrics.value.notna()]).reset_index(drop=True)


def save_baseline(
    run_dir: Path,
    name: str,
    folder: Path = Path("baselines"),
    metrics: tuple[str, ...] | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Write ``folder/NAME.json`` from a finished run folder; returns its path.

    ``NAME`` is one plain file name (it cannot leave ``folder``); an existing file is replaced only with
    ``overwrite``.
    """
    if safe_component(name) != name:
        raise ParameterError(
            f"Baseline name {name!r} is not a plain file name; use letters, digits and . _ + = , - only "
            "(e.g. yahoo-synth-lstm), and --dir to choose the folder."
        )
    path = Path(folder) / f"{name}.json"
    if path.exists() and not overwrite:
        raise OutputError(f"{path} already exists; pass --overwrite to replace it, or choose another NAME.")
    store = RunStore(run_dir)
    saved = store.config()
    if saved is None or not (store.root / "metrics.csv").exists():
        raise OutputError(f"{run_dir} is not a finished run folder (it needs config.json and metrics.csv).")
    config = RunConfig.from_dict(saved)
    if (store.root / "failures.csv").exists() and not pd.read_csv(store.root / "failures.csv").empty:
        raise DataError(f"{run_dir} has failed tasks (failures.csv); a baseline must come from a complete run.")
    records = baseline_records(read_metrics(store.root / "metrics.csv"), metrics)
    if records.empty:
        wanted = ", ".join(metrics or catalog.gated())
        raise DataError(f"{run_dir} has none of the metrics {wanted}; choose others with --metric.")
    session = (saved.get("sessions") or [{}])[-1]
    head = {
        "format": FORMAT,
        "name": name,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "check": f"python -m bench check {folder / (name + '.json')}",
        "environment": {k: session.get(k) for k in ("python", "machine", "packages", "git_commit")},
        "config": config.to_dict(),
        "columns": COLUMNS,
    }
    lines = json.dumps(head, indent=2, allow_nan=False)[:-2]  # reopen the object for the records
    rows = [
        json.dumps([r.dataset, r.series, r.aggregate, r.detector, int(r.seed), r.metric, float(r.value)])
        for r in records.itertuples()
    ]
    text = lines + ',\n  "records": [\n    ' + ",\n    ".join(rows) + "\n  ]\n}\n"
    write_text(path, text)
    return path


def read_baseline(path: Path) -> Baseline:
    """Read a baseline file (:func:`save_baseline`), with a clear error for anything else."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(f"Cannot read baseline {path}: {exc.strerror or exc}.") from None
    except ValueError as exc:
        raise DataError(f"{path} is not valid JSON: {exc}.") from None
    if not isinstance(doc, dict) or doc.get("format") not in (1, FORMAT) or "records" not in doc:
        raise DataError(f"{path} is not a bench baseline file (written by 'bench baseline save').")
    columns = doc.get("columns", COLUMNS if doc["format"] == FORMAT else LEGACY_COLUMNS)
    frame = upgrade(pd.DataFrame(doc["records"], columns=columns))
    return Baseline(str(doc.get("name", Path(path).stem)), RunConfig.from_dict(doc["config"]), frame, doc)


def load_metrics(path: Path) -> pd.DataFrame:
    """A side of a comparison: a run folder, an evaluation folder, a ``metrics.csv`` or a baseline file."""
    path = Path(path)
    if path.is_file() and path.suffix == ".json":
        return read_baseline(path).metrics
    target = path / "metrics.csv" if path.is_dir() else path
    if not target.exists():
        raise DataError(f"{path} is neither a run folder (with metrics.csv) nor a baseline file (.json).")
    return read_metrics(target)
