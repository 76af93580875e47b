r"""One renderer for every text table bench writes: Markdown, LaTeX, CSV or terminal text, one escape per format.

A :class:`TextTable` is plain data: a header, rows of cells (text already
formatted as numbers), per-cell marks (``best``, ``second``, ``flag``),
per-column alignment and blocks of rows separated by a rule. The summary,
the paper tables and ``bench compare`` all build one and call the same
writer, so a name such as ``R&D #1 | x`` is escaped the same way in every
file of a format: :func:`latex_escape` in LaTeX, :func:`markdown_escape` in
Markdown, :func:`html.escape` in HTML; CSV quotes as the ``csv`` module does.

Marks: LaTeX bold (best) and underline (second); Markdown bold and italics
(Markdown has no underline); terminal text plain. ``beaten`` (a value a
sanity baseline beats) gets a ``°`` after it in every format but the terminal.

Compact LaTeX (paper tables): the spread of a ``mean ± std`` cell in
``\scriptsize``, and a header cell may hold a line break (``\n``), set as
two stacked lines; other formats print the break as a space.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

FORMATS = ("markdown", "latex", "csv", "terminal", "html")

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "†": r"$^\dagger$",
    "±": r"\,$\pm$\,",
    "µ": r"$\mu$",
    "°": r"$^\circ$",
    "–": "--",
    "|": r"\textbar{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def latex_escape(text: str) -> str:
    r"""Text safe inside a LaTeX document (``inputenc`` utf8; every special character replaced).

    >>> latex_escape("lstm[window_size=20] 5% best F1†")
    'lstm[window\\_size=20] 5\\% best F1$^\\dagger$'
    >>> latex_escape("R&D #1 | x")
    'R\\&D \\#1 \\textbar{} x'
    """
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def markdown_escape(text: str) -> str:
    r"""Text safe inside a GitHub table cell: pipes, emphasis markers and angle brackets escaped.

    >>> markdown_escape("a|b *c* <d>")
    'a\\|b \\*c\\* &lt;d&gt;'
    """
    text = str(text)
    for ch in ("\\", "|", "*", "_", "`"):
        text = text.replace(ch, "\\" + ch)
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


@dataclass
class TextTable:
    """A table as text cells: ``rows[i][j]`` is the cell under ``header[j]``.

    ``marks[(i, j)]`` is ``"best"``, ``"second"``, ``"flag"`` (e.g. a regression) or ``"beaten"`` (a sanity
    baseline does better);
    ``align`` has one ``"l"`` or ``"r"`` per column (default: first column left, the rest right);
    ``rules`` holds the row indices a rule is drawn above (blocks of rows).
    """

    header: list[str]
    rows: list[list[str]]
    marks: dict[tuple[int, int], str] = field(default_factory=dict)
    align: list[str] | None = None
    rules: Sequence[int] = ()

    def alignment(self) -> list[str]:
        if self.align is not None:
            return list(self.align)
        return ["l"] + ["r"] * (len(self.header) - 1)


def to_markdown(t: TextTable) -> str:
    """A GitHub-flavoured Markdown table (no surrounding text)."""
    wrap = {"best": "**{}**", "second": "*{}*", "flag": "**{}**", "beaten": "{}°"}
    lines = ["| " + " | ".join(markdown_escape(h) for h in t.header) + " |"]
    lines.append("|" + "|".join(":---" if a == "l" else "---:" for a in t.alignment()) + "|")
    for i, row in enumerate(t.rows):
        cells = []
        for j, c in enumerate(row):
            text = markdown_escape(c)
            mark = t.marks.get((i, j))
            cells.append(wrap[mark].format(text) if mark and text else text)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _latex_cell(text: str, compact: bool) -> str:
    r"""One cell; ``compact``: the spread of ``mean ± std`` in ``\scriptsize``.

    >>> _latex_cell("0.512 ± 0.030", True)
    '0.512{\\scriptsize\\,$\\pm$\\,0.030}'
    """
    if compact and " ± " in text:
        mean, _, spread = text.partition(" ± ")
        return latex_escape(mean) + r"{\scriptsize" + latex_escape("±" + spread) + "}"
    return latex_escape(text)


def _latex_header(text: str, align: str) -> str:
    r"""A header cell; a ``\n`` in it stacks its lines (a nested ``tabular``, no package needed)."""
    lines = [latex_escape(part) for part in text.split("\n")]
    if len(lines) == 1:
        return lines[0]
    return r"\begin{tabular}[b]{@{}" + align + "@{}}" + r"\\".join(lines) + r"\end{tabular}"


def to_latex(t: TextTable, *, compact: bool = False) -> str:
    """A booktabs ``tabular`` (the preamble needs ``\\usepackage{booktabs}``); ``compact``: see the module."""
    wrap = {"best": r"\textbf{{{}}}", "second": r"\underline{{{}}}", "flag": r"\textbf{{{}}}", "beaten": r"{}$^\circ$"}
    out = [r"\begin{tabular}{" + "".join(t.alignment()) + "}", r"\toprule"]
    heads = [_latex_header(h, a) if compact else latex_escape(h) for h, a in zip(t.header, t.alignment(), strict=True)]
    out.append(" & ".join(heads) + r" \\")
    out.append(r"\midrule")
    for i, row in enumerate(t.rows):
        if i in t.rules and i > 0:
            out.append(r"\midrule")
        cells = []
        for j, c in enumerate(row):
            text = _latex_cell(c, compact)
            mark = t.marks.get((i, j))
            cells.append(wrap[mark].format(text) if mark and text else text)
        out.append(" & ".join(cells) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(out) + "\n"


def to_csv(t: TextTable) -> str:
    """The cells as CSV (quoted where needed; marks dropped)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(t.header)
    writer.writerows(t.rows)
    return buf.getvalue()


