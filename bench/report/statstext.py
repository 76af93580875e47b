"""The rank statistics as text: one section per dataset and metric, for ``report/stats.md`` and ``report.html``.

A :class:`StatsSection` holds what a reader of a paper needs to check a
claim that one detector beats another (Demšar 2006): the average ranks with
each detector's mean value and its group letters under both post-hoc tests,
the Friedman statistic with its degrees of freedom and p-value, Nemenyi's
critical difference, the groups of each test, and the matrix of
Holm-corrected pairwise Wilcoxon p-values. The sanity baselines are listed
under the ranked detectors with their mean and no rank. Tables are
:class:`bench.report.textable.TextTable` s, so Markdown and HTML escape and
render them as every other table of the report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.metrics import catalog
from bench.report import textable
from bench.report.stats import TEST_NAMES, TESTS, RankComparison


@dataclass(frozen=True)
class StatsSection:
    """The statistics of one dataset and metric: sentences, captioned tables and figures (paths with captions)."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[textable.TextTable, str]] = field(default_factory=list)  # (table, caption)
    figures: list[tuple[Path, str]] = field(default_factory=list)  # (figure file, caption)


def fmt_p(p: float) -> str:
    """A p-value with 3 significant digits (``0.0123``, ``4.56e-07``); ``–`` when undefined."""
    return "–" if math.isnan(p) else f"{p:.3g}"


def _letters(order: Sequence[str], groups: Sequence[tuple[str, ...]]) -> dict[str, str]:
    """Compact letter display: each group (and each detector in none) gets a letter, in rank order."""
    covered = {d for g in groups for d in g}
    every = sorted([*groups, *((d,) for d in order if d not in covered)], key=lambda g: order.index(g[0]))
    out = dict.fromkeys(order, "")
    for i, g in enumerate(every):
        letter = chr(ord("a") + i) if i < 26 else f"({i + 1})"
        for d in g:
            out[d] += letter
    return out


def rank_table(r: RankComparison) -> textable.TextTable:
    """Detector | mean value | average rank | group letters per test; left-out detectors last, without rank."""
    order = list(r.avg_ranks.index)
    letters = {t: _letters(order, r.groups(t)) for t in TESTS}
    label = catalog.header(r.metric)
    header = ["Detector", f"mean {label}", "avg. rank", *(f"{TEST_NAMES[t]} group" for t in TESTS)]
    rows = [
        [d, f"{r.means.get(d, math.nan):.3f}", f"{r.avg_ranks[d]:.2f}", *(letters[t][d] for t in TESTS)] for d in order
    ]
    rows += [[d, f"{r.means.get(d, math.nan):.3f}", "left out", "", ""] for d in r.left_out]
    return textable.TextTable(header, rows, align=["l", "r", "r", "l", "l"], rules=[len(order)])


def pvalue_table(r: RankComparison) -> textable.TextTable:
    """The Holm-corrected Wilcoxon p-values, detectors in rank order; values below alpha flagged."""
    m = r.p_matrix()
    names = list(m.index)
    rows, marks = [], {}
    for i, a in enumerate(names):
        row = [a]
        for j, b in enumerate(names):
            p = float(m.loc[a, b])
            row.append(fmt_p(p))
            if p < r.alpha:
                marks[(i, j + 1)] = "flag"
        rows.append(row)
    return textable.TextTable(["", *names], rows, marks)


def _group_text(groups: Sequence[tuple[str, ...]]) -> str:
    return "; ".join("{" + ", ".join(g) + "}" for g in groups) or "none (every pair differs)"


def sentences(r: RankComparison) -> list[str]:
    """The prose of a section: what is ranked, the Friedman test, the CD, the groups of each test."""
    label = catalog.header(r.metric)
    direction = "higher" if r.higher_is_better else "lower"
    out = [
        f"{label} ({direction} is better): {r.k} detectors ranked over the {r.n_series} series where each has a "
        f"value (of {r.n_total}); rank 1 = best, ties share the average rank."
    ]
    if r.left_out:
        out.append(
            f"Left out of the ranks and tests: {', '.join(r.left_out)} (sanity baselines; --rank-sanity includes them)."
        )
    if math.isnan(r.friedman_pvalue):
        out.append(
            "Friedman test: not applicable (it needs at least 3 detectors, 2 series and a series without a full tie)."
        )
    else:
        out.append(
            f"Friedman test: χ² = {r.friedman_statistic:.3f}, df = {r.k - 1}, p = {fmt_p(r.friedman_pvalue)} "
            f"(k = {r.k}, N = {r.n_series})."
        )
        if r.friedman_pvalue >= r.alpha:
            out.append(
                f"The Friedman test does not reject equal average ranks at alpha = {r.alpha:g}: "
                "the post-hoc groups below are descriptive."
            )
    out.append(f"Nemenyi critical difference: CD = {r.cd:.3f} (q = {r.q:.3f}, alpha = {r.alpha:g}).")
    out.append(f"Nemenyi groups (average ranks less than CD apart): {_group_text(r.groups('nemenyi'))}.")
    out.append(
        f"Wilcoxon-Holm groups (no pair with Holm-corrected p < {r.alpha:g}): {_group_text(r.groups('wilcoxon'))}."
    )
    return out


def section(title: str, r: RankComparison) -> StatsSection:
    """The full statistics of one comparison."""
    pairs = len(r.pairwise)
    return StatsSection(
        title,
        sentences(r),
        [
            (
                rank_table(r),
                "Average ranks; a detector's letters name the groups it belongs to under each test "
                "(detectors sharing a letter are not separated).",
            ),
            (
                pvalue_table(r),
                f"Pairwise Wilcoxon signed-rank tests over the {r.n_series} series, p-values Holm-corrected over "
                f"the {pairs} pairs; marked: p < {r.alpha:g}.",
            ),
        ],
    )


def note_section(title: str, note: str) -> StatsSection:
    """A section that only says why a metric has no statistics (e.g. too few detectors)."""
    return StatsSection(title, [note])


def intro(baselines: Sequence[str], rank_sanity: bool) -> str:
    """The paragraph above the sections: the method, and what became of the sanity baselines."""
    if rank_sanity:
        left = "ranked and tested with the others (--rank-sanity)"
    else:
        left = "shown with their mean but left out of the ranks and tests (--rank-sanity includes them)"
    return (
        "Method: Demšar (2006). Per dataset and metric, each series ranks the detectors by their value (averaged "
        "over seeds); the Friedman test asks whether the average ranks differ; Nemenyi's critical difference and "
        "pairwise Wilcoxon signed-rank tests with Holm's correction group the detectors they do not separate. "
        f"Sanity baselines ({', '.join(baselines) or 'none in this run'}): {left}."
    )


def to_markdown(sections: Sequence[StatsSection], intro: str = "") -> str:
    """``stats.md``: a heading per section, its sentences, its tables with their captions."""
    lines = ["# Rank statistics", ""]
    if intro:
        lines += [intro, ""]
    for s in sections:
        lines += [f"## {textable.markdown_escape(s.title)}", ""]
        lines += [textable.markdown_escape(p) + "\n" for p in s.paragraphs]
        for t, caption in s.tables:
            lines += [textable.markdown_escape(caption), "", textable.to_markdown(t)]
    return "\n".join(lines).rstrip("\n") + "\n"
