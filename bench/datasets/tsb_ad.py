"""TSB-AD-U and TSB-AD-M (Liu and Paparrizos, NeurIPS 2024) from the user's download, with the official file lists.

The archives (``TSB-AD-U.zip``, ``TSB-AD-M.zip``, see :data:`ARCHIVES`) are
published on the authors' site without checksums, so the user downloads them
and bench reads a folder or the zip itself: ``--data-dir DIR`` (a data root
holding ``tsb-ad/`` or the archive, or the archive's own folder or zip) or
``$BENCH_TSB_AD_DIR``. Every file read is hashed into
``metadata["sha256"]``.

Format and conventions, as TSB-AD's own readers have them
(``benchmark_exp/Run_Detector_U.py`` / ``_M.py`` at TheDatumOrg/TSB-AD):

- a CSV with a header; every column but the last is a channel
  (``Data`` for TSB-AD-U, ``0, 1, ...`` for TSB-AD-M), the last is ``Label``
  (0/1 per row); rows with a missing value are dropped, as TSB-AD's
  ``pd.read_csv(path).dropna()`` does (with a :class:`~bench.errors.DataWarning`);
- the file name is ``<index>_<source>_id_<id>_<domain>_tr_<train end>_1st_<first anomaly>.csv``;
  ``values[:train end]`` is the training part (TSB-AD:
  ``data[:int(train_index)]``), and ``first anomaly`` is the 0-based row of
  the first label 1 (checked on the real file
  ``001_NAB_id_1_Facility_tr_1007_1st_2014.csv``; a file that disagrees warns);
- the training part is not always anomaly-free: the names of 176 of the 870
  TSB-AD-U files and 22 of the 200 TSB-AD-M files put the first anomaly before
  the train end (``metadata["train_has_anomalies"]``), and TSB-AD fits on it
  all the same.

Subsets are the official lists of ``Datasets/File_List`` at commit
:data:`REVISION` (shipped in ``tsb_ad_lists/``, Apache 2.0): ``"all"``
(870 / 200 files), ``"eva"`` (350 / 180, the evaluation split) and
``"tuning"`` (48 / 20, the hyperparameter-tuning split).
"""

from __future__ import annotations

import difflib
import io
import os
import re
import warnings
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from bench.datasets.download import VerifyReport
from bench.datasets.info import DatasetInfo
from bench.datasets.local import Download, find_download
from bench.errors import DataError, DataWarning, ParameterError, UnknownNameError
from bench.series import Series

REVISION = "87630099ea8d0dafe89a957e31ed9720e88479eb"
"""The TheDatumOrg/TSB-AD commit the shipped file lists come from."""

ARCHIVES = {
    "TSB-AD-U": "https://www.thedatum.org/datasets/TSB-AD-U.zip",
    "TSB-AD-M": "https://www.thedatum.org/datasets/TSB-AD-M.zip",
}
"""Where the authors publish the archives (TSB-AD's README); not pinned: no checksum is published."""

DIR_ENV = "BENCH_TSB_AD_DIR"
HOW_TO_GET = {
    variant: f"Download {url} (linked from github.com/TheDatumOrg/TSB-AD); unpacking is optional."
    for variant, url in ARCHIVES.items()
}
"""What ``bench datasets fetch tsb-ad-u|tsb-ad-m`` should tell the user, per archive."""
SUBSETS = {"all": "", "eva": "-Eva", "tuning": "-Tuning"}
NAME = re.compile(
    r"^(?P<index>\d+)_(?P<source>.+)_id_(?P<id>[^_]+)_(?P<domain>[A-Za-z]+)_tr_(?P<tr>\d+)_1st_(?P<first>\d+)\.csv$"
)

