"""Dataset loaders, one module per source; each returns a list of :class:`bench.series.Series`.

A loader is called as ``load(data_dir=None, *, progress=False) -> list[Series]``.
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
