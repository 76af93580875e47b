"""Labels files of anomaly windows for CSV series: NAB's JSON form or a ``start,end`` CSV, matched to data files.

A window ``[start, end]`` includes both ends (NAB's convention). A bound that
is an integer (a JSON number, or a CSV cell of digits) is a 0-based data row of
the file as written (the first row after the header is 0); any other bound is a
timestamp, in the same forms as the data's timestamp column.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.datasets.csv_repair import Repairs
from bench.datasets.csv_table import one_line, read_table
from bench.datasets.csv_time import parse_timestamps, show_time
from bench.errors import DataError

FILE_COLUMNS = ("file", "series")
"""Names (any case) of the optional labels-CSV column saying which data file a window belongs to."""

_SUFFIXES = (".csv.gz", ".csv")


@dataclass(frozen=True)
class Window:
    """One labelled window: rows ``start..end`` (``by_row``) or timestamps ``start..end``, both included."""

    start: Any  # int (a row) or np.datetime64
    end: Any
    by_row: bool
    aware: bool
    where: str


def _strip_suffix(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _norm(key: str) -> str:
    key = key.strip().replace("\\", "/")
    while key.startswith("./"):
        key = key[2:]
    return _strip_suffix(key)


def _is_row(bound: Any) -> bool:
    if isinstance(bound, bool):
        return False
    return isinstance(bound, int) or (isinstance(bound, str) and re.fullmatch(r"[+-]?\d+", bound.strip()) is not None)


def _window(bounds: list[Any], where: str) -> Window:
    if len(bounds) != 2:
        raise DataError(f"{where}: a window is [start, end]; got {bounds!r}.")
    rows = [_is_row(b) for b in bounds]
    if all(rows):
        start, end = (int(b) for b in bounds)
        if start < 0:
            raise DataError(f"{where}: window rows [{start}, {end}] start before row 0.")
        if start > end:
            raise DataError(f"{where}: window rows [{start}, {end}] end before they start.")
        return Window(start, end, True, False, where)
    if any(rows) or not all(isinstance(b, str) for b in bounds):
        raise DataError(f"{where}: window {bounds!r} must give two row numbers or two timestamps.")
    ts, offsets = parse_timestamps([str(b).strip() for b in bounds], where=where)
    aware = bool(offsets)
    if ts[0] > ts[1]:
        raise DataError(f"{where}: window [{bounds[0]}, {bounds[1]}] ends before it starts.")
    return Window(ts[0], ts[1], False, aware, where)


def read_labels_file(path: Path, *, sep: str = "auto", encoding: str = "utf-8") -> dict[str | None, list[Window]]:
    """Windows by data-file key (``None`` when a labels CSV has no ``file`` column: they apply to the only file).

    ``.json``: ``{"<file>.csv": [[start, end], ...], ...}`` (NAB's
    ``combined_windows.json``). Otherwise a CSV with columns ``start`` and
    ``end`` and, for a folder of data files, ``file`` (or ``series``).
    """
    if not path.is_file():
        raise DataError(f"Labels file {path} does not exist.")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataError(f"Cannot read labels file {path}: {one_line(exc)}.") from None
        if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
            raise DataError(f'Labels file {path}: expected {{"<file>.csv": [[start, end], ...], ...}} (NAB\'s form).')
        out: dict[str | None, list[Window]] = {}
        for key, windows in data.items():
            out[_norm(key)] = [
                _window(w if isinstance(w, list) else [w], f"{path} entry {key!r} window {k}")
                for k, w in enumerate(windows)
            ]
        return out
    table = read_table(path, sep=sep, encoding=encoding)
    lower = {name.lower(): name for name in table.header}
    for needed in ("start", "end"):
        if needed not in lower:
            raise DataError(
                f"Labels file {path} has no {needed!r} column (columns: {', '.join(map(repr, table.header))}). "
                "Write start,end (and file, for a folder of data files), one window per row."
            )
    file_col = next((lower[c] for c in FILE_COLUMNS if c in lower), None)
    out = {}
    for i in range(len(table)):
        key = None if file_col is None else _norm(table.columns[file_col][i])
        bounds = [table.columns[lower["start"]][i], table.columns[lower["end"]][i]]
        out.setdefault(key, []).append(_window(bounds, table.where(i)))
    return out


def match_labels(
    windows: dict[str | None, list[Window]], rels: list[str], path: Path, repairs: Repairs, *, warn_absent: bool
) -> dict[str, list[Window]]:
    """Windows for each data file (``rels``: paths relative to the dataset path, with suffix).

    A key matches a file when, suffixes removed, they are equal, or one ends
    with ``/`` plus the other (NAB's keys ``realKnownCause/x.csv`` fit a file
    ``x.csv``, and a folder holding ``data/realKnownCause/x.csv``). Keys that
    match no loaded file are reported (a warning); a labels file that matches
    none is an error. ``warn_absent``: report data files without an entry
    (a JSON labels file says "no anomaly" with an empty list).
    """
    if not windows:
        raise DataError(f"Labels file {path} has no entries. Give one per data file (an empty list: no anomaly).")
    if None in windows:
        if len(windows) > 1 or len(rels) != 1:
            raise DataError(
                f"Labels file {path} has no 'file' column, but there are {len(rels)} data files. "
                "Add a column file naming each window's data file (e.g. sub/name.csv)."
            )
        return {rels[0]: windows[None]}
    names = {rel: _norm(rel) for rel in rels}
    out: dict[str, list[Window]] = {}
    unmatched: list[str] = []
    for key, wins in windows.items():
        assert key is not None
        exact = [rel for rel, name in names.items() if name == key]
        fits = exact or [rel for rel, name in names.items() if name.endswith("/" + key) or key.endswith("/" + name)]
        if len(fits) > 1:
            raise DataError(
                f"Labels file {path}: entry {key!r} fits several data files ({', '.join(fits[:3])}). "
                "Name the file by its path relative to the dataset path."
            )
        if not fits:
            unmatched.append(key)
            continue
        if fits[0] in out:
            raise DataError(f"Labels file {path}: two entries fit data file {fits[0]!r}. Keep one.")
        out[fits[0]] = wins
    if not out:
        raise DataError(
            f"Labels file {path} names none of the data files (it names e.g. {unmatched[0]!r}; "
            f"the files are e.g. {rels[0]!r}). Use file paths relative to the dataset path."
        )
    if unmatched:
        repairs.note(
            f"Labels file {path}: {len(unmatched)} entries name no loaded data file (e.g. {unmatched[0]!r}); ignored."
        )
    absent = [rel for rel in rels if rel not in out]
    if absent and warn_absent:
        repairs.note(
            f"Labels file {path} has no entry for {len(absent)} data files (e.g. {absent[0]!r}); "
            "they have no labelled anomaly."
        )
    return out


def window_labels(
    windows: list[Window],
    n: int,
    timestamps: NDArray[np.datetime64] | None,
    aware: bool,
    file: Path,
    repairs: Repairs,
) -> NDArray[np.int8]:
    """Point labels ``(n,)`` of a file's rows as written: 1 inside any window.

    Row windows must lie within the file's rows. A timestamp window must cover
    at least one row; a bound that is not one of the file's timestamps is
    reported (the window still covers the rows between its bounds).
    """
    labels = np.zeros(n, dtype=np.int8)
    for w in windows:
        if w.by_row:
            start, end = int(w.start), int(w.end)
            if end >= n:
                raise DataError(f"{w.where}: rows [{start}, {end}] go beyond the {n} data rows of {file} (0..{n - 1}).")
            labels[start : end + 1] = 1
            continue
        if timestamps is None:
            raise DataError(f"{w.where}: a window in timestamps, but {file} has no timestamp column; give row numbers.")
        if w.aware != aware:
            raise DataError(
                f"{w.where}: the window's timestamps {'have' if w.aware else 'lack'} a UTC offset and those of "
                f"{file} {'do' if aware else 'do not'}. Write both the same way."
            )
        inside = (timestamps >= w.start) & (timestamps <= w.end)
        if not inside.any():
            raise DataError(
                f"{w.where}: window [{show_time(w.start)}, {show_time(w.end)}] covers no row of {file} "
                f"(its timestamps run from {show_time(timestamps.min())} to {show_time(timestamps.max())})."
            )
        absent = [show_time(b) for b in (w.start, w.end) if not (timestamps == b).any()]
        if absent:
            hits = np.flatnonzero(inside)
            repairs.note(
                f"{w.where}: {' and '.join(absent)} {'is' if len(absent) == 1 else 'are'} not a timestamp of {file}; "
                f"the window labels the rows between its bounds ({show_time(timestamps[hits].min())} to "
                f"{show_time(timestamps[hits].max())})."
            )
        labels[inside] = 1
    return labels
