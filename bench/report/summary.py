"""The run summary: one row per (dataset, detector), the catalogue's summary columns, as Markdown, CSV and text.

Values are means over seeds (a row's complete seeds, where it has one) of
the aggregate each column's metric names in the catalogue
(:attr:`bench.metrics.catalog.Metric.over_series`: the mean over series for
per-series metrics, the total over series for compute time, the corpus
value for corpus-level scores such as NAB's). Oracle
columns are marked ``†``. Whether a row is a published one and how many of
its series have results are columns of their own (``source``,
``series_ok``, ``series_total``); the printed label (``lstm (57/58)``,
``ARTime (published)``) is rendered from them.

No LaTeX: with all its columns the summary is far wider than a page (22
columns, about 700 pt too wide); the paper's tables are ``report/tables.tex``
(:mod:`bench.report.render`).

The files hold every column and row; the terminal (:func:`to_terminal`) the
run's own rows and the headline columns, with each column's best marked only
where it beats the sanity baselines (:func:`best_cells`).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from bench.metrics import catalog
from bench.metrics.records import kind, upgrade
from bench.metrics.thresholds import ThresholdStrategy
from bench.report import frames, textable
from bench.results import write_frame, write_text

ROW_COLUMNS = ("dataset", "detector", "source", "series_ok", "series_total")
"""The columns that say what a row is; the metric columns (their headers) and ``seeds`` follow."""


def summary_table(metrics: pd.DataFrame, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """Wide table from long-form records; ``published`` rows (dataset, detector, metric, value) appended.

    A row's seeds with failed series are left out where it has a complete seed
    (:func:`bench.report.frames.complete_seeds`); ``seeds`` counts the seeds kept.
    """
    metrics = frames.complete_seeds(upgrade(metrics)).metrics
    columns = catalog.summary_columns()
    agg = kind(metrics)
    picked = metrics[
        pd.concat([(metrics.metric == m.name) & (agg == m.over_series) for m in columns], axis=1).any(axis=1)
    ]
    wide = picked.groupby(["dataset", "detector", "metric"], sort=False)["value"].mean().unstack("metric")
    rows = metrics[agg != "count"].groupby(["dataset", "detector"], sort=False)["seed"].nunique().rename("seeds")
    wide = pd.DataFrame(index=rows.index).join(wide).join(rows)
    counts = metrics[agg == "count"].pivot_table(
        index=["dataset", "detector"], columns="metric", values="value", aggfunc="sum"
    )
    ok = counts["series_ok"] if "series_ok" in counts else pd.Series(dtype=float)
    failed = counts["series_failed"] if "series_failed" in counts else pd.Series(dtype=float)
    wide["source"] = "run"
    wide["series_ok"] = ok.reindex(wide.index)
    wide["series_total"] = (ok + failed.reindex(ok.index).fillna(0)).reindex(wide.index)
    if published is not None and len(published):
        pub = published.pivot_table(index=["dataset", "detector"], columns="metric", values="value")
        pub["source"] = "published"
        wide = pd.concat([wide, pub])
    metric_cols = [c.name for c in columns if c.name in wide.columns]
    wide = wide.reset_index()[[*ROW_COLUMNS, *metric_cols, "seeds"]]
    return wide.rename(columns={c.name: catalog.header(c.name) for c in columns})


class _Row:
    """The row-describing columns of one summary row."""

    def __init__(self, rec: dict[str, Any]) -> None:
        self.detector, self.source = rec["detector"], rec["source"]
        self.series_ok, self.series_total = float(rec["series_ok"]), float(rec["series_total"])


def row_label(row: _Row) -> str:
    """A summary row's printed detector: its name, ``(ok/total)`` when series failed, ``(published)``."""
    text = str(row.detector)
    if row.source == "published":
        return text + " (published)"
    ok, total = row.series_ok, row.series_total
    if not math.isnan(ok) and not math.isnan(total) and ok < total:
        text += f" ({int(ok)}/{int(total)})"
    return text


def _fmt(v: object) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if v.is_integer() and abs(v) < 1e6:
            return str(int(v))
        return f"{v:.3f}" if abs(v) < 1000 else f"{v:.0f}"
    return str(v)


def text_table(table: pd.DataFrame) -> textable.TextTable:
    """The summary as text cells: dataset, the printed detector label, each metric column, seeds."""
    shown = [c for c in table.columns if c not in ROW_COLUMNS]
    rows = [
        [str(rec["dataset"]), row_label(_Row(rec)), *(_fmt(rec[c]) for c in shown)] for rec in table.to_dict("records")
    ]
    return textable.TextTable(["dataset", "detector", *shown], rows, align=["l", "l"] + ["r"] * len(shown))


def terminal_headers(table: pd.DataFrame, requested: Sequence[str] = ()) -> list[str]:
    """The metric columns the terminal shows, in catalogue order: the headline set (:attr:`catalog.Metric.default`,
    the paper tables' default columns) and, for each family in ``requested`` without a headline column, its summary
    columns, so a family asked for by name always appears. Every other column is in the files."""
    shown = set(catalog.default_columns())
    for fam in catalog.resolve(list(requested)):
        if not any(m.default for m in fam.metrics):
            shown |= {m.name for m in fam.metrics if m.summary}
    return [catalog.header(m.name) for m in catalog.summary_columns() if m.name in shown]


