"""Rendering a table (a DataFrame) as Markdown, LaTeX or aligned console text, with one number format."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd


def _fmt(v: object) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if v.is_integer() and abs(v) < 1e6:
            return str(int(v))
        return f"{v:.3f}" if abs(v) < 1000 else f"{v:.0f}"
    return str(v)


def to_markdown(table: pd.DataFrame) -> str:
    headers = list(table.columns)
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(_fmt(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def to_latex(table: pd.DataFrame) -> str:
    esc = lambda s: str(s).replace("_", r"\_").replace("%", r"\%").replace("†", r"$^\dagger$")  # noqa: E731
    cols = list(table.columns)
    out = [r"\begin{tabular}{" + "l" * 2 + "r" * (len(cols) - 2) + "}", r"\toprule"]
    out.append(" & ".join(esc(c) for c in cols) + r" \\")
    out.append(r"\midrule")
    for row in table.itertuples(index=False):
        out.append(" & ".join(esc(_fmt(v)) for v in row) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(out) + "\n"


def to_terminal(table: pd.DataFrame, columns: Sequence[str] | None = None) -> str:
    """A plain aligned text table for the console."""
    t = table if columns is None else table[list(columns)]
    cells = [list(map(str, t.columns))] + [[_fmt(v) for v in row] for row in t.itertuples(index=False)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]

    def line(row: list[str]) -> str:  # dataset and detector left-aligned, numbers right-aligned
        return "  ".join(c.rjust(w) if j > 1 else c.ljust(w) for j, (c, w) in enumerate(zip(row, widths, strict=True)))

    lines = [line(r).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
