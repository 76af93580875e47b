"""Getting a registered dataset's files: download them (verified) or re-hash what is on disk against the pins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import registry
from bench.errors import UnknownNameError


class NotDownloadable(UnknownNameError):
    """bench may not download this dataset; ``how`` says how to get it."""

    def __init__(self, message: str, how: str) -> None:
        super().__init__(message)
        self.how = how


def fetch_dataset(name: str, data_dir: str | None = None, *, progress: bool = False) -> Path:
    """Download dataset ``name`` (verified, resumable) and return where it is.

    Raises
    ------
    NotDownloadable
        bench may not download it (its ``how`` says how to get it).
    UnknownNameError
        The name is unknown, or the dataset is generated (nothing to fetch).
    """
    entry = registry.get_dataset(name)
    if entry.fetch is None:
        how = entry.how_to_get_text()
        if how:  # data bench may not download: say how to get it, and fail (nothing was fetched)
            raise NotDownloadable(f"bench cannot download {name!r}; see above for how to get it.", how)
        raise UnknownNameError(
            f"Nothing to fetch for {name!r}: it is generated. "
            f"Downloadable datasets: {', '.join(registry.fetchable_dataset_names())}."
        )
    return Path(registry.resolve(entry.fetch, "dataset fetcher")(data_dir, progress=progress))


def verify_dataset(name: str, data_dir: str | None = None) -> Any:
    """Re-hash dataset ``name``'s files on disk against its pins; returns the verifier's report.

    The report has ``summary()`` and ``passed``; a generated dataset has nothing to verify
    (:class:`~bench.errors.UnknownNameError`).
    """
    entry = registry.get_dataset(name)
    if entry.verify is None:
        raise UnknownNameError(f"Nothing to verify for {name!r}: it is generated, not read from files.")
    return registry.resolve(entry.verify, "dataset verifier")(data_dir)