def best_cells(table: pd.DataFrame, chance: Sequence[str] = ()) -> set[tuple[int, str]]:
    """``(row index, header)`` of the best value of each directed column per dataset, among the run's own rows.

    Published rows and the chance-level rows (``chance``: aliases of ``random``, ``null``, ``random+likelihood``)
    never win, and neither does a row that does not beat every chance-level row of its dataset in that column
    (a detector below ``random`` is not "best", whatever else ran). No winner, no mark.
    """
    out: set[tuple[int, str]] = set()
    by_header = {catalog.header(m.name): m for m in catalog.summary_columns()}
    for _, rows in table.groupby("dataset", sort=False):
        own = rows[rows.source != "published"]
        sane = own[own.detector.isin(list(chance))]
        contenders = own[~own.detector.isin(list(chance))]
        for col in [c for c in rows.columns if c in by_header]:
            up = by_header[col].higher_is_better
            if up is None:
                continue
            values = contenders[col].astype(float).dropna()
            floor = sane[col].astype(float).dropna()
            if len(floor):
                values = values[values > floor.max()] if up else values[values < floor.min()]
            if len(values):
                top = values.max() if up else values.min()
                out |= {(int(i), col) for i in values.index[values == top]}
    return out


def to_terminal(table: pd.DataFrame, requested: Sequence[str] = (), chance: Sequence[str] = ()) -> str:
    """The summary at a glance, within 100 columns for a default run: the run's own rows, the headline columns
    (:func:`terminal_headers`), ``*`` on each column's best (:func:`best_cells`); published rows and the other
    columns are in ``summary.md`` / ``summary.csv``, as the last line says."""
    headers = [h for h in terminal_headers(table, requested) if h in table.columns]
    run = table[table.source != "published"]
    best = best_cells(run, chance)
    marked = {c for _, c in best}
    shown = [*headers, "seeds"]
    rows = [
        [
            str(rec["dataset"]),
            row_label(_Row(rec)),
            *(_fmt(rec[c]) + ("*" if (i, c) in best else " " if c in marked else "") for c in shown),
        ]
        for i, rec in zip(run.index, run.to_dict("records"), strict=True)
    ]
    text = textable.to_terminal(
        textable.TextTable(["dataset", "detector", *shown], rows, align=["l", "l"] + ["r"] * len(shown))
    )
    hidden = len([c for c in table.columns if c not in (*ROW_COLUMNS, *shown)])
    published = int((table.source == "published").sum())
    more = [f"{hidden} more columns" if hidden else "", f"{published} published rows" if published else ""]
    legend = "* best of the run's detectors in its column, and better than the sanity baselines. " if best else ""
    where = f"{' and '.join(m for m in more if m)}: summary.md, summary.csv." if any(more) else ""
    return text + (textwrap.fill(legend + where, width=100) + "\n" if legend or where else "")


def notes(strategy: ThresholdStrategy, table: pd.DataFrame) -> str:
    """What each column assumes, under the table; sentences come from the strategy and the catalogue."""
    from bench.metrics.catalog import PA_K

    text = (
        "Per-series metrics are means over series of the part after each series' training part; "
        f"P/R/F1, detection and alarms use the label-free threshold ({strategy.describe()}). "
        "† = oracle: the threshold was chosen with the test labels (an upper bound, not a result). "
        f"PA-F1 (point adjustment, Xu et al. 2018) is lenient: read it beside PA%K (K={PA_K:g}, Kim et al. 2022) "
        "and the random baseline's best PA-F1. "
    )
    corpus = [catalog.header(m.name) for m in catalog.summary_columns() if m.over_series == "corpus"]
    shown = [c for c in corpus if c in table.columns]
    published = (table.source == "published").any()
    if shown or published:
        text += (
            f"{', '.join(shown) or 'Corpus'} columns are corpus-level scores (NAB's normalised scores: null "
            "detector = 0, perfect = 100)"
            + ("; rows marked (published) are the benchmark's published scoreboard. " if published else ". ")
        )
    totals = [catalog.header(m.name) for m in catalog.summary_columns() if m.over_series == "total"]
    return text + f"{' / '.join(totals)}: total seconds over all series."


def write_summary(
    root: Path,
    table: pd.DataFrame,
    strategy: ThresholdStrategy,
    failed: Sequence[Any] = (),
    incomplete: Sequence[str] = (),
    more_notes: Sequence[str] = (),
) -> None:
    """``summary.md`` (with notes and failed tasks) and ``summary.csv`` in ``root``.

    ``failed``: records of the failed tasks (``detector``, ``seed``, ``dataset``, ``series``, ``error``);
    ``incomplete`` lists the rows with failed series (marked ``row (k/n)`` in the table); ``more_notes``:
    sentences added to the notes (e.g. why a published scoreboard is left out).
    """
    text_cells = text_table(table)
    text = "# Summary\n\n" + textable.to_markdown(text_cells) + "\n" + " ".join([notes(strategy, table), *more_notes])
    text += "\n"
    if incomplete:
        text += (
            "\nRows marked (k/n) have failed tasks (k of n series results, over all seeds). A row's seeds with "
            "failed series are left out where it has a complete seed (the seeds column counts those kept); "
            "a row without one shows means over the series that did not fail: " + "; ".join(incomplete) + ".\n"
        )
    if failed:
        text += f"\n## Failed tasks ({len(failed)})\n\n" + "".join(
            f"- {_get(r, 'detector')} seed={_get(r, 'seed')} {_get(r, 'dataset')}/{_get(r, 'series')}: "
            f"{_get(r, 'error')}\n"
            for r in failed
        )
    write_text(root / "summary.md", text)
    write_frame(root / "summary.csv", table)


def _get(record: Any, key: str) -> Any:
    return record[key] if isinstance(record, dict) else getattr(record, key)
