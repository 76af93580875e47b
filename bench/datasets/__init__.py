"""Dataset loaders, one module per source; each returns a list of :class:`bench.series.Series`.

A loader is called as ``load(data_dir=None, *, progress=False, **options) -> list[Series]``;
its options are keyword-only parameters with annotations and defaults (``--param NAME.OPTION=VALUE``).
A dataset is registered with its metadata in :data:`bench.registry.DATASETS`.
"""

from __future__ import annotations

import os
from pathlib import Path


def data_root(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where downloaded files go: ``data_dir``, else ``$BENCH_DATA_DIR``, else ``./datasets``."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get("BENCH_DATA_DIR")
    return Path(env) if env else Path("datasets")


def restore_hint(name: str, data_dir: str | os.PathLike[str] | None = None) -> str:
    """What a loader tells the user when downloaded files of dataset ``name`` were changed on disk."""
    flag = f" --data-dir {os.fspath(data_dir)}" if data_dir is not None else ""
    return (
        f"Run `python -m bench datasets fetch {name}{flag}` to restore the pinned files (it replaces the changed "
        f"ones), or `python -m bench datasets verify {name}{flag}` to list every file that differs."
    )
