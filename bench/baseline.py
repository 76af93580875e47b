"""Baselines a project can commit: a run's config and per-series headline values in one small, diff-friendly file.

``bench baseline save RUN_DIR NAME`` writes ``baselines/NAME.json``;
``bench check baselines/NAME.json`` re-runs exactly the run it describes
(its saved ``RunConfig``) and compares the fresh values with the committed
ones through the regression gate (:mod:`bench.compare`). The file holds one
metric record per line, so a change shows up in a diff as the lines of the
values that moved, and the run's provenance (its rows' resolved parameters and
code versions, its series' fingerprints: :mod:`bench.provenance`), so a
comparison can tell when the two sides did not measure the same thing. A file
that is not exactly what :func:`save_baseline` writes is refused, naming the
file, the record's line and what is wrong.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from bench.config import RunConfig
from bench.errors import DataError, OutputError, ParameterError
from bench.metrics import catalog
from bench.metrics.records import COLUMNS, KINDS, LEGACY_COLUMNS, kind, upgrade
from bench.provenance import Provenance, from_saved, of_folder
from bench.results import RunStore, read_metrics, safe_component, write_text

FORMAT = 3
"""Format 3 adds the run's provenance (its ``resolved`` rows and its series' ``data`` fingerprints, as in its
``config.json``). Formats 2 (the ``aggregate`` column, no provenance) and 1 (aggregates named ``(corpus)`` in
``series``) are still read."""


@dataclass(frozen=True)
class Baseline:
    """A committed baseline: the run's config and its metric records (per-series, and corpus-level scores)."""

    name: str
    config: RunConfig
    metrics: pd.DataFrame
    saved: dict[str, Any]
    provenance: Provenance


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
    measured = of_folder(store.root)  # checks the run's provenance records before they are copied
    provenance: dict[str, Any] = {}
    if measured.rows is not None:
        provenance["resolved"] = saved["resolved"]
    if measured.data is not None:  # the fingerprints only: no local file paths in a committed file
        provenance["data"] = {k: {"fingerprint": fp} for k, fp in measured.data.items()}
    head = {
        "format": FORMAT,
        "name": name,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "check": f"python -m bench check {folder / (name + '.json')}",
        "environment": {k: session.get(k) for k in ("python", "machine", "packages", "git_commit")},
        "config": config.to_dict(),
        **provenance,
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
    """Read a baseline file (:func:`save_baseline`); anything else or anything tampered with is a
    :class:`DataError` naming the file, the record's line and what is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        doc = json.loads(text)
    except OSError as exc:
        raise DataError(f"Cannot read baseline {path}: {exc.strerror or exc}.") from None
    except ValueError as exc:
        raise DataError(f"{path} is not valid JSON: {exc}.") from None
    fmt = doc.get("format") if isinstance(doc, dict) else None
    if type(fmt) is not int or fmt not in (1, 2, FORMAT) or "records" not in doc:
        raise DataError(f"{path} is not a bench baseline file (written by 'bench baseline save').")
    expected = COLUMNS if fmt >= 2 else LEGACY_COLUMNS
    if doc.get("columns", expected) != expected:
        raise DataError(f"{path}: 'columns' must be {expected} in a format {fmt} file; got {doc['columns']!r}.")
    name = doc.get("name", Path(path).stem)
    if not isinstance(name, str):
        raise DataError(f"{path}: 'name' must be a string; got {name!r}.")
    if not isinstance(doc.get("config"), dict):
        raise DataError(f"{path}: no 'config' section (the run it describes); write it with 'bench baseline save'.")
    try:
        config = RunConfig.from_dict(doc["config"])
    except (ValueError, TypeError, LookupError, AttributeError) as exc:
        raise DataError(f"{path}: its config cannot be read: {exc}") from None
    frame = upgrade(pd.DataFrame(_records(Path(path), text, doc["records"], expected), columns=expected))
    return Baseline(name, config, frame, doc, from_saved(str(path), config, doc))


def _records(path: Path, text: str, records: Any, columns: list[str]) -> list[list[Any]]:
    """The records, each checked: its number of fields, each field's type, a known metric, a key of its own."""
    if not isinstance(records, list):
        raise DataError(f"{path}: 'records' must be a list of records; got {str(records)[:40]!r}.")
    lines = _record_lines(text, len(records))
    known = catalog.all_metrics()
    seen: dict[tuple[Any, ...], int] = {}
    for i, rec in enumerate(records):
        where = f"{path}: " + (f"line {lines[i]}: " if lines else "") + f"record {i + 1}"
        if not isinstance(rec, list) or len(rec) != len(columns):
            got = f"{len(rec)} fields" if isinstance(rec, list) else f"no list of fields ({rec!r})"
            raise DataError(f"{where} has {got}; expected {len(columns)} ({', '.join(columns)}).")
        row = dict(zip(columns, rec, strict=True))
        for col in ("dataset", "series", "aggregate", "detector", "metric"):
            if col in row and not isinstance(row[col], str):
                raise DataError(f"{where}: {col} {row[col]!r} is not a string.")
        if type(row["seed"]) is not int:
            raise DataError(f"{where}: seed {row['seed']!r} is not an integer.")
        value = row["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise DataError(f"{where}: value {value!r} is not a number (a baseline keeps defined values only).")
        if row.get("aggregate", "") not in KINDS:
            raise DataError(f"{where}: unknown aggregate {row['aggregate']!r}; expected one of {KINDS}.")
        if row["metric"] not in known:
            raise DataError(f"{where}: unknown metric {row['metric']!r} (see 'bench list').")
        key = tuple(rec[:-1])
        if key in seen:
            j = seen[key]
            raise DataError(
                f"{where} repeats record {j + 1}'s key {list(key)} with value {value!r} "
                f"(record {j + 1} has {records[j][-1]!r}); keep one."
            )
        seen[key] = i
    return records


def _record_lines(text: str, n: int) -> list[int]:
    """The line of each record in a file laid out as :func:`save_baseline` writes it (one a line), else []."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith('"records"')), None)
    if start is None:
        return []
    found = [i + 1 for i, line in enumerate(lines[start + 1 :], start + 1) if line.lstrip().startswith("[")]
    return found if len(found) == n else []


def load_side(path: Path) -> tuple[pd.DataFrame, Provenance]:
    """A side of a comparison and what it measured: a run folder, an evaluation folder, a ``metrics.csv`` or a
    baseline file."""
    path = Path(path)
    if path.is_file() and path.suffix == ".json":
        baseline = read_baseline(path)
        return baseline.metrics, baseline.provenance
    target = path / "metrics.csv" if path.is_dir() else path
    if not target.exists():
        raise DataError(f"{path} is neither a run folder (with metrics.csv) nor a baseline file (.json).")
    return read_metrics(target), of_folder(path)
