"""Loading the series a ``RunConfig`` names: every dataset's loader, then the config's series filter."""

from __future__ import annotations

import fnmatch

from bench import registry
from bench.config import RunConfig
from bench.errors import DataError, UnknownNameError
from bench.series import Series


def load_series(config: RunConfig, *, data_dir: str | None = None, progress: bool = False) -> list[Series]:
    """Every series of the config's datasets, filtered by its ``series`` glob (on the name or ``dataset/name``).

    Parameters
    ----------
    config
        The run whose datasets (with their options) and series filter are read.
    data_dir
        Where downloaded datasets live (default: ``$BENCH_DATA_DIR`` or ``./datasets``).
    progress
        Show a loader's progress bar.

    Returns
    -------
    list[Series]
        In the order of the config's datasets and each loader's order.

    Raises
    ------
    DataError
        Two series share a ``dataset/name`` key.
    UnknownNameError
        The series filter matches none.
    """
    series: list[Series] = []
    for ds in config.datasets:
        loader = registry.get_dataset(ds.name).load_function()
        series.extend(loader(data_dir, progress=progress, **ds.options))
    keys = [s.key for s in series]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise DataError(f"Two series are both named {dup!r}; a run needs unique dataset/series names.")
    if config.series:
        pattern = config.series
        kept = [s for s in series if fnmatch.fnmatch(s.name, pattern) or fnmatch.fnmatch(s.key, pattern)]
        if not kept:
            examples = ", ".join(s.name for s in series[:3])
            raise UnknownNameError(
                f"--series {pattern!r} matches none of the {len(series)} series of "
                f"{', '.join(d.name for d in config.datasets)} (names look like: {examples}). "
                "Use a glob such as 'realKnownCause/*'."
            )
        series = kept
    return series


def count_series(config: RunConfig) -> tuple[int, bool]:
    """How many series the config names, known without loading any: ``(count, exact)``.

    Datasets whose registry entry can count (``DatasetEntry.count``, e.g. the
    generator's ``n_series``) are counted; the others are not loaded here, so
    the count is then a lower bound (``exact`` False). With a series filter it
    is not a bound at all: ``(0, False)``.
    """
    if config.series:
        return 0, False
    total, exact = 0, True
    for ds in config.datasets:
        count = registry.get_dataset(ds.name).count_function()
        if count is None:
            exact = False
        else:
            total += count(**ds.options)
    return total, exact