_SOURCE = f"Liu & Paparrizos, NeurIPS 2024 D&B; file lists: TheDatumOrg/TSB-AD @ {REVISION[:12]}"
INFO = {
    "tsb-ad-u": DatasetInfo(
        name="tsb-ad-u",
        description=(
            "TSB-AD-U, the univariate half of TSB-AD (Liu & Paparrizos, NeurIPS 2024): 870 curated series from "
            "23 sources (NAB, UCR, Yahoo, IOPS, WSD, MGAB, ...) across 9 domains, re-labelled where needed. The "
            "training part is the file's own split (tr_ in the name). Options: subset (all, eva, tuning), files."
        ),
        size="870 univariate series (eva 350, tuning 48)",
        licence="curation Apache 2.0; each series keeps its original source's licence",
        source=f"{_SOURCE}; archive {ARCHIVES['TSB-AD-U']}",
        access="user-download",
    ),
    "tsb-ad-m": DatasetInfo(
        name="tsb-ad-m",
        description=(
            "TSB-AD-M, the multivariate half of TSB-AD (Liu & Paparrizos, NeurIPS 2024): 200 curated series from "
            "17 sources (SMD, SMAP, MSL, PSM, SWaT, Genesis, GHL, ...). The training part is the file's own split "
            "(tr_ in the name). Options: subset (all, eva, tuning), files."
        ),
        size="200 multivariate series (eva 180, tuning 20)",
        licence="curation Apache 2.0; each series keeps its original source's licence",
        source=f"{_SOURCE}; archive {ARCHIVES['TSB-AD-M']}",
        access="user-download",
    ),
}


def file_list(variant: str, subset: str = "all") -> list[str]:
    """The official file names of ``variant`` (``"TSB-AD-U"`` or ``"TSB-AD-M"``) in ``subset``, in list order."""
    if subset not in SUBSETS:
        raise ParameterError(f"Unknown TSB-AD subset {subset!r}. Available: {', '.join(SUBSETS)}.")
    ref = resources.files("bench.datasets").joinpath(f"tsb_ad_lists/{variant}{SUBSETS[subset]}.csv")
    names = ref.read_text(encoding="utf-8").split()
    if not names or names[0] != "file_name":
        raise DataError(f"The shipped TSB-AD list {variant}{SUBSETS[subset]}.csv has no file_name header.")
    return names[1:]


def parse_name(name: str) -> dict[str, Any]:
    """The fields a TSB-AD file name encodes.

    >>> parse_name("001_NAB_id_1_Facility_tr_1007_1st_2014.csv")["train_end"]
    1007
    """
    m = NAME.match(name)
    if m is None:
        raise DataError(f"{name!r} is not a TSB-AD file name (<index>_<source>_id_<id>_<domain>_tr_<n>_1st_<n>.csv).")
    return {
        "index": int(m["index"]),
        "source": m["source"],
        "id": m["id"],
        "domain": m["domain"],
        "train_end": int(m["tr"]),
        "first_anomaly": int(m["first"]),
    }


def read_csv(data: bytes, name: str, dataset: str = "tsb-ad-u") -> Series:
    """One TSB-AD file's bytes as a :class:`~bench.series.Series` named after the file (without ``.csv``)."""
    fields = parse_name(name)
    try:
        frame = pd.read_csv(io.BytesIO(data))
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"TSB-AD file {name}: cannot parse it as CSV ({exc}).") from exc
    if frame.shape[1] < 2 or frame.columns[-1] != "Label":
        raise DataError(f"TSB-AD file {name}: expected channel columns then 'Label'; got {list(frame.columns)[:5]}.")
    complete = frame.dropna()
    if len(complete) < len(frame):
        warnings.warn(
            f"TSB-AD file {name}: dropped {len(frame) - len(complete)} of {len(frame)} rows with missing values, "
            "as TSB-AD's own reader does.",
            DataWarning,
            stacklevel=2,
        )
    values = complete.iloc[:, :-1].to_numpy(dtype=np.float64)
    labels = complete["Label"].to_numpy(dtype=np.float64)
    if not np.isin(labels, (0, 1)).all():
        raise DataError(f"TSB-AD file {name}: Label holds values other than 0 and 1.")
    n = len(values)
    if fields["train_end"] > n:
        raise DataError(f"TSB-AD file {name}: the name's train end {fields['train_end']} is beyond its {n} rows.")
    hits = np.flatnonzero(labels)
    first = int(hits[0]) if hits.size else None
    if first != fields["first_anomaly"]:
        warnings.warn(
            f"TSB-AD file {name}: the first labelled row is {first}, the name says {fields['first_anomaly']}.",
            DataWarning,
            stacklevel=2,
        )
    return Series(
        dataset=dataset,
        name=name[: -len(".csv")],
        values=values,
        labels=labels.astype(np.int8),
        train_end=fields["train_end"],
        metadata={
            **{k: fields[k] for k in ("source", "id", "domain", "first_anomaly")},
            "file": name,
            "train_has_anomalies": bool(hits.size and hits[0] < fields["train_end"]),
        },
    )


