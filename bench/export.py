"""``bench export scores``: a run folder's scores as CSV files other tools read (NAB's ``results/`` layout, or plain).

The scores exported are each row's, as the run evaluated them: the stored raw
scores with the row's post-processors applied (:func:`bench.runfolder.scored_items`),
beside the series' timestamps, values and labels. Two layouts:

- ``nab``: ``<out>/<dataset>/<row>/<category>/<row>_<file>.csv`` with ``timestamp``,
  ``value``, ``anomaly_score``, ``label``, as NAB's ``results/<detector>/``
  folders; ``bench evaluate --dataset nab --scores <out>/nab/<row>`` scores it
  (:mod:`bench.scorefiles`). One seed (``--seed``, default the run's first).
- ``csv``: ``<out>/<row>/seed<k>/<dataset>/<series>.csv`` with ``timestamp``,
  ``value`` (``value_0``, ``value_1``, ... for several channels), ``label``,
  ``anomaly_score``; every seed unless ``--seed``.

A column the series does not have (timestamps) is left out. Every file goes
through :func:`bench.results.atomic_open`; inside the run folder (the default
``<run>/exports/<format>``) under its lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bench.errors import ParameterError, did_you_mean
from bench.evaluate import Scored
from bench.loading import load_series
from bench.results import RunLock, RunStore, atomic_open, safe_component, safe_relpath
from bench.runfolder import read_config, scored_items, stored_records
from bench.runner import plan
from bench.scorefiles import LABEL_COLUMN, SCORE_COLUMN, TIMESTAMP_COLUMN, VALUE_COLUMN, split_name

FORMATS = ("nab", "csv")
"""``bench export scores --format``: NAB's results layout, or one plain CSV per row, seed and series."""


@dataclass(frozen=True)
class Exported:
    """Where an export went and how many files it wrote."""

    out: Path
    files: int


def export_scores(
    run_dir: Path,
    fmt: str,
    *,
    out: Path | None = None,
    seed: int | None = None,
    detector: str | None = None,
    data_dir: str | None = None,
    progress: bool = False,
) -> Exported:
    """Write a run's scores as CSV files in the ``fmt`` layout (module docstring); no detector runs.

    Parameters
    ----------
    run_dir
        A run folder written by ``bench run`` (of this release or the previous one).
    fmt
        ``nab`` or ``csv``.
    out
        The folder to write into (default ``<run_dir>/exports/<fmt>``).
    seed
        Only this seed (``nab``: default the run's first seed; ``csv``: default every seed).
    detector
        Only this row (its name in the tables, e.g. ``zscore`` or ``lstm+likelihood``).

    Raises
    ------
    ParameterError
        An unknown format, seed or row (naming the ones the run has).
    DataError
        A task without a stored result, or stored scores that fail their checks (:mod:`bench.results`).
    """
    if fmt not in FORMATS:
        raise ParameterError(
            f"Unknown export format {fmt!r}.{did_you_mean(fmt, FORMATS)} Choose {' or '.join(FORMATS)}."
        )
    store = RunStore(run_dir)
    config = read_config(store)
    rows = config.rows
    if detector is not None:
        rows = tuple(r for r in rows if r.alias == detector)
        if not rows:
            names = [r.alias for r in config.rows]
            raise ParameterError(
                f"Run {run_dir} has no row {detector!r}.{did_you_mean(detector, names)} Rows: {', '.join(names)}."
            )
    if seed is not None and seed not in config.seeds:
        raise ParameterError(f"Run {run_dir} has no seed {seed}; its seeds: {', '.join(map(str, config.seeds))}.")
    seeds = (seed,) if seed is not None else config.seeds[:1] if fmt == "nab" else config.seeds
    series = load_series(config, data_dir=data_dir, progress=progress)
    tasks = plan(config.rows, config.seeds, series)
    items, _ = scored_items(store, config, series, tasks, stored_records(store, tasks), rows=rows, seeds=seeds)
    out = Path(out) if out is not None else store.root / "exports" / fmt
    inside = out.absolute().is_relative_to(store.root.absolute())
    root = store.root if inside else out
    files = 0
    with RunLock(store.root) if inside else nullcontext():
        for path, frame in _files(items, fmt, out):
            with atomic_open(path, root=root) as fh:
                frame.to_csv(fh, index=False)
            files += 1
    return Exported(out, files)


def _files(items: list[Scored], fmt: str, out: Path) -> Iterator[tuple[Path, pd.DataFrame]]:
    """Each item's file: its path in the ``fmt`` layout and its table."""
    for item in items:
        s, row = item.series, safe_component(item.row)
        frame = pd.DataFrame()
        if s.timestamps is not None:
            frame[TIMESTAMP_COLUMN] = pd.to_datetime(s.timestamps)
        values = s.values.reshape(len(s), -1)
        if fmt == "nab":
            category, stem = split_name(s)
            if values.shape[1] == 1:
                frame[VALUE_COLUMN] = values[:, 0]
            frame[SCORE_COLUMN] = item.scores
            frame[LABEL_COLUMN] = s.labels
            folder = out / safe_component(s.dataset) / row
            if category:
                folder = folder / safe_relpath(category)
            yield folder / f"{row}_{safe_component(stem)}.csv", frame
        else:
            names = [VALUE_COLUMN] if values.shape[1] == 1 else [f"{VALUE_COLUMN}_{i}" for i in range(values.shape[1])]
            for i, name in enumerate(names):
                frame[name] = values[:, i]
            frame[LABEL_COLUMN] = s.labels
            frame[SCORE_COLUMN] = item.scores
            rel = safe_relpath(s.name)
            yield out / row / f"seed{item.seed}" / safe_component(s.dataset) / rel.with_name(rel.name + ".csv"), frame
