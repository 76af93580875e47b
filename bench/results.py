"""The on-disk results store: one folder per run, every file written atomically.

Layout of a run folder::

    config.json        what was run (the RunConfig), resolved parameters, versions, git commit
    scores/<detector>-<params hash>/seed<k>/<dataset>/<series>.npy   raw scores, float64 (:mod:`bench.scorestore`)
    series/<dataset>/<series>.npz      the series' timestamps and labels, once for every row and seed
    tasks/<detector>-<params hash>/seed<k>/<dataset>/<series>.json   key, status, timings, files' sha256, error
    metrics.csv        dataset, series, detector, seed, metric, value
    summary.md         the summary table (also .csv, .tex)

Raw scores live under the detector's name and a hash of its full
parameters, so two parameter sets of one detector coexist; every path
component is sanitised (:func:`safe_component`). Folders written by the
previous release hold ``<series>.csv`` score files (timestamp,
anomaly_score, label) and no ``series/``; they read back unchanged.

A task's series and score files are written before its task record, and all
through a temporary file renamed into place, so a killed run leaves only
complete files and a rerun with the same ``--out`` resumes where it stopped.
The record holds the sha256 of both files, checked on every read, so a file
replaced after the run is recomputed on resume and refused by every other
reader; no write goes through a folder inside the run that is a symbolic link.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import re
import secrets
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, NoReturn

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bench.errors import DataError, OutputError, UnsafePathError
from bench.records import TaskRecord
from bench.scorestore import (
    LEGACY_SCORES_SUFFIX,
    SCORES_SUFFIX,
    SERIES_FOLDER,
    SERIES_SUFFIX,
    StoredSeries,
    decode_scores,
    decode_series,
    encode_scores,
    encode_series,
    scores_suffix,
)
from bench.series import Series


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()
"""Mode of every file a run writes: what the user's umask gives a new file (``mkstemp`` alone gives 0600)."""
PART_SUFFIX = ".part"


