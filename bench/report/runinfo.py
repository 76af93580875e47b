"""What a run read and ran with, as HTML for ``report.html``: data files and hashes, every stage's parameters, sessions.

Everything comes from the run's ``config.json`` as :mod:`bench.prepare` wrote
it (``data``, ``resolved``, ``sessions``); nothing is recomputed, so the page
shows what the run recorded, also for a folder written by an older release
(a section it lacks says so).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

HASH_KEYS = ("sha256", "git_blob")
"""The file hashes a loader may record per series (see :data:`bench.prepare.DATA_FILE_KEYS`)."""


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _code(value: Any) -> str:
    return f"<code>{escape(_text(value))}</code>" if value not in (None, "", {}, []) else "–"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], cls: str) -> str:
    """Cells are HTML already; headers are text."""
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<div class="scroll"><table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div>'


def data_section(data: Mapping[str, Any] | None) -> str:
    """Per dataset: its revision(s) and, per series, points, file, file hash and content fingerprint."""
    if not data:
        return "<p>This run folder records no data fingerprints (written by an older release).</p>"
    by_dataset: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for key, entry in data.items():
        ds, _, name = str(key).partition("/")
        by_dataset.setdefault(ds, []).append((name, entry))
    parts = []
    for ds, entries in by_dataset.items():
        revisions = sorted({str(e["revision"]) for _, e in entries if e.get("revision")})
        rev = f"revision {', '.join(revisions)}" if revisions else "no revision recorded"
        rows = []
        for name, e in entries:
            digest = next(((k, e[k]) for k in HASH_KEYS if e.get(k)), None)
            rows.append(
                [
                    escape(name),
                    escape(str(e.get("n", ""))),
                    escape(str(e.get("channels", ""))),
                    _code(e.get("file") or e.get("path")),
                    f"{digest[0]} {_code(digest[1])}" if digest else "–",
                    _code(e.get("fingerprint")),
                ]
            )
        head = ["series", "points", "channels", "file", "file hash", "fingerprint (values, labels, split)"]
        parts.append(
            f'<details class="data" data-dataset="{escape(ds)}"><summary>{escape(ds)}: {len(entries)} series, '
            f"{escape(rev)}</summary>{_table(head, rows, 'runinfo')}</details>"
        )
    return "".join(parts)


def stages_section(resolved: Sequence[Mapping[str, Any]] | None) -> str:
    """Per row: the detector and each post-processor with every parameter it ran with (defaults filled in)."""
    if not resolved:
        return "<p>This run folder records no resolved parameters (written by an older release).</p>"
    rows = []
    for r in resolved:
        alias = escape(str(r.get("alias", "")))
        seed = r.get("seed_param")
        note = f" (seed parameter {escape(str(seed))}: the run's seed)" if seed else ""
        rows.append(
            [
                alias,
                f"detector {escape(str(r.get('name', '')))}{note}",
                _params(r.get("params")),
                _code(r.get("code_version")),
            ]
        )
        for p in r.get("post") or ():
            rows.append(
                [
                    alias,
                    f"post-processor {escape(str(p.get('name', '')))}",
                    _params(p.get("params")),
                    _code(p.get("code_version")),
                ]
            )
    return _table(["row", "stage", "parameters", "code version"], rows, "runinfo stages")


def _params(params: Any) -> str:
    if not isinstance(params, Mapping) or not params:
        return "none"
    return ", ".join(f"<code>{escape(str(k))}={escape(_text(v))}</code>" for k, v in params.items())


def sessions_section(sessions: Sequence[Mapping[str, Any]] | None) -> str:
    """Every session that wrote to the run folder, one column each: when, how, and every package version."""
    if not sessions:
        return "<p>This run folder records no session.</p>"
    keys = list(dict.fromkeys(k for s in sessions for k in s if k != "packages"))
    packages = list(dict.fromkeys(p for s in sessions for p in (s.get("packages") or {})))
    rows = [[escape(k), *(_code(s.get(k)) for s in sessions)] for k in keys]
    rows += [[escape(p), *(_code((s.get("packages") or {}).get(p)) for s in sessions)] for p in packages]
    head = ["", *(f"session {i + 1}" for i in range(len(sessions)))]
    return _table(head, rows, "runinfo sessions")


def render(saved: Mapping[str, Any], report_versions: Mapping[str, Any] | None = None) -> str:
    """The provenance part of the page from a ``config.json`` record; ``report_versions``: the report's own."""
    sessions = saved.get("sessions") or []
    parts = [
        f'<h3 id="sessions">Sessions ({len(sessions)})</h3>',
        "<p>Every session that ran or resumed this run, oldest first, with the versions it ran with.</p>",
        sessions_section(sessions),
    ]
    if report_versions:
        packages = report_versions.get("packages") or {}
        listed = ", ".join(f"{k} {v}" for k, v in packages.items() if v)
        parts.append(
            f'<p id="report-versions">This report (its tables and figures) was built with Python '
            f"{escape(str(report_versions.get('python', '?')))}, {escape(listed)}.</p>"
        )
    parts += [
        '<h3 id="stages">Resolved parameters of every stage</h3>',
        stages_section(saved.get("resolved")),
        '<h3 id="data">Data read</h3>',
        "<p>Per series: the file it was read from, that file's hash where the loader records one, and the "
        "fingerprint of what the detectors and metrics saw (values, labels, timestamps, events, split).</p>",
        data_section(saved.get("data")),
    ]
    return "".join(parts)
