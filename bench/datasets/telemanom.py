"""NASA SMAP and MSL telemetry (telemanom format, Hundman et al. KDD 2018) from the user's download.

The channel arrays have no pinned home with a published checksum, so the user
downloads telemanom's data archive (``data.zip``, see :data:`DATA_URL`) and
points bench at it: ``--data-dir DIR`` (a data root holding ``telemanom/``,
or the unpacked folder or the zip itself) or ``$BENCH_TELEMANOM_DIR``. Every
array read is hashed: ``metadata["sha256"]`` is ``{"train/<chan>.npy": hex,
"test/<chan>.npy": hex}``, so a run can record exactly what it used.

Labels come from ``labeled_anomalies.csv`` of khundman/telemanom at commit
:data:`REVISION`, shipped beside this module and checked against its git blob
id :data:`LABELS_BLOB` whenever it is read (Caltech licence, kept in
``telemanom_LICENSE.txt``). Conventions:

- one :class:`~bench.series.Series` per channel; ``values`` is
  ``concat(train, test)`` with ``train_end = len(train)``, the training array
  being anomaly-free (labelled 0);
- ``anomaly_sequences`` pairs ``[start, end]`` index the test array and are
  inclusive at both ends (telemanom's own ``labeled_anomalies.csv`` readers
  and OmniAnomaly's preprocessing set ``label[start:end + 1]``), so an event
  is ``[train_end + start, train_end + end + 1)``; the test array must have
  ``num_values`` rows;
- column 0 is the telemetry value; the other columns are one-hot commands
  sent to the spacecraft, dropped unless ``commands=True``;
- SMAP's ``P-2`` has two contradictory rows in the label file; it is left out
  of the default channel list (as OmniAnomaly's preprocessing does, giving the
  usual 53 SMAP channels and 427,617 test points) and, when asked for by name, gets the union of both
  rows' sequences with a :class:`~bench.errors.DataWarning`.
"""

from __future__ import annotations

import ast
import io
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bench.datasets.download import VerifyReport, git_blob_id
from bench.datasets.info import DatasetInfo
from bench.datasets.local import Download, find_download
from bench.errors import DataError, DataWarning, UnknownNameError
from bench.series import Series

REVISION = "2e6c5b6c3558e7835601519b7bdef37c649bdbdc"
"""The khundman/telemanom commit the shipped label file comes from."""

LABELS_FILE = "telemanom_labeled_anomalies.csv"
LABELS_BLOB = "f71a13d46690b1b7f58b12bb51ea7405175ecab4"
"""Git blob id of ``labeled_anomalies.csv`` at :data:`REVISION`."""

DATA_URL = "https://s3-us-west-2.amazonaws.com/telemanom/data.zip"
"""telemanom's data archive, as its README names it (not pinned: no checksum is published)."""

DIR_ENV = "BENCH_TELEMANOM_DIR"
EXCLUDED = ("P-2",)
"""Channels left out of the default lists (see the module docstring)."""

HOW_TO_GET = (  # what `bench datasets fetch smap|msl` should tell the user
    f"Download telemanom's data archive ({DATA_URL}, linked from github.com/khundman/telemanom) "
    "and unpack it (it holds train/<channel>.npy and test/<channel>.npy), or keep the zip."
)
_SOURCE = f"Hundman et al., KDD 2018; labels: khundman/telemanom @ {REVISION[:12]}; arrays: {DATA_URL}"
INFO = {
    "smap": DatasetInfo(
        name="smap",
        description=(
            "NASA Soil Moisture Active Passive satellite telemetry (Hundman et al., KDD 2018), expert-labelled "
            "anomalies from incident reports. One series per channel: a telemetry value plus one-hot commands "
            "(kept with commands=true); the anomaly-free training array is the training part. Options: "
            "channels, commands."
        ),
        size=(
            "53 channels (P-2 left out); test arrays 4,453-8,640 points (427,617 in all) after a training "
            "array each; 25 columns (value + 24 commands)"
        ),
        licence="Caltech (BSD-style, keep the notice)",
        source=_SOURCE,
        access="user-download",
    ),
    "msl": DatasetInfo(
        name="msl",
        description=(
            "NASA Mars Science Laboratory (Curiosity rover) telemetry (Hundman et al., KDD 2018), expert-labelled "
            "anomalies from incident reports. One series per channel: a telemetry value plus one-hot commands "
            "(kept with commands=true); the anomaly-free training array is the training part. Options: "
            "channels, commands."
        ),
        size=(
            "27 channels; test arrays 1,096-6,100 points (73,729 in all) after a training array each; "
            "55 columns (value + 54 commands)"
        ),
        licence="Caltech (BSD-style, keep the notice)",
        source=_SOURCE,
        access="user-download",
    ),
}