def to_terminal(t: TextTable) -> str:
    """Aligned plain text for the console: columns padded, a dashed line under the header."""
    cells = [list(t.header)] + [list(r) for r in t.rows]
    widths = [max(len(r[j]) for r in cells) for j in range(len(t.header))]
    align = t.alignment()

    def line(row: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if a == "l" else c.rjust(w) for c, w, a in zip(row, widths, align, strict=True)
        ).rstrip()

    lines = [line(r) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def to_html(t: TextTable, *, attrs: str = "", caption: str = "", row_attrs: Sequence[str] = ()) -> str:
    """One ``<table>``: best ``<strong>``, second ``<u>``, flagged ``<strong>``; the first column as row headers."""
    tags = {"best": "strong", "second": "u", "flag": "strong", "beaten": "sup-after"}
    out = [f"<table{attrs}>"]
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in t.header) + "</tr></thead>")
    starts = sorted({0, *t.rules})
    for b, start in enumerate(starts):
        end = starts[b + 1] if b + 1 < len(starts) else len(t.rows)
        if start >= end:
            continue
        out.append(f'<tbody class="block{b}">')
        for i in range(start, end):
            cells = []
            for j, c in enumerate(t.rows[i]):
                text = html.escape(c)
                tag = tags.get(t.marks.get((i, j), ""))
                if tag == "sup-after":
                    text += "<sup>°</sup>"
                elif tag:
                    text = f"<{tag}>{text}</{tag}>"
                cells.append(f'<th scope="row">{text}</th>' if j == 0 else f"<td>{text}</td>")
            extra = row_attrs[i] if i < len(row_attrs) else ""
            out.append(f"<tr{extra}>{''.join(cells)}</tr>")
        out.append("</tbody>")
    out.append("</table>")
    return "\n".join(out)


def render(t: TextTable, fmt: str) -> str:
    """``t`` in one of :data:`FORMATS`."""
    writers = {"markdown": to_markdown, "latex": to_latex, "csv": to_csv, "terminal": to_terminal, "html": to_html}
    if fmt not in writers:
        raise ValueError(f"Unknown table format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    return writers[fmt](t)
