"""The UCR anomaly archive (Wu & Keogh; KDD Cup 2021): 250 series, one anomaly each, from the user's download.

The user downloads ``UCR_TimeSeriesAnomalyDatasets2021.zip`` (see
:data:`ARCHIVE_URL`; no checksum is published) and points bench at the zip or
the unpacked folder: ``--data-dir DIR`` (a data root holding ``ucr/`` or the
zip, or the folder or zip itself) or ``$BENCH_UCR_DIR``. Files are found at
any depth (the zip nests them in ``FilesAreInHere/UCR_Anomaly_FullData/``)
by their names, ``NNN_UCR_Anomaly_<name>_<train end>_<begin>_<end>.txt``;
each holds one float per line (a few hold them space-separated on one line;
both are read). Every file read is hashed into ``metadata["sha256"]``.

Index convention (:data:`INDEXING`): ``values[:train_end]`` is the training
part and ``labels[begin:end] = 1``: 0-based, ``begin`` inclusive, ``end``
exclusive. So ``135_UCR_Anomaly_InternalBleeding16_1200_4187_4199.txt``
trains on rows 0..1199 and labels rows 4187..4198 (12 points). Sources:

- The archive's own description (the KDD Cup 2021 contest page and the
  archive's page for Wu & Keogh, "Current Time Series Anomaly Detection
  Benchmarks are Flawed and are Creating the Illusion of Progress", TKDE 2021)
  names the three numbers (where the training data ends, where the anomaly
  begins and ends) but states no index base; the contest scored a single
  predicted location with a tolerance of 100 points, so it never had to.
- TimeEval's converted copy (collection KDD-TSAD), as aeon ships it in
  ``aeon/datasets/data/KDD-TSAD_135/135_UCR_Anomaly_InternalBleeding16_{TRAIN,TEST}.csv``:
  TRAIN is the first 1200 rows; TEST, all 7501 rows, has ``is_anomaly = 1``
  exactly on rows 4187..4198. That is the reading above, and the test
  ``test_ucr_indices_follow_timeeval`` pins it with those numbers.
- dtaianomaly's ``UCRLoader`` reads it the same way (``X[:train]``,
  ``y[start:end] = 1``); TSB-AD's converted copies encode the first anomaly
  of a UCR series as the name's ``begin`` (``..._1st_4187`` beside
  ``..._1200_4187_4199``), consistent with a 0-based ``begin``.
- Merlion's ``ts_datasets`` loader reads ``begin <= i <= end``, one point
  longer at the end; bench follows TimeEval.
"""

from __future__ import annotations

import os
import re
import warnings

import numpy as np

from bench.datasets.download import VerifyReport
from bench.datasets.info import DatasetInfo
from bench.datasets.local import Download, find_download
from bench.errors import DataError, DataWarning, UnknownNameError
from bench.series import Series

ARCHIVE_URL = "https://www.cs.ucr.edu/~eamonn/time_series_data_2018/UCR_TimeSeriesAnomalyDatasets2021.zip"
"""Where the archive is published (the archive's page for Wu & Keogh, TKDE 2021)."""

DIR_ENV = "BENCH_UCR_DIR"
HOW_TO_GET = f"Download {ARCHIVE_URL} (unpacking is optional)."
"""What ``bench datasets fetch ucr`` should tell the user."""
N_FILES = 250
INDEXING = "0-based; values[:train_end] is training; labels[begin:end] = 1 (begin inclusive, end exclusive)"
NAME = re.compile(r"^(?P<id>\d{3})_UCR_Anomaly_(?P<name>.+)_(?P<train>\d+)_(?P<begin>\d+)_(?P<end>\d+)\.txt$")

INFO = {
    "ucr": DatasetInfo(
        name="ucr",
        description=(
            "The UCR time-series anomaly archive (Wu & Keogh, TKDE 2021; the KDD Cup 2021 data): 250 univariate "
            "series from medicine, industry, human and animal behaviour, space and more, each with an anomaly-free "
            "training prefix and exactly one labelled anomaly after it, chosen to be neither trivial nor mislabelled. "
            "Option: ids."
        ),
        size="250 univariate series of widely varying length",
        licence="not stated by the publishers; cite Wu & Keogh (2021)",
        source=f"Wu & Keogh, TKDE 2021; {ARCHIVE_URL}",
        access="user-download",
    )
}


def parse_name(name: str) -> dict[str, int | str]:
    """The fields a UCR file name encodes.

    >>> parse_name("135_UCR_Anomaly_InternalBleeding16_1200_4187_4199.txt")
    {'id': 135, 'name': 'InternalBleeding16', 'train_end': 1200, 'begin': 4187, 'end': 4199}
    """
    m = NAME.match(name)
    if m is None:
        raise DataError(f"{name!r} is not a UCR anomaly archive file name (NNN_UCR_Anomaly_<name>_<n>_<n>_<n>.txt).")
    return {
        "id": int(m["id"]),
        "name": m["name"],
        "train_end": int(m["train"]),
        "begin": int(m["begin"]),
        "end": int(m["end"]),
    }


