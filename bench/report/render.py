"""Paper tables as text: LaTeX (booktabs), GitHub Markdown, CSV and HTML, the same numbers in each.

Rows come in three blocks separated by a rule: evaluated detectors in run
order, then the sanity baselines, then published rows. With several seeds a
cell is ``mean ± std`` (the mean alone where every seed gave the same value).
Each table becomes a :class:`~bench.report.textable.TextTable` and is written
by that module's one writer per format, with its one escape per format. LaTeX
fits a one- or two-column article (:func:`to_latex`) and marks the best value
per column in bold and the second underlined; Markdown uses bold and italics
(Markdown has no underline). CSV carries the unrounded numbers, one ``<key>``
and one ``<key>_std`` column per table column, and reads back with
``pandas.read_csv(..., keep_default_na=False, na_values=[""])`` (so the
detector ``null`` stays a name).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import pandas as pd

from bench.report import textable
from bench.report.paper import PaperTable, decimals, marks
from bench.report.textable import latex_escape, markdown_escape

__all__ = ["latex_escape", "markdown_escape", "to_csv", "to_frame", "to_html", "to_latex", "to_markdown", "text_table"]


def _blocks(table: PaperTable) -> list[list[str]]:
    rows = list(table.mean.index)
    contenders = [d for d in rows if d in table.contenders]
    published = [d for d in rows if d in table.published]
    baselines = [d for d in rows if d not in contenders and d not in published]
    return [b for b in (contenders, baselines, published) if b]


def _cell(table: PaperTable, det: str, key: str, digits: int) -> str:
    """``mean ± std``; the mean alone where the seeds agree (std 0) or there is no spread; a published range."""
    v = float(table.mean.at[det, key])
    if math.isnan(v):
        if (det, key) in table.ranges:
            lo, hi = table.ranges[(det, key)]
            return f"{lo:.{digits}f}–{hi:.{digits}f}"
        return "–"
    s = float(table.std.at[det, key])
    text = f"{v:.{digits}f}"
    return text if math.isnan(s) or s == 0 else f"{text} ± {s:.{digits}f}"


def text_table(table: PaperTable) -> tuple[textable.TextTable, list[str]]:
    """The table's cells (rounded as printed, best/second marked) and each row's detector name, in print order."""
    digits = decimals(table)
    marked = marks(table, digits)
    rows, names, rules = [], [], []
    for block in _blocks(table):
        rules.append(len(rows))
        for det in block:
            names.append(det)
            rows.append([table.label(det), *(_cell(table, det, c.key, digits[c.key]) for c in table.columns)])
    cell_marks = {
        (i, j + 1): marked[(det, c.key)]
        for i, det in enumerate(names)
        for j, c in enumerate(table.columns)
        if (det, c.key) in marked
    }
    header = ["Detector", *(c.header for c in table.columns)]
    return textable.TextTable(header, rows, cell_marks, rules=rules), names


COLUMN_PT = 200.0
"""The narrowest column a table goes into (``article``'s two-column layout at 10 pt: 200 pt); wider: ``table*``."""
TABCOLSEP_PT = 4.0
"""Half the space between two columns (LaTeX's default is 6 pt)."""
FIT = (
    r"\providecommand{\benchfit}[1]{\leavevmode\setbox0=\hbox{#1}"
    r"\ifdim\wd0>\linewidth\resizebox{\linewidth}{!}{\box0}\else\box0\fi}"
)
"""A table is set at its natural size, and scaled down to the line only if it is still wider (never up)."""

# Approximate advance widths of Computer Modern Roman at 10 pt, in pt; anything else counts as 5 pt.
_NARROW, _WIDE = set("ijlt.,:;'!|[]()fr -"), set("mwMW@%&")


def _text_pt(text: str, size: float = 0.9) -> float:
    """An estimate of ``text``'s width in pt at ``size`` times 10 pt (``\\small``: 0.9)."""
    pt = 0.0
    for ch in text:
        pt += 3.0 if ch in _NARROW else 8.5 if ch in _WIDE else 7.2 if ch.isupper() else 8.9 if ch == "±" else 5.0
    return pt * size


def _cell_pt(text: str) -> float:
    mean, _, spread = text.partition(" ± ")
    return _text_pt(mean) + (_text_pt("±" + spread, 0.7) + 3.0 if spread else 0.0)


def estimated_width(text: textable.TextTable) -> float:
    """About how wide the compact LaTeX ``tabular`` of ``text`` is, in pt (chooses ``table`` or ``table*``)."""
    total = 0.0
    for j, head in enumerate(text.header):
        cells = [_text_pt(line) for line in head.split("\n")] + [_cell_pt(r[j]) for r in text.rows]
        total += max(cells) + 2 * TABCOLSEP_PT
    return total


def latex_header(column_header: str) -> str:
    """A column header in two lines where it has a parenthesis (``NAB\\n(standard)``) or a camel-case
    group name (``real\\nAWSCloudwatch``), so long headers do not widen a column of short numbers."""
    if " (" in column_header:
        head, _, rest = column_header.partition(" (")
        return f"{head}\n({rest}"
    for i in range(1, len(column_header) - 1):
        if column_header[i - 1].islower() and column_header[i].isupper():
            return column_header[:i] + "\n" + column_header[i:]
    return column_header


def to_latex(tables: PaperTable | Sequence[PaperTable], *, standalone: bool = False, label_prefix: str = "tab:") -> str:
    r"""LaTeX floats with booktabs rules, ready to ``\input`` in a one- or two-column article.

    The preamble needs ``\usepackage{booktabs}`` and ``\usepackage{graphicx}``. A table whose estimated
    width fits a column (:data:`COLUMN_PT`) is a ``table``, a wider one a ``table*`` (the text width of a
    two-column article); :data:`FIT` scales one down only if it is still too wide. Each float has a
    one-line caption (:attr:`PaperTable.summary`) and its notes under the tabular; a note already printed
    under an earlier table of the same dataset is replaced by a reference to that table.
    ``standalone=True`` wraps them in a minimal ``article`` document that compiles on its own.
    """
    items = [tables] if isinstance(tables, PaperTable) else list(tables)
    out = [
        "% Generated by bench (bench.report.render.to_latex); needs \\usepackage{booktabs} and \\usepackage{graphicx}.",
        FIT,
        "",
    ]
    printed: dict[str, tuple[str, set[str]]] = {}  # dataset -> (label of its first table, notes printed)
    for t in items:
        cells = text_table(t)[0]
        cells.header = [cells.header[0], *(latex_header(h) for h in cells.header[1:])]
        env = "table" if estimated_width(cells) <= COLUMN_PT else "table*"
        label = label_prefix + _label(t.title)
        first, seen = printed.setdefault(t.dataset, (label, set()))
        legend = ["Best in bold, second best underlined."] if marks(t, decimals(t)) else []
        notes = [latex_escape(n) for n in [*t.notes, *legend] if n not in seen]
        if len(notes) < len(t.notes) + len(legend):
            notes.append(f"Other notes: Table~\\ref{{{first}}}.")
        seen.update([*t.notes, *legend])
        out += [
            rf"\begin{{{env}}}[tbp]",
            r"\centering\small\setlength{\tabcolsep}{" + f"{TABCOLSEP_PT:g}pt" + "}",
            r"\caption{" + latex_escape(t.summary) + "}",
            r"\label{" + label + "}",
            r"\benchfit{%",
            textable.to_latex(cells, compact=True).rstrip("\n") + "%",
            "}",
            r"\par\smallskip{\footnotesize\raggedright " + " ".join(notes) + r"\par}",
            rf"\end{{{env}}}",
            "",
        ]
    body = "\n".join(out)
    if not standalone:
        return body
    preamble = [
        r"\documentclass{article}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage{booktabs}",
        r"\usepackage{graphicx}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\begin{document}",
    ]
    return "\n".join(preamble) + "\n" + body + "\\end{document}\n"


def _label(title: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in title).strip("-").lower()


def to_markdown(tables: PaperTable | Sequence[PaperTable], *, heading_level: int = 3) -> str:
    """GitHub-flavoured Markdown: a heading, the table and its caption per table."""
    items = [tables] if isinstance(tables, PaperTable) else list(tables)
    out: list[str] = []
    for t in items:
        out += ["#" * heading_level + " " + markdown_escape(t.title), ""]
        out.append(textable.to_markdown(text_table(t)[0]).rstrip("\n"))
        out += ["", markdown_escape(t.caption) + " Best in bold, second best in italics.", ""]
    return "\n".join(out)


def to_frame(tables: PaperTable | Sequence[PaperTable]) -> pd.DataFrame:
    """One row per (dataset, group, detector): ``source`` (``run`` or ``published``), the series with results
    and in all (``series_ok``, ``series_total``; blank for published rows), ``seeds``, then ``<key>`` and
    ``<key>_std`` per column."""
    items = [tables] if isinstance(tables, PaperTable) else list(tables)
    parts = []
    for t in items:
        rows = list(t.mean.index)
        frame = pd.DataFrame({"dataset": t.dataset, "group": t.group or "", "detector": rows})
        frame["source"] = ["published" if d in t.published else "run" for d in rows]
        frame["series_ok"] = [
            math.nan if d in t.published else t.completeness.get(d, (t.n_series, t.n_series))[0] for d in rows
        ]
        frame["series_total"] = [
            math.nan if d in t.published else t.completeness.get(d, (t.n_series, t.n_series))[1] for d in rows
        ]
        frame["seeds"] = t.seeds.reindex(t.mean.index).to_numpy()
        for c in t.columns:
            frame[c.key] = t.mean[c.key].to_numpy(dtype=float)
            frame[f"{c.key}_std"] = t.std[c.key].to_numpy(dtype=float)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def to_csv(tables: PaperTable | Sequence[PaperTable]) -> str:
    """:func:`to_frame` as CSV text with every float written to full precision (round-trips exactly)."""
    buf = io.StringIO()
    to_frame(tables).to_csv(buf, index=False, float_format="%.17g")
    return buf.getvalue()


def to_html(table: PaperTable) -> str:
    """One ``<table>`` with its caption; best ``<strong>``, second ``<u>``; rows carry ``data-detector``."""
    from html import escape

    text, names = text_table(table)
    return textable.to_html(
        text,
        attrs=f' class="paper" data-dataset="{escape(table.dataset)}"',
        caption=table.caption + " Best in bold, second best underlined.",
        row_attrs=[f' data-detector="{escape(table.label(d))}"' for d in names],
    )
