"""A self-contained ``report.html``: tables, glossary, figures, plotted series, files, failures, provenance.

The page opens from the file system with no server, no network and no
JavaScript: styles are inline, collapsible parts are native ``<details>``
elements, and PNG and SVG figures are embedded as base64 ``data:`` URIs,
so the one file can be moved, mailed or attached to a review and still
shows everything. A PDF figure cannot be shown inline by a browser; it is
linked by its path relative to the page instead (so keep it beside the
page), as is every file of the report. The page is deterministic: the same
inputs give the same bytes.

The page explains itself: each plotted series' values are those of the seed
its figure shows (the mean over seeds beside them, labelled), the rule that
chose the plotted series is stated, every column shown has a glossary entry
generated from the metric catalogue (:func:`bench.metrics.catalog.glossary`),
and the run's provenance (data, resolved parameters, sessions) comes from
:mod:`bench.report.runinfo`.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from bench.metrics import catalog
from bench.metrics.catalog import header
from bench.report import runinfo
from bench.report.paper import _HOW, PaperTable
from bench.report.render import to_html
from bench.report.statstext import StatsSection
from bench.report.textable import to_html as table_html
from bench.results import write_text

_MIME = {".png": "image/png", ".svg": "image/svg+xml"}

CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b;
       max-width: 1280px; margin: 0 auto; padding: 0 24px 48px; background: #fff; }
h1 { font-size: 1.6em; margin: 24px 0 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #ddd; }
nav a { margin-right: 14px; } .muted { color: #666; }
.scroll { overflow-x: auto; margin: 12px 0 24px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 0.92em; }
th, td { padding: 3px 10px; text-align: right; border-bottom: 1px solid #eee; white-space: nowrap; }
th[scope=row], thead th:first-child { text-align: left; font-weight: normal; }
thead th { border-bottom: 2px solid #333; } tbody + tbody { border-top: 1.5px solid #999; }
tbody.block1 th, tbody.block1 td, tbody.block2 th, tbody.block2 td { color: #666; }
caption { caption-side: bottom; text-align: left; color: #555; font-size: 0.88em; padding-top: 6px;
          white-space: normal; max-width: min(1100px, calc(100vw - 64px)); position: sticky; left: 0; }
table.series caption { caption-side: top; padding: 0 0 4px; color: #1b1b1b; font-weight: 600; }
dl.glossary dt { font-weight: 600; margin-top: 8px; } dl.glossary dd { margin-left: 18px; max-width: 1100px; }
table.runinfo td, table.runinfo th { text-align: left; white-space: normal; overflow-wrap: anywhere; }
table.runinfo code, #files code { font-size: 0.9em; word-break: break-all; }
.rule { max-width: 1100px; }
figure { margin: 12px 0 28px; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.88em; max-width: 1100px; }
details { margin: 8px 0; } summary { cursor: pointer; font-weight: 600; }
pre { background: #f6f6f6; padding: 10px; overflow-x: auto; font-size: 0.85em; }
.failed td, .failed th { text-align: left; white-space: normal; }
"""


@dataclass(frozen=True)
class Figure:
    """A figure file and its caption."""

    path: Path
    caption: str = ""


@dataclass(frozen=True)
class SeriesSection:
    """One plotted series: its figure and detector x metric tables of its own values.

    ``values`` are those of ``seed``, the seed the figure shows (``None``: unstated, an older caller);
    ``mean_values`` (optional) the mean over ``seeds``, shown beside them, labelled.
    """

    dataset: str
    name: str
    figure: Path | None = None
    values: pd.DataFrame | None = None
    note: str = ""
    seed: int | None = None
    mean_values: pd.DataFrame | None = None
    seeds: tuple[int, ...] = ()


def _img(fig: Figure, page_dir: Path) -> str:
    path = Path(fig.path)
    alt = escape(fig.caption or path.stem)
    mime = _MIME.get(path.suffix.lower())
    if mime is None:
        rel = os.path.relpath(path, page_dir)
        return f'<p><a href="{escape(rel)}">{escape(path.name)}</a> (open the file: browsers do not show it inline)</p>'
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:{mime};base64,{data}" alt="{alt}">'


def _figure(fig: Figure, page_dir: Path) -> str:
    caption = f"<figcaption>{escape(fig.caption)}</figcaption>" if fig.caption else ""
    return f"<figure>{_img(fig, page_dir)}{caption}</figure>"