@dataclass(frozen=True)
class ChannelLabels:
    """One row of ``labeled_anomalies.csv``: inclusive ``[start, end]`` pairs into the test array."""

    chan_id: str
    spacecraft: str
    sequences: tuple[tuple[int, int], ...]
    classes: tuple[str, ...]
    num_values: int

    @property
    def events(self) -> list[tuple[int, int]]:
        """The sequences as half-open ``[start, end + 1)`` test-array ranges."""
        return [(a, b + 1) for a, b in self.sequences]


def _natural(name: str) -> tuple[str, int]:
    head, _, num = name.partition("-")
    return head, int(num) if num.isdigit() else -1


def read_labels(path: str | os.PathLike[str] | None = None) -> list[ChannelLabels]:
    """Every row of the label file (82: SMAP 55 incl. P-2 twice, MSL 27), in file order.

    With no ``path`` the shipped file is read and must match :data:`LABELS_BLOB`.

    Raises
    ------
    DataError
        When the shipped file was altered, or a row is malformed (a sequence
        outside ``[0, num_values)``, ``start > end``, a class count that
        differs from the sequence count).
    """
    if path is None:
        ref = resources.files("bench.datasets").joinpath(LABELS_FILE)
        with resources.as_file(ref) as shipped:
            got = git_blob_id(shipped)
            if got != LABELS_BLOB:
                raise DataError(
                    f"The shipped {LABELS_FILE} has git blob id {got}, not the pinned {LABELS_BLOB}; reinstall bench."
                )
            text = shipped.read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    frame = pd.read_csv(io.StringIO(text), dtype=str)
    out = []
    columns = ["chan_id", "spacecraft", "anomaly_sequences", "class", "num_values"]
    if list(frame.columns) != columns:
        raise DataError(f"{LABELS_FILE}: expected columns {columns}; got {list(frame.columns)}.")
    for i, (chan, craft, seq_text, class_text, n_text) in enumerate(frame.itertuples(index=False, name=None), 2):
        try:
            seqs = tuple((int(a), int(b)) for a, b in ast.literal_eval(seq_text))
            classes = tuple(c.strip() for c in class_text.strip("[]").split(","))
            n = int(n_text)
        except (ValueError, SyntaxError, TypeError):
            raise DataError(f"{LABELS_FILE} line {i}: cannot parse the row for channel {chan!r}.") from None
        if len(classes) != len(seqs) or not all(0 <= a <= b < n for a, b in seqs):
            raise DataError(
                f"{LABELS_FILE} line {i}: sequences {seqs} do not fit {n} values or {len(classes)} classes."
            )
        out.append(ChannelLabels(chan, craft, seqs, classes, n))
    return out


def channel_ids(spacecraft: str) -> list[str]:
    """Default channel ids of ``"SMAP"`` or ``"MSL"`` in natural order (without :data:`EXCLUDED`)."""
    ids = {r.chan_id for r in read_labels() if r.spacecraft == spacecraft}
    return sorted(ids - set(EXCLUDED), key=_natural)


def find(data_dir: str | os.PathLike[str] | None = None) -> Download:
    """The user's telemanom download (folder or zip); see :func:`bench.datasets.local.find_download`."""
    return find_download(
        data_dir, env=DIR_ENV, candidates=["telemanom", "data.zip"], what="telemanom data", how_to_get=HOW_TO_GET
    )


_ARRAY = re.compile(r"(?:^|/)(train|test)/([^/.][^/]*)\.npy$")


def _index(download: Download) -> dict[tuple[str, str], str]:
    """``{(part, channel): path inside the download}``; the first path in sorted order wins."""
    out: dict[tuple[str, str], str] = {}
    for name in download.names():
        m = _ARRAY.search(name)
        if m and "__MACOSX" not in name:
            out.setdefault((m.group(1), m.group(2)), name)
    return out


def _load(spacecraft: str, data_dir: str | os.PathLike[str] | None, chans: str | None, commands: bool) -> list[Series]:
    rows: dict[str, list[ChannelLabels]] = {}
    for r in read_labels():
        if r.spacecraft == spacecraft:
            rows.setdefault(r.chan_id, []).append(r)
    wanted = channel_ids(spacecraft) if chans is None else [c.strip() for c in chans.split(",") if c.strip()]
    for c in wanted:
        if c not in rows:
            raise UnknownNameError(
                f"Unknown {spacecraft} channel {c!r}. Channels: {', '.join(sorted(rows, key=_natural))}."
            )
    download = find(data_dir)
    index = _index(download)
    return [_read_channel(download, index, rows[c], commands) for c in wanted]


