"""The text of a comparison: a summary line, the table, the series that moved and a closing list of regressions.

Plain text for the console (every line of prose wrapped at :data:`WIDTH`
columns) or GitHub Markdown for a pull request; the tables are
:mod:`bench.report.textable`'s. Numbers are :func:`bench.compare.number`'s:
four significant digits, float rounding already snapped to 0.
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd

from bench.compare import Comparison, number, p_text
from bench.compare_series import can_reject, movers
from bench.metrics import catalog
from bench.report import textable

WIDTH = 120
"""The widest line of prose :func:`to_text` writes."""

K_MOVERS = 3
"""How many series are named each way (worse, better) per row."""


def to_text(comparison: Comparison, *, markdown: bool = False) -> str:
    """The summary line, the header, the table, the series that moved, the regressions and the notes."""
    c = comparison
    lines = [_summary(c), *_wrap(c.header), "", *_table(c, markdown).rstrip("\n").splitlines()]
    lines += ["", *_wrap(["base, new: mean over seeds (± std over seeds); p: paired Wilcoxon test across series."])]
    lines += _movers(c, markdown)
    lines += _closing(c, markdown)
    if c.notes:
        lines += ["", *_wrap(c.notes)]
    return "\n".join(lines).rstrip() + "\n"


def _wrap(texts: list[str] | tuple[str, ...], indent: str = "", more: str = "    ") -> list[str]:
    out: list[str] = []
    for t in texts:
        out += textwrap.wrap(
            t, WIDTH, initial_indent=indent, subsequent_indent=indent + more, break_on_hyphens=False
        ) or [""]
    return out


def _summary(c: Comparison) -> str:
    n_reg = int(c.table.regression.sum())
    rule = f"gate {c.gate}, tolerance {c.tolerance:g} (absolute)" + (
        f", alpha {c.alpha:g}" if c.gate == "significant" else ""
    )
    head = f"{n_reg} regression(s)" if n_reg else "No regression"
    return "\n".join(_wrap([f"{head}: gated {', '.join(c.gated) or 'none'}; {rule}."]))


def _label(r: object) -> str:
    agg = str(r.aggregate)  # type: ignore[attr-defined]
    return catalog.header(str(r.metric)) + ("" if agg in ("mean", "corpus") else f" ({agg})")  # type: ignore[attr-defined]


def _value(v: float, sd: float) -> str:
    return number(v) if math.isnan(v) or math.isnan(sd) or sd == 0 else f"{number(v)} ± {number(sd)}"


def _table(c: Comparison, markdown: bool) -> str:
    head = ["dataset", "detector", "metric", "base", "new", "change", "p", "flag"]
    dropped = c.dropped
    rows, marks = [], {}
    for i, r in enumerate(c.table.itertuples(index=False)):
        flag = "REGRESSION" if r.regression else "not significant" if dropped.iloc[i] else ""
        if r.regression:
            marks[(i, len(head) - 1)] = "flag"
        rows.append(
            [
                str(r.dataset),
                str(r.detector),
                _label(r),
                _value(r.base, r.base_seed_std),
                _value(r.new, r.new_seed_std),
                number(r.change, signed=True),
                p_text(r.p_value),
                flag,
            ]
        )
    t = textable.TextTable(head, rows, marks, align=["l", "l", "l", "r", "r", "r", "r", "l"])
    return textable.to_markdown(t) if markdown else textable.to_terminal(t)


def _movers(c: Comparison, markdown: bool) -> list[str]:
    m = movers(c, K_MOVERS)
    if m.empty:
        return []
    esc = textable.markdown_escape if markdown else str
    intro = (
        f"Series that moved by more than {c.tolerance:g} (mean over seeds; the {K_MOVERS} largest each way, "
        "worse first):"
    )
    lines = ["", f"**{intro}**" if markdown else intro]
    for (ds, det, metric), g in m.groupby(["dataset", "detector", "metric"], sort=False):
        first = g.iloc[0]
        group = (
            f"{ds} {det} {catalog.header(str(metric))}: {first.n_worse} of {first.n_series} series worse, "
            f"{first.n_better} better"
        )
        lines += _wrap([f"- {esc(group)}" if markdown else group], indent="  ")
        for s in g.itertuples(index=False):
            word = "worse " if s.worse else "better"
            values = f"{word}  {number(s.change, signed=True):>8}  {number(s.base):>7} → {number(s.new):<7}"
            lines.append(f"    - {values} {esc(s.series)}" if markdown else f"    {values}  {s.series}")
    return lines


def _closing(c: Comparison, markdown: bool) -> list[str]:
    """The regressions again, one entry each with its evidence; under ``significant``, the drops it let pass."""
    reg = c.table[c.table.regression]
    lines = []
    if len(reg):
        lines += ["", f"Regressions ({len(reg)}):"]
        lines += _entries(reg, c, markdown, untested_hint=c.gate == "delta")
    passed = c.table[c.dropped & ~c.table.regression]
    if len(passed):
        lines += ["", f"Worse by more than {c.tolerance:g} but not failed (--gate significant, alpha {c.alpha:g}):"]
        lines += _entries(passed, c, markdown, untested_hint=False)
    return lines


def _entries(rows: pd.DataFrame, c: Comparison, markdown: bool, *, untested_hint: bool) -> list[str]:
    out = []
    for r in rows.itertuples(index=False):
        text = (
            f"{r.dataset} {r.detector} {_label(r)}: {number(r.base)} → {number(r.new)} "
            f"({number(r.change, signed=True)}); {r.verdict}"
        )
        if untested_hint and can_reject(int(r.n_series), c.alpha) and r.p_value >= c.alpha:
            text += f"; not significant at alpha {c.alpha:g} (--gate significant would pass it)"
        if markdown:
            text = "- " + textable.markdown_escape(text)
        out += _wrap([text], indent="  ")
    return out