def _values_table(values: pd.DataFrame, caption: str = "", seed: str = "") -> str:
    head = "".join(f"<th>{escape(header(str(c)))}</th>" for c in values.columns)
    rows = []
    for det, row in values.iterrows():
        cells = "".join(f"<td>{_number(v)}</td>" for v in row)
        rows.append(f'<tr data-detector="{escape(str(det))}"><th scope="row">{escape(str(det))}</th>{cells}</tr>')
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    attr = f' data-seed="{escape(seed)}"' if seed else ""
    return (
        f'<table class="series"{attr}>{cap}<thead><tr><th>Detector</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _series_tables(s: SeriesSection) -> str:
    """The values of the seed the figure shows, then (several seeds) their mean, each labelled."""
    out = []
    if s.values is not None and not s.values.empty:
        caption = "" if s.seed is None else f"Seed {s.seed}: the run the figure below shows"
        out.append(
            f'<div class="scroll">{_values_table(s.values, caption, "" if s.seed is None else str(s.seed))}</div>'
        )
    if s.mean_values is not None and not s.mean_values.empty and len(s.seeds) > 1:
        seeds = ", ".join(map(str, s.seeds))
        table = _values_table(s.mean_values, f"Mean over seeds {seeds} (not the run the figure shows)", "mean")
        out.append(f'<details><summary>Mean over seeds {seeds}</summary><div class="scroll">{table}</div></details>')
    return "".join(out)


def glossary_entries(tables: Sequence[PaperTable] = (), series: Sequence[SeriesSection] = ()) -> dict[str, str]:
    """Column header -> what it holds, for every column the page shows, from the metric catalogue.

    >>> glossary_entries()["±"][:31]
    'Mean over seeds ± the standard '
    """
    out: dict[str, str] = {
        "±": "Mean over seeds ± the standard deviation over seeds (ddof = 1) of the per-seed value: the spread "
        "over seeds, not over series. No ± with one seed.",
        "†": "Oracle column: its threshold was chosen with the test labels, so it is an upper bound, not a result.",
    }
    for t in tables:
        for c in t.columns:
            if c.aggregate == "rank":
                out.setdefault(
                    c.header,
                    f"Average rank on {header(c.metric)}: each series ranks the detectors (1 = best, ties share the "
                    "average rank), averaged over the series where every detector has a value. Lower is better.",
                )
            elif c.group is not None:
                out.setdefault(
                    c.header, f"{header(c.metric)} over the series of category {c.group}. " + catalog.glossary(c.metric)
                )
            else:
                how = f" This column: {_HOW[c.aggregate]}." if c.aggregate in ("pooled", "total") else ""
                out.setdefault(c.header, catalog.glossary(c.metric) + how)
    for s in series:
        for frame in (s.values, s.mean_values):
            for c in [] if frame is None else frame.columns:
                out.setdefault(header(str(c)), catalog.glossary(str(c)))
    return out


def _glossary(entries: Mapping[str, str]) -> str:
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in entries.items())
    return f'<dl class="glossary">{items}</dl>'


_FILES = {
    "tables.md": "the paper tables, Markdown",
    "tables.tex": "the paper tables, LaTeX (booktabs)",
    "tables.csv": "the paper tables, one row per table row",
    "stats.md": "rank statistics per metric: average ranks, Friedman, Nemenyi CD, Wilcoxon-Holm",
}


def _files(files: Sequence[Path], page_dir: Path) -> str:
    """A link to every file of the report, relative to the page."""
    if not files:
        return "<p>No other file.</p>"
    items = []
    for f in sorted({Path(f) for f in files}):
        rel = os.path.relpath(f, page_dir).replace(os.sep, "/")
        what = _FILES.get(f.name) or ("figure" if f.suffix.lower() in (".png", ".svg", ".pdf") else "")
        items.append(f'<li><a href="{escape(rel)}"><code>{escape(rel)}</code></a>{f": {what}" if what else ""}</li>')
    return f"<ul>{''.join(items)}</ul>"


def _number(v: Any) -> str:
    if pd.isna(v):
        return "–"
    return f"{int(v)}" if float(v).is_integer() and abs(v) < 1e9 else f"{v:.3f}"


def _failures(failures: pd.DataFrame | Sequence[Mapping[str, Any]] | None) -> str:
    frame = failures if isinstance(failures, pd.DataFrame) else pd.DataFrame(list(failures or []))
    if frame.empty:
        return "<p>No task failed.</p>"
    cols = [c for c in ("detector", "seed", "dataset", "series", "error") if c in frame.columns] or list(frame.columns)
    head = "".join(f"<th>{escape(str(c))}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(r[c]))}</td>" for c in cols) + "</tr>" for _, r in frame.iterrows()
    )
    return (
        f"<p>{len(frame)} task(s) failed; their series are left out of every mean that needs them.</p>"
        f'<div class="scroll"><table class="failed"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
    )


def _anchor(text: str, used: set[str]) -> str:
    """A link target for ``text``, unique on the page (``a/b``, ``a_b`` and ``a:b`` flatten alike: ``-2``, ...)."""
    base = "".join(ch if ch.isalnum() else "-" for ch in text).strip("-").lower()
    anchor, k = base, 2
    while anchor in used:
        anchor, k = f"{base}-{k}", k + 1
    used.add(anchor)
    return anchor