def find(variant: str, data_dir: str | os.PathLike[str] | None = None) -> Download:
    """The user's TSB-AD download for ``variant`` (folder or zip); see :func:`bench.datasets.local.find_download`."""
    return find_download(
        data_dir,
        env=DIR_ENV,
        candidates=[f"tsb-ad/{variant}", f"tsb-ad/{variant}.zip", variant, f"{variant}.zip", "tsb-ad"],
        what=f"{variant} data",
        how_to_get=HOW_TO_GET[variant],
    )


def _index(download: Download, wanted: list[str]) -> dict[str, str]:
    """``{file name: path inside the download}`` for the wanted names present (first in sorted order wins)."""
    wanted_set = set(wanted)
    out: dict[str, str] = {}
    for rel in download.names():
        base = rel.rsplit("/", 1)[-1]
        if base in wanted_set and "__MACOSX" not in rel:
            out.setdefault(base, rel)
    return out


def _select(variant: str, subset: str, files: str | None) -> list[str]:
    names = file_list(variant, subset)
    if files is None:
        return names
    wanted = [f.strip() if f.strip().endswith(".csv") else f.strip() + ".csv" for f in files.split(",") if f.strip()]
    for name in wanted:
        if name not in names:
            close = difflib.get_close_matches(name, names, n=3)
            raise UnknownNameError(
                f"{name!r} is not in the {variant} list of subset {subset!r}. "
                + (f"Did you mean {', '.join(close)}? " if close else "")
                + "Names are the official file names, with or without .csv."
            )
    return [n for n in names if n in set(wanted)]


def _load(variant: str, data_dir: str | os.PathLike[str] | None, subset: str, files: str | None) -> list[Series]:
    names = _select(variant, subset, files)
    download = find(variant, data_dir)
    index = _index(download, names)
    missing = [n for n in names if n not in index]
    if missing:
        raise DataError(
            f"{len(missing)} of the {len(names)} {variant} files of subset {subset!r} are not in {download.path} "
            f"(e.g. {', '.join(missing[:3])}). Point --data-dir or {DIR_ENV} at the whole {variant} archive."
        )
    out = []
    for name in names:
        data, digest = download.read(index[name])
        series = read_csv(data, name, dataset=variant.lower())
        series.metadata.update(sha256={name: digest}, subset=subset, location=download.where(index[name]))
        out.append(series)
    return out


def load_u(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    progress: bool = False,
    subset: str = "all",
    files: str | None = None,
) -> list[Series]:
    """TSB-AD-U series of an official subset, in list order.

    Parameters
    ----------
    subset
        ``"all"`` (870), ``"eva"`` (350) or ``"tuning"`` (48).
    files
        Comma-separated file names (with or without ``.csv``) to load only
        those of the subset; every file of the subset otherwise.
    """
    return _load("TSB-AD-U", data_dir, subset, files)


def load_m(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    progress: bool = False,
    subset: str = "all",
    files: str | None = None,
) -> list[Series]:
    """TSB-AD-M series of an official subset (``"all"`` 200, ``"eva"`` 180, ``"tuning"`` 20); see :func:`load_u`."""
    return _load("TSB-AD-M", data_dir, subset, files)


def verify_u(data_dir: str | os.PathLike[str] | None = None) -> VerifyReport:
    """:func:`verify` for TSB-AD-U."""
    return verify("TSB-AD-U", data_dir)


def verify_m(data_dir: str | os.PathLike[str] | None = None) -> VerifyReport:
    """:func:`verify` for TSB-AD-M."""
    return verify("TSB-AD-M", data_dir)


def verify(variant: str, data_dir: str | os.PathLike[str] | None = None) -> VerifyReport:
    """Which files of the official full list are in the user's download (``ok``) and which are not (``missing``).

    No checksum is published, so nothing can mismatch; the sha256 of each
    file read is recorded when it is loaded.
    """
    names = file_list(variant)
    download = find(variant, data_dir)
    index = _index(download, names)
    report = VerifyReport(dest=download.path, digest="sha256")
    for name in names:
        (report.ok if name in index else report.missing).append(name)
    return report
