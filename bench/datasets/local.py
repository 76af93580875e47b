"""Datasets the user downloaded: find the folder or zip, list its files, read them and hash what was read.

Some datasets cannot be fetched from a pinned, checksummed source (no stable
URL, no published checksum, a licence that forbids mirroring). For those the
user downloads the archive, and the loader reads it from a folder (unpacked)
or straight from the ``.zip``. Every file read is hashed (sha256) so a run can
record exactly which bytes it used.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.datasets import data_root
from bench.errors import DataError


@dataclass(frozen=True)
class Download:
    """A user's download: a folder, or a zip file read in place. Paths inside are ``/``-separated."""

    path: Path

    @property
    def is_zip(self) -> bool:
        return self.path.is_file()

    def names(self) -> list[str]:
        """Relative paths of every file inside, sorted."""
        if self.is_zip:
            with zipfile.ZipFile(self.path) as zf:
                return sorted(i.filename for i in zf.infolist() if not i.is_dir())
        return sorted(p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file())

    def read(self, rel: str) -> tuple[bytes, str]:
        """The bytes of one file and their sha256 hex digest.

        Raises
        ------
        DataError
            When the file is missing or cannot be read.
        """
        try:
            if self.is_zip:
                with zipfile.ZipFile(self.path) as zf:
                    data = zf.read(rel)
            else:
                data = (self.path / rel).read_bytes()
        except (OSError, KeyError, zipfile.BadZipFile) as exc:
            raise DataError(f"Cannot read {rel} from {self.path}: {exc}.") from exc
        return data, hashlib.sha256(data).hexdigest()

    def where(self, rel: str) -> str:
        """A readable location of one file, for messages and metadata."""
        return f"{self.path}!{rel}" if self.is_zip else str(self.path / rel)


def find_download(
    data_dir: str | os.PathLike[str] | None,
    *,
    env: str,
    candidates: Sequence[str],
    what: str,
    how_to_get: str,
) -> Download:
    """Where the user put a dataset, as a :class:`Download`.

    Looks, in order, at ``data_dir/<candidate>`` for each candidate and then
    ``data_dir`` itself; with no ``data_dir``, at ``$<env>`` (the folder or
    zip itself) and then the data root (``$BENCH_DATA_DIR`` or ``./datasets``)
    with the candidates. The first existing folder or zip file wins.

    Parameters
    ----------
    data_dir
        ``--data-dir``: a data root holding the dataset under one of the
        ``candidates`` names, or the dataset's own folder or zip.
    env
        Environment variable naming the dataset's folder or zip (``BENCH_UCR_DIR``).
    candidates
        Relative names to try under a root (``"ucr"``, ``"UCR_TimeSeriesAnomalyDatasets2021.zip"``).
    what, how_to_get
        The dataset's name and a sentence telling the user where to download it.

    Raises
    ------
    DataError
        When nothing exists at any of the places tried; the message lists them
        and says where to get the data.
    """
    tried: list[Path] = []
    if data_dir is not None:
        tried = [Path(data_dir, c) for c in candidates] + [Path(data_dir)]
    else:
        env_value = os.environ.get(env)
        if env_value:
            tried.append(Path(env_value))
        tried += [data_root() / c for c in candidates]
    for path in tried:
        if path.is_dir() or (path.is_file() and zipfile.is_zipfile(path)):
            return Download(path)
    places = ", ".join(str(p) for p in tried)
    raise DataError(
        f"{what} not found (looked at {places}). {how_to_get} "
        f"Then pass --data-dir DIR (a folder holding it as {candidates[0]}/, or its own folder or zip) "
        f"or set {env} to its folder or zip."
    )
