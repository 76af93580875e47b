"""The Server Machine Dataset (SMD, Su et al. KDD 2019): pinned download, git-blob verification and loading.

Source: NetManAIOps/OmniAnomaly at commit :data:`REVISION`, folder
``ServerMachineDataset/`` (MIT licence). Every file is pinned by its git blob
id (what the commit's tree records, ``git hash-object FILE``) in
``smd_manifest.tsv`` beside this module. Set ``BENCH_SMD_SOURCE`` to a local
copy (a folder holding ``ServerMachineDataset/``, e.g. a clone of
OmniAnomaly) or a mirror base URL to avoid the canonical GitHub source.

One :class:`~bench.series.Series` per machine (28, named ``machine-X-Y``),
38 metrics each, one row per minute:

- ``values`` is ``concat(train, test)``; ``train_end = len(train)``, so the
  runner's protocol (fit on ``values[:train_end]``, score the whole series,
  evaluate after ``train_end``) uses the published split unchanged. The
  training file has no labels and is labelled 0 throughout.
- ``labels[train_end:]`` is ``test_label/<machine>.txt``; events are its runs.
- ``interpretation_label/<machine>.txt`` (lines ``start-end:d1,d2,...``, the
  metrics that explain each anomaly) is kept as metadata. Its dimensions are
  1-based (1..38 occur, 0 never) and are stored 0-based. Its ranges are
  0-based row indices into the test file with ``end`` exclusive: read so,
  they reproduce ``test_label`` exactly on 24 of the 28 machines, whereas
  reading them as 1-based or with ``end`` inclusive mismatches every machine
  (checked on the pinned files, see ``tests/test_datasets_smd.py``). On the
  other four the file's own ranges disagree with ``test_label`` (a range
  ends early or late, one run has no interpretation line); the labels
  always come from ``test_label``.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bench.datasets import data_root, restore_hint
from bench.datasets.download import FetchReport, VerifyReport, fetch_files, parse_manifest, verify_files
from bench.datasets.info import DatasetInfo
from bench.errors import DataError, UnknownNameError
from bench.series import Series, labels_to_events

REVISION = "7fb0e0acf89ea49908896bcc9f9e80fcfff6baf4"
"""The NetManAIOps/OmniAnomaly commit every file is pinned to."""

BASE_URL = f"https://raw.githubusercontent.com/NetManAIOps/OmniAnomaly/{REVISION}"
"""The canonical source: ``BASE_URL/<path>`` for every path of the manifest."""

SOURCE_ENV = "BENCH_SMD_SOURCE"
FOLDER = "ServerMachineDataset"
PARTS = ("train", "test", "test_label", "interpretation_label")
N_METRICS = 38
DIGEST = "git-blob"

INFO = {
    "smd": DatasetInfo(
        name="smd",
        description=(
            "Server Machine Dataset (Su et al., KDD 2019): 5 weeks of 38 metrics (CPU, memory, network, disk) "
            "from 28 machines of a large internet company, one row per minute. Each machine has an unlabelled "
            "training half (the training part) and a labelled test half; interpretation labels name the metrics "
            "that explain each anomaly. Option: machines (a subset)."
        ),
        size="28 series x 38 channels, 47,000-57,500 points each (708,405 train + 708,420 test rows); ~200 MB",
        licence="MIT (NetManAIOps-SMD)",
        source=f"NetManAIOps/OmniAnomaly @ {REVISION[:12]}, ServerMachineDataset/ (pinned, git blob ids)",
        access="download",
    )
}


@lru_cache(maxsize=1)
def _pinned_manifest() -> dict[str, str]:
    text = resources.files("bench.datasets").joinpath("smd_manifest.tsv").read_text(encoding="utf-8")
    return parse_manifest(text, "bench/datasets/smd_manifest.tsv", digest=DIGEST)


def manifest(path: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """``{relative path: git blob id}``: the pinned manifest, or the one at ``path`` (same TSV format)."""
    if path is None:
        return dict(_pinned_manifest())
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"Cannot read the SMD manifest {path}: {exc.strerror or exc}.") from exc
    return parse_manifest(text, os.fspath(path), digest=DIGEST)


def machine_names(pinned: dict[str, str] | None = None) -> list[str]:
    """Machine names in natural order (``machine-1-1`` ... ``machine-3-11``)."""
    m = _pinned_manifest() if pinned is None else pinned
    prefix = f"{FOLDER}/test/"
    names = [p[len(prefix) : -len(".txt")] for p in m if p.startswith(prefix) and p.endswith(".txt")]
    return sorted(names, key=lambda n: [int(x) if x.isdigit() else x for x in n.replace("-", " ").split()])


def files_for(machines: Sequence[str]) -> list[str]:
    """The relative paths (four per machine) that loading ``machines`` reads."""
    return [f"{FOLDER}/{part}/{m}.txt" for m in machines for part in PARTS]


def _machines(machines: str | Sequence[str] | None, known: list[str]) -> list[str]:
    if machines is None:
        return known
    wanted = [m.strip() for m in machines.split(",")] if isinstance(machines, str) else list(machines)
    for name in wanted:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=3)
            raise UnknownNameError(
                f"Unknown SMD machine {name!r}. "
                + (f"Did you mean {', '.join(close)}? " if close else "")
                + f"Machines: {known[0]} ... {known[-1]} ({len(known)})."
            )
    return list(dict.fromkeys(wanted))


def resolve_source(source: str | os.PathLike[str] | None = None) -> str:
    """The source to fetch from: ``source``, else ``$BENCH_SMD_SOURCE``, else :data:`BASE_URL`."""
    if source is not None:
        return os.fspath(source)
    return os.environ.get(SOURCE_ENV) or BASE_URL


def _hint(source: str | os.PathLike[str] | None) -> str:
    what = f"a local copy of SMD (a folder holding {FOLDER}/, e.g. a clone of OmniAnomaly) or a mirror base URL"
    if source is not None:
        return f"Check the SMD source {os.fspath(source)!r} (or use {SOURCE_ENV}): it should be {what}."
    env = os.environ.get(SOURCE_ENV)
    if env:
        return f"Check {SOURCE_ENV}={env!r}: it should be {what}."
    return f"No {SOURCE_ENV} is set; set {SOURCE_ENV} to {what} (needed without network access)."


def fetch_report(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    source: str | os.PathLike[str] | None = None,
    progress: bool = False,
    machines: str | Sequence[str] | None = None,
    manifest_file: str | os.PathLike[str] | None = None,
    backoff: float = 0.5,
    retries: int = 3,
    refuse_changed: bool = False,
) -> FetchReport:
    """Download what is missing or corrupt into ``<data root>/smd``; return what was downloaded.

    Parameters
    ----------
    data_dir
        Data root (see :func:`bench.datasets.data_root`); files land in ``<root>/smd/ServerMachineDataset``.
    source
        A folder, ``file://`` URL or base URL replacing the canonical GitHub
        source; defaults to ``$BENCH_SMD_SOURCE``, else :data:`BASE_URL`.
    machines
        Machines to fetch (default all 28); the LICENSE is always fetched.
    manifest_file
        A manifest replacing the pinned one (a mirror of another revision, or test data).
    backoff, retries
        Passed to :func:`bench.datasets.download.fetch_files`.
    refuse_changed
        What :func:`load` does: a file on disk that differs from its pin is a
        :class:`~bench.errors.ChecksumError` naming it, instead of being fetched again.

    Raises
    ------
    bench.errors.DownloadError, bench.errors.ChecksumError, bench.errors.OutputError
        As :func:`bench.datasets.download.fetch_files`; messages name ``BENCH_SMD_SOURCE``.
    """
    pinned = manifest(manifest_file)
    names = _machines(machines, machine_names(pinned))
    paths = [f"{FOLDER}/LICENSE"] * (f"{FOLDER}/LICENSE" in pinned) + files_for(names)
    return fetch_files(
        paths,
        pinned,
        data_root(data_dir) / "smd",
        resolve_source(source),
        label="SMD",
        hint=_hint(source),
        retries=retries,
        backoff=backoff,
        progress=progress,
        digest=DIGEST,
        refuse_changed=restore_hint("smd", data_dir) if refuse_changed else None,
    )


def fetch(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    source: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> Path:
    """Download all of SMD (only what is missing or corrupt) into ``<data root>/smd``; return that folder."""
    return fetch_report(data_dir, source=source, progress=progress).dest


def verify(data_dir: str | os.PathLike[str] | None = None) -> VerifyReport:
    """Re-hash every pinned SMD file under ``<data root>/smd`` against its git blob id; download nothing."""
    pinned = manifest()
    return verify_files(sorted(pinned), pinned, data_root(data_dir) / "smd", digest=DIGEST)


def load(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    progress: bool = False,
    source: str | None = None,
    machines: str | None = None,
    manifest_file: str | None = None,
) -> list[Series]:
    """SMD machines as series (see the module docstring), fetching first whatever is missing.

    A file on disk that differs from its pinned blob id (changed since it was
    downloaded) is refused with a :class:`~bench.errors.ChecksumError`, never
    used nor silently replaced.

    Parameters
    ----------
    machines
        Comma-separated machine names (``"machine-1-1,machine-2-3"``); all 28 by default.
    source
        Where to fetch from (default ``$BENCH_SMD_SOURCE``, else GitHub at :data:`REVISION`).
    manifest_file
        Path of a manifest replacing the pinned one (same TSV format:
        ``<blob id><TAB><path>``), for a mirror of another revision or test data.

    ``metadata`` holds ``machine``, ``test_start`` (= ``train_end``),
    ``interpretation`` (``[{"start", "end", "dims"}]`` in series rows,
    half-open, 0-based channels), ``event_dims`` (for each event, the sorted
    channels of the interpretation ranges overlapping it), ``git_blob``
    (``{path: blob id}`` of the four files read, all verified) and ``revision``.
    """
    report = fetch_report(
        data_dir, source=source, progress=progress, machines=machines, manifest_file=manifest_file, refuse_changed=True
    )
    pinned = manifest(manifest_file)
    return parse(report.dest, _machines(machines, machine_names(pinned)), blob_ids=pinned)


def parse(
    smd_dir: str | os.PathLike[str], machines: Sequence[str] | None = None, *, blob_ids: dict[str, str] | None = None
) -> list[Series]:
    """Read SMD machines from a folder holding ``ServerMachineDataset/`` (no download, no hash check)."""
    smd_dir = Path(smd_dir)
    names = machine_names() if machines is None else list(machines)
    ids = _pinned_manifest() if blob_ids is None else blob_ids
    return [_read_machine(smd_dir, name, ids) for name in names]


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"SMD file {path} is missing; run `python -m bench datasets fetch smd`.") from None


def _read_matrix(path: Path) -> NDArray[np.float64]:
    try:
        frame = pd.read_csv(path, header=None, dtype=np.float64)
    except FileNotFoundError:
        raise DataError(f"SMD file {path} is missing; run `python -m bench datasets fetch smd`.") from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"SMD file {path}: not comma-separated numbers ({exc}).") from exc
    values = frame.to_numpy(dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != N_METRICS:
        raise DataError(f"SMD file {path}: expected {N_METRICS} comma-separated columns; got shape {values.shape}.")
    return values


def _read_machine(smd_dir: Path, name: str, ids: dict[str, str]) -> Series:
    base = smd_dir / FOLDER
    train = _read_matrix(base / "train" / f"{name}.txt")
    test = _read_matrix(base / "test" / f"{name}.txt")
    label_text = _read_text(base / "test_label" / f"{name}.txt").split()
    test_labels = np.array([int(float(x)) for x in label_text], dtype=np.int8)
    if len(test_labels) != len(test) or not np.isin(test_labels, (0, 1)).all():
        raise DataError(
            f"SMD {name}: test_label has {len(test_labels)} 0/1 values for {len(test)} test rows "
            "(or values other than 0 and 1)."
        )
    n_train = len(train)
    labels = np.concatenate([np.zeros(n_train, dtype=np.int8), test_labels])
    events = labels_to_events(labels)
    interp_path = base / "interpretation_label" / f"{name}.txt"
    interpretation = read_interpretation(_read_text(interp_path), n_test=len(test), offset=n_train, where=interp_path)
    return Series(
        dataset="smd",
        name=name,
        values=np.vstack([train, test]),
        labels=labels,
        events=tuple(events),
        train_end=n_train,
        metadata={
            "machine": name,
            "test_start": n_train,
            "interpretation": interpretation,
            "event_dims": event_dims(events, interpretation),
            "git_blob": {p: ids[p] for p in files_for([name]) if p in ids},
            "revision": REVISION,
        },
    )


def read_interpretation(text: str, *, n_test: int, offset: int = 0, where: Any = "") -> list[dict[str, Any]]:
    """Parse ``interpretation_label`` lines ``start-end:d1,d2,...`` into series coordinates.

    ``start``/``end`` are 0-based test rows, ``end`` exclusive (see the module
    docstring); dimensions are 1-based in the file. Returns
    ``[{"start": offset + start, "end": offset + end, "dims": [d - 1, ...]}]``
    in file order.

    >>> read_interpretation("3-5:1,38\\n", n_test=10, offset=100)
    [{'start': 103, 'end': 105, 'dims': [0, 37]}]
    """
    out: list[dict[str, Any]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        try:
            span, _, dims_text = line.partition(":")
            start_s, _, end_s = span.partition("-")
            start, end = int(start_s), int(end_s)
            dims = sorted({int(d) for d in dims_text.split(",") if d.strip()})
        except ValueError:
            raise DataError(f"SMD {where} line {lineno}: {line!r} is not 'start-end:d1,d2,...'.") from None
        if not 0 <= start < end <= n_test or not dims or dims[0] < 1 or dims[-1] > N_METRICS:
            raise DataError(
                f"SMD {where} line {lineno}: {line!r} is outside the {n_test} test rows or the 1..{N_METRICS} metrics."
            )
        out.append({"start": offset + start, "end": offset + end, "dims": [d - 1 for d in dims]})
    return out


def event_dims(events: Sequence[tuple[int, int]], interpretation: list[dict[str, Any]]) -> list[list[int]]:
    """For each event, the sorted channels of every interpretation range that overlaps it (empty if none).

    >>> event_dims([(0, 5), (10, 12)], [{"start": 3, "end": 6, "dims": [2]}, {"start": 4, "end": 5, "dims": [0]}])
    [[0, 2], []]
    """
    out = []
    for start, end in events:
        dims: set[int] = set()
        for entry in interpretation:
            if entry["start"] < end and start < entry["end"]:
                dims.update(entry["dims"])
        out.append(sorted(dims))
    return out