def read_txt(data: bytes, name: str) -> Series:
    """One archive file's bytes as a :class:`~bench.series.Series` named ``NNN_UCR_Anomaly_<name>``."""
    fields = parse_name(name)
    try:
        values = np.array(data.split(), dtype=np.float64)
    except ValueError as exc:
        raise DataError(f"UCR file {name}: not whitespace-separated numbers ({exc}).") from exc
    n = len(values)
    train_end, begin, end = int(fields["train_end"]), int(fields["begin"]), int(fields["end"])
    if not 0 < train_end <= n or not begin < end <= n:
        raise DataError(
            f"UCR file {name}: train end {train_end} and anomaly [{begin}, {end}) do not fit its {n} values."
        )
    if begin < train_end:
        warnings.warn(
            f"UCR file {name}: the anomaly begins at {begin}, inside the training part (< {train_end}).",
            DataWarning,
            stacklevel=2,
        )
    labels = np.zeros(n, dtype=np.int8)
    labels[begin:end] = 1
    return Series(
        dataset="ucr",
        name=f"{fields['id']:03d}_UCR_Anomaly_{fields['name']}",
        values=values,
        labels=labels,
        events=((begin, end),),
        train_end=train_end,
        metadata={"file": name, "ucr_id": fields["id"], "source_name": fields["name"], "indexing": INDEXING},
    )


def find(data_dir: str | os.PathLike[str] | None = None) -> Download:
    """The user's UCR archive download (folder or zip); see :func:`bench.datasets.local.find_download`."""
    return find_download(
        data_dir,
        env=DIR_ENV,
        candidates=["ucr", "UCR_TimeSeriesAnomalyDatasets2021.zip", "UCR_TimeSeriesAnomalyDatasets2021"],
        what="UCR anomaly archive",
        how_to_get=HOW_TO_GET,
    )


def index(download: Download) -> dict[int, tuple[str, str]]:
    """``{archive id: (file name, path inside the download)}``; the first path in sorted order wins per id."""
    out: dict[int, tuple[str, str]] = {}
    for rel in download.names():
        base = rel.rsplit("/", 1)[-1]
        if NAME.match(base) and "__MACOSX" not in rel:
            out.setdefault(int(base[:3]), (base, rel))
    return dict(sorted(out.items()))


def _ids(ids: str | None, available: dict[int, tuple[str, str]], where: object) -> list[int]:
    if ids is None:
        return list(available)
    wanted: list[int] = []
    for part in ids.split(","):
        lo, _, hi = part.strip().partition("-")
        try:
            first, last = int(lo), int(hi or lo)
        except ValueError:
            raise UnknownNameError(f"UCR ids must be numbers or ranges like '1-10,25'; got {ids!r}.") from None
        wanted += range(first, last + 1)
    absent = [i for i in wanted if i not in available]
    if absent:
        raise UnknownNameError(
            f"UCR archive id(s) {', '.join(map(str, absent[:5]))} not found in {where} "
            f"({len(available)} files found, ids {min(available, default=0)}-{max(available, default=0)})."
        )
    return list(dict.fromkeys(wanted))


def load(
    data_dir: str | os.PathLike[str] | None = None, *, progress: bool = False, ids: str | None = None
) -> list[Series]:
    """Series of the user's UCR archive download, in id order (see the module docstring for the indexing).

    Parameters
    ----------
    ids
        Archive numbers to load, e.g. ``"1-10,135"``; every file found otherwise.
    """
    download = find(data_dir)
    available = index(download)
    if not available:
        raise DataError(f"No UCR anomaly archive files (NNN_UCR_Anomaly_*.txt) under {download.path}.")
    out = []
    for i in _ids(ids, available, download.path):
        name, rel = available[i]
        data, digest = download.read(rel)
        series = read_txt(data, name)
        series.metadata.update(sha256={name: digest}, location=download.where(rel))
        out.append(series)
    return out


def verify(data_dir: str | os.PathLike[str] | None = None) -> VerifyReport:
    """Which of the archive's ids 1..250 the user's download holds (``ok``: file names) and which it lacks.

    No checksum is published, so nothing can mismatch; the sha256 of each
    file read is recorded when it is loaded.
    """
    download = find(data_dir)
    available = index(download)
    report = VerifyReport(dest=download.path, digest="sha256")
    report.ok = [name for name, _ in available.values()]
    report.missing = [f"{i:03d}_UCR_Anomaly_*.txt" for i in range(1, N_FILES + 1) if i not in available]
    return report