def _statistics(sections: Sequence[StatsSection], page_dir: Path) -> list[str]:
    """The rank statistics (``report/stats.md``'s content), one folded block per dataset and metric."""
    if not sections:
        return ["<p>No rank statistics.</p>"]
    parts = []
    for i, s in enumerate(sections):
        parts.append(f"<details{' open' if i == 0 else ''}><summary>{escape(s.title)}</summary>")
        parts += [f"<p>{escape(p)}</p>" for p in s.paragraphs]
        parts += [f'<div class="scroll">{table_html(t, caption=c)}</div>' for t, c in s.tables]
        parts += [_figure(Figure(path, caption), page_dir) for path, caption in s.figures]
        parts.append("</details>")
    return parts


def render_html(
    page_dir: Path | str,
    *,
    title: str,
    tables: Sequence[PaperTable] = (),
    run_figures: Sequence[Figure] = (),
    statistics: Sequence[StatsSection] = (),
    series: Sequence[SeriesSection] = (),
    config: Mapping[str, Any] | None = None,
    versions: Mapping[str, Any] | None = None,
    failures: pd.DataFrame | Sequence[Mapping[str, Any]] | None = None,
    intro: str = "",
    series_rule: Sequence[str] = (),
    files: Sequence[Path] = (),
    provenance: Mapping[str, Any] | None = None,
) -> str:
    """The page as a string; ``page_dir`` is where it will live (for relative links to files and PDF figures).

    ``series_rule``: sentences saying how the plotted series were chosen. ``files``: the report's other files,
    linked. ``provenance``: the run's ``config.json`` record (its ``sessions``, ``data``, ``resolved``), shown
    with :mod:`bench.report.runinfo`; ``versions``: the environment that built the report.
    """
    page_dir = Path(page_dir)
    n_failed = len(failures) if failures is not None else 0
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="muted">{escape(intro)}</p>' if intro else "",
        '<nav><a href="#tables">Tables</a><a href="#glossary">Glossary</a><a href="#figures">Figures</a>'
        '<a href="#statistics">Statistics</a>'
        f'<a href="#series">Series</a><a href="#files">Files</a><a href="#failures">Failed tasks ({n_failed})</a>'
        '<a href="#config">Provenance</a></nav>',
        '<section id="tables"><h2>Tables</h2>',
    ]
    table_ids: set[str] = set()
    series_ids: set[str] = set()
    for t in tables:  # whole-dataset tables in full, group (category) tables folded per dataset
        html_table = (
            f'<h3 id="table-{_anchor(t.title, table_ids)}">{escape(t.title)}</h3><div class="scroll">{to_html(t)}</div>'
        )
        if t.group is None:
            parts.append(html_table)
        else:
            parts.append(f"<details><summary>{escape(t.title)}</summary>{html_table}</details>")
    parts += ["</section>", '<section id="glossary"><h2>Glossary</h2>', _glossary(glossary_entries(tables, series))]
    parts += ["</section>", '<section id="figures"><h2>Figures</h2>']
    parts += [_figure(f, page_dir) for f in run_figures] or ["<p>No run figure.</p>"]
    parts += ["</section>", '<section id="statistics"><h2>Rank statistics</h2>', *_statistics(statistics, page_dir)]
    parts += ["</section>", f'<section id="series"><h2>Series ({len(series)})</h2>']
    parts += [f'<p class="rule">{escape(r)}</p>' for r in series_rule]
    if not series:
        parts.append("<p>No series plotted.</p>")
    for i, s in enumerate(series):
        parts.append(
            f'<details id="series-{_anchor(s.dataset + "-" + s.name, series_ids)}"{" open" if i < 3 else ""}>'
            f"<summary>{escape(s.dataset)}: {escape(s.name)}</summary>"
        )
        if s.note:
            parts.append(f'<p class="muted">{escape(s.note)}</p>')
        parts.append(_series_tables(s))
        if s.figure is not None:
            parts.append(f"<figure>{_img(Figure(s.figure, f'{s.dataset}: {s.name}'), page_dir)}</figure>")
        parts.append("</details>")
    parts += ["</section>", '<section id="files"><h2>Files</h2>', _files(files, page_dir)]
    parts += ["</section>", '<section id="failures"><h2>Failed tasks</h2>', _failures(failures), "</section>"]
    parts += [
        '<section id="config"><h2>Provenance</h2>',
        runinfo.render(provenance, versions)
        if provenance is not None
        else "<details open><summary>Versions</summary><pre>"
        + escape(json.dumps(dict(versions or {}), indent=2, sort_keys=True, default=str), quote=False)
        + "</pre></details>",
        "<details><summary>Config</summary><pre>"
        + escape(json.dumps(dict(config or {}), indent=2, default=str), quote=False)
        + "</pre></details>",
        "</section></body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def write_html(path: Path | str, **kwargs: Any) -> Path:
    """Write :func:`render_html` to ``path`` (atomically) and return it."""
    path = Path(path)
    write_text(path, render_html(path.parent, **kwargs))
    return path
