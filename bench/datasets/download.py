"""Fetch pinned dataset files into a local folder: verified by checksum, retried, atomic, parallel.

Generic over datasets: a caller gives relative paths, a ``{path: digest}``
manifest, a destination folder and a source (a base URL, a local folder or a
``file://`` URL), and gets every file verified in place or one clear error.
A digest is a sha256 (the default, ``digest="sha256"``) or a git blob id
(``digest="git-blob"``: ``sha1(b"blob <size>\\0" + content)``, what
``git hash-object FILE`` prints and what a repository's tree records), so a
dataset pinned to a git commit can be verified against that commit's own ids.
:func:`verify_files` re-hashes what is on disk without fetching anything.

Guarantees
----------
- A file reaches its final path only through ``os.replace`` of a temporary
  file in the same folder, after it was fsynced and its digest matched, so an
  interrupted download never leaves a file that later passes for complete.
- A file already present with the right hash is not fetched again. A file
  present with other bytes (changed after it was downloaded) is fetched again,
  or, for a loader (``refuse_changed``), refused with both hashes: a run never
  uses data that is not the pinned data.
- Digests of files on disk are cached in ``<dest>/.bench-digests.json``
  (:class:`DigestCache`), keyed by path, size and mtime, so loading a verified
  dataset again costs a ``stat`` per file. An edit that keeps the size and
  restores the mtime (``os.utime``) is that cache's blind spot;
  :func:`verify_files` (``bench datasets verify``) re-hashes everything.
- Network failures (refused, timed out, dropped mid-body, HTTP 5xx) are retried
  with exponential backoff; a checksum mismatch is retried once, then reported
  with the file name and both hashes.

A process killed mid-download may leave a hidden ``.<name>.<random>.part``
file beside the final path; it is never read and can be deleted.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import requests

from bench.errors import ChecksumError, DownloadError, OutputError, ParameterError
from bench.results import atomic_open

CHUNK = 1 << 16
_RETRY_STATUS = (408, 429)  # client errors worth retrying; other 4xx are permanent


@dataclass(frozen=True)
class Source:
    """Where files come from: ``kind`` is ``"url"`` (``location`` a base URL) or ``"folder"``."""

    kind: str
    location: str

    def locate(self, rel_path: str) -> str:
        """The URL or filesystem path of one relative path."""
        if self.kind == "url":
            return self.location.rstrip("/") + "/" + urllib.parse.quote(rel_path)
        return str(Path(self.location, rel_path))


@dataclass
class FetchReport:
    """What a :func:`fetch_files` call did: the relative paths it downloaded and skipped."""

    dest: Path
    downloaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def parse_source(source: str | os.PathLike[str], *, hint: str = "") -> Source:
    """Interpret a source string: ``http(s)://`` is a URL; an existing folder or ``file://`` a folder.

    Raises
    ------
    DownloadError
        When the string is neither a URL nor an existing folder.
    """
    text = os.fspath(source)
    scheme = urllib.parse.urlsplit(text).scheme.lower()
    if scheme in ("http", "https"):
        return Source("url", text)
    if scheme == "file":
        text = urllib.request.url2pathname(urllib.parse.urlsplit(text).path)
    if Path(text).is_dir():
        return Source("folder", str(Path(text)))
    raise DownloadError(
        f"Download source {os.fspath(source)!r} is neither an http(s):// URL nor an existing folder. {hint}".strip()
    )


DIGESTS = ("sha256", "git-blob")
"""The digest kinds a manifest may use."""

_HEX_LENGTH = {"sha256": 64, "git-blob": 40}
_DIGEST_NAME = {"sha256": "sha256", "git-blob": "git blob id"}


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def git_blob_id(path: str | os.PathLike[str]) -> str:
    """The git blob id of a file: hex ``sha1(b"blob <size>\\0" + content)``, as ``git hash-object`` prints.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp, "hello.txt")
    ...     _ = p.write_bytes(b"hello\\n")
    ...     git_blob_id(p)
    'ce013625030ba8dba906f756967f9e9ca394464a'
    """
    size = os.stat(path).st_size
    digest = hashlib.sha1(b"blob %d\0" % size, usedforsecurity=False)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_digest(path: str | os.PathLike[str], digest: str = "sha256") -> str:
    """The ``digest`` (``"sha256"`` or ``"git-blob"``) of a file, as lowercase hex."""
    _check_digest(digest)
    return sha256_file(path) if digest == "sha256" else git_blob_id(path)


def _check_digest(digest: str) -> None:
    if digest not in DIGESTS:
        raise ParameterError(f"Unknown digest kind {digest!r}. Available: {', '.join(DIGESTS)}.")


def parse_manifest(text: str, origin: str = "manifest", *, digest: str = "sha256") -> dict[str, str]:
    """Manifest text as ``{path: hex}``: one ``<hex> <path>`` per line, any whitespace between; ``#`` lines ignored.

    Reads ``sha256sum`` output (``<sha256>  <path>``, ``*`` binary marker
    allowed) and git-blob manifests (``<blob id><TAB><path>``); every hex
    digest must have the length of ``digest`` (64 for sha256, 40 for a git blob id).
    """
    _check_digest(digest)
    out: dict[str, str] = {}
    width = _HEX_LENGTH[digest]
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        hexdigest, rel = parts[0], (parts[1].strip().lstrip("*") if len(parts) == 2 else "")
        if len(hexdigest) != width or not rel or any(c not in "0123456789abcdefABCDEF" for c in hexdigest):
            raise DownloadError(
                f"Malformed line {lineno} in {origin}: {line!r} (expected '<{_DIGEST_NAME[digest]}>  <path>')."
            )
        out[rel] = hexdigest.lower()
    return out


DIGEST_CACHE = ".bench-digests.json"
"""The file, inside a dataset folder, where :class:`DigestCache` keeps the digests of the files there."""

_RACY_NS = 2 * 10**9
"""An mtime this close to the moment a file was hashed may be shared by a later edit (a coarse clock)."""


class DigestCache:
    """Digests of the files under one folder, trusted while a file's size and mtime are what they were.

    Stored in ``<folder>/.bench-digests.json`` as ``{"files": {path: {"size",
    "mtime_ns", "hashed_ns", "<digest kind>": hex}}}`` and written with
    :func:`bench.results.atomic_open`. A file whose size or ``mtime_ns``
    changed is hashed again; so is one whose mtime was within 2 s of the
    moment it was hashed, since an edit in the same tick of a coarse clock
    would leave both unchanged (git's "racily clean" rule). A same-size edit
    whose mtime is then restored (``os.utime``) goes unseen: the blind spot
    of any size+mtime cache; :func:`verify_files` re-hashes everything. A
    cache that cannot be read is rebuilt; one in a folder that is not
    writable is not saved (every load hashes again).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / DIGEST_CACHE
        self._files = self._read()
        self._dirty = False

    def _read(self) -> dict[str, dict[str, int | str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none yet, or damaged: a lost cache only costs hashing again
            return {}
        files = data.get("files") if isinstance(data, dict) else None
        return files if isinstance(files, dict) else {}

    def digest(self, rel: str, digest: str = "sha256") -> str | None:
        """The ``digest`` of ``folder/rel``, from the cache when its stat is unchanged; None when it is not a file."""
        path = self.folder / rel
        try:
            st = path.stat()
            if not stat.S_ISREG(st.st_mode):
                return None
            entry = self._files.get(rel)
            if (
                isinstance(entry, dict)
                and entry.get("size") == st.st_size
                and entry.get("mtime_ns") == st.st_mtime_ns
                and isinstance(entry.get("hashed_ns"), int)
                and st.st_mtime_ns < int(entry["hashed_ns"]) - _RACY_NS
                and isinstance(entry.get(digest), str)
            ):
                return str(entry[digest])
            hashed_ns = time.time_ns()
            got = file_digest(path, digest)
        except OSError:  # missing or unreadable: fetched again, as a missing file is
            return None
        self._files[rel] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "hashed_ns": hashed_ns, digest: got}
        self._dirty = True
        return got

    def save(self) -> None:
        """Write the cache if anything changed and the folder is writable."""
        if not self._dirty or not os.access(self.folder, os.W_OK):
            return
        try:
            with atomic_open(self.path) as fh:
                json.dump({"files": self._files}, fh, indent=0, sort_keys=True)
        except OutputError as exc:
            raise OutputError(
                f"Cannot write the digest cache {self.path} ({exc.__cause__ or exc}). "
                "Choose a writable data folder with --data-dir or BENCH_DATA_DIR."
            ) from exc
        self._dirty = False


@dataclass
class VerifyReport:
    """What :func:`verify_files` found: which files match their pinned digest, which are missing, which differ."""

    dest: Path
    digest: str
    ok: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    mismatched: dict[str, tuple[str, str]] = field(default_factory=dict)
    """``{path: (expected, got)}``."""

    @property
    def passed(self) -> bool:
        """True when every file is present and matches."""
        return not self.missing and not self.mismatched

    def summary(self) -> str:
        """One line: counts, and the first few bad paths."""
        total = len(self.ok) + len(self.missing) + len(self.mismatched)
        text = f"{len(self.ok)} of {total} files verified ({_DIGEST_NAME[self.digest]}) in {self.dest}"
        if self.missing:
            text += f"; {len(self.missing)} missing (e.g. {', '.join(self.missing[:3])})"
        if self.mismatched:
            text += f"; {len(self.mismatched)} differ (e.g. {', '.join(list(self.mismatched)[:3])})"
        return text + "."


def verify_files(
    paths: Iterable[str], manifest: Mapping[str, str], dest: str | os.PathLike[str], *, digest: str = "sha256"
) -> VerifyReport:
    """Re-hash ``dest/<path>`` for every path and compare with ``manifest``; fetch nothing, change nothing."""
    _check_digest(digest)
    dest = Path(dest)
    report = VerifyReport(dest=dest, digest=digest)
    for rel in dict.fromkeys(paths):
        if rel not in manifest:
            raise DownloadError(f"No pinned checksum for {rel}; cannot verify it.")
        path = dest / rel
        if not path.is_file():
            report.missing.append(rel)
            continue
        got = file_digest(path, digest)
        if got == manifest[rel]:
            report.ok.append(rel)
        else:
            report.mismatched[rel] = (manifest[rel], got)
    return report


class _Failed(Exception):
    """One try failed; ``retry`` says whether another may help (network, HTTP 5xx) or not (HTTP 404)."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


def _output_error(what: str, exc: OSError) -> OutputError:
    return OutputError(
        f"Cannot write {what} ({exc.strerror or exc}). Choose a writable data folder with --data-dir or BENCH_DATA_DIR."
    )


def _describe(exc: requests.RequestException) -> str:
    """A short reason for a requests failure: refused, timed out, dropped, no network, ..."""
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection dropped mid-transfer"
    text = str(exc)
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        cause = cause.__cause__ or cause.__context__
    if "Connection refused" in text:
        return "connection refused"
    if any(s in text for s in ("Name or service not known", "name resolution", "nodename nor servname")):
        return "no network: host name could not be resolved"
    if "Network is unreachable" in text:
        return "no network: network is unreachable"
    if isinstance(exc, requests.ConnectionError):
        return f"connection failed: {text[:200]}"
    return f"{type(exc).__name__}: {text[:200]}"


def _copy_http(url: str, out: IO[bytes], digest: hashlib._Hash, timeout: float, session: requests.Session) -> None:
    try:
        with session.get(url, stream=True, timeout=timeout) as resp:
            if resp.status_code >= 400:
                permanent = resp.status_code < 500 and resp.status_code not in _RETRY_STATUS
                raise _Failed(f"HTTP {resp.status_code} {resp.reason}", retry=not permanent)
            received = 0
            for chunk in resp.iter_content(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
            # urllib3 checks the length of a compressed body itself; check a plain one here too.
            length = resp.headers.get("Content-Length", "")
            plain = resp.headers.get("Content-Encoding", "identity").lower() == "identity"
            if plain and length.isdigit() and received != int(length):
                raise _Failed(f"connection dropped mid-transfer ({received} of {length} bytes)", retry=True)
    except requests.RequestException as exc:
        raise _Failed(_describe(exc), retry=True) from exc


def _copy_folder(path: str, out: IO[bytes], digest: hashlib._Hash) -> None:
    try:
        src = open(path, "rb")
    except FileNotFoundError:
        raise _Failed("not found in the source folder", retry=False) from None
    except OSError as exc:
        raise _Failed(f"cannot read it: {exc.strerror or exc}", retry=False) from exc
    with src:
        for chunk in iter(lambda: src.read(CHUNK), b""):
            out.write(chunk)
            digest.update(chunk)


@dataclass
class _Job:
    """Settings shared by every file of one :func:`fetch_files` call."""

    source: Source
    dest: Path
    label: str
    hint: str
    retries: int
    backoff: float
    timeout: float
    digest: str = "sha256"
    _local: threading.local = field(default_factory=threading.local)
    _sessions: list[requests.Session] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def session(self) -> requests.Session:
        """One requests session per worker thread (sessions are not shared across threads)."""
        sess = getattr(self._local, "session", None)
        if sess is None:
            sess = self._local.session = requests.Session()
            with self._lock:
                self._sessions.append(sess)
        return sess

    def close(self) -> None:
        for sess in self._sessions:
            sess.close()


def _attempt(job: _Job, rel: str, final: Path) -> tuple[Path, str]:
    """One try: stream into a temp file beside ``final``; return (temp path, its digest)."""
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".part")
    except OSError as exc:
        raise _output_error(f"{job.label} file {rel} into {job.dest}", exc) from exc
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            if job.source.kind == "url":
                _copy_http(job.source.locate(rel), out, digest, job.timeout, job.session())
            else:
                _copy_folder(job.source.locate(rel), out, digest)
            out.flush()
            os.fsync(out.fileno())
        # A git blob id hashes a header holding the size first, so it needs the finished file.
        got = digest.hexdigest() if job.digest == "sha256" else git_blob_id(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, got


def _fetch_one(job: _Job, rel: str, expected: str) -> None:
    """Fetch one file with retries; on success it is at ``dest/rel`` and verified."""
    final = job.dest / rel
    where = job.source.locate(rel)
    failures = 0
    mismatches = 0
    while True:
        try:
            tmp, got = _attempt(job, rel, final)
        except _Failed as exc:
            failures += 1
            if not exc.retry or failures >= job.retries:
                tries = f" after {failures} {'try' if failures == 1 else 'tries'}" if exc.retry else ""
                raise DownloadError(
                    f"Could not download {job.label} file {rel} from {where} ({exc.reason}{tries}). {job.hint}".strip()
                ) from exc
            time.sleep(job.backoff * 2 ** (failures - 1))
            continue
        if got == expected:
            try:
                os.replace(tmp, final)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise _output_error(f"{job.label} file {final}", exc) from exc
            return
        tmp.unlink(missing_ok=True)
        mismatches += 1
        if mismatches > 1:
            raise ChecksumError(
                f"Checksum mismatch for {job.label} file {rel} from {where}: "
                f"expected {_DIGEST_NAME[job.digest]} {expected}, "
                f"got {got} (tried twice). The source does not hold the pinned bytes. {job.hint}".strip()
            )


def _changed_error(
    changed: dict[str, str], manifest: Mapping[str, str], dest: Path, label: str, digest: str, restore: str
) -> ChecksumError:
    """The refusal of files changed on disk: the first with both digests, how many others, how to restore."""
    rel, got = next(iter(changed.items()))
    others = list(changed)[1:]
    shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
    more = f" {len(others)} more differ ({shown})." if others else ""
    return ChecksumError(
        f"{label} file {rel} in {dest} differs from its pinned {_DIGEST_NAME[digest]} (expected {manifest[rel]}, "
        f"got {got}): it was changed after it was downloaded, and bench does not run on changed data.{more} "
        f"{restore}".strip()
    )


def _prepare_dest(dest: Path, label: str) -> None:
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _output_error(f"the {label} data folder {dest}", exc) from exc


def fetch_files(
    paths: Iterable[str],
    manifest: Mapping[str, str],
    dest: str | os.PathLike[str],
    source: str | os.PathLike[str] | Source,
    *,
    label: str = "dataset",
    hint: str = "",
    retries: int = 3,
    backoff: float = 0.5,
    timeout: float = 30.0,
    workers: int = 8,
    progress: bool = False,
    digest: str = "sha256",
    refuse_changed: str | None = None,
) -> FetchReport:
    """Make ``dest/<path>`` a verified copy of every path, fetching only what is missing or wrong.

    Parameters
    ----------
    paths
        Relative paths (``/``-separated) to fetch; each must be in ``manifest``.
    manifest
        ``{relative path: hex digest}`` pinned checksums (see ``digest``).
    dest
        Destination folder (created if needed).
    source
        Base URL (``http(s)://``), existing folder, ``file://`` URL, or a :class:`Source`.
    label, hint
        Name used in messages (``"NAB"``) and a sentence appended to download
        errors telling the user what to do (``"Set BENCH_NAB_SOURCE to ..."``).
    retries
        Tries per file for network failures (at least 1).
    backoff
        Base delay in seconds: the k-th retry waits ``backoff * 2**(k-1)``; 0 for tests.
    timeout
        Seconds to wait for a connection or for the next bytes.
    workers
        Files fetched in parallel.
    progress
        Show a tqdm bar (one tick per file) on stderr.
    digest
        What the manifest's hex strings are: ``"sha256"`` or ``"git-blob"``
        (git blob ids, see :func:`git_blob_id`).
    refuse_changed
        None (``bench datasets fetch``): a file present with other bytes is
        fetched again. A sentence saying how to restore the pinned files (what
        a loader passes): such a file is refused with a :class:`ChecksumError`
        naming it, both digests and that sentence, and nothing is fetched.
        Digests of files present come from :class:`DigestCache`.

    Returns
    -------
    FetchReport
        Which paths were downloaded and which were already present and verified.

    Raises
    ------
    DownloadError
        A file could not be fetched (network failure after ``retries`` tries,
        HTTP 4xx, missing from the source folder, bad source).
    ChecksumError
        A file's bytes did not match its pinned digest twice in a row, or
        (``refuse_changed``) a file present differs from its pin.
    OutputError
        ``dest`` cannot be created or written.
    """
    rels = list(dict.fromkeys(paths))
    unknown = [p for p in rels if p not in manifest]
    if unknown:
        raise DownloadError(
            f"No pinned checksum for {label} file(s) {', '.join(unknown[:5])}; refusing to fetch unverified files."
        )
    if retries < 1:
        raise ParameterError(f"retries must be at least 1; got {retries}.")
    _check_digest(digest)
    dest = Path(dest)
    report = FetchReport(dest=dest)
    todo: list[str] = []
    changed: dict[str, str] = {}
    cache = DigestCache(dest)
    for rel in rels:
        got = cache.digest(rel, digest)
        if got == manifest[rel]:
            report.skipped.append(rel)
        elif got is not None and refuse_changed is not None:
            changed[rel] = got
        else:
            todo.append(rel)
    cache.save()
    if changed:
        raise _changed_error(changed, manifest, dest, label, digest, refuse_changed or "")
    if not todo:
        return report
    _prepare_dest(dest, label)
    src = source if isinstance(source, Source) else parse_source(source, hint=hint)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=f"Fetching {label}", unit="file")
    job = _Job(src, dest, label, hint, retries, backoff, timeout, digest)
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(todo))), thread_name_prefix="fetch")
    try:
        futures = {pool.submit(_fetch_one, job, rel, manifest[rel]): rel for rel in todo}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for fut in done:
                fut.result()  # re-raises the first failure; the finally cancels the rest
                report.downloaded.append(futures[fut])
                if bar is not None:
                    bar.update(1)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        job.close()
        if bar is not None:
            bar.close()
    report.downloaded.sort(key=rels.index)
    return report
