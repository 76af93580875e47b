"""The run summary: one row per (dataset, detector), each metric family's columns, written as Markdown, CSV and LaTeX.

Values are means over seeds of the aggregate each column names (the mean
over series for per-series metrics, the total over series for compute
time, the corpus value for corpus-level scores such as NAB's); see
:class:`bench.metrics.catalog.Column`. Oracle columns are marked ``†``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from bench.metrics import catalog
from bench.metrics.thresholds import ThresholdStrategy
from bench.report.tables import to_latex, to_markdown
from bench.results import write_frame, write_text


def summary_table(metrics: pd.DataFrame, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """Wide table from long-form records; ``published`` rows (dataset, detector, metric, value) appended."""
    columns = catalog.summary_columns()
    wanted = {(c.metric, c.aggregate) for c in columns}
    picked = metrics[[k in wanted for k in zip(metrics.metric, metrics.series, strict=True)]]
    n_seeds = metrics.groupby(["dataset", "detector"], sort=False)["seed"].nunique().rename("seeds")
    wide = picked.groupby(["dataset", "detector", "metric"], sort=False)["value"].mean().unstack("metric")
    wide = wide.join(n_seeds)
    wide = wide.rename(index=completeness_labels(metrics), level="detector")
    if published is not None and len(published):
        pub = published.pivot_table(index=["dataset", "detector"], columns="metric", values="value")
        wide = pd.concat([wide, pub])
    cols = [c.metric for c in columns if c.metric in wide.columns]
    wide = wide[cols + (["seeds"] if "seeds" in wide.columns else [])]
    wide = wide.rename(columns={c.metric: c.header for c in columns}).reset_index()
    return wide


def completeness_labels(metrics: pd.DataFrame) -> dict[str, str]:
    """``{row: "row (57/58)"}`` for rows with failed series (from the ``(count)`` records; summed over seeds)."""
    counts = metrics[metrics.series == "(count)"]
    if counts.empty:
        return {}
    per_row = counts.pivot_table(index=["dataset", "detector"], columns="metric", values="value", aggfunc="sum")
    labels = {}
    for (_, row), r in per_row.iterrows():
        ok, failed = int(r.get("series_ok", 0)), int(r.get("series_failed", 0))
        if failed:
            labels[row] = f"{row} ({ok}/{ok + failed})"
    return labels


def notes(strategy: ThresholdStrategy, published: bool, table: pd.DataFrame) -> str:
    """What each column assumes, under the table; the threshold sentence comes from the strategy itself."""
    text = (
        "Per-series metrics are means over series of the part after each series' training part; "
        f"P/R/F1, detection and alarms use the label-free threshold ({strategy.describe()}). "
        "† = oracle: the threshold was chosen with the test labels (an upper bound, not a result). "
        "PA-F1 (point adjustment, Xu et al. 2018) is lenient: read it beside PA%K (K=20, Kim et al. 2022) "
        "and the random baseline's best PA-F1. "
    )
    if published or "NAB std" in table.columns:
        text += "NAB columns are NAB's normalised corpus scores; rows marked (published) are NAB's scoreboard. "
    return text + "fit s / score s: total seconds over all series."


def write_summary(
    root: Path,
    table: pd.DataFrame,
    strategy: ThresholdStrategy,
    failed: Sequence[dict[str, Any]] = (),
    published: bool = False,
    incomplete: Sequence[str] = (),
) -> None:
    """``summary.md`` (with notes and failed tasks), ``summary.csv`` and ``summary.tex`` in ``root``.

    ``incomplete`` lists the rows with failed series (marked ``row (k/n)`` in the table).
    """
    text = "# Summary\n\n" + to_markdown(table) + "\n" + notes(strategy, published, table) + "\n"
    if incomplete:
        text += "\nRows marked (k/n) are means over the k series that did not fail: " + "; ".join(incomplete) + ".\n"
    if failed:
        text += f"\n## Failed tasks ({len(failed)})\n\n" + "".join(
            f"- {r['detector']} seed={r['seed']} {r['dataset']}/{r['series']}: {r['error']}\n" for r in failed
        )
    write_text(root / "summary.md", text)
    write_frame(root / "summary.csv", table)
    write_text(root / "summary.tex", to_latex(table))
