"""The on-disk results store: one folder per run, every file written atomically.

Layout of a run folder::

    config.json        what was run (the RunConfig), resolved parameters, versions, git commit
    scores/<detector>-<params hash>/seed<k>/<dataset>/<series>.csv   timestamp, anomaly_score, label
    tasks/<detector>-<params hash>/seed<k>/<dataset>/<series>.json   key, status, timings, error if it failed
    metrics.csv        dataset, series, detector, seed, metric, value
    summary.md         the summary table (also .csv, .tex)

Raw scores live under the detector's name and a hash of its full
parameters, so two parameter sets of one detector coexist; every path
component is sanitised (:func:`safe_component`).

A task's score file is written before its task record, and both through a
temporary file renamed into place, so a killed run leaves only complete
files and a rerun with the same ``--out`` resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import secrets
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from bench.errors import DataError, OutputError
from bench.records import TaskRecord


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()
"""Mode of every file a run writes: what the user's umask gives a new file (``mkstemp`` alone gives 0600)."""
PART_SUFFIX = ".part"


@contextmanager
def atomic_open(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success fsync and rename it over ``path``.

    A failure to write (a full disk, a read-only folder) is an
    :class:`~bench.errors.OutputError` naming the file and the reason; the
    temporary file is removed, and ``path`` keeps its previous content.
    """
    path = Path(path)
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


def write_text(path: Path, text: str) -> None:
    with atomic_open(path) as fh:
        fh.write(text)


def write_json(path: Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (Path, np.ndarray)):
        return str(obj) if isinstance(obj, Path) else obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def write_frame(path: Path, frame: pd.DataFrame) -> None:
    with atomic_open(path) as fh:
        frame.to_csv(fh, index=False)


def read_metrics(path: Path) -> pd.DataFrame:
    """Read a run's ``metrics.csv``.

    Use this rather than a bare ``pd.read_csv``: pandas reads the detector
    name ``null`` (the null sanity baseline) as a missing value by default.
    A table written before the ``aggregate`` column existed is converted
    (:func:`bench.metrics.records.upgrade`).
    """
    from bench.metrics.records import upgrade

    frame = pd.read_csv(path, keep_default_na=False, na_values={"value": ["", "nan", "NaN"]})
    return upgrade(frame)


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
    """Versions of Python, the platform and the packages that can change the numbers."""
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for pkg in ("bench", "numpy", "pandas", "scikit-learn", "torch", "scipy"):
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


class RunStore:
    """Paths and reads/writes of one run folder."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def score_path(self, slot: Slot) -> Path:
        return slot.path(self.root, "scores", ".csv")

    def task_path(self, slot: Slot) -> Path:
        return slot.path(self.root, "tasks", ".json")

    def write_scores(
        self,
        path: Path,
        scores: NDArray[np.float64],
        labels: NDArray[np.int8],
        timestamps: NDArray[np.datetime64] | None,
    ) -> None:
        frame = pd.DataFrame({"anomaly_score": scores, "label": labels})
        if timestamps is not None:
            frame.insert(0, "timestamp", pd.to_datetime(timestamps))
        write_frame(path, frame)

    @staticmethod
    def read_scores(path: Path) -> NDArray[np.float64]:
        try:
            frame = pd.read_csv(path, usecols=["anomaly_score"])
        except (OSError, ValueError) as exc:
            raise DataError(f"Cannot read scores from {path}: {exc}.") from exc
        return frame["anomaly_score"].to_numpy(dtype=np.float64)

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