def _read_array(download: Download, index: dict[tuple[str, str], str], part: str, chan: str) -> tuple[NDArray, str]:
    rel = index.get((part, chan))
    if rel is None:
        raise DataError(f"No {part}/{chan}.npy in {download.path}. {HOW_TO_GET}")
    data, digest = download.read(rel)
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as exc:
        raise DataError(f"{download.where(rel)} is not a numpy array file: {exc}.") from exc
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise DataError(f"{download.where(rel)}: expected a 2-D (time, columns) array; got shape {arr.shape}.")
    return np.asarray(arr, dtype=np.float64), digest


def _read_channel(
    download: Download, index: dict[tuple[str, str], str], rows: Sequence[ChannelLabels], commands: bool
) -> Series:
    chan, spacecraft = rows[0].chan_id, rows[0].spacecraft
    if len(rows) > 1:
        warnings.warn(
            f"{LABELS_FILE} lists {spacecraft} channel {chan} {len(rows)} times with different sequences; "
            "using the union of them.",
            DataWarning,
            stacklevel=3,
        )
    train, train_sha = _read_array(download, index, "train", chan)
    test, test_sha = _read_array(download, index, "test", chan)
    if len(test) != rows[0].num_values or train.shape[1] != test.shape[1]:
        raise DataError(
            f"{spacecraft} channel {chan}: test array has shape {test.shape} (train {train.shape}), but "
            f"{LABELS_FILE} says {rows[0].num_values} values; is this the telemanom data archive?"
        )
    cols = slice(None) if commands else slice(0, 1)
    n_train = len(train)
    labels = np.zeros(n_train + len(test), dtype=np.int8)
    sequences = [s for r in rows for s in r.sequences]
    for a, b in sequences:
        labels[n_train + a : n_train + b + 1] = 1
    return Series(
        dataset=spacecraft.lower(),
        name=chan,
        values=np.vstack([train[:, cols], test[:, cols]]),
        labels=labels,
        train_end=n_train,
        metadata={
            "spacecraft": spacecraft,
            "channel": chan,
            "test_start": n_train,
            "sequences": [list(s) for s in sequences],
            "classes": [c for r in rows for c in r.classes],
            "commands": commands,
            "sha256": {f"train/{chan}.npy": train_sha, f"test/{chan}.npy": test_sha},
            "files": [download.where(index[("train", chan)]), download.where(index[("test", chan)])],
            "labels_blob": LABELS_BLOB,
        },
    )


def load_smap(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    progress: bool = False,
    channels: str | None = None,
    commands: bool = False,
) -> list[Series]:
    """SMAP channels from the user's telemanom download (see the module docstring).

    Parameters
    ----------
    channels
        Comma-separated channel ids (``"A-1,E-3"``); the 53 default channels otherwise.
    commands
        Keep the one-hot command columns (SMAP: 25 columns in all, MSL: 55) instead of the telemetry value alone.
    """
    return _load("SMAP", data_dir, channels, commands)


def load_msl(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    progress: bool = False,
    channels: str | None = None,
    commands: bool = False,
) -> list[Series]:
    """MSL channels from the user's telemanom download; options as :func:`load_smap` (27 channels)."""
    return _load("MSL", data_dir, channels, commands)


def verify(data_dir: str | os.PathLike[str] | None = None) -> VerifyReport:
    """Check the shipped label file's blob id and that every labelled channel's arrays are there and fit.

    ``ok`` lists array paths present whose test length matches ``num_values``;
    ``missing`` the arrays not found; ``mismatched`` maps a test array whose
    length differs to ``(expected rows, got rows)``. Nothing is changed.
    """
    labels = {r.chan_id: r for r in read_labels()}  # raises when the label file was altered
    download = find(data_dir)
    index = _index(download)
    report = VerifyReport(dest=download.path, digest="sha256")
    for chan in sorted(labels, key=_natural):
        for part in ("train", "test"):
            rel = f"{part}/{chan}.npy"
            if (part, chan) not in index:
                report.missing.append(rel)
                continue
            if part == "test":
                arr, _ = _read_array(download, index, part, chan)
                if len(arr) != labels[chan].num_values:
                    report.mismatched[rel] = (str(labels[chan].num_values), str(len(arr)))
                    continue
            report.ok.append(rel)
    return report