@contextmanager
def atomic_open(path: Path, mode: str = "w", *, root: Path | None = None, sync: bool = True) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success fsync and rename it over ``path``.

    ``sync=False`` leaves the fsync to the caller (:meth:`RunStore.write_tasks` syncs once for many files).

    A failure to write (a full disk, a read-only folder) is an
    :class:`~bench.errors.OutputError` naming the file and the reason; the
    temporary file is removed, and ``path`` keeps its previous content.
    With ``root`` (the run folder), a folder between ``root`` and ``path``
    that is a symbolic link is refused (:func:`check_no_link`).
    """
    path = Path(path)
    if root is not None:
        check_no_link(path, Path(root))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=PART_SUFFIX)
    except OSError as exc:
        raise OutputError(f"Cannot write {path}: {exc.strerror or exc}. Choose a writable folder with --out.") from exc
    try:
        fh_ctx = os.fdopen(fd, mode) if "b" in mode else os.fdopen(fd, mode, encoding="utf-8", newline="")
        with fh_ctx as fh:
            yield fh
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(
            f"Cannot write {path}: {exc.strerror or exc}. Free some space or choose another --out."
        ) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_no_link(path: Path, root: Path) -> None:
    """Refuse ``path`` when a folder between ``root`` and it is a symbolic link: a write would land outside the run.

    ``root`` itself may be a link (the user's ``--out``); the folders a run
    creates inside it (``scores/``, ``tasks/``, ``evaluations/``,
    ``report/``, ...) must be real ones.
    """
    try:
        parts = Path(path).parent.relative_to(root).parts
    except ValueError:
        raise UnsafePathError(f"{path} is outside the run folder {root}; bench writes only inside it.") from None
    here = Path(root)
    for part in parts:
        here = here / part
        if here.is_symlink():
            raise UnsafePathError(
                f"{here} is a symbolic link (to {os.readlink(here)}); bench writes only into real folders inside "
                f"{root}. Replace the link by a folder, or choose another --out."
            )


def remove_partial_files(root: Path) -> int:
    """Delete the temporary ``.*.part`` files a killed writer left in ``root``; return how many (hold the lock)."""
    count = 0
    for p in root.rglob(f".*{PART_SUFFIX}"):
        p.unlink(missing_ok=True)
        count += 1
    return count


class RunLock:
    """One writer per run folder: an exclusive ``flock`` on ``<root>/.lock``, held while the process writes.

    The operating system releases the lock when its process ends, however it
    ends, so a lock left by a killed run is simply taken over; the file keeps
    who holds it (pid, host, start time) for the message a second writer gets.
    Where ``fcntl`` does not exist (Windows) no lock is taken.
    """

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / ".lock"
        self._fh: IO[str] | None = None

    def acquire(self) -> RunLock:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return self
        if self.path.is_symlink():  # it is truncated and written: never through a link
            raise UnsafePathError(
                f"{self.path} is a symbolic link (to {os.readlink(self.path)}); remove it and run again."
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held open for the whole run
        except OSError as exc:
            raise OutputError(f"Cannot write {self.path}: {exc.strerror or exc}. Choose a writable --out.") from exc
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise OutputError(
                f"{self.path.parent} is being written by another bench process ({holder}). "
                "Wait for it to finish, or choose another --out."
            ) from None
        fh.seek(0)
        fh.truncate()
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        fh.write(f"pid {os.getpid()} on {platform.node()} since {stamp}\n")
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()  # closing the file releases the flock
            self._fh = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


def write_text(path: Path, text: str, *, root: Path | None = None, sync: bool = True) -> None:
    """Write ``text`` atomically (:func:`atomic_open`; ``root``: the run folder it must stay inside)."""
    with atomic_open(path, root=root, sync=sync) as fh:
        fh.write(text)


def write_json(path: Path, obj: Any, *, root: Path | None = None, sync: bool = True) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n", root=root, sync=sync)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (Path, np.ndarray)):
        return str(obj) if isinstance(obj, Path) else obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def write_frame(path: Path, frame: pd.DataFrame, *, root: Path | None = None) -> None:
    with atomic_open(path, root=root) as fh:
        frame.to_csv(fh, index=False)


def read_metrics(path: Path) -> pd.DataFrame:
    """Read a run's ``metrics.csv``, refusing one that was cut short (:func:`check_complete`).

    Use this rather than a bare ``pd.read_csv``: pandas reads the detector
    name ``null`` (the null sanity baseline) as a missing value by default.
    A table written before the ``aggregate`` column existed is converted
    (:func:`bench.metrics.records.upgrade`).
    """
    from bench.metrics.records import upgrade

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if not data.endswith(b"\n"):  # every line the evaluator writes ends with one
        _incomplete(path, "its last line is cut")
    try:
        frame = pd.read_csv(io.BytesIO(data), keep_default_na=False, na_values={"value": ["", "nan", "NaN"]})
    except ValueError as exc:
        raise DataError(f"{path} is not a valid CSV table: {exc}.") from exc
    frame = upgrade(frame)
    check_complete(path, frame)
    return frame


def check_complete(path: Path, frame: pd.DataFrame) -> None:
    """Refuse a ``metrics.csv`` cut at a line: every (dataset, detector, seed) in it must have both count rows.

    The evaluator writes the ``count`` rows (``series_ok``, ``series_failed``)
    of every row and seed last, so a file cut at any line loses at least the
    last one (a cut inside a line is caught by the missing final newline).
    Tables of the previous format have them too.
    """
    counts = frame[frame["aggregate"] == "count"]
    have = set(counts[["dataset", "detector", "seed", "metric"]].itertuples(index=False, name=None))
    for d, r, s in frame[["dataset", "detector", "seed"]].drop_duplicates().itertuples(index=False, name=None):
        if (d, r, s, "series_ok") not in have or (d, r, s, "series_failed") not in have:
            _incomplete(path, f"no count rows for {r} (seed {s}) on {d}")


def _incomplete(path: Path, what: str) -> NoReturn:
    folder = path.parent
    if folder.parent.name == "evaluations":
        run, name = folder.parent.parent, folder.name
        how = f"`python -m bench evaluate --run {run} --name {name} --overwrite` with its settings"
    else:
        how = f"resume the run, `python -m bench run --out {folder}` with its options"
    raise DataError(
        f"{path} was cut short or edited ({what}), so it is not read. Rebuild it from the stored results: {how}."
    )


def git_commit(cwd: Path | None = None) -> str | None:
    """The checkout's commit (with ``-dirty`` when it has uncommitted changes), or None outside git."""
    here = cwd or Path(__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{sha}-dirty" if dirty else sha


def environment() -> dict[str, Any]:
    """Versions of Python, the platform and the packages that can change the numbers (or, matplotlib, the figures)."""
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for pkg in ("bench", "numpy", "pandas", "scikit-learn", "torch", "scipy", "matplotlib"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": versions,
        "git_commit": git_commit(),
    }


def new_run_id(detectors: list[str], datasets: list[str]) -> str:
    """``<UTC time to the microsecond>-<detectors>-<datasets>-<random>``: unique even for runs started together."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    label = safe_component("+".join(detectors))[:60] + "-" + safe_component("+".join(datasets))[:40]
    return f"{stamp}-{label}-{secrets.token_hex(3)}"


_UNSAFE = re.compile(r"[^A-Za-z0-9._+=,\[\]-]")


def safe_component(name: str) -> str:
    """``name`` as one file-name component: other characters become ``_``; changed names get a short hash.

    Dataset, series and detector names come from users (CSV file names,
    plug-in paths) and must never escape the run folder or collide after
    sanitising:

    >>> safe_component("nyc_taxi"), safe_component("../etc"), safe_component("a:b")[:4]
    ('nyc_taxi', '_.._etc-f7f912', 'a_b-')
    """
    clean = _UNSAFE.sub("_", name)
    if clean.startswith("."):
        clean = "_" + clean
    if clean != name or not clean or len(clean) > 120:
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:6]
        clean = f"{clean[:100] or '_'}-{digest}"
    return clean


def safe_relpath(name: str) -> Path:
    """A series name with ``/`` (``realKnownCause/nyc_taxi``) as a relative path of safe components."""
    parts = [p for p in name.split("/")]
    return Path(*[safe_component(p) for p in parts])


@dataclass(frozen=True)
class Slot:
    """Where one task's files live in a run folder: ``<kind>/<detector_dir>/seed<k>/<dataset>/<series>.<ext>``."""

    detector_dir: str
    seed: int
    dataset: str
    series: str

    def path(self, root: Path, kind: str, suffix: str) -> Path:
        rel = safe_relpath(self.series)
        return (
            root
            / kind
            / self.detector_dir
            / f"seed{self.seed}"
            / safe_component(self.dataset)
            / rel.with_name(rel.name + suffix)
        )


def _sync_all() -> None:
    """Flush every written file to disk (``os.sync``; a platform without it leaves the writes as they are)."""
    if hasattr(os, "sync"):
        os.sync()


class RunStore:
    """Paths and reads/writes of one run folder (the bytes of score and series files: :mod:`bench.scorestore`)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._series_written: dict[Path, tuple[str, str]] = {}  # series file -> (fingerprint, sha256) written here

    def score_path(self, slot: Slot, record: TaskRecord | None = None) -> Path:
        """A task's score file: ``.npy``, or ``.csv`` when ``record`` is of the previous release."""
        return slot.path(self.root, "scores", SCORES_SUFFIX if record is None else scores_suffix(record))

    def task_path(self, slot: Slot) -> Path:
        return slot.path(self.root, "tasks", ".json")

    def series_path(self, dataset: str, series: str) -> Path:
        """A series' file of timestamps and labels, shared by every row and seed: ``series/<dataset>/<series>.npz``."""
        rel = safe_relpath(series)
        return self.root / SERIES_FOLDER / safe_component(dataset) / rel.with_name(rel.name + SERIES_SUFFIX)

    def write_series(self, series: Series, *, sync: bool = True) -> str:
        """Store a series' timestamps and labels once (:func:`~bench.scorestore.encode_series`); return the sha256.

        Idempotent and safe when writers race: the bytes depend only on the series, a file already there with
        those bytes is kept, and any other is replaced atomically by the same bytes.
        """
        path = self.series_path(series.dataset, series.name)
        fingerprint = series.fingerprint()
        done = self._series_written.get(path)
        if done is not None and done[0] == fingerprint:
            return done[1]
        data = encode_series(series)
        digest = hashlib.sha256(data).hexdigest()
        try:
            same = hashlib.sha256(path.read_bytes()).hexdigest() == digest
        except OSError:
            same = False
        if not same:
            with atomic_open(path, "wb", root=self.root, sync=sync) as fh:
                fh.write(data)
        self._series_written[path] = (fingerprint, digest)
        return digest

    def write_scores(self, path: Path, scores: NDArray[np.float64], *, sync: bool = True) -> str:
        """Write one task's score file (:func:`~bench.scorestore.encode_scores`); return its sha256."""
        data = encode_scores(scores)
        with atomic_open(path, "wb", root=self.root, sync=sync) as fh:
            fh.write(data)
        return hashlib.sha256(data).hexdigest()

    def write_task(
        self, slot: Slot, record: TaskRecord, scores: NDArray[np.float64] | None, series: Series
    ) -> TaskRecord:
        """Store a task's result: its series and scores first (when it has some), then its record with their sha256.

        The record marks the task done, so it is written last; returns it as written. A score file of the
        previous release left in the slot is removed once the new record is in place.
        """
        check_no_link(self.task_path(slot), self.root)  # before writing anything of this task
        record = self._write_data(slot, record, scores, series, sync=True)
        write_json(self.task_path(slot), record.to_dict(), root=self.root)
        if scores is not None:
            slot.path(self.root, "scores", LEGACY_SCORES_SUFFIX).unlink(missing_ok=True)
        return record

    def _write_data(
        self, slot: Slot, record: TaskRecord, scores: NDArray[np.float64] | None, series: Series, *, sync: bool
    ) -> TaskRecord:
        """A task's files other than its record (its scores, when it has some); returns the record with their sha256."""
        if scores is not None:
            series_digest = self.write_series(series, sync=sync)
            digest = self.write_scores(self.score_path(slot), scores, sync=sync)
            record = replace(record, scores_sha256=digest, series_sha256=series_digest)
        return record

    def write_tasks(
        self, results: list[tuple[Slot, TaskRecord, NDArray[np.float64] | None, Series]]
    ) -> list[TaskRecord]:
        """:meth:`write_task` for many tasks, with one disk sync instead of two fsyncs per task.

        Every task's scores are written first, then everything is synced to
        disk once (``os.sync``), then the records: a record is never on disk
        before its scores. A record lost in a crash only makes its task run
        again on resume.
        """
        for slot, *_ in results:
            check_no_link(self.task_path(slot), self.root)
        written = [self._write_data(slot, rec, scores, series, sync=False) for slot, rec, scores, series in results]
        if any(scores is not None for _, _, scores, _ in results):
            _sync_all()
        for (slot, _, scores, _), record in zip(results, written, strict=True):
            write_json(self.task_path(slot), record.to_dict(), root=self.root, sync=False)
            if scores is not None:
                slot.path(self.root, "scores", LEGACY_SCORES_SUFFIX).unlink(missing_ok=True)
        return written

    def read_scores(self, slot: Slot, record: TaskRecord, *, n_points: int | None = None) -> NDArray[np.float64]:
        """A succeeded task's stored scores, checked against its record's sha256 and the series' length.

        The one way stored scores are read: this format's ``.npy`` or the previous release's CSV
        (:func:`~bench.scorestore.scores_suffix`). A record without ``scores_sha256`` (written before the field
        existed) reads its file unverified. A file that was replaced or edited, or that does not hold one finite
        score per point, is a :class:`~bench.errors.DataError` naming it.
        """
        path = self.score_path(slot, record)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DataError(f"Cannot read stored scores {path}: {exc.strerror or exc}.") from exc
        sha256 = record.scores_sha256
        digest = hashlib.sha256(data).hexdigest()
        if sha256 is not None and digest != sha256:
            raise DataError(
                f"Stored scores {path} do not match the sha256 in their task record (record {sha256[:12]}…, "
                f"file {digest[:12]}…): the file was replaced or edited after the run. "
                f"Resume the run (`python -m bench run --out {self.root}` with its options) to recompute it."
            )
        fix = (
            f" Delete the file and resume the run (`python -m bench run --out {self.root}` with its options) "
            "to recompute it."
        )
        return decode_scores(data, path, n_points=n_points, fix=fix)

    def read_series(self, slot: Slot, record: TaskRecord) -> StoredSeries:
        """A succeeded task's stored series (timestamps, labels), checked against its record's ``series_sha256``.

        A record of the previous release has no series file: its CSV score file holds them
        (``timestamp`` when the series has timestamps, ``label``).
        """
        if record.series_sha256 is None:
            return self._legacy_series(self.score_path(slot, record))
        path = self.series_path(slot.dataset, slot.series)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DataError(f"Cannot read stored series {path}: {exc.strerror or exc}.") from exc
        if hashlib.sha256(data).hexdigest() != record.series_sha256:
            raise DataError(
                f"Stored series {path} does not match the sha256 in the task records: the file was replaced or "
                f"edited after the run. Resume the run (`python -m bench run --out {self.root}` with its options) "
                "to write it again."
            )
        return decode_series(data, path)

    def _legacy_series(self, path: Path) -> StoredSeries:
        try:
            frame = pd.read_csv(path)
            ts = pd.to_datetime(frame["timestamp"]).to_numpy() if "timestamp" in frame.columns else None
            labels = frame["label"].to_numpy(dtype=np.int8)
        except (OSError, ValueError, KeyError) as exc:
            raise DataError(f"Cannot read stored scores {path}: {exc}.") from exc
        return StoredSeries(ts, labels, "")

    def scores_intact(self, slot: Slot, record: TaskRecord) -> bool:
        """Whether a succeeded task's files are there as stored: its record's sha256s, else one row per point.

        A record of an earlier release has no ``scores_sha256``: its file is only checked for one line per point.
        """
        try:
            data = self.score_path(slot, record).read_bytes()
            if record.series_sha256 is not None:
                series = self.series_path(slot.dataset, slot.series).read_bytes()
                if hashlib.sha256(series).hexdigest() != record.series_sha256:
                    return False
        except OSError:
            return False
        if record.scores_sha256 is not None:
            return hashlib.sha256(data).hexdigest() == record.scores_sha256
        if not record.n_points:
            return True
        if record.series_sha256 is None:  # the previous release's CSV: a header and one line per point
            return data.count(b"\n") == record.n_points + 1
        try:
            return len(decode_scores(data, self.score_path(slot, record))) == record.n_points
        except DataError:
            return False

    def read_task(self, path: Path) -> TaskRecord | None:
        """The task record stored at ``path``, or None when there is none or it is unreadable (the task reruns)."""
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(saved, dict) or "status" not in saved:
            return None
        return TaskRecord.from_dict(saved)

    def config(self) -> dict[str, Any] | None:
        """The folder's ``config.json`` as a dict, or None when there is none."""
        try:
            return dict(json.loads((self.root / "config.json").read_text(encoding="utf-8")))
        except (FileNotFoundError, NotADirectoryError):
            return None
        except ValueError as exc:
            raise DataError(f"{self.root / 'config.json'} is not valid JSON: {exc}.") from exc
